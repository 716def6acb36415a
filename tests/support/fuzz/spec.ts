import { readFileSync } from 'node:fs';
import path from 'node:path';

/** A JSON Schema as the OpenAPI 3.1 document carries it (draft 2020-12). */
export type Schema = { [k: string]: unknown } | boolean;

export interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required: boolean;
  schema: Schema;
}

export interface Operation {
  id: string;
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** the OpenAPI template, e.g. /v1/listings/{id}/registrations/{rid}/qualify */
  path: string;
  parameters: Parameter[];
  /** content type → schema of the request body */
  body: { required: boolean; content: Map<string, Schema> } | undefined;
  /** status → content type → schema (undefined when a status has no body) */
  responses: Map<number, Map<string, Schema | undefined>>;
  /** a bearer token is required (security has no anonymous alternative) */
  secured: boolean;
}

export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, Schema> };
  security?: unknown[];
}

/** The committed document, read when the test runs, so new routes are fuzzed without a list here. */
export function loadSpec(file = path.resolve('openapi/openapi.json')): OpenApiDoc {
  return JSON.parse(readFileSync(file, 'utf8')) as OpenApiDoc;
}

const METHODS = new Set(['get', 'post', 'patch', 'put', 'delete']);

export function operationsOf(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const op = raw as {
        operationId?: string;
        parameters?: { in: string; name: string; required?: boolean; schema: Schema }[];
        requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
        responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
        security?: unknown[];
      };
      const security = op.security ?? doc.security ?? [];
      const anonymousAllowed = security.length === 0 || security.some((s) => s && typeof s === 'object' && Object.keys(s).length === 0);
      const responses = new Map<number, Map<string, Schema | undefined>>();
      for (const [status, r] of Object.entries(op.responses)) {
        const byType = new Map<string, Schema | undefined>();
        for (const [type, c] of Object.entries(r.content ?? {})) byType.set(type, c.schema);
        responses.set(Number(status), byType);
      }
      ops.push({
        id: op.operationId ?? `${method} ${template}`,
        method: method.toUpperCase() as Operation['method'],
        path: template,
        parameters: (op.parameters ?? [])
          .filter((p) => p.in === 'path' || p.in === 'query' || p.in === 'header')
          .map((p) => ({ in: p.in as Parameter['in'], name: p.name, required: p.required ?? p.in === 'path', schema: p.schema })),
        body: op.requestBody
          ? { required: op.requestBody.required ?? false, content: new Map(Object.entries(op.requestBody.content).map(([t, c]) => [t, c.schema])) }
          : undefined,
        responses,
        secured: !anonymousAllowed,
      });
    }
  }
  return ops;
}

/** Follows local `#/components/schemas/X` references (one level at a time, as often as needed). */
export function resolver(doc: OpenApiDoc) {
  return function deref(schema: Schema): Schema {
    let s = schema;
    for (let i = 0; i < 20 && typeof s === 'object' && typeof s.$ref === 'string'; i++) {
      const ref = s.$ref as string;
      const name = ref.replace(/^#\/components\/schemas\//, '');
      const target = doc.components.schemas[name];
      if (target === undefined) throw new Error(`unresolvable $ref ${ref}`);
      // Siblings of $ref (description, default) do not change what is valid.
      s = target;
    }
    return s;
  };
}

/** The path segment naming the collection an `{param}` indexes, e.g. `rid` in …/registrations/{rid} → registrations. */
export function collectionOf(template: string, param: string): string | undefined {
  const parts = template.split('/');
  const at = parts.indexOf(`{${param}}`);
  return at > 0 ? parts[at - 1] : undefined;
}
