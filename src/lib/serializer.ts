import type { FastifySerializerCompiler } from 'fastify';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { $ZodType } from 'zod/v4/core';

type Project = (value: unknown) => unknown;

const identity: Project = (v) => v;

/** Wrappers that change nothing about an output value once it is valid. */
const TRANSPARENT = new Set(['default', 'prefault', 'readonly', 'nonoptional', 'catch']);
/** Leaves: their value is written as it is. */
const LEAVES = new Set(['string', 'number', 'int', 'boolean', 'null', 'literal', 'enum', 'any', 'unknown', 'date', 'template_literal', 'custom']);

interface Def {
  type: string;
  innerType?: $ZodType;
  shape?: Record<string, $ZodType>;
  catchall?: $ZodType;
  element?: $ZodType;
  valueType?: $ZodType;
  options?: $ZodType[];
  discriminator?: string;
  items?: $ZodType[];
  rest?: $ZodType | null;
}

const defOf = (schema: $ZodType) => schema._zod.def as unknown as Def;

/**
 * What zod's encode keeps of a valid value, compiled once per schema: the declared properties
 * of objects (in declaration order), every element of arrays and records, the branch a
 * discriminated union's tag names. undefined when the schema holds something that cannot be
 * projected without validating (plain unions, transforms, lazy): such routes keep zod.
 */
function compile(schema: $ZodType, seen: Map<$ZodType, Project | undefined>): Project | undefined {
  if (seen.has(schema)) return seen.get(schema);
  seen.set(schema, undefined); // a cycle (lazy, recursion) is not compiled
  const def = defOf(schema);
  let out: Project | undefined;
  if (LEAVES.has(def.type)) out = identity;
  else if (TRANSPARENT.has(def.type)) out = compile(def.innerType!, seen);
  else if (def.type === 'nullable' || def.type === 'optional') {
    const inner = compile(def.innerType!, seen);
    const empty = def.type === 'nullable' ? null : undefined;
    out = inner && ((v) => (v === empty ? v : inner(v)));
  } else if (def.type === 'array') {
    const item = compile(def.element!, seen);
    out = item && (item === identity ? identity : (v) => (v as unknown[]).map(item));
  } else if (def.type === 'record') {
    const value = compile(def.valueType!, seen);
    out =
      value &&
      ((v) => {
        const o: Record<string, unknown> = {};
        for (const k of Object.keys(v as object)) o[k] = value((v as Record<string, unknown>)[k]);
        return o;
      });
  } else if (def.type === 'object' && (def.catchall === undefined || defOf(def.catchall).type === 'never')) {
    const entries = Object.entries(def.shape!).map(([k, s]) => [k, compile(s, seen)] as const);
    if (entries.every(([, p]) => p !== undefined)) {
      const props = entries as (readonly [string, Project])[];
      out = (v) => {
        const input = v as Record<string, unknown>;
        const o: Record<string, unknown> = {};
        for (const [k, p] of props) {
          const x = input[k];
          if (x !== undefined) o[k] = p(x);
        }
        return o;
      };
    }
  } else if (def.type === 'union' && def.discriminator !== undefined) {
    const key = def.discriminator;
    const branches = new Map<unknown, Project>();
    let ok = true;
    for (const option of def.options!) {
      const p = compile(option, seen);
      const tags = option._zod.propValues?.[key];
      if (!p || !tags) ok = false;
      else for (const tag of tags) branches.set(tag, p);
    }
    out = ok
      ? (v) => {
          const branch = branches.get((v as Record<string, unknown>)[key]);
          // zod refuses a value no branch accepts (a 500); so does this, rather than send it unchecked.
          if (!branch) throw new Error(`response ${key} ${String((v as Record<string, unknown>)[key])} matches no branch of its schema`);
          return branch(v);
        }
      : undefined;
  }
  seen.set(schema, out);
  return out;
}

/** The compiled projection of a response schema, or undefined when it needs zod (exported for tests). */
export function projectionOf(schema: $ZodType): Project | undefined {
  return compile(schema, new Map());
}

/**
 * Response serialization. zod's encode validates every response and copies it; on a page of 20
 * achievements that was 0.33 ms of CPU against 0.12 ms for JSON.stringify (BENCHMARKS.md). In
 * production a response is projected onto its schema (undeclared properties never leave, as
 * with zod) and stringified. With `verify` (development and tests) zod runs too: an invalid
 * response fails as before, and a projection that differs from zod's output is an error.
 */
export function createSerializerCompiler(opts: { verify: boolean }): FastifySerializerCompiler<unknown> {
  return (route) => serializerOf(route as Parameters<typeof zodSerializerCompiler>[0], opts.verify);
}

function serializerOf(route: Parameters<typeof zodSerializerCompiler>[0], verify: boolean): (data: unknown) => string {
  const zod = zodSerializerCompiler(route);
  const schema = route.schema as unknown;
  const project = schema instanceof $ZodType ? projectionOf(schema) : undefined;
  if (!project) return zod;
  if (!verify) return (data) => JSON.stringify(project(data));
  return (data) => {
    const expected = zod(data);
    const fast = JSON.stringify(project(data));
    if (fast !== expected) throw new Error(`response projection differs from zod for ${route.method} ${route.url}: ${fast} vs ${expected}`);
    return fast;
  };
}

/**
 * The serializer a route with this 200 schema gets from createSerializerCompiler, for bodies
 * serialized ahead of the route (the public read cache sends them as they are): the same bytes.
 */
export function jsonSerializer(schema: $ZodType, opts: { verify: boolean; name: string }): (data: unknown) => string {
  return serializerOf({ schema, method: 'GET', url: opts.name } as Parameters<typeof zodSerializerCompiler>[0], opts.verify);
}
