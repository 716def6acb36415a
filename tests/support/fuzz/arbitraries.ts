import fc from 'fast-check';
import type { Schema } from './spec.js';
import type { FuzzState } from './state.js';

type Obj = Record<string, unknown>;

/** Why an arbitrary is asked for: the property it fills (to reuse values the API returned under that name). */
export interface Slot {
  name?: string;
  depth: number;
}

const MAX_ITEMS = 4;
const MAX_TEXT = 60;
const SAFE = Number.MAX_SAFE_INTEGER;

// Text a Chinese frontend sends: CJK, full-width punctuation, Latin, digits.
const TEXT_UNITS = [...'科技成果转化寒地水稻大豆精深加工石墨烯导热膜专利许可技术需求，。、（）：；'].concat([...'abcXYZ019 -_.']);

const iso = (d: Date) => d.toISOString();

/**
 * fast-check arbitraries derived from the JSON Schemas of openapi/openapi.json: values the schema
 * accepts. Ids and other values the API has returned under the same property name are reused
 * often, so path ids and references (achievementId, regionCode, fieldCodes…) hit real rows.
 */
export function schemaArbitraries(deref: (s: Schema) => Schema, state: FuzzState, accepts: (schema: Schema, value: unknown) => boolean) {
  function arb(schema: Schema | undefined, slot: Slot): fc.Arbitrary<unknown> {
    if (schema === undefined || schema === true) return fc.jsonValue({ maxDepth: 1 });
    if (schema === false) return fc.constant(undefined);
    const s = deref(schema) as Obj;
    if ('const' in s) return fc.constant(s.const);
    if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
    const alternatives = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
    if (alternatives) return fc.oneof(...alternatives.map((a) => arb(a, slot)));
    if (Array.isArray(s.allOf)) return arb(mergeAll(s.allOf as Schema[]), slot);
    const type = Array.isArray(s.type) ? (s.type as string[]) : s.type === undefined ? undefined : [s.type as string];
    if (type && type.length > 1) return fc.oneof(...type.map((t) => arb({ ...s, type: t }, slot)));
    switch (type?.[0]) {
      case 'null':
        return fc.constant(null);
      case 'boolean':
        return fc.boolean();
      case 'integer':
        return withSeen(integer(s), slot, (v) => typeof v === 'number' && Number.isInteger(v) && inRange(s, v));
      case 'number':
        return withSeen(number(s), slot, (v) => typeof v === 'number' && inRange(s, v));
      case 'string':
        return string(s, slot);
      case 'array':
        return array(s, slot);
      case 'object':
        return object(s, slot);
      default:
        if (s.properties) return object(s, slot);
        return fc.jsonValue({ maxDepth: 1 });
    }
  }

  function mergeAll(parts: Schema[]): Schema {
    const merged: Obj = { type: 'object', properties: {}, required: [] };
    for (const p of parts.map(deref) as Obj[]) {
      Object.assign(merged.properties as Obj, p.properties ?? {});
      (merged.required as string[]).push(...((p.required as string[]) ?? []));
    }
    return merged;
  }

  /** A value the API returned under this property name, when there is one and it fits. */
  function withSeen(base: fc.Arbitrary<unknown>, slot: Slot, fits: (v: unknown) => boolean): fc.Arbitrary<unknown> {
    const seen = slot.name ? state.seenValues(slot.name).filter(fits) : [];
    if (seen.length === 0) return base;
    return fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...seen) }, { weight: 1, arbitrary: base });
  }

  function inRange(s: Obj, v: number): boolean {
    if (typeof s.minimum === 'number' && v < s.minimum) return false;
    if (typeof s.maximum === 'number' && v > s.maximum) return false;
    if (typeof s.exclusiveMinimum === 'number' && v <= s.exclusiveMinimum) return false;
    if (typeof s.exclusiveMaximum === 'number' && v >= s.exclusiveMaximum) return false;
    return true;
  }

  function integer(s: Obj): fc.Arbitrary<number> {
    const min = Math.max(-SAFE, typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : -1_000_000);
    const max = Math.min(SAFE, typeof s.maximum === 'number' ? s.maximum : typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum - 1 : 1_000_000_000);
    const lo = Math.ceil(min);
    const hi = Math.floor(max);
    if (hi - lo <= 2_000_000_000) return fc.integer({ min: 0, max: hi - lo }).map((d) => lo + d);
    // Wide ranges: mostly small values near the bottom (realistic), sometimes anywhere up to the top.
    return fc.oneof(
      fc.integer({ min: 0, max: 1_000_000 }).map((d) => lo + d),
      fc.maxSafeNat().map((d) => lo + (d % (hi - lo + 1))),
      fc.constantFrom(lo, hi),
    );
  }

  function number(s: Obj): fc.Arbitrary<number> {
    const min = typeof s.minimum === 'number' ? s.minimum : -1e9;
    const max = typeof s.maximum === 'number' ? s.maximum : 1e9;
    return fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).filter((v) => inRange(s, v));
  }

  function string(s: Obj, slot: Slot): fc.Arbitrary<unknown> {
    const minLength = typeof s.minLength === 'number' ? s.minLength : 0;
    const maxLength = typeof s.maxLength === 'number' ? s.maxLength : Infinity;
    const fitsLength = (v: string) => [...v].length >= minLength && [...v].length <= maxLength;
    const pattern = typeof s.pattern === 'string' ? safeRegExp(s.pattern) : undefined;
    const fits = (v: unknown) => typeof v === 'string' && fitsLength(v) && (!pattern || pattern.test(v));
    let base: fc.Arbitrary<string>;
    switch (s.format) {
      case 'uuid':
        return idFor(slot);
      case 'date-time':
        base = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true }).map(iso);
        break;
      case 'date':
        base = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => iso(d).slice(0, 10));
        break;
      case 'email':
        base = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,12}$/), fc.constantFrom('example.cn', 'hit.edu.cn', 'qq.com')).map(([u, d]) => `${u}@${d}`);
        break;
      case 'uri':
        base = fc.webUrl();
        break;
      default:
        if (pattern) {
          base = fc.stringMatching(pattern).filter(fitsLength);
        } else {
          const cap = Math.min(maxLength, Math.max(minLength, MAX_TEXT));
          base = fc.oneof(
            fc.string({ unit: fc.constantFrom(...TEXT_UNITS), minLength, maxLength: cap }),
            fc.string({ unit: 'grapheme', minLength, maxLength: cap }),
          );
        }
    }
    const seen = slot.name ? state.seenValues(slot.name).filter(fits) : [];
    return seen.length > 0 ? fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...(seen as string[])) }, { weight: 1, arbitrary: base }) : base;
  }

  /** Mostly ids of real rows of the collection the name suggests (achievementId → achievements), else any uuid. */
  function idFor(slot: Slot): fc.Arbitrary<string> {
    const known = state.idsForName(slot.name);
    const random = fc.uuid({ version: 7 });
    if (known.length === 0) return random;
    return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: random });
  }

  function array(s: Obj, slot: Slot): fc.Arbitrary<unknown[]> {
    const minLength = typeof s.minItems === 'number' ? s.minItems : 0;
    const maxLength = Math.min(typeof s.maxItems === 'number' ? s.maxItems : MAX_ITEMS, Math.max(minLength, MAX_ITEMS));
    const items = arb(s.items as Schema | undefined, { name: slot.name, depth: slot.depth + 1 });
    return s.uniqueItems ? fc.uniqueArray(items, { minLength, maxLength, selector: (v) => JSON.stringify(v) }) : fc.array(items, { minLength, maxLength });
  }

  function object(s: Obj, slot: Slot): fc.Arbitrary<Obj> {
    const props = (s.properties ?? {}) as Record<string, Schema>;
    const required = new Set((s.required as string[] | undefined) ?? []);
    const names = Object.keys(props);
    // Past a few levels only what is required, so recursive schemas end.
    const keep = slot.depth > 4 ? names.filter((n) => required.has(n)) : names;
    const shape: Record<string, fc.Arbitrary<unknown>> = {};
    for (const n of keep) shape[n] = arb(props[n], { name: n, depth: slot.depth + 1 });
    const record = fc.record(shape, { requiredKeys: keep.filter((n) => required.has(n)) });
    const templates = slot.depth <= 1 && names.length >= 3 ? templatesFor(props, required) : [];
    if (templates.length > 0) {
      // Mostly a real row of the same shape (it passes the rules a schema cannot express, such as
      // "amount is required when kind is fixed"), completed by the generated record, sometimes thinned.
      const fromTemplate = fc.tuple(fc.constantFrom(...templates), record, fc.nat()).map(([t, r, drop]) => {
        const merged: Obj = { ...r, ...t };
        const optional = Object.keys(t).filter((k) => !required.has(k));
        if (drop % 3 === 0 && optional.length > 0) delete merged[optional[drop % optional.length]!];
        return merged;
      });
      return fc.oneof({ weight: 1, arbitrary: record as fc.Arbitrary<Obj> }, { weight: 3, arbitrary: fromTemplate });
    }
    const extra = s.additionalProperties;
    if (names.length === 0 && extra && typeof extra === 'object') {
      const keys = s.propertyNames ? (arb(s.propertyNames as Schema, { depth: slot.depth + 1 }) as fc.Arbitrary<string>) : fc.string({ minLength: 1, maxLength: 12 });
      return fc.dictionary(keys, arb(extra as Schema, { depth: slot.depth + 1 }), { maxKeys: 3 });
    }
    return record as fc.Arbitrary<Obj>;
  }

  /** Objects the API returned, cut down to the properties this schema has and whose values it accepts. */
  function templatesFor(props: Record<string, Schema>, required: Set<string>): Obj[] {
    const out: Obj[] = [];
    const seen = new Set<string>();
    for (const o of state.objects) {
      const t: Obj = {};
      for (const [k, v] of Object.entries(o)) if (k in props && accepts(props[k]!, v)) t[k] = v;
      const covered = [...required].filter((k) => k in t).length;
      if (Object.keys(t).length < 2 || (required.size > 0 && covered < Math.ceil(required.size / 2))) continue;
      const key = JSON.stringify(t);
      if (!seen.has(key)) {
        seen.add(key);
        out.push(t);
      }
    }
    return out.slice(-40);
  }

  return { arb };
}

/** JSON Schema patterns are ECMA-262 with the u flag; one that JS cannot compile is skipped, not fatal. */
function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    try {
      return new RegExp(pattern);
    } catch {
      return undefined;
    }
  }
}
