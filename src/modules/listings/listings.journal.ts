import type { AuditActor, AuditService } from '../audit/audit.service.js';
import type { LiveService } from '../live/live.service.js';

export type { AuditActor };

/**
 * Where every listing change is recorded, inside the transaction that makes it: the listing's
 * hash-chained audit log (seller side and admins) and its public live feed (SSE). Both take the
 * listing's journal lock, so they are called after the row locks, last in the transaction.
 */
export interface ListingJournal {
  audit: Pick<AuditService, 'append'>;
  live: Pick<LiveService, 'publish'>;
}
