import { z } from 'zod';

/** Ten years: far enough for any demo, and the clock stays inside the working-day calendar. */
export const MAX_ADVANCE_SECONDS = 10 * 366 * 86_400;

export const SandboxClockSchema = z
  .object({
    now: z.string().describe("The server's business time (ISO 8601): real time plus the sandbox offset"),
  })
  .meta({ id: 'SandboxClock' });

export const MoveSandboxClockBodySchema = z
  .strictObject({
    advanceSeconds: z.number().int().min(1).max(MAX_ADVANCE_SECONDS).optional().describe('Move forward by this many seconds'),
    now: z.iso.datetime({ offset: true }).optional().describe('Move forward to this instant (ISO 8601 with offset); never earlier than the current business time'),
  })
  .refine((b) => (b.advanceSeconds === undefined) !== (b.now === undefined), { message: 'give exactly one of advanceSeconds and now' })
  .meta({ id: 'MoveSandboxClockRequest', description: 'Exactly one of `advanceSeconds` and `now`. The clock only moves forward.' });

export type MoveSandboxClockInput = z.infer<typeof MoveSandboxClockBodySchema>;
