import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { $ZodType } from 'zod/v4/core';
import type { ChangedEntity } from './changes.js';
import type { Clock } from './clock.js';
import { jsonSerializer } from './serializer.js';

/** A public representation ready to send: the JSON as the route's serializer writes it, and its ETag. */
export interface PublicBody {
  readonly body: Buffer;
  readonly etag: string;
}

/**
 * What a cacheable read answers: the public body (from the cache, or just stored in it), or a
 * value the route serializes as usual (a viewer who sees more than the public, or no cache).
 */
export type ReadResult<T> = PublicBody | { value: T; etag?: string | undefined };

/** A cached public body and what decides who may be served it. */
export interface CachedBody extends PublicBody {
  /** organizations that see more than this body: the owners of the rows it shows */
  readonly owners: readonly string[];
  /** one row with contact or confidential detail, which an accepted interest discloses */
  readonly disclosable: boolean;
}

interface Entry extends CachedBody {
  readonly key: string;
  readonly entity: ChangedEntity;
  readonly page: boolean;
  /** business time the rows were read at; an entry is never served before it (a clock set back) */
  readonly readAt: number;
  /** the earliest validUntil of the rows read (they leave public views then), capped by the max age */
  readonly expiresAt: number;
  readonly bytes: number;
}

/** Taken before the database read a body is built from; a change announced since refuses the store. */
export interface ReadTicket {
  readonly entity: ChangedEntity;
  readonly generation: number;
}

export interface ReadCacheOptions {
  clock: Clock;
  enabled: boolean;
  maxBytes: number;
  maxAgeMs: number;
  /** compare each serialization with zod's (development and tests), as the routes do */
  verify: boolean;
}

export type Shape = 'one' | 'page';

/** Bookkeeping per entry beyond its body: the Map entry, key, and object. */
const ENTRY_OVERHEAD_BYTES = 256;

/**
 * The public read cache: serialized public bodies of GET one and list pages of achievements and
 * needs, least recently used out beyond `maxBytes`. An entry is served only while
 * - its kind has seen no change since it was read: a change evicts the row's entry and every page
 *   of its kind (pages depend on rows they do not show), in the writing process at commit and in
 *   every process when the NOTIFY arrives (read-cache.listen.ts);
 * - the cache is listening: without the LISTEN connection a change could pass unannounced, so
 *   losing it flushes everything and nothing is stored until it is back;
 * - business time is before the earliest validUntil of the rows it shows (expired rows leave
 *   public views without any write) and within `maxAgeMs` of the read.
 */
export function createReadCache(opts: ReadCacheOptions) {
  const { clock, maxBytes, maxAgeMs } = opts;
  const entries = new Map<string, Entry>();
  /** page keys per kind, so a change drops them without scanning every entry */
  const pages: Record<ChangedEntity, Set<string>> = { achievement: new Set(), need: new Set() };
  const generations: Record<ChangedEntity, number> = { achievement: 0, need: 0 };
  const events = new EventEmitter();
  let bytes = 0;
  let listening = false;
  const counters = { hits: 0, misses: 0, stores: 0, refused: 0 };

  const keyOf = (entity: ChangedEntity, shape: Shape, key: string) => `${entity}${shape === 'one' ? '/' : '?'}${key}`;

  function remove(entry: Entry): void {
    if (entries.get(entry.key) !== entry) return;
    entries.delete(entry.key);
    if (entry.page) pages[entry.entity].delete(entry.key);
    bytes -= entry.bytes;
  }

  function clear(): void {
    entries.clear();
    pages.achievement.clear();
    pages.need.clear();
    bytes = 0;
    generations.achievement++;
    generations.need++;
  }

  return {
    enabled: opts.enabled,
    events,

    /** The serializer of a route whose 200 schema is `schema`, producing the bytes it would send. */
    serializer(schema: $ZodType, name: string): (value: unknown) => Buffer {
      const json = jsonSerializer(schema, { verify: opts.verify, name });
      return (value) => Buffer.from(json(value));
    },

    /** A valid entry, or undefined (also while not listening). */
    get(entity: ChangedEntity, shape: Shape, key: string): CachedBody | undefined {
      if (!listening) return undefined;
      const entry = entries.get(keyOf(entity, shape, key));
      if (entry === undefined) {
        counters.misses++;
        return undefined;
      }
      const now = clock.now().getTime();
      if (now < entry.readAt || now >= entry.expiresAt) {
        remove(entry);
        counters.misses++;
        return undefined;
      }
      // Most recently used last: Map iteration order is the eviction order.
      entries.delete(entry.key);
      entries.set(entry.key, entry);
      counters.hits++;
      return entry;
    },

    /** null when nothing may be stored (cache off, or not listening). */
    ticket(entity: ChangedEntity): ReadTicket | null {
      return listening ? { entity, generation: generations[entity] } : null;
    },

    /**
     * Stores a public body unless a change of its kind (or a flush) came after the ticket, and
     * returns it either way for this request. Page bodies get an ETag from their bytes.
     */
    put(
      ticket: ReadTicket,
      shape: Shape,
      key: string,
      body: Buffer,
      meta: { etag?: string; readAt: Date; validUntil: Date | null; owners: readonly string[]; disclosable: boolean },
    ): PublicBody {
      const etag = meta.etag ?? `"${createHash('sha1').update(body).digest('base64url')}"`;
      const { entity } = ticket;
      const readAt = meta.readAt.getTime();
      const expiresAt = Math.min(meta.validUntil?.getTime() ?? Infinity, readAt + maxAgeMs);
      const fullKey = keyOf(entity, shape, key);
      const size = body.length + fullKey.length * 2 + ENTRY_OVERHEAD_BYTES;
      if (!listening || generations[entity] !== ticket.generation || size > maxBytes || clock.now().getTime() >= expiresAt) {
        counters.refused++;
        return { body, etag };
      }
      const old = entries.get(fullKey);
      if (old) remove(old);
      const entry: Entry = { key: fullKey, entity, page: shape === 'page', body, etag, owners: meta.owners, disclosable: meta.disclosable, readAt, expiresAt, bytes: size };
      entries.set(fullKey, entry);
      if (entry.page) pages[entity].add(fullKey);
      bytes += size;
      counters.stores++;
      for (const oldest of entries.values()) {
        if (bytes <= maxBytes) break;
        remove(oldest);
      }
      return { body, etag };
    },

    /** A row changed: its entry and every page of its kind go, and reads in flight may not store. */
    invalidate(entity: ChangedEntity, id: string, origin: 'commit' | 'notification'): void {
      generations[entity]++;
      const one = entries.get(keyOf(entity, 'one', id));
      if (one) remove(one);
      for (const key of pages[entity]) {
        const page = entries.get(key);
        if (page) remove(page);
      }
      pages[entity].clear();
      events.emit('invalidated', { entity, id, origin });
    },

    /** Everything goes (a notification this process cannot read, for example). */
    flush(reason: string): void {
      clear();
      events.emit('flushed', { reason });
    },

    /**
     * Called by the LISTEN connection: while it is down a change could pass unannounced, so both
     * directions start from empty, and nothing is served or stored until it listens again.
     */
    setListening(on: boolean): void {
      clear();
      listening = on && opts.enabled;
      events.emit(on ? 'listening' : 'flushed', { reason: on ? 'listening' : 'LISTEN connection lost' });
    },

    get listening(): boolean {
      return listening;
    },

    stats() {
      return { entries: entries.size, bytes, maxBytes, ...counters };
    },
  };
}

export type ReadCache = ReturnType<typeof createReadCache>;

/**
 * The key of a list page: the validated query (defaults applied) with its keys sorted, so the
 * same page asked in another parameter order or with explicit defaults is one entry.
 */
export function pageKey(query: object): string {
  const q = query as Record<string, unknown>;
  let key = '';
  for (const k of Object.keys(q).sort()) {
    const v = q[k];
    if (v === undefined) continue;
    key += `${key ? '&' : ''}${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`;
  }
  return key;
}

/** RFC 9110 If-None-Match (weak comparison): `*`, or any listed tag equal to ours. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const ours = etag.startsWith('W/') ? etag.slice(2) : etag;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return (tag.startsWith('W/') ? tag.slice(2) : tag) === ours;
  });
}
