import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestContext } from './support/app.js';

// The /docs page as a reader sees it: Debian's chromium (driven by playwright-core, no browser
// download) renders Swagger UI from the served document, under the helmet CSP, from this server only.

function findChromium(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not in this directory
      }
    }
  }
  return undefined;
}

const executablePath = findChromium();
const missing = executablePath ? undefined : 'no chromium on PATH and CHROMIUM_PATH is unset: `apt-get install chromium` (Debian) or set CHROMIUM_PATH';
// Locally a machine without chromium skips (with the reason in the test name); CI must run it.
const skip = missing !== undefined && !process.env.CI;
if (skip) console.warn(`docs-browser.test.ts skipped: ${missing}`);

type Spec = { paths: Record<string, Record<string, { operationId: string; tags: string[] }>> };

let ctx: TestContext;
let origin: string;
let browser: Browser;
let spec: Spec;

describe.skipIf(skip)(`GET /docs in headless Chromium${skip ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(async () => {
    if (!executablePath) throw new Error(missing);
    spec = JSON.parse(await readFile('openapi/openapi.json', 'utf8')) as Spec;
    ctx = await startTestApp();
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const address = ctx.app.server.address();
    if (address === null || typeof address === 'string') throw new Error('the app is not listening on TCP');
    origin = `http://127.0.0.1:${address.port}`;
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--headless=new'] });
  });

  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
  });

  it('renders every operation of openapi/openapi.json, loads nothing from elsewhere and breaks no CSP rule', { timeout: 60_000 }, async () => {
    const operations = Object.values(spec.paths).flatMap((methods) => Object.values(methods));
    expect(operations.length).toBeGreaterThan(50);

    const page = await browser.newPage();
    const requested: string[] = [];
    const failed: string[] = [];
    const consoleErrors: string[] = [];
    const pageErrors: string[] = [];
    page.on('request', (req) => requested.push(req.url()));
    page.on('requestfailed', (req) => failed.push(`${req.url()}: ${req.failure()?.errorText ?? '?'}`));
    page.on('console', (msg) => msg.type() === 'error' && consoleErrors.push(msg.text()));
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // Runs in the page (DOM types are not part of this Node project, hence a script string).
    await page.addInitScript({
      content: "window.cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));",
    });

    const response = await page.goto(`${origin}/docs`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
    await page.locator('.info .title').filter({ hasText: 'TechBridge API' }).waitFor();
    // docExpansion 'list' renders every tag open, one .opblock per operation (each has one tag).
    await page.waitForFunction(`document.querySelectorAll('.opblock').length >= ${operations.length}`, undefined, { timeout: 30_000 });
    expect(await page.locator('.opblock').count()).toBe(operations.length);

    // Known operations by their deep-link ids (operations-<tag>-<operationId>) and their paths.
    for (const [tag, operationId, method, route] of [
      ['Achievements', 'importAchievements', 'POST', '/v1/achievements/import'],
      ['Matching', 'listNeedMatches', 'GET', '/v1/needs/{id}/matches'],
      ['Auctions', 'placeBid', 'POST', '/v1/listings/{id}/bids'],
      ['Contracts', 'reviewContract', 'POST', '/v1/contracts/{id}/review'],
      ['Statistics', 'getContractStats', 'GET', '/v1/stats/contracts'],
    ] as const) {
      expect(spec.paths[route]?.[method.toLowerCase()]).toMatchObject({ operationId, tags: [tag] });
      const block = page.locator(`#operations-${tag}-${operationId}`);
      await expect.poll(() => block.count(), { message: `${method} ${route}` }).toBe(1);
      expect(await block.locator('.opblock-summary-method').innerText()).toBe(method);
      expect((await block.locator('.opblock-summary-path').innerText()).replaceAll('\u200b', '')).toBe(route);
    }

    // An opened operation documents its errors as RFC 9457 problems.
    const getAchievement = page.locator('#operations-Achievements-getAchievement');
    await getAchievement.locator('.opblock-summary').click();
    const notFound = getAchievement.locator('.response[data-code="404"]');
    await notFound.waitFor();
    expect(await notFound.innerText()).toContain('application/problem+json');

    const foreign = requested.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'));
    expect(foreign).toEqual([]);
    expect(requested).toContain(`${origin}/docs/json`);
    expect(failed).toEqual([]);
    expect(await page.evaluate('window.cspViolations')).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
