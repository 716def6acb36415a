import { spawn } from 'node:child_process';
import { fail, parseArgs } from '../src/cli/args.js';

// npm run fuzz [-- --runs N] [--seed S] [--debug]
// Runs tests/fuzz.test.ts with N requests per operation (default 200, as in CI). --seed replays the
// random half of a run (its seed is printed at the start of every run); the fixed half never changes.
const { flags } = parseArgs(process.argv.slice(2));
const runs = flags.runs === undefined ? '200' : String(flags.runs);
if (!/^\d+$/.test(runs) || Number(runs) < 2) fail('usage: npm run fuzz -- [--runs N (≥ 2)] [--seed S] [--debug]');
const seed = flags.seed === undefined ? undefined : String(flags.seed);
if (seed !== undefined && !/^\d+$/.test(seed)) fail('--seed takes a non-negative integer');

const child = spawn('npx', ['vitest', 'run', 'tests/fuzz.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_RUNS: runs, ...(seed === undefined ? {} : { FUZZ_SEED: seed }), ...(flags.debug ? { FUZZ_DEBUG: '1' } : {}) },
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
