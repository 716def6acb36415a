import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startServerProcess } from './support/process.js';

// The real entry point, as `npm start` runs it on a fresh machine: embedded PostgreSQL in a new
// data directory, migrations, dev signing key, admin bootstrap, demo data, graceful shutdown.
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('server process with embedded PostgreSQL', () => {
  it('starts on an empty data directory, serves, stops on SIGTERM, and starts again on the same data', { timeout: 240_000 }, async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'techbridge-server-'));
    dirs.push(dataDir);
    const env = {
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(await freePort()),
      ADMIN_EMAIL: 'admin@techbridge.test',
      ADMIN_PASSWORD: 'admin password 2026',
    };
    const first = await startServerProcess(env);
    try {
      expect(first.output()).toMatch(/generated a development signing key/);
      expect((await stat(path.join(dataDir, 'jwt-ed25519.pem'))).isFile()).toBe(true);
      const ready = await fetch(`${first.url}/readyz`);
      expect(ready.status).toBe(200);
      const login = await fetch(`${first.url}/v1/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD }),
      });
      expect(login.status).toBe(200);
      const list = await fetch(`${first.url}/v1/achievements?limit=5`);
      expect(list.status).toBe(200);
      expect(((await list.json()) as { items: unknown[] }).items.length).toBe(5);
    } finally {
      first.child.kill('SIGTERM');
    }
    const t0 = Date.now();
    expect(await first.exited, first.output().slice(-3000)).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);

    // Second start: the key is reused (tokens survive restarts) and seeding is a no-op.
    const second = await startServerProcess(env);
    try {
      expect(second.output()).toMatch(/using the development signing key/);
      expect((await fetch(`${second.url}/healthz`)).status).toBe(200);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
