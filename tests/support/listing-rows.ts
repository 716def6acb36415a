import type { Db } from '../../src/db/client.js';
import { newId } from '../../src/lib/ids.js';
import { achievements } from '../../src/modules/achievements/achievements.tables.js';
import { listings, type ListingStatus } from '../../src/modules/listings/listings.tables.js';

/**
 * A listing row written straight into the listings table, for tests of the capabilities that
 * hang off a listing (audit log, live feed) without walking the whole review and notice flow.
 * `published` decides whether the public may see it (approved once).
 */
export async function insertListingRow(
  db: Db,
  seller: { organizationId: string; userId: string },
  opts: { status?: ListingStatus; published?: boolean; at?: Date } = {},
): Promise<string> {
  const at = opts.at ?? new Date('2026-03-02T02:00:00Z');
  const achievementId = newId();
  await db.insert(achievements).values({
    id: achievementId,
    organizationId: seller.organizationId,
    createdBy: seller.userId,
    title: '一种石墨烯导热膜的连续化制备方法',
    summary: '测试用成果',
    fieldCodes: ['08'],
    fieldPathCodes: ['08'],
    trl: 6,
    stage: 'pilot',
    transferModes: ['transfer'],
    priceKind: 'negotiable',
    institution: '测试大学',
    regionCode: '230100',
    status: 'published',
    publishedAt: at,
    validUntil: new Date(at.getTime() + 365 * 86_400_000),
    createdAt: at,
    updatedAt: at,
  });
  const status = opts.status ?? (opts.published === false ? 'pending_review' : 'notice');
  const published = opts.published ?? status !== 'pending_review';
  const id = newId();
  await db.insert(listings).values({
    id,
    achievementId,
    sellerOrganizationId: seller.organizationId,
    createdBy: seller.userId,
    mode: 'auction',
    status,
    askingPriceFen: 100_000_00,
    startPriceFen: 100_000_00,
    incrementFen: 1_000_00,
    depositFen: 10_000_00,
    noticeWorkingDays: 20,
    maxNoticeExtensions: 3,
    auctionDurationMinutes: 60,
    extensionWindowSeconds: 300,
    extensionSeconds: 300,
    publishedAt: published ? at : null,
    noticeEndsAt: status === 'notice' ? new Date(at.getTime() + 28 * 86_400_000) : null,
    dueAt: status === 'notice' || status === 'awaiting_agreement' ? new Date(at.getTime() + 28 * 86_400_000) : null,
    createdAt: at,
    updatedAt: at,
  });
  return id;
}
