import { createServices } from '../src/container.js';
import { systemClock } from '../src/lib/clock.js';
import { SEARCH_KINDS } from '../src/modules/search/search.engine.js';
import type { BenchDatabase } from './db.js';
import { ADJECTIVES, DOMAINS } from './vocabulary.js';

/**
 * The generator writes rows without the search outbox, so the PostgresEngine's index of a fresh
 * bench database is empty. Rebuild a kind from PostgreSQL (the same path as `npm run
 * search:reindex`) when its document count differs from the rows that should be indexed.
 */
export async function ensureSearchIndex(database: BenchDatabase): Promise<void> {
  const pool = database.infra.database.pool;
  const services = createServices({ config: database.config, database: database.infra.database, clock: systemClock, keys: database.infra.keys });
  let rebuilt = false;
  for (const kind of SEARCH_KINDS) {
    const table = kind === 'achievement' ? 'achievements' : 'needs';
    const { rows } = await pool.query<{ indexed: number; indexable: number }>(
      `SELECT (SELECT count(*)::int FROM search_documents WHERE kind = $1) AS indexed,
              (SELECT count(*)::int FROM ${table} WHERE status = 'published' AND valid_until > now()) AS indexable`,
      [kind],
    );
    const { indexed, indexable } = rows[0]!;
    if (indexed === indexable) continue;
    console.log(`[bench] search index of ${kind}s holds ${indexed.toLocaleString('en')} of ${indexable.toLocaleString('en')} documents: rebuilding from PostgreSQL`);
    const started = performance.now();
    const r = await services.search.reindex(kind);
    console.log(`[bench] ${r.documents.toLocaleString('en')} ${kind} documents indexed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    rebuilt = true;
  }
  // As autovacuum would: flush the GIN pending lists, set the visibility map, and give the planner
  // (and the engine's common-term statistics) the new documents.
  if (rebuilt) await pool.query('VACUUM (ANALYZE) search_documents');
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
