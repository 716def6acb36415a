/**
 * The review lifecycle shared by achievements (科技成果) and needs (技术需求):
 * draft → pending_review → published | rejected (with reason) → archived. A published row whose
 * validUntil has passed is "expired": it leaves public lists until its owner renews it.
 */
export const PUBLICATION_STATUSES = ['draft', 'pending_review', 'published', 'rejected', 'archived'] as const;
export type PublicationStatus = (typeof PUBLICATION_STATUSES)[number];

export const statusCheckSql = `in ('draft','pending_review','published','rejected','archived')`;

/** Which statuses a transition may start from. */
export const TRANSITIONS = {
  submit: ['draft', 'rejected'],
  review: ['pending_review'],
  archive: ['draft', 'pending_review', 'published', 'rejected'],
} as const satisfies Record<string, readonly PublicationStatus[]>;
