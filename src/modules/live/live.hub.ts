import type pg from 'pg';
import type { Db } from '../../db/client.js';
import { LISTING_EVENTS_CHANNEL, type ListingEventRow, type LiveRepo } from './live.repo.js';

/** A local consumer of one listing's events (an SSE response). */
export interface Subscriber {
  /** called in id order, each event once */
  deliver(event: ListingEventRow): void;
  /** the hub is done with this subscriber (server closing, feed lost): end the response */
  end(): void;
}

export interface Subscription {
  /** stop delivering; idempotent */
  close(): void;
}

export interface HubDeps {
  db: Db;
  repo: Pick<LiveRepo, 'after' | 'lastId'>;
  /** a new, unconnected client for the dedicated LISTEN connection (never a pooled one) */
  connect: () => pg.Client;
  /** where connection and read failures are reported (the app's logger once the routes are registered) */
  onError?: (err: unknown, msg: string) => void;
  /** first wait before re-establishing a lost LISTEN connection; doubles up to 30 s */
  reconnectDelayMs?: number;
}

interface Member {
  subscriber: Subscriber;
  /** events at or below this id are not delivered (the client has them) */
  afterId: number;
  /** live events held back while the replay of older ones is still being written */
  buffer: ListingEventRow[] | null;
}

interface Channel {
  listingId: string;
  ready: Promise<void>;
  /** highest id fetched and handed to every member */
  lastId: number;
  members: Set<Member>;
  /** joins waiting for `ready`: the channel must not be dropped under them */
  joining: number;
  dirty: boolean;
  draining: boolean;
}

const BATCH = 500;

/**
 * One LISTEN connection per process fanning the listing_events notifications out to local
 * subscribers. A notification only says "listing L has event N"; the channel then reads every
 * event of L with id > lastId from the table, so a lost or coalesced notification costs latency,
 * never an event. Within a listing ids follow commit order (publishers hold the listing's
 * journal lock until commit), which is what makes "id > lastId" gap-free.
 *
 * Joining is gap-free too: a new member's snapshot is the channel's lastId at the moment it is
 * added (no await in between), events up to it come from the replay, later ones from the channel.
 */
export function createListingEventsHub(deps: HubDeps) {
  const { db, repo } = deps;
  let onError = deps.onError ?? (() => {});
  const baseDelay = deps.reconnectDelayMs ?? 500;
  const channels = new Map<string, Channel>();
  let client: pg.Client | null = null;
  let listening: Promise<void> | null = null;
  let closed = false;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let delay = baseDelay;

  function ensureListening(): Promise<void> {
    if (closed) return Promise.reject(new Error('the live feed is closed'));
    if (listening) return listening;
    const c = deps.connect();
    // pg emits 'error' on a dead connection; without a listener that would crash the process.
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c, undefined));
    c.on('notification', (msg) => {
      if (msg.channel === LISTING_EVENTS_CHANNEL && msg.payload) onNotification(msg.payload);
    });
    const attempt = (async () => {
      await c.connect();
      await c.query(`LISTEN ${LISTING_EVENTS_CHANNEL}`);
      if (closed) {
        await c.end();
        throw new Error('the live feed is closed');
      }
      client = c;
      delay = baseDelay;
      // After a reconnection, notifications sent while we were away are gone: catch every channel up.
      for (const ch of channels.values()) poke(ch);
    })();
    listening = attempt;
    attempt.catch((err) => {
      if (listening === attempt) listening = null;
      c.end().catch(() => undefined);
      if (!closed) onError(err, 'live feed: LISTEN connection failed');
      scheduleReconnect();
    });
    return attempt;
  }

  function lost(c: pg.Client, err: unknown): void {
    if (client !== c) return;
    client = null;
    listening = null;
    if (closed) return;
    onError(err ?? new Error('connection ended'), 'live feed: LISTEN connection lost; reconnecting');
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (closed || reconnectTimer || channels.size === 0) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      ensureListening().catch(() => undefined);
    }, delay);
    reconnectTimer.unref();
    delay = Math.min(delay * 2, 30_000);
  }

  function onNotification(payload: string): void {
    let note: { listingId?: unknown; id?: unknown };
    try {
      note = JSON.parse(payload) as typeof note;
    } catch {
      return;
    }
    if (typeof note.listingId !== 'string') return;
    const ch = channels.get(note.listingId);
    if (!ch || (typeof note.id === 'number' && note.id <= ch.lastId)) return;
    poke(ch);
  }

  function poke(ch: Channel): void {
    ch.dirty = true;
    if (!ch.draining) void drain(ch);
  }

  async function drain(ch: Channel): Promise<void> {
    ch.draining = true;
    try {
      await ch.ready;
      while (ch.dirty) {
        ch.dirty = false;
        for (;;) {
          const rows = await repo.after(db, ch.listingId, ch.lastId, BATCH);
          for (const row of rows) {
            ch.lastId = row.id;
            for (const m of ch.members) hand(m, row);
          }
          if (rows.length < BATCH) break;
        }
      }
    } catch (err) {
      // The members' clients reconnect with Last-Event-ID and resume from the table.
      onError(err, 'live feed: reading events failed; ending the listing’s streams');
      endChannel(ch);
    } finally {
      ch.draining = false;
    }
  }

  function hand(m: Member, row: ListingEventRow): void {
    if (row.id <= m.afterId) return;
    if (m.buffer) m.buffer.push(row);
    else m.subscriber.deliver(row);
  }

  function endChannel(ch: Channel): void {
    for (const m of ch.members) m.subscriber.end();
    ch.members.clear();
    if (channels.get(ch.listingId) === ch && ch.joining === 0) channels.delete(ch.listingId);
  }

  function endAll(): number {
    let n = 0;
    for (const ch of [...channels.values()]) {
      n += ch.members.size;
      endChannel(ch);
    }
    return n;
  }

  function channelFor(listingId: string): Channel {
    let ch = channels.get(listingId);
    if (!ch) {
      const created: Channel = { listingId, ready: Promise.resolve(), lastId: 0, members: new Set(), joining: 0, dirty: false, draining: false };
      created.ready = repo.lastId(db, listingId).then((id) => {
        created.lastId = Math.max(created.lastId, id);
      });
      created.ready.catch((err) => {
        onError(err, 'live feed: reading the listing’s last event failed');
        if (channels.get(listingId) === created) channels.delete(listingId);
      });
      channels.set(listingId, created);
      ch = created;
    }
    return ch;
  }

  function leave(ch: Channel, m: Member): void {
    ch.members.delete(m);
    if (ch.members.size === 0 && ch.joining === 0 && channels.get(ch.listingId) === ch) channels.delete(ch.listingId);
  }

  async function replay(ch: Channel, m: Member, from: number, upTo: number): Promise<void> {
    try {
      for (let after = from; after < upTo; ) {
        const rows = await repo.after(db, ch.listingId, after, BATCH);
        for (const row of rows) {
          if (row.id > upTo) break;
          if (m.buffer === null) return; // left meanwhile
          m.subscriber.deliver(row);
        }
        if (rows.length < BATCH) break;
        after = rows[rows.length - 1]!.id;
      }
      const held = m.buffer ?? [];
      m.buffer = null;
      for (const row of held) m.subscriber.deliver(row);
    } catch (err) {
      onError(err, 'live feed: replay failed; ending the stream');
      m.buffer = null;
      leave(ch, m);
      m.subscriber.end();
    }
  }

  return {
    /**
     * Starts delivering listing `listingId`'s events to `subscriber`: those with id > lastEventId
     * first (from the table) when lastEventId is given, then every new one as it commits.
     * Rejects when the database cannot be reached.
     */
    async subscribe(listingId: string, lastEventId: number | null, subscriber: Subscriber): Promise<Subscription> {
      await ensureListening();
      const ch = channelFor(listingId);
      ch.joining++;
      try {
        await ch.ready;
      } finally {
        ch.joining--;
      }
      if (closed) throw new Error('the live feed is closed');
      // From here to members.add nothing awaits: lastId is exactly what the other members have had.
      const snapshot = ch.lastId;
      const m: Member = { subscriber, afterId: Math.max(snapshot, lastEventId ?? snapshot), buffer: null };
      if (lastEventId !== null && lastEventId < snapshot) {
        m.buffer = [];
        m.afterId = snapshot;
      }
      ch.members.add(m);
      if (m.buffer) void replay(ch, m, lastEventId!, snapshot);
      let left = false;
      return {
        close: () => {
          if (left) return;
          left = true;
          m.buffer = null;
          leave(ch, m);
        },
      };
    },

    /** Ends every local stream (graceful shutdown); returns how many there were. */
    endAll,

    reportErrorsTo(report: (err: unknown, msg: string) => void): void {
      onError = report;
    },

    /** Ends every stream and the LISTEN connection; later subscribes are refused. */
    async close(): Promise<void> {
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = null;
      endAll();
      channels.clear();
      const c = client;
      client = null;
      listening = null;
      await c?.end().catch(() => undefined);
    },

    stats(): { listening: boolean; channels: number; subscribers: number } {
      let subscribers = 0;
      for (const ch of channels.values()) subscribers += ch.members.size;
      return { listening: client !== null, channels: channels.size, subscribers };
    },
  };
}

export type ListingEventsHub = ReturnType<typeof createListingEventsHub>;
