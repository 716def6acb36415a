import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { indexSettings } from '../src/modules/search/search.meilisearch.js';
import { createMeilisearchEngine } from '../src/modules/search/search.meilisearch.js';
import { createPostgresEngine } from '../src/modules/search/search.postgres.js';
import { SearchEngineError, type SearchEngine, type SearchQuery } from '../src/modules/search/search.engine.js';
import { createTestDatabase } from './support/db.js';
import { FakeMeilisearch } from './support/fake-meilisearch.js';
import { ACHIEVEMENTS, NEEDS, NOW, ORG_A, achievementDoc, id } from './support/search-fixtures.js';

/**
 * One contract, three servers: the PostgreSQL engine, the Meilisearch adapter against the
 * in-process fake, and the Meilisearch adapter against a real Meilisearch (the npm-packaged
 * binary started by global setup, or MEILI_URL). The fake is the only one that can go down or fail
 * tasks on demand; the real one proves the adapter speaks real Meilisearch, not only the fake.
 */
interface EngineUnderTest {
  engine: SearchEngine;
  cleanup: () => Promise<void>;
}

const live = { validAfter: NOW };
const ids = (r: { hits: { id: string }[] }) => r.hits.map((h) => h.id);
const sorted = (xs: string[]) => [...xs].sort();
const A = (n: number) => id(n);
const N = (n: number) => id(100 + n);

function contract(name: string, make: () => Promise<EngineUnderTest>) {
  describe(`SearchEngine contract: ${name}`, () => {
    let under: EngineUnderTest;
    let engine: SearchEngine;
    const search = (kind: 'achievement' | 'need', q: Partial<SearchQuery>) => engine.search(kind, { limit: 20, ...q, filters: { ...live, ...q.filters } });

    beforeAll(async () => {
      under = await make();
      engine = under.engine;
      await engine.configure();
      await engine.configure(); // idempotent
      await engine.upsert('achievement', ACHIEVEMENTS);
      await engine.upsert('need', NEEDS);
    });
    afterAll(async () => {
      await under?.cleanup();
    });

    it('finds Chinese terms, through synonyms both ways, and never an expired row', async () => {
      expect(sorted(ids(await search('achievement', { q: '石墨烯' })))).toEqual(sorted([A(1), A(2)]));
      expect(sorted(ids(await search('achievement', { q: 'graphene' })))).toEqual(sorted([A(1), A(2)]));
      expect(ids(await search('achievement', { q: '精量播种' }))).toEqual([A(3)]);
      // Without the validAfter filter the expired document is still in the index (until the relay removes it).
      const all = await engine.search('achievement', { q: '石墨烯', limit: 20 });
      expect(ids(all)).toContain(A(6));
    });

    it('matches a query being typed (prefix) and ranks a title match above a summary match', async () => {
      expect(ids(await search('achievement', { q: '石墨' }))).toContain(A(1));
      const r = await search('achievement', { q: '褐煤蜡' });
      expect(ids(r)).toEqual([A(4), A(5)]);
      expect(r.hits[0]!.score).toBeGreaterThan(0);
      expect(r.hits[0]!.score).toBeLessThanOrEqual(1);
      expect(r.hits[0]!.score).toBeGreaterThanOrEqual(r.hits[1]!.score);
    });

    it('all-terms versus any-term matching', async () => {
      expect(ids(await search('achievement', { q: '石墨烯 精量播种' }))).toEqual([]);
      expect(sorted(ids(await search('achievement', { q: '石墨烯 精量播种', match: 'any' })))).toEqual(sorted([A(1), A(2), A(3)]));
    });

    it('filters: field with descendants, region by province and city, TRL, price with negotiable, modes, exclusions', async () => {
      expect(sorted(ids(await search('achievement', { filters: { fieldCodes: ['HLJ.5.03'] } })))).toEqual(sorted([A(1), A(2)]));
      expect(sorted(ids(await search('achievement', { filters: { fieldCodes: ['HLJ.5.04.06', 'NHT.07'] } })))).toEqual(sorted([A(3), A(5)]));
      expect(sorted(ids(await search('achievement', { filters: { regionCode: '230000' } })))).toEqual(sorted([A(1), A(3), A(4), A(5)]));
      expect(sorted(ids(await search('achievement', { filters: { regionCode: '230100' } })))).toEqual(sorted([A(1), A(4)]));
      expect(sorted(ids(await search('achievement', { filters: { trlMin: 7 } })))).toEqual(sorted([A(2), A(3)]));
      expect(sorted(ids(await search('achievement', { filters: { priceMaxFen: 10_000_000 } })))).toEqual(sorted([A(1), A(2), A(4), A(5)]));
      expect(sorted(ids(await search('achievement', { filters: { transferModes: ['license', 'joint_development'] } })))).toEqual(sorted([A(1), A(3), A(5)]));
      expect(sorted(ids(await search('achievement', { filters: { stages: ['lab'] } })))).toEqual(sorted([A(4), A(5)]));
      expect(ids(await search('achievement', { q: '石墨烯', filters: { excludeIds: [A(1)] } }))).toEqual([A(2)]);
      expect(ids(await search('achievement', { q: '石墨烯', filters: { excludeOrganizationId: ORG_A } }))).toEqual([A(2)]);
    });

    it('need filters: budget reaching an amount (open and negotiable budgets included), types, modes', async () => {
      expect(sorted(ids(await search('need', { filters: { budgetAtLeastFen: 10_000_000 } })))).toEqual(sorted([N(1), N(2)]));
      expect(ids(await search('need', { filters: { needTypes: ['joint_rd'] } }))).toEqual([N(2)]);
      expect(ids(await search('need', { filters: { cooperationModes: ['joint_development'] } }))).toEqual([N(2)]);
      expect(ids(await search('need', { q: '褐煤蜡' }))).toEqual([N(3)]);
    });

    it('counts facets over every match, ancestors of fields included', async () => {
      const r = await search('achievement', { facets: ['field', 'trl', 'regionCode', 'provinceCode', 'priceKind', 'transferMode', 'stage'], limit: 1 });
      expect(r.total).toBe(5);
      expect(r.hits).toHaveLength(1);
      expect(r.facets.field).toMatchObject({ HLJ: 4, 'HLJ.5': 3, 'HLJ.5.03': 2, 'HLJ.5.03.04': 2, NHT: 1 });
      expect(r.facets.trl).toEqual({ '3': 1, '4': 1, '6': 1, '7': 1, '8': 1 });
      expect(r.facets.regionCode).toEqual({ '230100': 2, '210100': 1, '230600': 1, '230000': 1 });
      expect(r.facets.provinceCode).toEqual({ '230000': 4, '210000': 1 });
      expect(r.facets.priceKind).toEqual({ fixed: 3, negotiable: 1, auction: 1 });
      expect(r.facets.transferMode).toEqual({ transfer: 3, license: 2, joint_development: 1 });
      expect(r.facets.stage).toEqual({ pilot: 1, industrialization: 2, lab: 2 });
      const needs = await search('need', { facets: ['needType', 'trl'] });
      expect(needs.facets.needType).toEqual({ technology_introduction: 1, joint_rd: 1, technical_problem: 1 });
      expect(needs.facets.trl).toEqual({ '6': 1, '4': 1 });
      // A facet the kind does not have is not computed.
      expect((await search('need', { facets: ['stage'] })).facets.stage).toBeUndefined();
    });

    it('sorts by newest, TRL and price (rows without a price last), and pages with a stable total', async () => {
      expect(ids(await search('achievement', { sort: 'newest' }))).toEqual([A(5), A(4), A(3), A(2), A(1)]);
      expect(ids(await search('achievement', { sort: 'trl' }))).toEqual([A(2), A(3), A(1), A(5), A(4)]);
      expect(ids(await search('achievement', { sort: 'price' })).slice(0, 3)).toEqual([A(1), A(4), A(3)]);
      expect(ids(await search('need', { sort: 'price' })).slice(0, 2)).toEqual([N(1), N(3)]);
      const p1 = await search('achievement', { sort: 'newest', limit: 2, offset: 0 });
      const p2 = await search('achievement', { sort: 'newest', limit: 2, offset: 2 });
      const p3 = await search('achievement', { sort: 'newest', limit: 2, offset: 4 });
      expect([p1.total, p2.total, p3.total]).toEqual([5, 5, 5]);
      expect([...ids(p1), ...ids(p2), ...ids(p3)]).toEqual([A(5), A(4), A(3), A(2), A(1)]);
      // count: false (matching never reads the total): the same hits; PostgreSQL skips its count statement.
      const uncounted = await search('achievement', { sort: 'newest', limit: 2, offset: 2, count: false });
      expect(ids(uncounted)).toEqual(ids(p2));
      expect(uncounted.total).toBe(name === 'PostgresEngine' ? 4 : 5);
    });

    it('returns the document as it was indexed', async () => {
      const r = await search('achievement', { q: '精量播种' });
      expect(r.hits[0]!.document).toEqual(ACHIEVEMENTS[2]);
      const n = await search('need', { q: '褐煤蜡' });
      expect(n.hits[0]!.document).toEqual(NEEDS[2]);
    });

    it('replaces a document on upsert and removes by id (unknown ids are fine)', async () => {
      await engine.upsert('achievement', [achievementDoc(3, { title: '玉米免耕播种机', summary: '保护性耕作装备。', keywords: ['免耕'], trl: 7, regionCode: '230600' })]);
      expect(ids(await search('achievement', { q: '精量播种' }))).toEqual([]);
      expect(ids(await search('achievement', { q: '免耕' }))).toEqual([A(3)]);
      await engine.remove('achievement', [A(3), id(999)]);
      expect(ids(await search('achievement', { q: '免耕' }))).toEqual([]);
      expect((await search('achievement', {})).total).toBe(4);
      await engine.remove('achievement', []);
    });

    it('rebuild replaces the whole index of one kind and leaves the other alone', async () => {
      async function* batches() {
        yield [ACHIEVEMENTS[0]!];
        yield [ACHIEVEMENTS[1]!];
      }
      expect(await engine.rebuild('achievement', batches())).toBe(2);
      expect(sorted(ids(await engine.search('achievement', { limit: 20 })))).toEqual(sorted([A(1), A(2)]));
      expect((await search('need', {})).total).toBe(3);
      expect(await engine.ping()).toBe(true);
    });

    it('refuses a document of the other kind', async () => {
      await expect(engine.upsert('need', [ACHIEVEMENTS[0]!])).rejects.toBeInstanceOf(SearchEngineError);
    });
  });
}

contract('PostgresEngine', async () => {
  const db = await createTestDatabase();
  return { engine: createPostgresEngine(db.db), cleanup: () => db.drop() };
});

let fake: FakeMeilisearch;
contract('MeilisearchEngine on the fake', async () => {
  fake = await new FakeMeilisearch().start();
  return { engine: createMeilisearchEngine({ url: fake.url, apiKey: fake.apiKey, indexPrefix: 'c_' }), cleanup: () => fake.stop() };
});

const meiliUrl = inject('meiliUrl');
const skipReason = inject('meiliSkipReason');
if (!meiliUrl) console.warn(`[search-engine.test] real Meilisearch contract skipped: ${skipReason}`);
// A fresh index prefix per file: files share the one server global setup started.
const prefix = `t${randomBytes(4).toString('hex')}_`;
describe.skipIf(!meiliUrl)('real Meilisearch', () => {
  contract(`MeilisearchEngine on Meilisearch at ${meiliUrl}`, async () => {
    const engine = createMeilisearchEngine({ url: meiliUrl!, apiKey: inject('meiliApiKey') ?? undefined, indexPrefix: prefix });
    return {
      engine,
      cleanup: async () => {
        for (const uid of ['achievements', 'needs']) await fetch(`${meiliUrl}/indexes/${prefix}${uid}`, { method: 'DELETE', headers: { Authorization: `Bearer ${inject('meiliApiKey')}` } });
      },
    };
  });
});

describe('MeilisearchEngine: what it sends and how it fails (fake server)', () => {
  let server: FakeMeilisearch;
  beforeAll(async () => {
    server = await new FakeMeilisearch('another-key').start();
  });
  afterAll(async () => {
    await server.stop();
  });
  const make = (o: { requestTimeoutMs?: number; apiKey?: string } = {}) =>
    createMeilisearchEngine({ url: server.url, apiKey: o.apiKey ?? server.apiKey, indexPrefix: 'x_', requestTimeoutMs: o.requestTimeoutMs ?? 2_000, taskTimeoutMs: 2_000 });

  it('creates both indexes with the primary key and configures them, authenticated, without compression', async () => {
    server.requests.length = 0;
    await make().configure();
    const creates = server.requestsTo('POST', /^\/indexes$/);
    expect(creates.map((r) => r.body)).toEqual([
      { uid: 'x_achievements', primaryKey: 'id' },
      { uid: 'x_needs', primaryKey: 'id' },
    ]);
    for (const r of server.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${server.apiKey}`);
      expect(r.headers['accept-encoding']).toBe('identity');
    }
    const settings = server.requestsTo('PATCH', /^\/indexes\/x_achievements\/settings$/)[0]!.body as ReturnType<typeof indexSettings>;
    expect(settings.searchableAttributes!.slice(0, 3)).toEqual(['title', 'keywords', 'summary']);
    expect(settings.filterableAttributes).toEqual(expect.arrayContaining(['fieldPathCodes', 'regionCode', 'provinceCode', 'trl', 'transferModes', 'priceFen', 'priceKind', 'status', 'validUntil']));
    expect(settings.sortableAttributes).toEqual(expect.arrayContaining(['publishedAt', 'trl', 'priceFen']));
    expect(settings.synonyms!['石墨烯']).toContain('graphene');
    expect(settings.synonyms!['graphene']).toContain('石墨烯');
    expect(settings.dictionary).toEqual(expect.arrayContaining(['石墨烯', '氮化硼', '精量播种', '褐煤蜡']));
    // Facet search is never used and made every small document addition slow on a large index.
    expect(settings.facetSearch).toBe(false);
    expect(server.indexes.get('x_needs')!.settings.filterableAttributes).toEqual(expect.arrayContaining(['budgetMaxFen', 'needType', 'trlMin']));
    // Every write was awaited: each task was polled until done.
    const tasks = server.requestsTo('GET', /^\/tasks\/\d+$/).map((r) => r.path);
    expect(new Set(tasks).size).toBe(4);
  });

  it('sends upserts as document additions and waits for the task, deletes as delete-batch', async () => {
    const engine = make();
    server.requests.length = 0;
    await engine.upsert('achievement', [ACHIEVEMENTS[0]!]);
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /indexes/x_achievements/documents', expect.stringMatching(/^GET \/tasks\/\d+$/)]);
    expect(server.requests[0]!.query.primaryKey).toBe('id');
    expect(server.documents('x_achievements').get(A(1))).toEqual(ACHIEVEMENTS[0]);
    await engine.remove('achievement', [A(1)]);
    expect(server.requestsTo('POST', /delete-batch$/)[0]!.body).toEqual([A(1)]);
    expect(server.documents('x_achievements').has(A(1))).toBe(false);
  });

  it('sends filters in array form, facets as attribute names, and the sort', async () => {
    server.requests.length = 0;
    await make().search('achievement', { q: '石墨烯', limit: 10, filters: { fieldCodes: ['HLJ.5'], priceMaxFen: 100, validAfter: 5 }, facets: ['field', 'trl'], sort: 'price' });
    const body = server.requestsTo('POST', /\/search$/)[0]!.body as Record<string, unknown>;
    expect(body).toMatchObject({
      q: '石墨烯',
      filter: ['fieldPathCodes IN ["HLJ.5"]', 'validUntil > 5', ['priceKind != "fixed"', 'priceFen <= 100']],
      facets: ['fieldPathCodes', 'trl'],
      sort: ['priceFen:asc'],
      hitsPerPage: 10,
      page: 1,
      matchingStrategy: 'all',
      showRankingScore: true,
    });
  });

  it('sends any-term queries as one multi-search with a query per term (Meilisearch has no OR of words)', async () => {
    server.requests.length = 0;
    await make().search('achievement', { q: '石墨烯 精量播种', match: 'any', limit: 5, filters: { validAfter: 1 } });
    const multi = server.requestsTo('POST', /^\/multi-search$/);
    expect(multi).toHaveLength(1);
    const queries = (multi[0]!.body as { queries: { indexUid: string; q: string; filter: unknown; matchingStrategy: string }[] }).queries;
    expect(queries.map((q) => [q.indexUid, q.q, q.matchingStrategy])).toEqual([
      ['x_achievements', '石墨烯', 'all'],
      ['x_achievements', '精量播种', 'all'],
    ]);
    expect(queries.every((q) => JSON.stringify(q.filter) === JSON.stringify(['validUntil > 1']))).toBe(true);
  });

  it('reports a failed task as a non-transient error with the engine’s code', async () => {
    server.failTasks = 1;
    server.failCode = 'invalid_document_fields';
    const err = await make()
      .upsert('achievement', [ACHIEVEMENTS[1]!])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SearchEngineError);
    expect(err).toMatchObject({ transient: false, code: 'invalid_document_fields' });
    expect(server.documents('x_achievements').has(A(2))).toBe(false);
  });

  it('reports a wrong key as non-transient, an unreachable or slow server as transient, and pings false', async () => {
    await expect(make({ apiKey: 'wrong' }).search('achievement', { limit: 1 })).rejects.toMatchObject({ transient: false });
    server.delayMs = 1_000;
    await expect(make({ requestTimeoutMs: 100 }).upsert('achievement', [ACHIEVEMENTS[1]!])).rejects.toMatchObject({ transient: true });
    server.delayMs = 0;
    await server.down();
    const engine = make();
    await expect(engine.search('achievement', { limit: 1 })).rejects.toMatchObject({ name: 'SearchEngineError', transient: true, code: 'UNREACHABLE' });
    await expect(engine.upsert('achievement', [ACHIEVEMENTS[1]!])).rejects.toMatchObject({ transient: true });
    expect(await engine.ping()).toBe(false);
    await server.up();
    expect(await engine.ping()).toBe(true);
  });
});
