import fc from 'fast-check';
import { schemaArbitraries } from './arbitraries.js';
import {
  HOSTILE_HEADERS,
  NUMERIC_EDGES,
  PROTO_BODIES,
  PROTO_QUERIES,
  TRAVERSAL_STRINGS,
  hugeStringArb,
  injectionArb,
  nestedJson,
  unicodeArb,
  wrongTypeArb,
} from './hostile.js';
import { collectionOf, type Operation, type Schema } from './spec.js';
import type { FuzzState } from './state.js';

type Obj = Record<string, unknown>;

export interface FuzzRequest {
  /** valid, or hostile:<what>:<where> */
  label: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload: string | Buffer | undefined;
  /** [0, 1): which actor sends it (the runner maps it onto its weights) */
  actorPick: number;
  /** false when a hostile path may have left the operation's route */
  routed: boolean;
}

interface Parts {
  path: Record<string, string>;
  query: Obj;
  headers: Record<string, string>;
  body: { type: string; value: unknown } | undefined;
}

type Mutation =
  | { kind: 'valid' }
  | { kind: 'wrongType' | 'huge' | 'unicode' | 'injection' | 'numeric'; where: number; value: unknown }
  | { kind: 'deep'; where: number; depth: number; objects: boolean }
  | { kind: 'proto'; where: number; variant: number }
  | { kind: 'traversal'; param: number; value: string; raw: boolean }
  | { kind: 'headers'; value: Record<string, string> }
  | { kind: 'structure'; variant: number; where: number };

const RAW = '\u0000__FUZZ_RAW__\u0000';
const BOUNDARY = '----techbridgefuzz7MA4YWxkTrZu0gW';

/** The fast-check arbitrary of one request to `op`: valid from its schemas, or one hostile mutation of such a request. */
export function requestArbitrary(op: Operation, deref: (s: Schema) => Schema, state: FuzzState, accepts: (schema: Schema, value: unknown) => boolean): fc.Arbitrary<FuzzRequest> {
  const { arb } = schemaArbitraries(deref, state, accepts);
  const params = (where: 'path' | 'query' | 'header') => op.parameters.filter((p) => p.in === where);

  const pathArb = fc.record(
    Object.fromEntries(
      params('path').map((p) => {
        const s = deref(p.schema) as Obj;
        const ids = s.format === 'uuid' ? state.idsForName(p.name, collectionOf(op.path, p.name)) : [];
        const own = arb(p.schema, { name: p.name, depth: 0 }).map(String);
        const value = ids.length > 0 ? fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...ids) }, { weight: 1, arbitrary: own }) : own;
        return [p.name, value];
      }),
    ),
  ) as fc.Arbitrary<Record<string, string>>;

  // A cursor is opaque: only one the API issued (nextCursor) is valid; made-up ones are the hostile cases' job.
  const cursors = state.seenValues(`cursor@${op.id}`);
  const queryValue = (p: (typeof op.parameters)[number]) =>
    p.name === 'cursor' && !p.required ? (cursors.length > 0 ? fc.constantFrom(...cursors) : fc.constant(undefined)) : arb(p.schema, { name: p.name, depth: 0 });
  const queryArb = fc.record(
    Object.fromEntries(params('query').map((p) => [p.name, p.required ? queryValue(p) : fc.option(queryValue(p), { nil: undefined })])),
  );

  const headerArb = fc.record(
    Object.fromEntries(
      params('header').map((p) => {
        let value: fc.Arbitrary<string>;
        if (p.name === 'if-match') {
          const versions = state.seenValues('version').filter((v): v is number => typeof v === 'number');
          value = fc.oneof(versions.length > 0 ? fc.constantFrom(...versions) : fc.nat(5), fc.nat(5)).map((v) => `"${v}"`);
        } else if (p.name === 'idempotency-key') {
          // Mostly fresh keys (a repeated one is a replay or a 422, which the hostile cases cover).
          value = fc.oneof({ weight: 9, arbitrary: fc.constant(null).map(() => state.freshKey()) }, { weight: 1, arbitrary: fc.constantFrom('fuzz-key-1', 'fuzz-key-2') });
        } else {
          value = arb(p.schema, { name: p.name, depth: 0 }).map(String);
        }
        return [p.name, p.required ? value : fc.option(value, { nil: undefined })];
      }),
    ),
  ) as fc.Arbitrary<Record<string, string | undefined>>;

  const bodyArb: fc.Arbitrary<Parts['body']> = (() => {
    if (!op.body) return fc.constant(undefined);
    const [type, schema] = [...op.body.content.entries()][0]!;
    const value = type === 'multipart/form-data' ? multipartArb(deref(schema) as Obj) : arb(schema, { depth: 0 });
    const present = value.map((v) => ({ type, value: v }));
    return op.body.required ? present : fc.option(present, { nil: undefined });
  })();

  const partsArb: fc.Arbitrary<Parts> = fc.record({ path: pathArb, query: queryArb, headers: headerArb, body: bodyArb }).map((p) => ({
    ...p,
    headers: Object.fromEntries(Object.entries(p.headers).filter((e): e is [string, string] => e[1] !== undefined)),
  }));

  const where = fc.nat();
  const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
    { weight: 12, arbitrary: fc.constant({ kind: 'valid' as const }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('wrongType' as const), where, value: wrongTypeArb }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('huge' as const), where, value: hugeStringArb }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('unicode' as const), where, value: unicodeArb }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('injection' as const), where, value: injectionArb }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('numeric' as const), where, value: fc.constantFrom(...NUMERIC_EDGES) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('deep' as const), where, depth: fc.constantFrom(64, 1_000, 10_000, 100_000), objects: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('proto' as const), where, variant: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('traversal' as const), param: fc.nat(), value: fc.constantFrom(...TRAVERSAL_STRINGS), raw: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('headers' as const), value: HOSTILE_HEADERS }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('structure' as const), variant: fc.nat(9), where }) },
  );

  // Uniform in [0, 1): fc.double spreads over float representations and would crowd near 0.
  const actorPickArb = fc.integer({ min: 0, max: 999_999 }).map((n) => n / 1_000_000);
  return fc.tuple(partsArb, mutationArb, actorPickArb).map(([parts, mutation, actorPick]) => render(op, parts, mutation, actorPick));
}

/** multipart/form-data: binary properties get a file (CSV-like text, random bytes, a broken xlsx), the rest text fields. */
function multipartArb(schema: Obj): fc.Arbitrary<{ multipart: [string, string | Uint8Array][] }> {
  const props = Object.entries((schema.properties ?? {}) as Record<string, Obj>);
  const file = fc.oneof(
    fc.array(fc.array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom('成果名称', '所属领域', 'HLJ.5.05.01', '230100', '7', '"', ',', '\n')), { maxLength: 8 }), { maxLength: 12 }).map(
      (rows) => rows.map((r) => r.join(',')).join('\r\n'),
    ),
    fc.uint8Array({ maxLength: 2048 }),
    fc.uint8Array({ maxLength: 512 }).map((b) => new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...b])),
    fc.constant(''),
  );
  return fc
    .tuple(...props.map(([name, p]) => (p.format === 'binary' ? file : fc.string({ maxLength: 20 })).map((v) => [name, v] as [string, string | Uint8Array])))
    .map((multipart) => ({ multipart }));
}

function encodeMultipart(fields: [string, string | Uint8Array][]): Buffer {
  const chunks: Buffer[] = [];
  for (const [name, value] of fields) {
    const isFile = typeof value !== 'string';
    chunks.push(
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${isFile ? `; filename="${name}.csv"` : ''}\r\n${isFile ? 'Content-Type: text/csv\r\n' : ''}\r\n`,
      ),
    );
    chunks.push(typeof value === 'string' ? Buffer.from(value) : Buffer.from(value));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

/** Every place a value sits in a JSON value, as key paths (the root is []). */
function leaves(value: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => leaves(v, [...at, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) leaves(v, [...at, k], out);
  return out;
}

function atPath(value: unknown, at: (string | number)[]): unknown {
  let v = value;
  for (const k of at) v = v && typeof v === 'object' ? (v as Obj)[k as string] : undefined;
  return v;
}

function setAt(value: unknown, at: (string | number)[], replacement: unknown): unknown {
  if (at.length === 0) return replacement;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as Obj) }) as Obj;
  const [head, ...rest] = at;
  copy[head as string] = setAt(copy[head as string], rest, replacement);
  return copy;
}

function queryString(query: Obj, raw: string[] = []): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    for (const one of values) parts.push(`${encode(k)}=${encode(typeof one === 'object' && one !== null ? JSON.stringify(one) : String(one))}`);
  }
  parts.push(...raw);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

function render(op: Operation, parts: Parts, m: Mutation, actorPick: number): FuzzRequest {
  let { path, query, headers, body } = parts;
  headers = { ...headers };
  let rawQuery: string[] = [];
  let payloadOverride: string | Buffer | undefined;
  let routed = true;
  let label = m.kind === 'valid' ? 'valid' : `hostile:${m.kind}`;

  // Where a value mutation lands: a body leaf, a query parameter, a path parameter or a header parameter.
  type Slot = { in: 'body'; at: (string | number)[] } | { in: 'query' | 'path' | 'header'; name: string };
  const jsonBody = body && body.type === 'application/json';
  const slots: Slot[] = [
    ...(jsonBody ? leaves(body!.value).map((at) => ({ in: 'body' as const, at })) : []),
    ...op.parameters.filter((p) => p.in !== 'header').map((p) => ({ in: p.in as 'query' | 'path', name: p.name })),
    ...op.parameters.filter((p) => p.in === 'header').map((p) => ({ in: 'header' as const, name: p.name })),
    // an undeclared query parameter
    { in: 'query' as const, name: 'unexpected' },
  ];
  const isText = (slot: Slot) => slot.in !== 'body' || typeof atPath(body!.value, slot.at) === 'string';
  const place = (index: number, value: unknown, textOnly = false) => {
    const fitting = slots.filter((s) => (s.in !== 'header' || typeof value === 'string') && (!textOnly || isText(s)));
    const usable = fitting.length > 0 ? fitting : slots;
    const slot = usable[index % usable.length]!;
    label += `:${slot.in === 'body' ? `body/${slot.at.join('/')}` : `${slot.in}.${slot.name}`}`;
    const asText = typeof value === 'string' ? value : JSON.stringify(value);
    if (slot.in === 'body') body = { ...body!, value: setAt(body!.value, slot.at, value) };
    else if (slot.in === 'query') query = { ...query, [slot.name]: asText };
    else if (slot.in === 'path') path = { ...path, [slot.name]: asText };
    else headers[slot.name] = latin1(asText);
  };

  switch (m.kind) {
    case 'valid':
      break;
    case 'wrongType':
    case 'numeric':
      place(m.where, m.value);
      break;
    // Text attacks go where text is expected, so they reach the code behind the validator.
    case 'huge':
    case 'unicode':
    case 'injection':
      place(m.where, m.value, true);
      break;
    case 'deep': {
      const nested = nestedJson(m.depth, m.objects);
      if (jsonBody) {
        const at = leaves(body!.value);
        const spot = at[m.where % at.length]!;
        label += `:body/${spot.join('/')}:${m.depth}`;
        payloadOverride = JSON.stringify(setAt(body!.value, spot, RAW)).replace(JSON.stringify(RAW), nested);
      } else {
        label += ':query';
        query = { ...query, [op.parameters.find((p) => p.in === 'query')?.name ?? 'q']: nested.slice(0, 4000) };
      }
      break;
    }
    case 'proto': {
      if (jsonBody && m.where % 2 === 0) {
        const extra = PROTO_BODIES[m.variant % PROTO_BODIES.length]!;
        const base = body!.value && typeof body!.value === 'object' && !Array.isArray(body!.value) ? JSON.stringify(body!.value) : '{}';
        payloadOverride = base === '{}' ? extra : `${extra.slice(0, -1)},${base.slice(1)}`;
        label += ':body';
      } else {
        rawQuery = [PROTO_QUERIES[m.variant % PROTO_QUERIES.length]!];
        label += ':query';
      }
      break;
    }
    case 'traversal': {
      const names = Object.keys(path);
      if (names.length > 0 && m.param % 3 !== 0) {
        const name = names[m.param % names.length]!;
        path = { ...path, [name]: m.raw ? `\u0000raw${m.value}` : m.value };
        label += `:path.${name}${m.raw ? ':raw' : ''}`;
        if (m.raw) routed = false;
      } else {
        place(m.param, m.value);
      }
      break;
    }
    case 'headers':
      Object.assign(headers, m.value);
      label += `:${Object.keys(m.value).join(',')}`;
      break;
    case 'structure': {
      const present = jsonBody ? topKeys(body!.value) : [];
      const variants: (() => void)[] = [
        () => {
          if (jsonBody && present.length > 0) {
            const drop = present[m.where % present.length]!;
            const { [drop]: _gone, ...rest } = body!.value as Obj;
            body = { ...body!, value: rest };
            label += `:without ${drop}`;
          } else query = {};
        },
        () => {
          if (jsonBody && body!.value && typeof body!.value === 'object' && !Array.isArray(body!.value)) body = { ...body!, value: { ...(body!.value as Obj), organizationId: '01950000-0000-7000-8000-000000000000', status: 'published', isAdmin: true } };
          else query = { ...query, isAdmin: 'true' };
        },
        () => (payloadOverride = ''),
        () => (payloadOverride = '{"title": "unterminated'),
        () => (payloadOverride = '[]'),
        () => (payloadOverride = 'null'),
        () => (payloadOverride = '"a string"'),
        () => {
          payloadOverride = JSON.stringify(body?.value ?? {});
          headers['content-type'] = 'application/json';
          label += ':body on any method';
        },
        () => (query = { ...query, limit: ['0', '101', '-1', '1e2', '100.5', '', '999999999999999999999'][m.where % 7] }),
        () => (headers['content-type'] = ['application/json; charset=latin1', 'APPLICATION/JSON', 'application/json;', 'application/vnd.api+json'][m.where % 4]!),
      ];
      variants[m.variant % variants.length]!();
      label += `:${m.variant % variants.length}`;
      break;
    }
  }

  let url = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = path[name] ?? '';
    return v.startsWith('\u0000raw') ? v.slice(4) : encode(v);
  });
  url += queryString(query, rawQuery);

  let payload: string | Buffer | undefined = payloadOverride;
  if (payload === undefined && body) {
    if (body.type === 'multipart/form-data') {
      payload = encodeMultipart((body.value as { multipart: [string, string | Uint8Array][] }).multipart);
      headers['content-type'] ??= `multipart/form-data; boundary=${BOUNDARY}`;
    } else {
      payload = JSON.stringify(body.value);
    }
  }
  if (payload !== undefined) headers['content-type'] ??= 'application/json';
  return { label, method: op.method, url, headers, payload, actorPick, routed };
}

/**
 * encodeURIComponent, except that a lone surrogate (which it refuses) goes out as the three bytes
 * a careless encoder would write for it: invalid UTF-8 the server has to cope with.
 */
function encode(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    let out = '';
    for (const ch of v) {
      const cu = ch.charCodeAt(0);
      if (ch.length === 1 && cu >= 0xd800 && cu <= 0xdfff) {
        out += [0xe0 | (cu >> 12), 0x80 | ((cu >> 6) & 0x3f), 0x80 | (cu & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
      } else out += encodeURIComponent(ch);
    }
    return out;
  }
}

function topKeys(value: unknown): string[] {
  return value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
}

/** Header values travel as Latin-1; anything else is percent-escaped (as a client library would refuse to send it raw). */
function latin1(v: string): string {
  return /^[\x20-\x7e\x80-\xff]*$/.test(v) ? v : encodeURIComponent(v.replace(/[\uD800-\uDFFF]/g, '?'));
}
