import type { Db } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import { notFound } from '../../lib/errors.js';
import { keysetPage } from '../../lib/publication.js';
import type { Actor } from '../accounts/tokens.js';
import { notificationOrder, type InterestsRepo, type NotificationRow } from './interests.repo.js';
import type { ListNotificationsQuery, NotificationDto } from './interests.schemas.js';

export function toNotificationDto(row: NotificationRow): NotificationDto {
  return {
    id: row.id,
    type: row.type,
    subject: { type: row.subjectKind, id: row.subjectId, title: row.title },
    message: row.message,
    interestId: row.interestId,
    subscriptionId: row.subscriptionId,
    createdAt: row.createdAt.toISOString(),
    readAt: row.readAt?.toISOString() ?? null,
  };
}

/** A user's own notifications; another user's are 404 like rows that do not exist. */
export function createNotificationsService(deps: { db: Db; repo: InterestsRepo; clock: Clock }) {
  const { db, repo, clock } = deps;
  return {
    async list(actor: Actor, query: ListNotificationsQuery): Promise<{ items: NotificationDto[]; nextCursor: string | null; unreadCount: number }> {
      const [rows, unreadCount] = await Promise.all([
        repo.listNotifications(db, actor.userId, { unread: query.unread === 'true', type: query.type, limit: query.limit, cursor: query.cursor }),
        repo.unreadCount(db, actor.userId),
      ]);
      const page = keysetPage(rows, query.limit, notificationOrder);
      return { items: page.rows.map(toNotificationDto), nextCursor: page.nextCursor, unreadCount };
    },

    /** Idempotent: reading twice keeps the first read time. */
    async markRead(actor: Actor, id: string): Promise<NotificationDto> {
      const row = await repo.markRead(db, actor.userId, id, clock.now());
      if (!row) throw notFound('Notification');
      return toNotificationDto(row);
    },
  };
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;
