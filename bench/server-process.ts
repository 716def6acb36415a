import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchDatabase } from './db.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  stop: () => Promise<void>;
}

/**
 * The application as production runs it (`node --import tsx src/server.ts`, NODE_ENV=production,
 * no seeding, warn-level logs) in a process of its own, so the load generator does not share its
 * thread; against the bench database, with its signing key. Ready when /readyz answers (pending
 * migrations run first, which on a large bench database can take minutes).
 */
export async function startAppServer(database: BenchDatabase, port: number, env: NodeJS.ProcessEnv = {}, nodeFlags: string[] = []): Promise<ServerProcess> {
  const pem = await readFile(path.resolve(root, database.config.DATA_DIR, 'jwt-ed25519.pem'), 'utf8');
  // nodeFlags: e.g. --cpu-prof, which NODE_OPTIONS does not accept.
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      SEED: 'false',
      DATABASE_URL: database.url,
      JWT_PRIVATE_KEY: pem,
      DATA_DIR: database.config.DATA_DIR,
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the application exited with code ${code} before it was ready`))));
  const ready = (async () => {
    for (let i = 0; i < 3_000; i++) {
      try {
        if ((await fetch(`${url}/readyz`)).ok) return { child, url, stop };
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the application did not answer ${url}/readyz within 300 s`);
  })();
  try {
    return await Promise.race([ready, exited]);
  } catch (err) {
    await stop();
    throw err;
  }
}
