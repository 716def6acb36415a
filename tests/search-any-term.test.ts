import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANY_TERM_CANDIDATES, createPostgresEngine, qualifyingTerms } from '../src/modules/search/search.postgres.js';
import { documentTerms, queryTerms } from '../src/modules/search/search.text.js';
import type { SearchEngine } from '../src/modules/search/search.engine.js';
import { createTestDatabase } from './support/db.js';
import { NOW, achievementDoc, id } from './support/search-fixtures.js';

const stats = (rows: number, documents: Record<string, number>, unlisted = 50) => ({ rows, documents: new Map(Object.entries(documents)), unlisted });

describe('any-term qualification (PostgresEngine)', () => {
  it('keeps every term on an index no bigger than the candidate budget', () => {
    expect(qualifyingTerms(['存在', '石墨烯'], stats(ANY_TERM_CANDIDATES, { 存在: ANY_TERM_CANDIDATES }))).toEqual(['存在', '石墨烯']);
  });

  it('qualifies the rarest terms that fit the budget, and at least the rarest one', () => {
    const s = stats(100_000, { 存在: 90_000, 环节: 80_000, 稳定性: 12_000, 添加剂: 900 }, 300);
    // unlisted terms (润滑油) are below the lowest listed share: estimated at `unlisted`
    expect(qualifyingTerms(['存在', '添加剂', '环节', '润滑油', '稳定性'], s)).toEqual(['润滑油']);
    expect(qualifyingTerms(['存在', '环节', '稳定性'], s)).toEqual(['稳定性']);
    expect(qualifyingTerms(['存在', '润滑油', '高端'], stats(100_000, { 存在: 90_000 }, 400))).toEqual(['润滑油', '高端']);
  });
});

describe('any-term retrieval on a large index (PostgresEngine)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let engine: SearchEngine;
  const size = ANY_TERM_CANDIDATES + 300;

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = createPostgresEngine(db.db);
    // Every document says 存在 and 环节, the oldest 300 in their titles too (they rank highest on
    // those words alone); a few name what they are about.
    const docs = Array.from({ length: size }, (_, n) =>
      achievementDoc(n + 1, {
        title: n % 500 === 7 ? '润滑油添加剂制备技术' : n < 300 ? `存在环节工艺改进方案${n}` : `通用工艺改进方案${n}`,
        summary: '长期存在生产环节效率低的问题',
        validUntil: NOW + 86_400_000,
      }),
    );
    for (let i = 0; i < docs.length; i += 500) await engine.upsert('achievement', docs.slice(i, i + 500));
    await db.pool.query('ANALYZE search_documents');
  }, 120_000);
  afterAll(() => db.drop());

  it('finds the documents with the rare term first, and ranks no more than the budget', async () => {
    const r = await engine.search('achievement', { q: '存在 环节 润滑油', match: 'any', filters: { validAfter: NOW }, limit: 10 });
    const specific = [8, 508, 1008].filter((n) => n <= size).map(id);
    expect(r.hits.slice(0, specific.length).map((h) => h.id).sort()).toEqual(specific.sort());
    // Only common words: ranked among the newest ANY_TERM_CANDIDATES that hold the rarest of them,
    // so the oldest 300, which would rank first over the whole index, are not candidates.
    const common = await engine.search('achievement', { q: '存在 环节', match: 'any', filters: { validAfter: NOW }, limit: 100 });
    expect(common.hits).toHaveLength(100);
    expect(common.hits.every((h) => Number(h.id.slice(-12)) > size - ANY_TERM_CANDIDATES)).toBe(true);
    const all = await engine.search('achievement', { q: '存在 环节', filters: { validAfter: NOW }, limit: 10 });
    expect(all.hits.every((h) => Number(h.id.slice(-12)) <= 300)).toBe(true);
  });

  it('counts and pages a text search exactly (page and count from one scan)', async () => {
    const first = await engine.search('achievement', { q: '工艺改进', filters: { validAfter: NOW }, limit: 400 });
    const rest = await engine.search('achievement', { q: '工艺改进', filters: { validAfter: NOW }, limit: 400, offset: 400 });
    const all = await engine.search('achievement', { q: '工艺改进', filters: { validAfter: NOW }, limit: 800 });
    expect(first.total).toBe(size - 3);
    expect(rest.total).toBe(size - 3);
    expect([...first.hits, ...rest.hits].map((h) => h.id)).toEqual(all.hits.slice(0, 800).map((h) => h.id));
    const none = await engine.search('achievement', { q: '工艺改进', filters: { validAfter: NOW }, limit: 10, offset: 5000 });
    expect(none).toMatchObject({ hits: [], total: size - 3 });
  });
});

describe('segmentation memo', () => {
  it('gives the same terms as a first cut, in an array of its own each time', () => {
    const text = '石墨烯导热膜的制备方法及其在散热中的应用';
    const first = documentTerms(text);
    const again = documentTerms(text);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
    again.push('changed');
    expect(documentTerms(text)).toEqual(first);
    expect(queryTerms(text)).toEqual(queryTerms(text));
    expect(documentTerms('')).toEqual([]);
    expect(queryTerms('的')).toEqual([]);
  });
});
