import { createHash } from 'node:crypto';
import { canonicalJson, type JsonObject } from '../../lib/json.js';

/** Who caused an audited change: a signed-in user of an organization, or the server itself (scheduler). */
export type AuditActor = { userId: string; organizationId: string } | 'system';

export interface ChainedFields {
  listingId: string;
  seq: number;
  action: string;
  actor: AuditActor;
  data: JsonObject;
  createdAt: Date;
  prevHash: string | null;
}

/**
 * sha256 (hex) over the RFC 8785 canonical JSON of every field the chain protects, the previous
 * entry's hash included, so changing, removing or reordering an entry breaks every later link.
 */
export function entryHash(e: ChainedFields): string {
  const body = canonicalJson({
    listingId: e.listingId,
    seq: e.seq,
    action: e.action,
    actor: e.actor === 'system' ? 'system' : { organizationId: e.actor.organizationId, userId: e.actor.userId },
    data: e.data,
    createdAt: e.createdAt.toISOString(),
    prevHash: e.prevHash,
  });
  return createHash('sha256').update(body, 'utf8').digest('hex');
}
