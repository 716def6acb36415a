import { collectionOf, type Operation } from './spec.js';

export type ActorKind = 'university' | 'institute' | 'enterprise' | 'broker' | 'admin';
export interface FuzzActor {
  key: string;
  kind: ActorKind;
  userId: string;
  organizationId: string;
  authorization: string;
}

const MAX_VALUES = 40;
const MAX_VALUE_LENGTH = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** achievement → achievements, registry → registries, process → process */
export function plural(word: string): string {
  const w = word.charAt(0).toLowerCase() + word.slice(1);
  if (w.endsWith('s')) return w;
  if (/[^aeiou]y$/.test(w)) return `${w.slice(0, -1)}ies`;
  return `${w}s`;
}

/**
 * What the fuzzer knows about the API's data: the signed-in actors, ids of real rows per
 * collection (with the actor that owns them when known), and values the API returned per
 * property name. It is fed from factory-made rows and from every 2xx response.
 */
export class FuzzState {
  readonly actors = new Map<string, FuzzActor>();
  private readonly pools = new Map<string, Map<string, string | undefined>>();
  private readonly values = new Map<string, unknown[]>();
  private readonly ownerOfOrg = new Map<string, string>();

  private keys = 0;

  /** A new Idempotency-Key each call. */
  freshKey(): string {
    this.keys += 1;
    return `fuzz-${process.pid}-${this.keys}`;
  }

  addActor(a: FuzzActor): void {
    this.actors.set(a.key, a);
    this.ownerOfOrg.set(a.organizationId, a.key);
    this.addId('organizations', a.organizationId, a.key);
    this.addId('users', a.userId, a.key);
  }

  addId(collection: string, id: string, owner?: string): void {
    let pool = this.pools.get(collection);
    if (!pool) this.pools.set(collection, (pool = new Map()));
    if (!pool.has(id) || (owner && !pool.get(id))) pool.set(id, owner);
    if (pool.size > 400) pool.delete(pool.keys().next().value!);
  }

  ids(collection: string | undefined): string[] {
    return collection ? [...(this.pools.get(collection)?.keys() ?? [])] : [];
  }

  /** Ids fitting a property name: `rid` under registrations, `buyerOrganizationId` → organizations, `id` → any. */
  idsForName(name: string | undefined, collection?: string): string[] {
    const fromCollection = this.ids(collection);
    if (fromCollection.length > 0) return fromCollection;
    const m = name ? /([A-Z]?[a-z]+)Id$/.exec(name) : null;
    if (m) {
      const own = this.ids(plural(m[1]!));
      if (own.length > 0) return own;
    }
    return [...this.pools.values()].flatMap((p) => [...p.keys()]).slice(-300);
  }

  ownerOf(id: string): string | undefined {
    for (const pool of this.pools.values()) {
      const owner = pool.get(id);
      if (owner) return owner;
    }
    return undefined;
  }

  /**
   * Whole objects the API returned (rows, items), a few per shape (set of keys), so a long list of
   * one kind (the field tree) cannot crowd out the rest: templates for request bodies.
   */
  private readonly shapes = new Map<string, Record<string, unknown>[]>();

  get objects(): Record<string, unknown>[] {
    return [...this.shapes.values()].flat();
  }

  private rememberObject(obj: Record<string, unknown>): void {
    const keys = Object.keys(obj);
    if (keys.length < 3) return;
    const shape = keys.sort().join(',');
    let list = this.shapes.get(shape);
    if (!list) {
      if (this.shapes.size >= 200) return;
      this.shapes.set(shape, (list = []));
    }
    list.push(obj);
    if (list.length > 6) list.shift();
  }

  seenValues(name: string): unknown[] {
    return this.values.get(name) ?? [];
  }

  private remember(name: string, value: unknown): void {
    if (typeof value === 'string' && (value.length === 0 || value.length > MAX_VALUE_LENGTH)) return;
    let list = this.values.get(name);
    if (!list) this.values.set(name, (list = []));
    if (list.includes(value)) return;
    list.push(value);
    if (list.length > MAX_VALUES) list.shift();
  }

  /**
   * Learns from a 2xx JSON body of `op` called by `actorKey`: property values by name, and ids by
   * collection (the path says which: …/{id} → the segment before it; a created row → the last segment).
   */
  harvest(op: Operation, status: number, body: unknown, actorKey: string | undefined): void {
    const parts = op.path.split('/').filter(Boolean);
    const last = parts[parts.length - 1] ?? '';
    const lastParam = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).pop();
    const itemCollection = !last.startsWith('{') && (op.method === 'GET' || status === 201) ? last : lastParam ? collectionOf(op.path, lastParam) : last;

    const visit = (value: unknown, collection: string | undefined, created: boolean, depth: number): void => {
      if (depth > 8 || value === null || typeof value !== 'object') return;
      if (Array.isArray(value)) {
        for (const v of value.slice(0, 50)) visit(v, collection, created, depth + 1);
        return;
      }
      const obj = value as Record<string, unknown>;
      const owner = this.ownerFromRow(obj) ?? (created ? actorKey : undefined);
      if (typeof obj.id === 'string' && UUID.test(obj.id) && collection) this.addId(collection, obj.id, owner);
      if (depth <= 2) this.rememberObject(obj);
      for (const [k, v] of Object.entries(obj)) {
        if (v === null) continue;
        // A cursor is only good for the operation that issued it.
        if (k === 'nextCursor') this.remember(`cursor@${op.id}`, v);
        if (typeof v !== 'object') {
          this.remember(k, v);
          const ref = /([A-Z]?[a-z]+)Id$/.exec(k);
          if (ref && typeof v === 'string' && UUID.test(v)) this.addId(plural(ref[1]!), v);
        } else if (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null)) {
          for (const x of v) this.remember(k, x);
        } else {
          visit(v, k === 'items' ? collection : Array.isArray(v) ? k : plural(k), false, depth + 1);
        }
      }
    };
    visit(body, itemCollection, status === 201, 0);
  }

  private ownerFromRow(obj: Record<string, unknown>): string | undefined {
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v === 'string' && /^(organizationId|\w+OrganizationId)$/.test(k)) {
        const owner = this.ownerOfOrg.get(v);
        if (owner) return owner;
      }
    }
    return undefined;
  }
}
