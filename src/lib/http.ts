import { z } from 'zod';

/** RFC 9457 problem details, with our stable `code`, the request id and field errors. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    code: z.string().describe('Stable machine-readable error code (SCREAMING_SNAKE)'),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof ProblemSchema>;

/** Error responses declared on every route; the spec documents them all. */
export function problems<const S extends readonly number[]>(...statuses: S): { [K in S[number]]: typeof ProblemSchema } {
  const out = {} as Record<number, typeof ProblemSchema>;
  for (const s of statuses) out[s] = ProblemSchema;
  return out as { [K in S[number]]: typeof ProblemSchema };
}

// Strict like every request object: an unknown key in a body is refused (400), never silently dropped.
export const MoneySchema = z
  .strictObject({
    amount: z.number().int().min(0).max(1e15).describe('Integer fen (1/100 CNY)'),
    currency: z.literal('CNY'),
  })
  .meta({ id: 'Money' });
export type Money = z.infer<typeof MoneySchema>;
export const money = (fen: number): Money => ({ amount: fen, currency: 'CNY' });

export const IdParamSchema = z.object({ id: z.uuid() });

export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Page size, 1–100'),
  cursor: z.string().max(512).optional().describe('Opaque cursor from the previous page'),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const isoDate = (d: Date | string | null | undefined): string | null =>
  d == null ? null : (d instanceof Date ? d : new Date(d)).toISOString();
