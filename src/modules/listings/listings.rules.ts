import type { FieldError } from '../../lib/errors.js';
import { localDateOf, type LocalDate } from '../catalog/calendar.days.js';
import type { ListingMode } from './listings.tables.js';

/** Trading rules and their bounds (DESIGN §5; DOMAIN 挂牌 and 竞价 practice). */
export const NOTICE_DAYS = { default: 20, min: 5, max: 60 } as const;
/** With no qualified buyer the notice is extended in 5-working-day cycles (one exchange allows up to 24). */
export const EXTENSION_WORKING_DAYS = 5;
export const MAX_NOTICE_EXTENSIONS_BOUND = 24;
export const AUCTION_DEFAULTS = { durationMinutes: 60, extensionWindowSeconds: 300, extensionSeconds: 300 } as const;
export const AUCTION_BOUNDS = {
  durationMinutes: { min: 5, max: 7 * 24 * 60 },
  extensionWindowSeconds: { min: 0, max: 3600 },
  extensionSeconds: { min: 30, max: 3600 },
} as const;

export interface TermsInput {
  mode: ListingMode;
  askingPrice: number;
  startPrice?: number | undefined;
  increment?: number | undefined;
  reservePrice?: number | null | undefined;
  deposit: number;
}

export interface EffectiveTerms {
  askingPriceFen: number;
  startPriceFen: number;
  incrementFen: number;
  reservePriceFen: number | null;
  depositFen: number;
}

/**
 * In fixed mode the auction that ≥ 2 buyers trigger starts at the asking price with no reserve,
 * and the increment defaults to 1 % of it rounded up to whole yuan (at least ¥1).
 */
export const defaultIncrement = (askingFen: number): number => Math.max(100, Math.ceil(askingFen / 100 / 100) * 100);

/** The effective terms of a listing, or the field errors that prevent them. */
export function resolveTerms(input: TermsInput): { terms: EffectiveTerms } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (input.askingPrice <= 0) errors.push({ path: 'askingPrice.amount', message: 'must be positive' });
  if (input.mode === 'auction') {
    if (input.startPrice === undefined) errors.push({ path: 'startPrice', message: 'required for an auction listing (起始价)' });
    else if (input.startPrice <= 0) errors.push({ path: 'startPrice.amount', message: 'must be positive' });
    if (input.increment === undefined) errors.push({ path: 'increment', message: 'required for an auction listing (加价幅度)' });
    if (input.reservePrice != null && input.startPrice !== undefined && input.reservePrice < input.startPrice) {
      errors.push({ path: 'reservePrice.amount', message: 'the reserve (保留价) may not be below the start price' });
    }
  } else {
    if (input.startPrice !== undefined && input.startPrice !== input.askingPrice) {
      errors.push({ path: 'startPrice', message: 'a fixed-price listing starts any auction at its asking price; omit startPrice' });
    }
    if (input.reservePrice != null) errors.push({ path: 'reservePrice', message: 'a fixed-price listing has no reserve; omit it' });
  }
  if (input.increment !== undefined && input.increment <= 0) errors.push({ path: 'increment.amount', message: 'must be positive' });
  if (errors.length > 0) return { errors };
  const start = input.mode === 'auction' ? input.startPrice! : input.askingPrice;
  return {
    terms: {
      askingPriceFen: input.askingPrice,
      startPriceFen: start,
      incrementFen: input.increment ?? defaultIncrement(input.askingPrice),
      reservePriceFen: input.mode === 'auction' ? (input.reservePrice ?? null) : null,
      depositFen: input.deposit,
    },
  };
}

export type NoticeOutcome = 'extend' | 'unsold' | 'agreement' | 'auction';

/** What the end of notice does: 0 qualified buyers → extend (while allowed) or unsold; 1 → 协议成交; ≥ 2 → auction. */
export function noticeOutcome(eligibleBuyers: number, extensionsSoFar: number, maxExtensions: number): NoticeOutcome {
  if (eligibleBuyers >= 2) return 'auction';
  if (eligibleBuyers === 1) return 'agreement';
  return extensionsSoFar < maxExtensions ? 'extend' : 'unsold';
}

/**
 * The local date whose end a period ending at `endsAt` marks: periods end at 24:00 Beijing time,
 * which is already the next local date, so step back one millisecond. A follow-on period (an
 * extension, the agreement deadline) counts its working days after this date.
 */
export const lastDayOf = (endsAt: Date): LocalDate => localDateOf(new Date(endsAt.getTime() - 1));

export type BidRejection = { code: 'BID_TOO_LOW'; minimum: number } | { code: 'BID_NOT_MULTIPLE_OF_INCREMENT' };

/**
 * English ascending rules: the first bid is at least the start price; every bid raises the
 * current price by a positive whole multiple of the increment. All valid amounts therefore lie on
 * the grid start + k × increment.
 */
export function checkBidAmount(amount: number, a: { startPriceFen: number; incrementFen: number; currentPriceFen: number | null }): BidRejection | null {
  const minimum = a.currentPriceFen === null ? a.startPriceFen : a.currentPriceFen + a.incrementFen;
  if (amount < minimum) return { code: 'BID_TOO_LOW', minimum };
  if ((amount - a.startPriceFen) % a.incrementFen !== 0) return { code: 'BID_NOT_MULTIPLE_OF_INCREMENT' };
  return null;
}

/** Anti-sniping: a bid inside the final window moves the end to now + extension (never earlier). */
export function extendedEnd(endsAt: Date, now: Date, windowSeconds: number, extensionSeconds: number): Date {
  const left = endsAt.getTime() - now.getTime();
  if (windowSeconds <= 0 || left > windowSeconds * 1000) return endsAt;
  return new Date(Math.max(endsAt.getTime(), now.getTime() + extensionSeconds * 1000));
}
