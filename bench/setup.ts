import { documentOf, isIndexable } from '../src/modules/search/search.documents.js';
import { SEARCH_KINDS } from '../src/modules/search/search.engine.js';
import { createPostgresEngine } from '../src/modules/search/search.postgres.js';
import { searchRepo } from '../src/modules/search/search.repo.js';
import type { BenchDatabase } from './db.js';
import { ADJECTIVES, DOMAINS } from './vocabulary.js';

/**
 * The generator (and the bid bench's listings) write rows without the search outbox, so the
 * PostgresEngine's index of a bench database lags its tables. Catch a kind up from PostgreSQL
 * through the engine's own upsert and remove: documents for indexable rows it lacks, removals for
 * documents whose row is no longer indexable. On a fresh database that is every row (as `npm run
 * search:reindex` would do); after another bench added a few hundred rows, only those, so the runs
 * of one report do not each rebuild 110k documents (about 400 s here).
 */
export async function ensureSearchIndex(database: BenchDatabase): Promise<void> {
  const { pool, db } = database.infra.database;
  const engine = createPostgresEngine(db);
  let changed = false;
  for (const kind of SEARCH_KINDS) {
    const table = kind === 'achievement' ? 'achievements' : 'needs';
    const now = new Date();
    const missing = (
      await pool.query<{ id: string }>(
        `SELECT t.id FROM ${table} t WHERE t.status = 'published' AND t.valid_until > $2
            AND NOT EXISTS (SELECT 1 FROM search_documents d WHERE d.kind = $1 AND d.id = t.id) ORDER BY t.id`,
        [kind, now],
      )
    ).rows.map((r) => r.id);
    const stale = (
      await pool.query<{ id: string }>(
        `SELECT d.id FROM search_documents d WHERE d.kind = $1
            AND NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.id = d.id AND t.status = 'published' AND t.valid_until > $2)`,
        [kind, now],
      )
    ).rows.map((r) => r.id);
    if (missing.length === 0 && stale.length === 0) continue;
    console.log(`[bench] search index of ${kind}s: ${missing.length.toLocaleString('en')} documents to add, ${stale.length.toLocaleString('en')} to remove`);
    const started = performance.now();
    for (let i = 0; i < missing.length; i += 1_000) {
      const rows = await searchRepo.loadRows(db, kind, missing.slice(i, i + 1_000));
      await engine.upsert(kind, rows.filter((r) => isIndexable(r.row, now)).map(documentOf));
      if (missing.length > 5_000 && (i / 1_000) % 10 === 9) console.log(`[bench]   ${(i + 1_000).toLocaleString('en')} of ${missing.length.toLocaleString('en')}`);
    }
    await engine.remove(kind, stale);
    console.log(`[bench] search index of ${kind}s caught up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    changed = true;
  }
  // As autovacuum would: flush the GIN pending lists, set the visibility map, and give the planner
  // (and the engine's common-term statistics) the new documents.
  if (changed) await pool.query('VACUUM (ANALYZE) search_documents');
}

const BROKER = { email: 'bench-broker@bench.example.cn', password: 'bench broker password 2026' };

/**
 * An access token of a broker (brokers may see the matches of any published need). Logs in when
 * an earlier run registered the account, otherwise registers it, through the real API.
 */
export async function brokerToken(baseUrl: string): Promise<string> {
  const post = (path: string, body: unknown) =>
    fetch(baseUrl + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  let res = await post('/v1/auth/token', BROKER);
  if (res.status === 401) {
    res = await post('/v1/auth/register', {
      ...BROKER,
      displayName: '压测经纪人',
      organization: { name: '压测技术转移服务有限公司', kind: 'broker', regionCode: '230100' },
    });
  }
  const body = (await res.json()) as { accessToken?: string };
  if (!res.ok || !body.accessToken) throw new Error(`bench broker login failed: ${res.status} ${JSON.stringify(body)}`);
  return body.accessToken;
}

/**
 * What people type into a technology-market search box, from the generator's own vocabulary: a
 * technical object (工业视觉缺陷检测, 石墨烯导热膜), an object with an application or adjective, an
 * application area alone; a third narrowed to the object's field, some by TRL as well.
 * Deterministic, shuffled so neighbouring requests differ.
 */
export function searchQueries(): string[] {
  const out: string[] = [];
  for (const [domain, d] of Object.entries(DOMAINS)) {
    Object.values(d.leaves).flat().forEach((object, i) => {
      const params = new URLSearchParams({ type: 'achievement' });
      const q = i % 3 === 0 ? object : i % 3 === 1 ? `${object} ${d.applications[i % d.applications.length]!}` : `${ADJECTIVES[i % ADJECTIVES.length]!}${object}`;
      params.set('q', q);
      if (i % 3 !== 1) params.set('field', domain);
      if (i % 6 === 2) params.set('trlMin', '5');
      out.push(`/v1/search?${params.toString()}`);
    });
    d.applications.slice(0, 2).forEach((application) => out.push(`/v1/search?${new URLSearchParams({ type: 'achievement', q: application }).toString()}`));
  }
  // A fixed permutation (multiplicative stride) rather than Math.random(): runs stay comparable.
  const stride = 7919;
  return out.map((_, i) => out[(i * stride) % out.length]!);
}
