import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { startTestApp, type TestContext } from './support/app.js';
import { createCatalogService, type FieldNode } from '../src/modules/catalog/catalog.service.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await startTestApp();
});
afterAll(async () => {
  await ctx?.close();
});

const flatten = (nodes: FieldNode[]): FieldNode[] => nodes.flatMap((n) => [n, ...flatten(n.children)]);

describe('GET /v1/fields', () => {
  it('holds the 4567 system with the plan sub-fields and the national 8 fields, with a crosswalk', async () => {
    const res = await request(ctx.app.server).get('/v1/fields');
    expect(res.status).toBe(200);
    const roots = res.body.items as FieldNode[];
    expect(roots.map((r) => r.code)).toEqual(['HLJ', 'NHT']);
    const hlj = roots[0]!;
    expect(hlj.children.map((c) => c.children.length)).toEqual([4, 5, 6, 7]);
    const all = flatten(roots);
    const names = new Set(all.map((n) => n.name));
    for (const sub of ['大数据', '人工智能', '传感器', '网络安全', '生物医药', '生物农业', '生物制造', '冰雪装备', '卫星制造', '铝镁合金', '钛合金', '焊接材料', '石墨烯功能材料', '高分子材料', '高档数控机床', '轨道交通装备', '电力装备', '油气钻采装备', '煤机装备', '精量播种', '智能收获机械', '乙烯', '聚烯烃', '褐煤腐植酸', '绿色食品', '功能性食品', '汽车发动机', '亚麻']) {
      expect(names.has(sub), sub).toBe(true);
    }
    expect(roots[1]!.children.map((c) => c.name)).toEqual(['电子信息', '生物与新医药', '航空航天', '新材料', '高技术服务', '新能源与节能', '资源与环境', '先进制造与自动化']);
    const graphene = all.find((n) => n.name === '石墨烯功能材料')!;
    expect(graphene.parentCode).toBe('HLJ.5.03');
    expect(graphene.crosswalk).toContain('NHT.04.02');
    // The crosswalk is navigable both ways.
    expect(all.find((n) => n.code === 'NHT.04.02')!.crosswalk).toContain(graphene.code);
  });
});

describe('GET /v1/regions', () => {
  it('lists provinces and the 13 prefecture-level divisions of Heilongjiang', async () => {
    const res = await request(ctx.app.server).get('/v1/regions').query({ provinceCode: '230000', level: 'city' });
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(13);
    expect(res.body.items[0]).toEqual({ code: '230100', name: '哈尔滨市', level: 'city', provinceCode: '230000' });
    const provinces = await request(ctx.app.server).get('/v1/regions').query({ level: 'province' });
    expect(provinces.body.items).toHaveLength(34);
    const bad = await request(ctx.app.server).get('/v1/regions').query({ level: 'county' });
    expect(bad.status).toBe(400);
  });
});

describe('catalog service', () => {
  const catalog = createCatalogService();
  it('expands ancestors and measures taxonomy distance', () => {
    expect(catalog.ancestors('HLJ.5.03.04')).toEqual(['HLJ', 'HLJ.5', 'HLJ.5.03', 'HLJ.5.03.04']);
    expect(catalog.withAncestors(['HLJ.5.03.04', 'HLJ.5.03.05'])).toEqual(['HLJ', 'HLJ.5', 'HLJ.5.03', 'HLJ.5.03.04', 'HLJ.5.03.05']);
    expect(catalog.fieldDistance('HLJ.5.03.04', 'HLJ.5.03.04')).toBe(0);
    expect(catalog.fieldDistance('HLJ.5.03.04', 'HLJ.5.03')).toBe(1);
    expect(catalog.fieldDistance('HLJ.5.03.04', 'HLJ.5.03.05')).toBe(2);
    expect(catalog.fieldDistance('HLJ.5.03.04', 'HLJ.4.01.02')).toBe(6);
    // Across schemes through the crosswalk.
    expect(catalog.fieldDistance('HLJ.5.03.04', 'NHT.04.02')).toBe(1);
  });
  it('synced the catalog into its tables', async () => {
    const { rows } = await ctx.db.pool.query<{ n: number }>(`select count(*)::int as n from fields`);
    expect(rows[0]!.n).toBe(flatten(catalog.fieldTree()).length);
  });
});
