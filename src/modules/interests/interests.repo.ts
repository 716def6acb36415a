import { and, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Executor } from '../../db/client.js';
import { keysetCondition, keysetOrderBy, type KeysetOrder, type PublicationStatus } from '../../lib/publication.js';
import { organizations, users } from '../accounts/accounts.tables.js';
import { achievements } from '../achievements/achievements.tables.js';
import { needs } from '../needs/needs.tables.js';
import { interests as i, notifications as n, type InterestStatus, type NotificationType, type SubjectKind } from './interests.tables.js';

export type InterestRow = typeof i.$inferSelect;
export type NotificationRow = typeof n.$inferSelect;
export type NewNotificationRow = typeof n.$inferInsert;

/** An interest with what its DTO shows beside the row: the subject's title, the requester's name. */
export type InterestView = InterestRow & { subjectTitle: string; requesterOrganizationName: string };

/** The part of an achievement or need an interest needs to know. */
export interface Subject {
  kind: SubjectKind;
  id: string;
  organizationId: string;
  title: string;
  status: PublicationStatus;
  validUntil: Date;
}

const asDate = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
/** Newest first; ids (UUIDv7) break ties of one instant. */
export const newestFirst = (column: SQL): KeysetOrder => ({ expr: column, direction: 'desc', cast: 'timestamptz', valueOf: (r) => asDate(r.createdAt) });
export const interestOrder = newestFirst(sql`${i.createdAt}`);
export const notificationOrder = newestFirst(sql`${n.createdAt}`);

export type InterestScope =
  | { kind: 'subject'; subject: SubjectKind; id: string }
  | { kind: 'received'; organizationId: string }
  | { kind: 'sent'; organizationId: string };

const requester = alias(organizations, 'requester');
const viewColumns = {
  row: i,
  subjectTitle: sql<string>`coalesce(${achievements.title}, ${needs.title})`,
  requesterOrganizationName: requester.name,
};
const toView = (r: { row: InterestRow; subjectTitle: string; requesterOrganizationName: string }): InterestView => ({
  ...r.row,
  subjectTitle: r.subjectTitle,
  requesterOrganizationName: r.requesterOrganizationName,
});

/** SQL of expressions of interest, disclosure grants and notifications. */
export const interestsRepo = {
  async findSubject(db: Executor, kind: SubjectKind, id: string): Promise<Subject | undefined> {
    const t = kind === 'achievement' ? achievements : needs;
    const [row] = await db.select({ id: t.id, organizationId: t.organizationId, title: t.title, status: t.status, validUntil: t.validUntil }).from(t).where(eq(t.id, id));
    return row ? { kind, ...row } : undefined;
  },

  /** Inserts unless the organization already has an open interest in the row (then undefined). */
  async insertInterest(db: Executor, row: typeof i.$inferInsert): Promise<InterestRow | undefined> {
    const [out] = await db.insert(i).values(row).onConflictDoNothing().returning();
    return out;
  },

  async findView(db: Executor, id: string): Promise<InterestView | undefined> {
    const [row] = await db
      .select(viewColumns)
      .from(i)
      .leftJoin(achievements, eq(achievements.id, i.achievementId))
      .leftJoin(needs, eq(needs.id, i.needId))
      .innerJoin(requester, eq(requester.id, i.requesterOrganizationId))
      .where(eq(i.id, id));
    return row ? toView(row) : undefined;
  },

  async findForUpdate(db: Executor, id: string): Promise<InterestRow | undefined> {
    const [row] = await db.select().from(i).where(eq(i.id, id)).for('update');
    return row;
  },

  async decide(db: Executor, id: string, expectedVersion: number, patch: { status: InterestStatus; decisionMessage: string | null; decidedBy: string; decidedAt: Date }): Promise<InterestRow | undefined> {
    const [row] = await db
      .update(i)
      .set({ ...patch, updatedAt: patch.decidedAt, version: sql`${i.version} + 1` })
      .where(and(eq(i.id, id), eq(i.version, expectedVersion)))
      .returning();
    return row;
  },

  async list(db: Executor, scope: InterestScope, f: { status?: InterestStatus | undefined; limit: number; cursor?: string | undefined }): Promise<InterestView[]> {
    const where: (SQL | undefined)[] = [
      scope.kind === 'subject' ? eq(scope.subject === 'achievement' ? i.achievementId : i.needId, scope.id) : undefined,
      scope.kind === 'received' ? eq(i.ownerOrganizationId, scope.organizationId) : undefined,
      scope.kind === 'sent' ? eq(i.requesterOrganizationId, scope.organizationId) : undefined,
      f.status ? eq(i.status, f.status) : undefined,
      keysetCondition(interestOrder, i.id, f.cursor),
    ];
    const rows = await db
      .select(viewColumns)
      .from(i)
      .leftJoin(achievements, eq(achievements.id, i.achievementId))
      .leftJoin(needs, eq(needs.id, i.needId))
      .innerJoin(requester, eq(requester.id, i.requesterOrganizationId))
      .where(and(...where))
      .orderBy(keysetOrderBy(interestOrder, i.id))
      .limit(f.limit + 1);
    return rows.map(toView);
  },

  /** The grant behind the disclosure of contact and confidential detail to an interested organization. */
  async hasAcceptedInterest(db: Executor, kind: SubjectKind, id: string, organizationId: string): Promise<boolean> {
    const column = kind === 'achievement' ? i.achievementId : i.needId;
    const rows = await db
      .select({ one: sql`1` })
      .from(i)
      .where(and(eq(column, id), eq(i.requesterOrganizationId, organizationId), eq(i.status, 'accepted')))
      .limit(1);
    return rows.length > 0;
  },

  async memberIds(db: Executor, organizationId: string): Promise<string[]> {
    const rows = await db.select({ id: users.id }).from(users).where(eq(users.organizationId, organizationId));
    return rows.map((r) => r.id);
  },

  async insertNotifications(db: Executor, rows: NewNotificationRow[]): Promise<void> {
    if (rows.length > 0) await db.insert(n).values(rows);
  },

  async listNotifications(db: Executor, userId: string, f: { unread: boolean; type?: NotificationType | undefined; limit: number; cursor?: string | undefined }): Promise<NotificationRow[]> {
    return db
      .select()
      .from(n)
      .where(and(eq(n.userId, userId), f.unread ? isNull(n.readAt) : undefined, f.type ? eq(n.type, f.type) : undefined, keysetCondition(notificationOrder, n.id, f.cursor)))
      .orderBy(keysetOrderBy(notificationOrder, n.id))
      .limit(f.limit + 1);
  },

  /** Marks read once (the first read time stays); undefined when it is not the user's. */
  async markRead(db: Executor, userId: string, id: string, now: Date): Promise<NotificationRow | undefined> {
    const [row] = await db
      .update(n)
      .set({ readAt: sql`coalesce(${n.readAt}, ${now}::timestamptz)` })
      .where(and(eq(n.id, id), eq(n.userId, userId)))
      .returning();
    return row;
  },

  async unreadCount(db: Executor, userId: string): Promise<number> {
    const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(n).where(and(eq(n.userId, userId), isNull(n.readAt)));
    return row?.count ?? 0;
  },
};

export type InterestsRepo = typeof interestsRepo;
