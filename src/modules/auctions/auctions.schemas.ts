import { z } from 'zod';
import { MoneySchema, pageOf } from '../../lib/http.js';

export const PlaceBidBodySchema = z.strictObject({ amount: MoneySchema }).meta({ id: 'PlaceBidRequest' });

export const PlacedBidSchema = z
  .object({
    id: z.uuid(),
    amount: MoneySchema,
    paddle: z.number().int().describe("the bidder's paddle number on this listing"),
    placedAt: z.string(),
    auctionEndsAt: z.string().describe('the end after this bid (later than before when it fell in the anti-sniping window)'),
  })
  .meta({ id: 'PlacedBid' });
export type PlacedBidDto = z.infer<typeof PlacedBidSchema>;

export const BidSchema = z
  .object({ id: z.uuid(), amount: MoneySchema, paddle: z.number().int(), placedAt: z.string() })
  .meta({ id: 'Bid', description: 'A bid as everyone sees it: the paddle number, never the bidder' });
export type BidDto = z.infer<typeof BidSchema>;

export const BidPageSchema = pageOf(BidSchema).meta({ id: 'BidPage' });
