import type { Database } from '../../src/db/client.js';
import { systemClock } from '../../src/lib/clock.js';
import { auditRepo } from '../../src/modules/audit/audit.repo.js';
import { createAuditService } from '../../src/modules/audit/audit.service.js';
import { findListingAccess } from '../../src/modules/audit/listing-access.js';
import { extendedEnd } from '../../src/modules/listings/listings.rules.js';

/**
 * The invariants of one auction's bids, checked from what the database holds and from what the
 * bidders were told. Shared by the race harness (tests/support/bid-race.ts), the crash test and
 * the bid bench, so "0 violations" means the same everywhere. No test framework in here: callers
 * decide what a violation means for them.
 */

/** One answer a bidder received. Every send of one attempt carries the same Idempotency-Key and body. */
export interface BidAnswer {
  key: string;
  listingId: string;
  userId: string;
  organizationId: string;
  amountFen: number;
  /** HTTP status; 0 when no answer came (transport failure, process killed) */
  status: number;
  /** the problem code of a refusal */
  code: string | null;
  bidId: string | null;
  placedAt: string | null;
  auctionEndsAt: string | null;
  /** business time when the answer arrived, when the caller controls the clock */
  answeredAt: Date | null;
}

export type ViolationKind =
  | 'lost' // an acknowledged bid is not in the database, or differs from its acknowledgment
  | 'duplicated' // one attempt produced two bids, or a bid is answered by two idempotency records
  | 'unacknowledged' // a bid nobody was told about (only possible when every answer was received)
  | 'sequence' // seq not 1..n, or seq order disagrees with placement time
  | 'below_ask' // first bid under the start, a raise that is not a positive whole multiple of the increment
  | 'after_close' // a bid at or after the end in effect, or after the close
  | 'extension' // anti-sniping end or count differs from what the bids imply
  | 'final_price' // the auction row's price, count or leader differ from the bids
  | 'winner' // the outcome differs from "highest bid wins iff it meets the reserve"
  | 'eligibility' // a bid from a registration that may not bid
  | 'audit' // a bid without exactly one audit entry, or a broken chain
  | 'feed' // a bid or an extension without exactly one live event
  | 'idempotency' // an answer without its stored record, or answers of one key that disagree
  | 'unexpected_answer' // a status or code that this workload cannot legitimately produce
  | 'wrong_refusal'; // a refusal the final state proves wrong

export interface Violation {
  kind: ViolationKind;
  listingId: string;
  detail: string;
}

export interface AuctionCheck {
  listingId: string;
  violations: Violation[];
  bids: number;
  highestFen: number | null;
  extensions: number;
  /** the listing's status after the run */
  status: string;
}

export interface CheckOptions {
  /** the answers of this listing's bids (all sends, retries included) */
  answers?: BidAnswer[] | undefined;
  /** every bid that committed was answered (false when a process died with answers in flight) */
  allAnswered?: boolean;
  /** every bid was sent with an Idempotency-Key, so each bid has exactly one stored record */
  everyBidHasKey?: boolean;
  /** the auction must have been closed (sold or unsold); otherwise it must still be open */
  expectClosed: boolean;
  /** refusal codes the workload produces on purpose */
  allowedRefusals?: readonly string[];
}

export const RACE_REFUSALS = ['BID_TOO_LOW', 'AUCTION_CLOSED', 'IDEMPOTENCY_IN_FLIGHT', 'BID_NOT_MULTIPLE_OF_INCREMENT'] as const;

interface AuctionRow {
  status: string;
  starts_at: Date;
  ends_at: Date;
  start_price_fen: number;
  increment_fen: number;
  reserve_price_fen: number | null;
  extension_window_seconds: number;
  extension_seconds: number;
  current_price_fen: number | null;
  bid_count: number;
  extensions: number;
  leading_bid_id: string | null;
  leading_registration_id: string | null;
  leading_paddle: number | null;
  closed_at: Date | null;
}

interface BidRow {
  id: string;
  seq: number;
  amount_fen: number;
  paddle: number;
  registration_id: string;
  organization_id: string;
  placed_at: Date;
}

const iso = (d: Date) => d.toISOString();

/** Checks one auction; see ViolationKind for what is checked. */
export async function checkAuctionInvariants(database: Pick<Database, 'pool' | 'db'>, listingId: string, opts: CheckOptions): Promise<AuctionCheck> {
  const { pool } = database;
  const violations: Violation[] = [];
  const fail = (kind: ViolationKind, detail: string) => violations.push({ kind, listingId, detail });
  const allowed = new Set(opts.allowedRefusals ?? RACE_REFUSALS);

  const listing = (
    await pool.query<{ status: string; auction_duration_minutes: number; outcome_price_fen: number | null; winner_registration_id: string | null; winner_paddle: number | null; closed_at: Date | null }>(
      'select status, auction_duration_minutes, outcome_price_fen, winner_registration_id, winner_paddle, closed_at from listings where id = $1',
      [listingId],
    )
  ).rows[0];
  const auction = (await pool.query<AuctionRow>('select * from auctions where listing_id = $1', [listingId])).rows[0];
  if (!listing || !auction) {
    fail('final_price', 'no such listing or no auction');
    return { listingId, violations, bids: 0, highestFen: null, extensions: 0, status: listing?.status ?? 'missing' };
  }
  const bids = (
    await pool.query<BidRow>('select id, seq, amount_fen, paddle, registration_id, organization_id, placed_at from bids where listing_id = $1 order by seq', [listingId])
  ).rows;
  const registrations = new Map(
    (
      await pool.query<{ id: string; paddle: number; organization_id: string; status: string; deposit_fen: number; deposit_status: string }>(
        'select id, paddle, organization_id, status, deposit_fen, deposit_status from listing_registrations where listing_id = $1',
        [listingId],
      )
    ).rows.map((r) => [r.id, r]),
  );
  const audit = (await pool.query<{ seq: number; action: string; data: Record<string, unknown> }>('select seq, action, data from audit_entries where listing_id = $1 order by seq', [listingId]))
    .rows;
  const events = (await pool.query<{ type: string; data: Record<string, unknown> }>('select type, data from listing_events where listing_id = $1 order by id', [listingId])).rows;
  const records = (
    await pool.query<{ user_id: string; key: string; response_status: number; response_body: Record<string, unknown> | null }>(
      'select user_id, key, response_status, response_body from idempotency_keys where scope = $1',
      [`POST /v1/listings/${listingId}/bids`],
    )
  ).rows;

  const byId = new Map(bids.map((b) => [b.id, b]));
  const answers = opts.answers ?? [];

  // ── the bids themselves: sequence, the ask, the end in effect, anti-sniping ──
  const start = auction.start_price_fen;
  const inc = auction.increment_fen;
  let end = new Date(auction.starts_at.getTime() + listing.auction_duration_minutes * 60_000);
  let extensions = 0;
  const extendingBids = new Set<string>();
  const endAfter = new Map<string, { end: Date; previous: Date | null }>();
  bids.forEach((b, i) => {
    if (b.seq !== i + 1) fail('sequence', `bid ${b.id} has seq ${b.seq} at position ${i + 1}`);
    const prev = bids[i - 1];
    if (prev && b.placed_at < prev.placed_at) fail('sequence', `bid seq ${b.seq} placed at ${iso(b.placed_at)}, before seq ${prev.seq} (${iso(prev.placed_at)})`);
    if (!prev) {
      if (b.amount_fen < start || (b.amount_fen - start) % inc !== 0) fail('below_ask', `first bid ${b.amount_fen} is not start ${start} + k × ${inc}`);
    } else {
      const raise = b.amount_fen - prev.amount_fen;
      if (raise < inc || raise % inc !== 0) fail('below_ask', `bid seq ${b.seq} (${b.amount_fen}) raises ${prev.amount_fen} by ${raise}, not a positive multiple of ${inc}`);
    }
    if (b.placed_at.getTime() < auction.starts_at.getTime()) fail('after_close', `bid seq ${b.seq} placed before the auction started`);
    if (b.placed_at.getTime() >= end.getTime()) fail('after_close', `bid seq ${b.seq} placed at ${iso(b.placed_at)}, at or after the end in effect ${iso(end)}`);
    const next = extendedEnd(end, b.placed_at, auction.extension_window_seconds, auction.extension_seconds);
    const extended = next.getTime() !== end.getTime();
    if (extended) {
      extensions++;
      extendingBids.add(b.id);
    }
    endAfter.set(b.id, { end: next, previous: extended ? end : null });
    end = next;
    const reg = registrations.get(b.registration_id);
    if (!reg || reg.organization_id !== b.organization_id || reg.paddle !== b.paddle || reg.status !== 'qualified' || (reg.deposit_fen > 0 && reg.deposit_status === 'unpaid')) {
      fail('eligibility', `bid seq ${b.seq} from registration ${b.registration_id}, which may not bid`);
    }
  });
  if (auction.ends_at.getTime() !== end.getTime()) fail('extension', `auction ends at ${iso(auction.ends_at)}; its bids imply ${iso(end)}`);
  if (auction.extensions !== extensions) fail('extension', `auction records ${auction.extensions} extensions; its bids imply ${extensions}`);

  // ── the auction row against its bids ──
  const top = bids.reduce<BidRow | undefined>((best, b) => (!best || b.amount_fen > best.amount_fen ? b : best), undefined);
  if (auction.bid_count !== bids.length) fail('final_price', `bid_count ${auction.bid_count}, ${bids.length} bids`);
  if ((auction.current_price_fen ?? null) !== (top?.amount_fen ?? null)) fail('final_price', `current price ${auction.current_price_fen}, highest bid ${top?.amount_fen ?? null}`);
  if ((auction.leading_bid_id ?? null) !== (top?.id ?? null) || (auction.leading_registration_id ?? null) !== (top?.registration_id ?? null) || (auction.leading_paddle ?? null) !== (top?.paddle ?? null)) {
    fail('final_price', `leader ${auction.leading_bid_id}/${auction.leading_paddle}, highest bid ${top?.id ?? null}/${top?.paddle ?? null}`);
  }

  // ── the close and the outcome ──
  if (opts.expectClosed) {
    if (auction.status !== 'closed' || !auction.closed_at) fail('after_close', `auction is ${auction.status}, expected closed`);
    else {
      if (auction.closed_at.getTime() !== auction.ends_at.getTime()) fail('after_close', `closed at ${iso(auction.closed_at)}, ends at ${iso(auction.ends_at)}`);
      for (const b of bids) if (b.placed_at.getTime() >= auction.closed_at.getTime()) fail('after_close', `bid seq ${b.seq} placed at ${iso(b.placed_at)}, not before the close`);
    }
    const closes = audit.filter((e) => e.action === 'auction.closed');
    if (closes.length !== 1) fail('after_close', `${closes.length} auction.closed entries`);
    const closedData = closes[0]?.data as { bidCount?: number; highestBid?: { amount: number } | null } | undefined;
    if (closedData && (closedData.bidCount !== bids.length || (closedData.highestBid?.amount ?? null) !== (top?.amount_fen ?? null))) {
      fail('after_close', `the close counted ${closedData.bidCount} bids (highest ${closedData.highestBid?.amount ?? null}); ${bids.length} bids exist (highest ${top?.amount_fen ?? null})`);
    }
    const reserveMet = top !== undefined && (auction.reserve_price_fen === null || top.amount_fen >= auction.reserve_price_fen);
    const expected = reserveMet ? 'sold' : 'unsold';
    if (listing.status !== expected) fail('winner', `listing is ${listing.status}; highest bid ${top?.amount_fen ?? null} vs reserve ${auction.reserve_price_fen} means ${expected}`);
    if (reserveMet && (listing.outcome_price_fen !== top.amount_fen || listing.winner_registration_id !== top.registration_id || listing.winner_paddle !== top.paddle)) {
      fail('winner', `sold at ${listing.outcome_price_fen} to ${listing.winner_paddle}; the highest bid is ${top.amount_fen} by ${top.paddle}`);
    }
    if (!reserveMet && (listing.outcome_price_fen !== null || listing.winner_registration_id !== null)) fail('winner', 'unsold listing has a winner');
    // The winner's deposit becomes the down payment; every other one is refunded at the close.
    const held = [...registrations.values()].filter((r) => r.deposit_status === 'paid');
    const heldOk = reserveMet ? held.length === 1 && held[0]!.id === top.registration_id : held.length === 0;
    if (!heldOk) fail('winner', `${held.length} deposits still paid after the close (paddles ${held.map((r) => r.paddle).join(', ')})`);
  } else if (auction.status !== 'open') fail('after_close', `auction is ${auction.status}, expected open`);

  // ── one audit entry and one feed event per bid, one feed event per extension ──
  const bidEntries = audit.filter((e) => e.action === 'bid.placed');
  const entriesByBid = new Map<string, typeof bidEntries>();
  for (const e of bidEntries) {
    const id = String(e.data.id);
    entriesByBid.set(id, [...(entriesByBid.get(id) ?? []), e]);
    if (!byId.has(id)) fail('audit', `audit entry ${e.seq} records bid ${id}, which does not exist`);
  }
  for (const b of bids) {
    const entries = entriesByBid.get(b.id) ?? [];
    if (entries.length !== 1) {
      fail('audit', `bid seq ${b.seq} has ${entries.length} audit entries`);
      continue;
    }
    const d = entries[0]!.data as { seq?: number; amount?: { amount: number }; auctionEndsAt?: string; previousEndsAt?: string | null };
    const after = endAfter.get(b.id)!;
    if (d.seq !== b.seq || d.amount?.amount !== b.amount_fen) fail('audit', `bid seq ${b.seq}: audit says seq ${d.seq}, amount ${d.amount?.amount}`);
    if (d.auctionEndsAt !== iso(after.end) || (d.previousEndsAt ?? null) !== (after.previous ? iso(after.previous) : null)) {
      fail('extension', `bid seq ${b.seq}: audit says the end moved ${d.previousEndsAt ?? '–'} → ${d.auctionEndsAt}; expected ${after.previous ? iso(after.previous) : '–'} → ${iso(after.end)}`);
    }
  }
  const chain = await createAuditService({ db: database.db, repo: auditRepo, clock: systemClock, listingAccess: findListingAccess }).verifyChain(listingId);
  if (!chain.valid) fail('audit', `audit chain broken at seq ${chain.firstBrokenSeq} (${chain.problem})`);

  const bidEvents = new Map<string, number>();
  for (const e of events.filter((x) => x.type === 'bid')) bidEvents.set(String(e.data.id), (bidEvents.get(String(e.data.id)) ?? 0) + 1);
  for (const b of bids) if (bidEvents.get(b.id) !== 1) fail('feed', `bid seq ${b.seq} has ${bidEvents.get(b.id) ?? 0} bid events`);
  if ([...bidEvents.keys()].some((id) => !byId.has(id))) fail('feed', 'a bid event names a bid that does not exist');
  const extendedEvents = events.filter((x) => x.type === 'extended').map((x) => String(x.data.byBidId));
  if (extendedEvents.length !== extendingBids.size || extendedEvents.some((id) => !extendingBids.has(id))) {
    fail('feed', `${extendedEvents.length} extended events; ${extendingBids.size} bids extended the end`);
  }

  // ── idempotency records ──
  const recordOf = new Map(records.map((r) => [`${r.user_id}\n${r.key}`, r]));
  const recordsPerBid = new Map<string, number>();
  for (const r of records) {
    if (r.response_status !== 201) continue;
    const id = String(r.response_body?.id);
    recordsPerBid.set(id, (recordsPerBid.get(id) ?? 0) + 1);
    if (!byId.has(id)) fail('lost', `idempotency record ${r.key} answers bid ${id}, which does not exist`);
  }
  for (const b of bids) {
    const n = recordsPerBid.get(b.id) ?? 0;
    if (n > 1) fail('duplicated', `bid seq ${b.seq} is the answer of ${n} idempotency keys`);
    if (n === 0 && opts.everyBidHasKey) fail('idempotency', `bid seq ${b.seq} has no idempotency record`);
  }

  // ── the answers against the database ──
  const attempts = new Map<string, BidAnswer[]>();
  for (const a of answers) attempts.set(`${a.userId}\n${a.key}`, [...(attempts.get(`${a.userId}\n${a.key}`) ?? []), a]);
  const acknowledged = new Set<string>();
  const finalMinimum = top ? top.amount_fen + inc : start;
  for (const [attemptKey, sends] of attempts) {
    const created = sends.filter((a) => a.status === 201);
    const ids = new Set(created.map((a) => a.bidId));
    if (ids.size > 1) fail('duplicated', `attempt ${sends[0]!.key} was acknowledged as ${ids.size} different bids`);
    const decided = sends.filter((a) => a.status !== 0 && a.code !== 'IDEMPOTENCY_IN_FLIGHT');
    const outcomes = new Set(decided.map((a) => `${a.status} ${a.code ?? ''}`));
    if (outcomes.size > 1) fail('idempotency', `attempt ${sends[0]!.key} got different answers: ${[...outcomes].join(' / ')}`);
    const record = recordOf.get(attemptKey);
    const firstDecided = decided[0];
    if (firstDecided && firstDecided.status !== 500 && (!record || record.response_status !== firstDecided.status || (firstDecided.code !== null && record.response_body?.code !== firstDecided.code))) {
      fail('idempotency', `attempt ${sends[0]!.key} answered ${firstDecided.status} ${firstDecided.code ?? ''} without a matching stored record`);
    }
    for (const a of sends) {
      if (a.status === 201) {
        acknowledged.add(a.bidId!);
        const row = byId.get(a.bidId!);
        if (!row) fail('lost', `acknowledged bid ${a.bidId} (${a.amountFen}) is not in the database`);
        else if (row.amount_fen !== a.amountFen || row.organization_id !== a.organizationId || (a.placedAt !== null && iso(row.placed_at) !== a.placedAt)) {
          fail('lost', `acknowledged bid ${a.bidId} differs from its row (${row.amount_fen} by ${row.organization_id} at ${iso(row.placed_at)})`);
        } else if (a.auctionEndsAt !== null && a.auctionEndsAt !== iso(endAfter.get(row.id)!.end)) {
          fail('extension', `bid seq ${row.seq} was told the auction ends at ${a.auctionEndsAt}; its bids imply ${iso(endAfter.get(row.id)!.end)}`);
        }
      } else if (a.status === 0) {
        continue;
      } else if (a.status >= 500 || !a.code || !allowed.has(a.code)) {
        fail('unexpected_answer', `attempt ${a.key} (${a.amountFen}) answered ${a.status} ${a.code ?? ''}`);
      } else if (a.code === 'AUCTION_CLOSED' && a.answeredAt && opts.expectClosed && auction.closed_at && a.answeredAt < auction.closed_at) {
        // Once a bid is refused for the end, no later bid can move the end: the close is at or before that moment.
        fail('wrong_refusal', `attempt ${a.key} refused AUCTION_CLOSED at ${iso(a.answeredAt)}; the auction closed at ${iso(auction.closed_at)}`);
      } else if (a.code === 'BID_TOO_LOW' && a.amountFen >= finalMinimum && (a.amountFen - start) % inc === 0) {
        fail('wrong_refusal', `attempt ${a.key} (${a.amountFen}) refused BID_TOO_LOW; it beats every accepted bid (highest ${top?.amount_fen ?? 'none'})`);
      }
    }
  }
  if (opts.answers && opts.allAnswered !== false) {
    for (const b of bids) if (!acknowledged.has(b.id)) fail('unacknowledged', `bid seq ${b.seq} (${b.amount_fen}) was never acknowledged`);
  }

  return { listingId, violations, bids: bids.length, highestFen: top?.amount_fen ?? null, extensions, status: listing.status };
}

/** Violations by kind, for a one-line summary. */
export function countByKind(violations: readonly Violation[]): Partial<Record<ViolationKind, number>> {
  const out: Partial<Record<ViolationKind, number>> = {};
  for (const v of violations) out[v.kind] = (out[v.kind] ?? 0) + 1;
  return out;
}
