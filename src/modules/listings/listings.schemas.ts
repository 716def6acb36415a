import { z } from 'zod';
import { MoneySchema, PageQuerySchema, isoDate, money, pageOf } from '../../lib/http.js';
import type { Actor } from '../accounts/tokens.js';
import type { AuctionRow, ListingRow, RegistrationRow } from './listings.repo.js';
import { AUCTION_BOUNDS, AUCTION_DEFAULTS, MAX_NOTICE_EXTENSIONS_BOUND, NOTICE_DAYS } from './listings.rules.js';
import { DEPOSIT_STATUSES, LISTING_MODES, LISTING_STATUSES, REGISTRATION_STATUSES } from './listings.tables.js';

export const ListingStatusSchema = z.enum(LISTING_STATUSES).meta({
  id: 'ListingStatus',
  description:
    'pending_review → notice (公示) → auction | awaiting_agreement (协议成交) | unsold → sold | unsold | withdrawn; rejected at review (edit to resubmit)',
});
export const ListingModeSchema = z.enum(LISTING_MODES).meta({ id: 'ListingMode', description: 'auction: 竞价 with start price, increment and optional reserve; fixed: 挂牌 at the asking price' });

const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const AuctionSettingsSchema = z
  .strictObject({
    durationMinutes: int(AUCTION_BOUNDS.durationMinutes.min, AUCTION_BOUNDS.durationMinutes.max).default(AUCTION_DEFAULTS.durationMinutes),
    extensionWindowSeconds: int(AUCTION_BOUNDS.extensionWindowSeconds.min, AUCTION_BOUNDS.extensionWindowSeconds.max)
      .default(AUCTION_DEFAULTS.extensionWindowSeconds)
      .describe('a bid this close to the end extends it (anti-sniping); 0 disables'),
    extensionSeconds: int(AUCTION_BOUNDS.extensionSeconds.min, AUCTION_BOUNDS.extensionSeconds.max)
      .default(AUCTION_DEFAULTS.extensionSeconds)
      .describe('such a bid moves the end to its own time plus this'),
  })
  .meta({ id: 'AuctionSettings' });

const terms = {
  mode: ListingModeSchema,
  askingPrice: MoneySchema.describe('挂牌价: the price of a 协议成交 with a single qualified buyer'),
  startPrice: MoneySchema.optional().describe('起始价; required in auction mode; in fixed mode the asking price'),
  increment: MoneySchema.optional().describe('加价幅度; required in auction mode; fixed mode defaults to 1 % of the asking price (≥ ¥1)'),
  reservePrice: MoneySchema.nullable().optional().describe('保留价 (auction mode): hidden until the close; the highest bid wins only at or above it'),
  deposit: MoneySchema.describe('保证金 each intent buyer pays before it may buy or bid; 0 for none'),
  noticeWorkingDays: int(NOTICE_DAYS.min, NOTICE_DAYS.max).default(NOTICE_DAYS.default).describe('公示期 in PRC working days'),
  maxNoticeExtensions: int(0, MAX_NOTICE_EXTENSIONS_BOUND)
    .optional()
    .describe('how many 5-working-day extensions a notice without qualified buyers gets before it ends unsold; server default when omitted'),
  auction: AuctionSettingsSchema.optional(),
};

export const CreateListingBodySchema = z.strictObject({ achievementId: z.uuid(), ...terms }).meta({ id: 'CreateListingRequest' });
export type CreateListingInput = z.infer<typeof CreateListingBodySchema>;

export const UpdateListingBodySchema = z
  .strictObject({
    mode: terms.mode.optional(),
    askingPrice: terms.askingPrice.optional(),
    startPrice: terms.startPrice,
    increment: terms.increment,
    reservePrice: terms.reservePrice,
    deposit: terms.deposit.optional(),
    noticeWorkingDays: int(NOTICE_DAYS.min, NOTICE_DAYS.max).optional(),
    maxNoticeExtensions: terms.maxNoticeExtensions,
    auction: AuctionSettingsSchema.partial().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'give at least one field to change' })
  .meta({ id: 'UpdateListingRequest' });
export type UpdateListingInput = z.infer<typeof UpdateListingBodySchema>;

export const ListingReviewBodySchema = z
  .strictObject({
    decision: z.enum(['approve', 'reject']),
    reason: z.string().trim().min(1).max(2000).optional().describe('required when rejecting: the seller sees it'),
  })
  .refine((b) => b.decision === 'approve' || Boolean(b.reason), { message: 'a reason is required to reject', path: ['reason'] })
  .meta({ id: 'ListingReviewRequest' });

export const WithdrawListingBodySchema = z
  .strictObject({ reason: z.string().trim().min(1).max(2000).optional() })
  .meta({ id: 'WithdrawListingRequest' });

const instant = z.string().describe('ISO 8601, UTC');

export const ListingSchema = z
  .object({
    id: z.uuid(),
    achievementId: z.uuid(),
    sellerOrganizationId: z.uuid(),
    mode: ListingModeSchema,
    status: ListingStatusSchema,
    askingPrice: MoneySchema,
    startPrice: MoneySchema,
    increment: MoneySchema,
    reservePrice: MoneySchema.nullable()
      .optional()
      .describe('present only for the seller and admins, and for everyone once the listing is sold or unsold; null = no reserve'),
    deposit: MoneySchema,
    noticeWorkingDays: z.number().int(),
    noticeEndsAt: instant.nullable().describe('24:00 Beijing time of the last working day of the notice (extensions included)'),
    noticeExtensions: z.number().int(),
    maxNoticeExtensions: z.number().int(),
    auctionSettings: z.object({ durationMinutes: z.number().int(), extensionWindowSeconds: z.number().int(), extensionSeconds: z.number().int() }),
    auction: z
      .object({
        status: z.enum(['open', 'closed']),
        startsAt: instant,
        endsAt: instant,
        currentPrice: MoneySchema.nullable(),
        bidCount: z.number().int(),
        leadingPaddle: z.number().int().nullable(),
        extensionWindowSeconds: z.number().int(),
        extensionSeconds: z.number().int(),
      })
      .nullable()
      .describe('null until an auction opens'),
    agreement: z
      .object({
        price: MoneySchema,
        buyerPaddle: z.number().int(),
        dueAt: instant.describe('both parties confirm before this, or the listing ends unsold'),
        sellerConfirmedAt: instant.nullable(),
        buyerConfirmedAt: instant.nullable(),
      })
      .nullable()
      .describe('the 协议成交 with the single qualified buyer'),
    outcome: z.object({ price: MoneySchema, winnerPaddle: z.number().int() }).nullable().describe('set when sold'),
    reviewReason: z.string().nullable().describe('seller and admins only'),
    withdrawnReason: z.string().nullable(),
    publishedAt: instant.nullable(),
    closedAt: instant.nullable(),
    createdAt: instant,
    updatedAt: instant,
    version: z.number().int(),
  })
  .meta({ id: 'Listing' });
export type ListingDto = z.infer<typeof ListingSchema>;

export const ListingPageSchema = pageOf(ListingSchema).meta({ id: 'ListingPage' });

export const ListListingsQuerySchema = PageQuerySchema.extend({
  status: ListingStatusSchema.optional(),
  achievementId: z.uuid().optional(),
  mine: z.enum(['true', 'false']).optional().describe("the caller's organization's listings in every state"),
});
export type ListListingsQuery = z.infer<typeof ListListingsQuerySchema>;

// ── registrations ────────────────────────────────────────────────────────────

export const RegistrationStatusSchema = z.enum(REGISTRATION_STATUSES).meta({ id: 'RegistrationStatus', description: '资格审核: pending, qualified or rejected' });
export const DepositStatusSchema = z.enum(DEPOSIT_STATUSES).meta({ id: 'DepositStatus', description: '保证金: unpaid, paid, refunded or forfeited' });

export const CreateRegistrationBodySchema = z
  .strictObject({ message: z.string().trim().min(1).max(2000).optional().describe('to the seller: who you are, what you intend') })
  .meta({ id: 'CreateRegistrationRequest' });

export const QualifyBodySchema = z
  .strictObject({
    qualified: z.boolean(),
    depositPaid: z.boolean().describe('whether the deposit has arrived in the designated account'),
    reason: z.string().trim().min(1).max(2000).optional(),
  })
  .meta({ id: 'QualifyRegistrationRequest' });

export const DepositDecisionBodySchema = z
  .strictObject({
    status: z.enum(['refunded', 'forfeited']),
    note: z.string().trim().min(1).max(2000).describe('e.g. 拒不签约, 提供虚假材料, or the refund reference'),
  })
  .meta({ id: 'DepositDecisionRequest' });

export const RegistrationParamsSchema = z.object({ id: z.uuid(), rid: z.uuid() });

export const RegistrationSchema = z
  .object({
    id: z.uuid(),
    listingId: z.uuid(),
    organizationId: z.uuid(),
    paddle: z.number().int().describe('how this buyer appears to others in the auction'),
    status: RegistrationStatusSchema,
    message: z.string().nullable(),
    qualificationReason: z.string().nullable(),
    qualifiedAt: instant.nullable(),
    deposit: z.object({
      amount: MoneySchema,
      status: DepositStatusSchema,
      paidAt: instant.nullable(),
      refundedAt: instant.nullable(),
      forfeitedAt: instant.nullable(),
      note: z.string().nullable(),
    }),
    createdAt: instant,
    updatedAt: instant,
  })
  .meta({ id: 'ListingRegistration' });
export type RegistrationDto = z.infer<typeof RegistrationSchema>;

export const RegistrationPageSchema = pageOf(RegistrationSchema).meta({ id: 'ListingRegistrationPage' });

// ── row → DTO ────────────────────────────────────────────────────────────────

/** The seller's members and platform admins see a listing's private side (reserve, review reason). */
export const isSellerSide = (viewer: Actor | null, listing: Pick<ListingRow, 'sellerOrganizationId'>): boolean =>
  viewer !== null && (viewer.isAdmin || viewer.organizationId === listing.sellerOrganizationId);

export function toListingDto(listing: ListingRow, auction: AuctionRow | null, viewer: Actor | null): ListingDto {
  const sellerSide = isSellerSide(viewer, listing);
  const revealReserve = sellerSide || listing.status === 'sold' || listing.status === 'unsold';
  return {
    id: listing.id,
    achievementId: listing.achievementId,
    sellerOrganizationId: listing.sellerOrganizationId,
    mode: listing.mode,
    status: listing.status,
    askingPrice: money(listing.askingPriceFen),
    startPrice: money(listing.startPriceFen),
    increment: money(listing.incrementFen),
    ...(revealReserve ? { reservePrice: listing.reservePriceFen === null ? null : money(listing.reservePriceFen) } : {}),
    deposit: money(listing.depositFen),
    noticeWorkingDays: listing.noticeWorkingDays,
    noticeEndsAt: isoDate(listing.noticeEndsAt),
    noticeExtensions: listing.noticeExtensions,
    maxNoticeExtensions: listing.maxNoticeExtensions,
    auctionSettings: {
      durationMinutes: listing.auctionDurationMinutes,
      extensionWindowSeconds: listing.extensionWindowSeconds,
      extensionSeconds: listing.extensionSeconds,
    },
    auction: auction
      ? {
          status: auction.status,
          startsAt: isoDate(auction.startsAt)!,
          endsAt: isoDate(auction.endsAt)!,
          currentPrice: auction.currentPriceFen === null ? null : money(auction.currentPriceFen),
          bidCount: auction.bidCount,
          leadingPaddle: auction.leadingPaddle,
          extensionWindowSeconds: auction.extensionWindowSeconds,
          extensionSeconds: auction.extensionSeconds,
        }
      : null,
    agreement:
      listing.agreementPaddle !== null && listing.agreementDueAt !== null
        ? {
            price: money(listing.askingPriceFen),
            buyerPaddle: listing.agreementPaddle,
            dueAt: isoDate(listing.agreementDueAt)!,
            sellerConfirmedAt: isoDate(listing.sellerConfirmedAt),
            buyerConfirmedAt: isoDate(listing.buyerConfirmedAt),
          }
        : null,
    outcome:
      listing.status === 'sold' && listing.outcomePriceFen !== null && listing.winnerPaddle !== null
        ? { price: money(listing.outcomePriceFen), winnerPaddle: listing.winnerPaddle }
        : null,
    reviewReason: sellerSide ? listing.reviewReason : null,
    withdrawnReason: listing.withdrawnReason,
    publishedAt: isoDate(listing.publishedAt),
    closedAt: isoDate(listing.closedAt),
    createdAt: isoDate(listing.createdAt)!,
    updatedAt: isoDate(listing.updatedAt)!,
    version: listing.version,
  };
}

export function toRegistrationDto(r: RegistrationRow): RegistrationDto {
  return {
    id: r.id,
    listingId: r.listingId,
    organizationId: r.organizationId,
    paddle: r.paddle,
    status: r.status,
    message: r.message,
    qualificationReason: r.qualificationReason,
    qualifiedAt: isoDate(r.qualifiedAt),
    deposit: {
      amount: money(r.depositFen),
      status: r.depositStatus,
      paidAt: isoDate(r.depositPaidAt),
      refundedAt: isoDate(r.depositRefundedAt),
      forfeitedAt: isoDate(r.depositForfeitedAt),
      note: r.depositNote,
    },
    createdAt: isoDate(r.createdAt)!,
    updatedAt: isoDate(r.updatedAt)!,
  };
}
