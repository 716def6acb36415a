import fc from 'fast-check';

/** Unicode a parser, a database driver or a log line can choke on. */
export const UNICODE_EDGES = [
  '\uD800', // lone high surrogate
  '\uDFFF', // lone low surrogate
  'a\uD83Db', // half an emoji
  '\u202Eevil\u202C', // right-to-left override
  'مرحبا بالعالم', // RTL script
  '\u200B\u200C\u200D\uFEFF', // zero-width characters and BOM
  '\u0000', // NUL (PostgreSQL text cannot store it)
  'x\u0000y',
  '\u0001\u0007\u001B[31m', // control characters, ANSI escape
  '\uFFFE\uFFFF', // non-characters
  'e\u0301\u0301\u0301', // stacked combining marks
  '👨‍👩‍👧‍👦🏳️‍🌈', // ZWJ sequences
  '𠀀𪚥', // astral CJK
  'Ａ１２３', // full-width
  '\r\n\r\nX-Injected: 1', // header/CRLF injection
  '\u2028\u2029', // JS line separators
];

export const SQL_STRINGS = [
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  '1 OR 1=1',
  "1'; SELECT pg_sleep(5); --",
  '%',
  '_',
  '\\',
  "admin'--",
  '" OR ""="',
  "') UNION SELECT password_hash FROM users --",
  '$1',
  'NULL',
  '::text',
  '\\x00',
];

export const TRAVERSAL_STRINGS = [
  '../../../../etc/passwd',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '%2e%2e%2f%2e%2e%2f',
  '....//....//',
  '..\\..\\windows\\win.ini',
  '/etc/passwd',
  'file:///etc/passwd',
  '%00',
  '%ZZ',
  '%',
  '.',
  '..',
];

export const NUMERIC_EDGES: unknown[] = [-1, 0, -0, 1.5, 1e308, -1e308, 2 ** 53, 2 ** 63, -(2 ** 31), 1e-300, '1e3', '0x10', '', ' ', 'NaN', 'Infinity', '٣'];

/** Anything-but-the-right-type values. */
export const wrongTypeArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 8 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
  fc.constantFrom<unknown>({}, [], [[]], [null], { length: 1 }, '[object Object]', 'true', 'null'),
);

export const hugeStringArb: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 10_000, max: 400_000 }).map((n) => 'A'.repeat(n)),
  fc.integer({ min: 3_000, max: 100_000 }).map((n) => '汉'.repeat(n)),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => '😀'.repeat(n)),
  // past the body limit (1 MiB): 413
  fc.constant('B'.repeat(1_100_000)),
);

export const unicodeArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...UNICODE_EDGES),
  fc.tuple(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.constantFrom(...UNICODE_EDGES)).map(([a, b]) => a + b + a),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

export const injectionArb: fc.Arbitrary<string> = fc.oneof(fc.constantFrom(...SQL_STRINGS), fc.constantFrom(...TRAVERSAL_STRINGS));

/** A JSON text nested `depth` levels, as arrays or objects. */
export function nestedJson(depth: number, objects: boolean): string {
  return objects ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth);
}

export const PROTO_BODIES = [
  '{"__proto__":{"isAdmin":true,"role":"admin"}}',
  '{"constructor":{"prototype":{"isAdmin":true}}}',
  '{"__proto__":null}',
  '{"a":{"__proto__":{"polluted":1}}}',
];

export const PROTO_QUERIES = ['__proto__[isAdmin]=true', 'constructor[prototype][isAdmin]=true', '__proto__=1', 'constructor.prototype.isAdmin=1', 'hasOwnProperty=1', 'toString=x'];

export const HOSTILE_HEADERS: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.constantFrom<Record<string, string>>(
    { authorization: 'Bearer' },
    { authorization: 'Bearer ' },
    { authorization: 'Basic YWRtaW46YWRtaW4=' },
    { authorization: 'Bearer not.a.jwt' },
    { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.' },
    { authorization: `Bearer ${'a'.repeat(8000)}` },
    { 'content-type': 'text/plain' },
    { 'content-type': 'application/xml' },
    { 'content-type': 'application/json; charset=utf-16' },
    { 'content-type': 'multipart/form-data' },
    { 'content-type': 'application/x-www-form-urlencoded' },
    { 'content-type': 'application/json, text/plain' },
    { accept: 'text/csv' },
    { accept: 'application/xml' },
    { accept: '*/*;q=0' },
    { accept: 'text/event-stream' },
    { 'if-match': '*' },
    { 'if-match': '"999999999999999999999"' },
    { 'if-match': 'W/"1"' },
    { 'if-match': '"-1"' },
    { 'if-match': '"1", "2"' },
    { 'idempotency-key': '' },
    { 'idempotency-key': 'x'.repeat(5000) },
    { 'idempotency-key': "'; DROP TABLE idempotency_keys; --" },
    { 'last-event-id': '-1' },
    { 'last-event-id': '99999999999999999999999' },
    { 'last-event-id': 'abc' },
    { 'x-request-id': '../../etc/passwd' },
    { 'x-request-id': 'x'.repeat(500) },
    { 'x-forwarded-for': '1.1.1.1, 2.2.2.2' },
    { 'accept-language': "zh-CN;q=' OR 1=1" },
  ),
  // Header values must be Latin-1; percent-escaped unicode and injection strings go where a header can carry them.
  fc.tuple(fc.constantFrom('if-match', 'idempotency-key', 'last-event-id', 'x-request-id', 'accept'), injectionArb).map(([k, v]) => ({ [k]: v })),
);
