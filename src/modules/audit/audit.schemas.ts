import { z } from 'zod';
import { PageQuerySchema, isoDate, pageOf } from '../../lib/http.js';
import type { AuditEntryRow } from './audit.repo.js';
import type { ChainReport } from './audit.service.js';

const Hash = z.string().regex(/^[0-9a-f]{64}$/);

export const AuditActorSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('user'), userId: z.uuid(), organizationId: z.uuid() }),
    z.object({ type: z.literal('system') }).describe('The server itself (the scheduler at the end of notice or of an auction)'),
  ])
  .meta({ id: 'AuditActor' });

export const AuditEntrySchema = z
  .object({
    id: z.uuid(),
    listingId: z.uuid(),
    seq: z.number().int().min(1).describe('1, 2, 3 … per listing in commit order'),
    action: z.string().describe('What happened, e.g. listing.created, registration.qualified, bid.placed, auction.closed'),
    actor: AuditActorSchema,
    data: z.record(z.string(), z.unknown()).describe('The facts of the change'),
    createdAt: z.string().describe('Business time of the change'),
    prevHash: Hash.nullable().describe('hash of the previous entry; null for seq 1'),
    hash: Hash.describe(
      'sha256 (hex) of the RFC 8785 canonical JSON of {listingId, seq, action, actor, data, createdAt, prevHash}, ' +
        'where actor is "system" or {organizationId, userId}',
    ),
  })
  .meta({ id: 'AuditEntry' });

export const AuditPageSchema = pageOf(AuditEntrySchema).meta({ id: 'AuditEntryPage' });
export const AuditPageQuerySchema = PageQuerySchema;

export const AuditVerificationSchema = z
  .object({
    listingId: z.uuid(),
    valid: z.boolean(),
    entries: z.number().int().describe('Entries stored for the listing'),
    firstBrokenSeq: z
      .number()
      .int()
      .nullable()
      .describe('The first entry that is missing, altered, or does not chain to its predecessor; null when valid'),
    problem: z.enum(['sequence_gap', 'chain_break', 'hash_mismatch']).nullable(),
    headSeq: z.number().int().nullable().describe('Last entry of an intact chain: keep (headSeq, headHash) elsewhere to detect a truncated tail later'),
    headHash: Hash.nullable(),
    checkedAt: z.string(),
  })
  .meta({ id: 'AuditVerification' });

export const toAuditEntryDto = (row: AuditEntryRow): z.infer<typeof AuditEntrySchema> => ({
  id: row.id,
  listingId: row.listingId,
  seq: row.seq,
  action: row.action,
  actor:
    row.actorUserId === null || row.actorOrganizationId === null
      ? { type: 'system' }
      : { type: 'user', userId: row.actorUserId, organizationId: row.actorOrganizationId },
  data: row.data,
  createdAt: isoDate(row.createdAt)!,
  prevHash: row.prevHash,
  hash: row.hash,
});

export const toAuditVerificationDto = (r: ChainReport): z.infer<typeof AuditVerificationSchema> => ({
  ...r,
  checkedAt: isoDate(r.checkedAt)!,
});
