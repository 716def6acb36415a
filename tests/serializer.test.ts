import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSerializerCompiler, projectionOf } from '../src/lib/serializer.js';
import { AchievementPageSchema } from '../src/modules/achievements/achievements.schemas.js';
import { SearchResultSchema } from '../src/modules/search/search.schemas.js';

const Item = z.object({
  id: z.string(),
  note: z.string().nullable(),
  price: z.object({ kind: z.enum(['fixed', 'negotiable']), amount: z.object({ amount: z.number(), currency: z.literal('CNY') }).optional() }),
  contact: z.object({ name: z.string().nullable().default(null) }).nullable(),
  tags: z.array(z.string()),
  counts: z.record(z.string(), z.array(z.object({ value: z.string(), count: z.number() }))),
});
const Hit = z.discriminatedUnion('type', [z.object({ type: z.literal('a'), x: z.number() }), z.object({ type: z.literal('b'), y: z.string() })]);
const compile = (schema: z.ZodType, verify: boolean) =>
  createSerializerCompiler({ verify })({ schema, method: 'GET', url: '/t', httpStatus: '200' } as Parameters<ReturnType<typeof createSerializerCompiler>>[0]);

describe('response projection', () => {
  it('writes what zod encode writes: declared properties in declaration order, nothing else', () => {
    const value = {
      secret: 'leak',
      tags: ['a'],
      counts: { field: [{ count: 2, value: 'HLJ.5', extra: true }] },
      contact: { name: '王', phone: '13800000000' },
      price: { kind: 'fixed', amount: { currency: 'CNY', amount: 5, fen: 1 } },
      note: null,
      id: 'x',
    };
    const out = JSON.stringify(projectionOf(Item)!(value));
    expect(out).toBe(JSON.stringify(z.encode(Item, value as z.output<typeof Item>)));
    expect(out).not.toContain('leak');
    expect(out).not.toContain('13800000000');
    expect(JSON.stringify(projectionOf(Item)!({ ...value, contact: null, price: { kind: 'negotiable' } }))).toBe(
      JSON.stringify(z.encode(Item, { ...value, contact: null, price: { kind: 'negotiable' } } as z.output<typeof Item>)),
    );
  });

  it('picks the branch a discriminated union names, and refuses an unknown tag', () => {
    const project = projectionOf(z.array(Hit))!;
    expect(project([{ type: 'b', y: 'q', x: 1 }, { type: 'a', x: 2, y: 'r' }])).toEqual([{ type: 'b', y: 'q' }, { type: 'a', x: 2 }]);
    expect(() => project([{ type: 'c' }])).toThrow(/matches no branch/);
  });

  it('compiles the hot response schemas, and leaves schemas it cannot project to zod', () => {
    expect(projectionOf(AchievementPageSchema)).toBeDefined();
    expect(projectionOf(SearchResultSchema)).toBeDefined();
    expect(projectionOf(z.object({ n: z.string().transform((s) => s.length) }))).toBeUndefined();
    expect(projectionOf(z.union([z.object({ a: z.string() }), z.object({ b: z.string() })]))).toBeUndefined();
  });

  it('checks every response against zod when verifying (development, tests) and fails an invalid one', () => {
    const verifying = compile(Item, true);
    const valid = { id: 'x', note: null, price: { kind: 'negotiable' }, contact: null, tags: [], counts: {}, extra: 1 };
    expect(verifying(valid)).toBe(compile(Item, false)(valid));
    expect(() => verifying({ ...valid, id: 7 })).toThrow();
    // production does not validate, but still writes only declared properties
    expect(compile(Item, false)({ ...valid, secret: 'x' })).not.toContain('secret');
  });
});
