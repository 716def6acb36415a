import { z } from 'zod';
import { isoDate } from '../../lib/http.js';
import type { ListingEventRow } from './live.repo.js';

const EventId = z
  .string()
  .regex(/^\d{1,15}$/, 'an event id this API sent')
  .describe('The id of the last event received; the stream starts with the events after it');

// Loose: the validated headers replace request.headers, and the other headers must survive.
export const ListingEventsHeadersSchema = z.looseObject({
  'last-event-id': EventId.optional(),
});

export const ListingEventsQuerySchema = z.object({
  lastEventId: EventId.optional().describe('Same as the Last-Event-ID header, for clients that cannot set headers; the header wins'),
});

/** The JSON in each SSE `data:` line (described in ListingEventStream: an SSE body has no JSON schema of its own). */
export const ListingEventSchema = z
  .object({
    id: z.string().describe('Also the SSE `id:` field; send it back as Last-Event-ID to resume'),
    listingId: z.uuid(),
    type: z.string().describe('Also the SSE `event:` field: bid, extended, closed, state'),
    occurredAt: z.string(),
    data: z
      .record(z.string(), z.unknown())
      .describe('bid: amount, paddle, placedAt, auctionEndsAt; extended: endsAt; closed: outcome; bidders appear by paddle number only'),
  });

export const ListingEventStreamSchema = z
  .string()
  .describe(
    'A text/event-stream (Server-Sent Events). Each event has `id:` (the event id), `event:` (bid, extended, closed, state) ' +
      'and one `data:` line holding JSON `{ id, listingId, type, occurredAt, data }` (data of a bid: amount, paddle, placedAt, auctionEndsAt; ' +
      'bidders appear by paddle number only). Comment lines (": heartbeat") arrive every 15 s by default. ' +
      'On reconnect send the last id as Last-Event-ID to receive what was missed.',
  )
  .meta({ id: 'ListingEventStream' });

export const toListingEventDto = (row: ListingEventRow): z.infer<typeof ListingEventSchema> => ({
  id: String(row.id),
  listingId: row.listingId,
  type: row.type,
  occurredAt: isoDate(row.createdAt)!,
  data: row.data,
});

/** One SSE frame; JSON.stringify never emits a raw newline, so data fits one line. */
export const sseFrame = (row: ListingEventRow): string => `id: ${row.id}\nevent: ${row.type}\ndata: ${JSON.stringify(toListingEventDto(row))}\n\n`;
