export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * The JSON value as JSON.stringify would send it (Dates become ISO strings, undefined members are
 * dropped, -0 and non-finite numbers normalised), cleaned so jsonb accepts it. Storing this value
 * and hashing this value give the same result before the insert and after reading the row back.
 */
export function toJsonValue(value: unknown): JsonValue {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('the value is not JSON');
  return storable(JSON.parse(text) as JsonValue);
}

/** toJsonValue for values that must be a JSON object (event payloads, audit data). */
export function toJsonObject(value: unknown): JsonObject {
  const v = toJsonValue(value);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError('the value must be a JSON object');
  return v;
}

// jsonb rejects U+0000 and unpaired surrogates, which JSON.parse lets into a request body; they
// become U+FFFD (as the pg driver does for text columns) instead of failing the caller's transaction.
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what must be matched
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const clean = (s: string): string => s.replace(UNSTORABLE, '\ufffd');

function storable(value: JsonValue): JsonValue {
  if (typeof value === 'string') return clean(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(storable);
  // fromEntries defines own properties: a member named "__proto__" stays a member.
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [clean(k), storable(v)])) as JsonObject;
}

/**
 * RFC 8785 (JCS) canonical JSON of a JsonValue: object members sorted by UTF-16 code units, no
 * whitespace, numbers and strings serialised as ECMAScript does. The key order jsonb returns (by
 * length, then bytes) therefore does not change the result.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(',')}}`;
}
