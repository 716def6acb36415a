import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { hash } from '@node-rs/argon2';
import type pg from 'pg';
import { parseArgs } from '../src/cli/args.js';
import { benchDatabaseFlags, openBenchDatabase } from './db.js';
import { achievement, need, organization, ORGANIZATION_COUNT, usersOf, type Organization } from './rows.js';

export interface GenerateOptions {
  achievements: number;
  needs: number;
  /** delete the generator's rows first and fill again */
  force: boolean;
  batch: number;
}

export const DEFAULT_GENERATE: GenerateOptions = { achievements: 100_000, needs: 20_000, force: false, batch: 1_000 };

type Row = Record<string, unknown>;

/**
 * One multi-row INSERT per batch. ON CONFLICT DO NOTHING plus ids that are a pure function of the
 * row index make a resumed or repeated run harmless.
 */
export async function insertRows(pool: pg.Pool, table: string, rows: Row[]): Promise<number> {
  if (rows.length === 0) return 0;
  const columns = Object.keys(rows[0]!);
  const params: unknown[] = [];
  const tuples = rows.map((row) => `(${columns.map((c) => `$${params.push(row[c])}`).join(',')})`);
  const res = await pool.query(`INSERT INTO ${table} (${columns.join(',')}) VALUES ${tuples.join(',')} ON CONFLICT DO NOTHING`, params);
  return res.rowCount ?? 0;
}

/**
 * Other capabilities add columns to these tables over time. A NOT NULL column without a default
 * that the generator does not fill would fail every insert half-way: refuse up front, naming it.
 */
export async function checkColumns(pool: pg.Pool, table: string, filled: string[]): Promise<void> {
  const { rows } = await pool.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = $1 AND is_nullable = 'NO' AND column_default IS NULL
        AND is_generated = 'NEVER' AND identity_generation IS NULL`,
    [table],
  );
  const missing = rows.map((r) => r.column_name).filter((c) => !filled.includes(c));
  if (missing.length > 0) throw new Error(`bench/generate: ${table} has required columns the generator does not fill: ${missing.join(', ')} (update bench/rows.ts)`);
}

const count = async (pool: pg.Pool, table: string, orgIds: string[]) =>
  Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE organization_id = ANY($1::uuid[])`, [orgIds])).rows[0]!.n);

function progress(label: string, done: number, total: number, resumedAt: number, startedAt: number) {
  const rate = Math.round((done - resumedAt) / Math.max(0.001, (performance.now() - startedAt) / 1000));
  const line = `${label} ${done.toLocaleString('en')}/${total.toLocaleString('en')} (${rate.toLocaleString('en')} rows/s)`;
  if (process.stdout.isTTY) process.stdout.write(`\r${line}${done >= total ? '\n' : ''}`);
  else if (done >= total || done % (total >= 50_000 ? 20_000 : 5_000) === 0) console.log(line);
}

async function fill(
  pool: pg.Pool,
  label: string,
  target: number,
  already: number,
  batch: number,
  make: (i: number) => Row,
): Promise<number> {
  const startedAt = performance.now();
  let inserted = 0;
  for (let from = already; from < target; from += batch) {
    const rows: Row[] = [];
    for (let i = from; i < Math.min(target, from + batch); i++) rows.push(make(i));
    inserted += await insertRows(pool, label, rows);
    progress(label, from + rows.length, target, already, startedAt);
  }
  return inserted;
}

/**
 * Fills the database with ORGANIZATION_COUNT organizations and their users, then achievements and
 * needs up to the requested counts. Counts only the generator's own rows (its organizations have
 * fixed ids), so it also works on a database holding other data.
 */
export async function generate(pool: pg.Pool, opts: GenerateOptions = DEFAULT_GENERATE): Promise<{ achievements: number; needs: number; skipped: boolean }> {
  const now = Date.now();
  const orgs: Organization[] = Array.from({ length: ORGANIZATION_COUNT }, (_, i) => organization(i, now));
  const orgIds = orgs.map((o) => o.id);

  if (opts.force) {
    console.log('[bench] --force: deleting the generator’s rows');
    for (const table of ['achievements', 'needs', 'users', 'organizations']) {
      const column = table === 'organizations' ? 'id' : 'organization_id';
      await pool.query(`DELETE FROM ${table} WHERE ${column} = ANY($1::uuid[])`, [orgIds]);
    }
  }
  let haveAchievements = await count(pool, 'achievements', orgIds);
  let haveNeeds = await count(pool, 'needs', orgIds);
  if (haveAchievements >= opts.achievements && haveNeeds >= opts.needs) {
    console.log(`[bench] database already holds ${haveAchievements.toLocaleString('en')} achievements and ${haveNeeds.toLocaleString('en')} needs (use --force to refill)`);
    return { achievements: haveAchievements, needs: haveNeeds, skipped: true };
  }

  const started = performance.now();
  // Nobody signs in as these users; the hash only has to be a real argon2id hash.
  const passwordHash = await hash(randomBytes(18).toString('base64'));
  const users = orgs.flatMap((o, i) => usersOf(o, i, passwordHash));
  const snake = (o: object) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]));
  const orgRows = orgs.map(({ index: _index, ...o }) => snake(o));
  const userRows = users.map(snake);
  const sample = { a: achievement(0, now, orgs, new Map()), n: need(0, now, orgs, new Map()) };
  await checkColumns(pool, 'organizations', Object.keys(orgRows[0]!));
  await checkColumns(pool, 'users', Object.keys(userRows[0]!));
  await checkColumns(pool, 'achievements', Object.keys(sample.a));
  await checkColumns(pool, 'needs', Object.keys(sample.n));
  await insertRows(pool, 'organizations', orgRows);
  await insertRows(pool, 'users', userRows);

  const creators = new Map(users.filter((u) => u.role === 'owner').map((u) => [u.organizationId, u.id]));
  const posters = orgs.filter((o) => o.kind !== 'enterprise').concat(orgs.filter((o) => o.kind === 'enterprise').slice(0, 40));
  // Enterprises first: they post most needs; the skew in rows.ts favours the front of the list.
  const seekers = orgs.filter((o) => o.kind === 'enterprise').concat(orgs.filter((o) => o.kind !== 'enterprise'));
  // A batch is one statement, so an interrupted run leaves whole batches: resume after them.
  const fromA = haveAchievements - (haveAchievements % opts.batch);
  const fromN = haveNeeds - (haveNeeds % opts.batch);
  haveAchievements += await fill(pool, 'achievements', opts.achievements, fromA, opts.batch, (i) => achievement(i, now, posters, creators));
  haveNeeds += await fill(pool, 'needs', opts.needs, fromN, opts.batch, (i) => need(i, now, seekers, creators));

  // Flush the GIN pending lists and set the visibility map, as autovacuum would on a live system.
  const vacuumStart = performance.now();
  await pool.query('VACUUM (ANALYZE) organizations, users, achievements, needs');
  const seconds = (performance.now() - started) / 1000;
  console.log(`[bench] generated in ${seconds.toFixed(1)} s (VACUUM ANALYZE ${((performance.now() - vacuumStart) / 1000).toFixed(1)} s)`);
  return { achievements: await count(pool, 'achievements', orgIds), needs: await count(pool, 'needs', orgIds), skipped: false };
}

export function generateFlags(flags: Record<string, string | true>): GenerateOptions {
  const num = (name: string, dflt: number) => (typeof flags[name] === 'string' ? Number(flags[name]) : dflt);
  return {
    achievements: num('achievements', DEFAULT_GENERATE.achievements),
    needs: num('needs', DEFAULT_GENERATE.needs),
    force: flags.force === true,
    batch: num('batch', DEFAULT_GENERATE.batch),
  };
}

// `npm run bench:generate [-- --force --achievements N --needs N --batch N --data-dir D --pg-port P]`
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { flags } = parseArgs(process.argv.slice(2));
  const database = await openBenchDatabase(benchDatabaseFlags(flags));
  try {
    const result = await generate(database.infra.database.pool, generateFlags(flags));
    console.log(`[bench] ${result.achievements.toLocaleString('en')} achievements, ${result.needs.toLocaleString('en')} needs in ${database.url.replace(/:[^:@/]+@/, ':***@')}`);
  } finally {
    await database.close();
  }
}
