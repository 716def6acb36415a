import { sql, type Placeholder } from 'drizzle-orm';
import type { Executor } from './client.js';

/**
 * How a value goes into a query: inline (an ordinary parameter of a query built for this call)
 * or as a named placeholder of a query built once and executed many times.
 */
export type Bind = (name: string, value: unknown) => unknown;

export const inline: Bind = (_name, value) => value;

/** Hands out placeholders and records the values they stand for, for one execution. */
export function placeholders(): { bind: Bind; values: Record<string, unknown>; names: () => string } {
  const values: Record<string, unknown> = {};
  const bind: Bind = (name, value): Placeholder => {
    values[name] = value;
    return sql.placeholder(name);
  };
  return { bind, values, names: () => Object.keys(values).sort().join(',') };
}

/**
 * Queries built once per database handle and shape, then only executed. On hot reads drizzle's
 * query building (the column list, the SQL text) cost more CPU than the lookup itself (GET of one
 * achievement: 1.8 ms built per call, 0.66 ms prepared; BENCHMARKS.md). The key must name
 * everything that changes the SQL text; values go in as placeholders. A handle is the pool's
 * drizzle instance or one transaction, so a statement never outlives the connection it is bound to.
 */
export function statementCache<Q>(): (db: Executor, key: string, build: () => Q) => Q {
  const byHandle = new WeakMap<object, Map<string, Q>>();
  return (db, key, build) => {
    let cache = byHandle.get(db);
    if (!cache) byHandle.set(db, (cache = new Map()));
    let query = cache.get(key);
    if (query === undefined) {
      query = build();
      cache.set(key, query);
    }
    return query;
  };
}
