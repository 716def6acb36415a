import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { buildApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { createDatabase } from '../src/db/client.js';
import { ManualClock } from '../src/lib/clock.js';
import { generateSigningKeys } from '../src/modules/accounts/keys.js';

/**
 * Writes openapi/openapi.json from the routes' zod schemas (`--check`: fails when the committed
 * file differs). No database is needed: the pool is created but never connected.
 */
export async function renderOpenApi(): Promise<string> {
  const database = createDatabase('postgres://unused@127.0.0.1:1/unused', 1);
  const { keys } = await generateSigningKeys();
  const app = await buildApp({ config: testConfig(), database, clock: new ManualClock(), keys });
  await app.ready();
  const doc = app.swagger();
  await app.close();
  await database.close();
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const file = path.resolve('openapi/openapi.json');
if (import.meta.url === `file://${process.argv[1]}`) {
  const fresh = await renderOpenApi();
  if (process.argv.includes('--check')) {
    const committed = await readFile(file, 'utf8').catch(() => '');
    if (committed !== fresh) {
      console.error('openapi/openapi.json is out of date: run `npm run openapi:export` and commit it');
      process.exit(1);
    }
    console.log('openapi/openapi.json is up to date');
  } else {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, fresh);
    console.log(`wrote ${file}`);
  }
}
