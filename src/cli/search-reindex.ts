import { loadConfig } from '../config.js';
import { openInfrastructure } from '../boot.js';
import { createServices } from '../container.js';
import { systemClock } from '../lib/clock.js';
import { SEARCH_KINDS, type SearchKind } from '../modules/search/search.engine.js';
import { fail, parseArgs } from './args.js';

// npm run search:reindex [-- --kind achievement|need]
// Rebuilds the search index(es) of the configured engine from PostgreSQL. Safe while servers run:
// their relays stand by for the kind being rebuilt and catch up afterwards.
const { flags } = parseArgs(process.argv.slice(2));
const kinds: SearchKind[] = flags.kind === undefined ? [...SEARCH_KINDS] : SEARCH_KINDS.includes(flags.kind as SearchKind) ? [flags.kind as SearchKind] : fail('usage: npm run search:reindex [-- --kind achievement|need]');

const config = loadConfig();
const infra = await openInfrastructure(config, (m) => console.log(m));
try {
  const services = createServices({ config, database: infra.database, clock: systemClock, keys: infra.keys });
  for (const kind of kinds) {
    const started = performance.now();
    let read = 0;
    const r = await services.search.reindex(kind, (n) => {
      read += n;
      if (read % 10_000 < n) console.log(`  ${kind}: ${read} rows read`);
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${services.search.engineName}: ${r.kind} index rebuilt with ${r.documents} documents in ${seconds} s; ${r.clearedDeadLetters} dead-lettered outbox rows cleared`);
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
} finally {
  await infra.close();
}
