import { loadConfig } from '../config.js';
import { openInfrastructure } from '../boot.js';
import { systemClock } from '../lib/clock.js';
import { auditRepo } from '../modules/audit/audit.repo.js';
import { createAuditService, type ChainReport } from '../modules/audit/audit.service.js';
import { findListingAccess } from '../modules/audit/listing-access.js';
import { fail, parseArgs } from './args.js';

// npm run audit:verify -- [--listing <id>] [--verbose] [--json]
// Recomputes the hash chain of one listing's audit log, or of every listing that has one.
// Exit code 0: every chain intact; 1: at least one broken (each is printed); 2: usage or runtime error.
const { flags } = parseArgs(process.argv.slice(2));
const listing = flags.listing;
if (listing !== undefined && (typeof listing !== 'string' || !/^[0-9a-f-]{36}$/i.test(listing))) {
  fail('usage: npm run audit:verify -- [--listing <listing id>] [--verbose] [--json]');
}
const json = flags.json === true;
const verbose = flags.verbose === true || listing !== undefined;

const line = (r: ChainReport): string =>
  json
    ? JSON.stringify({ ...r, checkedAt: r.checkedAt.toISOString() })
    : r.valid
      ? `listing ${r.listingId}: intact, ${r.entries} entries${r.headSeq ? `, head seq ${r.headSeq} ${r.headHash}` : ''}`
      : `listing ${r.listingId}: BROKEN at seq ${r.firstBrokenSeq} (${r.problem}), ${r.entries} entries`;

const config = loadConfig();
const infra = await openInfrastructure(config, (m) => console.error(m));
let exitCode = 2;
try {
  const audit = createAuditService({ db: infra.database.db, repo: auditRepo, clock: systemClock, listingAccess: findListingAccess });
  const reports: AsyncIterable<ChainReport> | ChainReport[] = listing ? [await audit.verifyChain(listing)] : audit.verifyAll();
  let checked = 0;
  let entries = 0;
  let broken = 0;
  for await (const r of reports) {
    checked++;
    entries += r.entries;
    if (!r.valid) broken++;
    if (verbose || !r.valid) console.log(line(r));
  }
  if (!json) console.log(`${checked} listing(s), ${entries} entries: ${broken === 0 ? 'every chain intact' : `${broken} broken`}`);
  exitCode = broken === 0 ? 0 : 1;
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
} finally {
  await infra.close();
}
// Scripts and CI act on the code; stdout and stderr are synchronous for files and pipes on Linux.
process.exit(exitCode);
