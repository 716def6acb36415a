import { sql } from 'drizzle-orm';
import { newId } from '../../src/lib/ids.js';
import { canOwn, type SignedInRole, type Subject } from '../../src/lib/policy.js';
import { notifications } from '../../src/modules/interests/interests.tables.js';
import type { TestContext } from './app.js';
import { insertListingDueToOpen } from './auction-rows.js';
import { contractInput } from './contracts.js';
import { achievementInput, createAdmin, needInput, registerUser, type TestUser } from './factories.js';
import { insertListingRow } from './listing-rows.js';

type Kind = Exclude<SignedInRole, 'admin'>;
const KINDS: Kind[] = ['university', 'institute', 'enterprise', 'broker'];

/**
 * The cast of the authorization matrix: for each organization kind one organization whose rows
 * are "own" and a second of the same kind whose rows are "foreign", the admin, and neutral
 * organizations that play the other side of a row (buyer, requester, deal broker) and are never
 * the caller.
 */
export interface World {
  ctx: TestContext;
  admin: TestUser;
  me: Record<SignedInRole, TestUser>;
  other: Record<Kind, TestUser>;
  neutral: { university: TestUser; enterprise: TestUser; enterprise2: TestUser; broker: TestUser };
  kindOf: Map<string, SignedInRole>;
  /** a number never returned before, for unique emails, dates and keys */
  seq: () => number;
}

/** A row made for one case: its id and, under a listing, a registration id. */
export interface Row {
  id: string;
  rid?: string;
}

export async function buildWorld(ctx: TestContext): Promise<World> {
  const admin = await createAdmin(ctx.app, ctx.services);
  const [mine, others, neutral] = await Promise.all([
    Promise.all(KINDS.map((k) => registerUser(ctx.app, k))),
    Promise.all(KINDS.map((k) => registerUser(ctx.app, k))),
    Promise.all((['university', 'enterprise', 'enterprise', 'broker'] as const).map((k) => registerUser(ctx.app, k))),
  ]);
  const me = { ...Object.fromEntries(KINDS.map((k, i) => [k, mine[i]!])), admin } as Record<SignedInRole, TestUser>;
  const other = Object.fromEntries(KINDS.map((k, i) => [k, others[i]!])) as Record<Kind, TestUser>;
  const neutralCast = { university: neutral[0]!, enterprise: neutral[1]!, enterprise2: neutral[2]!, broker: neutral[3]! };
  const kindOf = new Map<string, SignedInRole>([[admin.userId, 'admin']]);
  KINDS.forEach((k, i) => [mine[i]!, others[i]!].forEach((u) => kindOf.set(u.userId, k)));
  for (const [name, u] of Object.entries(neutralCast)) kindOf.set(u.userId, name === 'enterprise2' ? 'enterprise' : (name as Kind));
  let n = 0;
  return {
    ctx,
    admin,
    me,
    other,
    neutral: neutralCast,
    kindOf,
    seq: () => ++n,
  };
}

/** Who owns a foreign row of this kind when the caller's own kind never owns one. */
const FOREIGN_OWNER: Record<string, Kind> = {
  organization: 'enterprise',
  'seller-organization': 'university',
  achievement: 'university',
  need: 'enterprise',
  listing: 'university',
  deal: 'broker',
  contract: 'university',
  interest: 'university',
  subscription: 'enterprise',
  notification: 'enterprise',
};

/** The owner of the caller's own row (null when its role never owns one) or of a foreign row. */
export function ownerFor(w: World, subject: Subject, role: SignedInRole | 'anonymous', relation: 'own' | 'foreign'): TestUser | null {
  if (relation === 'own') return role !== 'anonymous' && canOwn(subject, role) ? w.me[role] : null;
  if (role !== 'anonymous' && role !== 'admin' && canOwn(subject, role)) return w.other[role];
  return w.other[FOREIGN_OWNER[subject.split(':')[0]!]!];
}

/** Calls the API in-process and returns the body; throws unless 2xx (fixtures must not fail quietly). */
export async function ok(w: World, user: TestUser | null, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: object): Promise<Record<string, unknown>> {
  const res = await w.ctx.app.inject({ method, url, headers: user ? user.auth : {}, ...(body ? { payload: body } : {}) });
  if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`fixture ${method} ${url} → ${res.statusCode} ${res.body}`);
  return res.statusCode === 204 ? {} : (res.json() as Record<string, unknown>);
}

const idOf = (body: Record<string, unknown>) => body.id as string;

/** The seller's party details a filing needs: universities and institutes have a default nature, the others state it. */
export const sellerParty = (w: World, seller: TestUser) => {
  const kind = w.kindOf.get(seller.userId);
  return kind === 'university' || kind === 'institute' ? {} : { seller: { natureCode: '150' } };
};

async function publishedAchievement(w: World, owner: TestUser): Promise<string> {
  const id = idOf(await ok(w, owner, 'POST', '/v1/achievements', achievementInput()));
  await ok(w, owner, 'POST', `/v1/achievements/${id}/submit`);
  await ok(w, w.admin, 'POST', `/v1/achievements/${id}/review`, { decision: 'approve' });
  return id;
}

async function need(w: World, owner: TestUser, upTo: 'draft' | 'pending_review' | 'published'): Promise<string> {
  const id = idOf(await ok(w, owner, 'POST', '/v1/needs', needInput()));
  if (upTo !== 'draft') await ok(w, owner, 'POST', `/v1/needs/${id}/submit`);
  if (upTo === 'published') await ok(w, w.admin, 'POST', `/v1/needs/${id}/review`, { decision: 'approve' });
  return id;
}

/** A deal the owner is in: as its brokerage (a broker), the operator (an admin), the buyer (an enterprise) or the seller. */
async function deal(w: World, owner: TestUser): Promise<string> {
  const kind = w.kindOf.get(owner.userId);
  const { neutral } = w;
  if (kind === 'broker' || kind === 'admin') {
    return idOf(await ok(w, owner, 'POST', '/v1/deals', { sellerOrganizationId: neutral.university.organizationId, buyerOrganizationId: neutral.enterprise.organizationId }));
  }
  const [seller, buyer] = kind === 'enterprise' ? [neutral.university, owner] : [owner, neutral.enterprise];
  return idOf(await ok(w, neutral.broker, 'POST', '/v1/deals', { sellerOrganizationId: seller.organizationId, buyerOrganizationId: buyer.organizationId }));
}

/** A contract filed by its seller (the owner) with a neutral enterprise as buyer. */
async function filedContract(w: World, owner: TestUser, extra: Record<string, unknown> = {}): Promise<string> {
  return idOf(await ok(w, owner, 'POST', '/v1/contracts', contractInput(owner.organizationId, w.neutral.enterprise.organizationId, { ...sellerParty(w, owner), ...extra })));
}

async function listingDueNow(w: World, owner: TestUser, buyers: TestUser[]): Promise<string> {
  const now = w.ctx.clock.now();
  const { listingId } = await insertListingDueToOpen(w.ctx.db.db, owner, buyers, { dueAt: now });
  const { failed } = await w.ctx.services.transitions.processDue(now);
  if (failed.length > 0) throw new Error(`fixture: transitions failed: ${JSON.stringify(failed)}`);
  return listingId;
}

/**
 * A fresh row of the subject owned by `owner`, in the state the operation expects; the caller
 * (`viewer`) is only consulted where the state involves it (a bidder must be a qualified buyer).
 */
export async function makeRow(w: World, subject: Subject, owner: TestUser, viewer: TestUser | null): Promise<Row> {
  const { ctx, admin, neutral } = w;
  switch (subject) {
    case 'organization':
    case 'seller-organization':
      return { id: owner.organizationId };
    case 'achievement:draft':
      return { id: idOf(await ok(w, owner, 'POST', '/v1/achievements', achievementInput())) };
    case 'achievement:pending_review': {
      const id = idOf(await ok(w, owner, 'POST', '/v1/achievements', achievementInput()));
      await ok(w, owner, 'POST', `/v1/achievements/${id}/submit`);
      return { id };
    }
    case 'achievement:published':
      return { id: await publishedAchievement(w, owner) };
    case 'need:draft':
      return { id: await need(w, owner, 'draft') };
    case 'need:pending_review':
      return { id: await need(w, owner, 'pending_review') };
    case 'need:published':
      return { id: await need(w, owner, 'published') };
    case 'listing:pending_review':
      return { id: await insertListingRow(ctx.db.db, owner, { status: 'pending_review' }) };
    case 'listing:notice': {
      const id = await insertListingRow(ctx.db.db, owner, { status: 'notice', at: ctx.clock.now() });
      const reg = await ok(w, neutral.enterprise, 'POST', `/v1/listings/${id}/registrations`, { message: '我司有意受让' });
      return { id, rid: idOf(reg) };
    }
    case 'listing:deposit_paid': {
      const dueAt = new Date(ctx.clock.now().getTime() + 20 * 86_400_000);
      const { listingId, registrations } = await insertListingDueToOpen(ctx.db.db, owner, [neutral.enterprise], { dueAt });
      return { id: listingId, rid: registrations[0]!.id };
    }
    case 'listing:auction': {
      const bidder = viewer && viewer !== owner && w.kindOf.get(viewer.userId) === 'enterprise' ? [viewer] : [];
      return { id: await listingDueNow(w, owner, [neutral.enterprise, neutral.enterprise2, ...bidder]) };
    }
    case 'listing:awaiting_agreement':
      return { id: await listingDueNow(w, owner, [neutral.enterprise]) };
    case 'deal':
      return { id: await deal(w, owner) };
    case 'contract:submitted':
      return { id: await filedContract(w, owner) };
    case 'contract:draft': {
      // Drafts come from a sale; the sale's deal and filing are made here, then the filing is
      // turned back into the draft it would have completed (the draft check wants the deal).
      const dealId = idOf(
        await ok(w, neutral.broker, 'POST', '/v1/deals', { sellerOrganizationId: owner.organizationId, buyerOrganizationId: neutral.enterprise.organizationId }),
      );
      const id = await filedContract(w, owner, { dealId });
      await ctx.db.db.execute(sql`update contracts set status = 'draft', review_due_on = null where id = ${id}`);
      return { id };
    }
    case 'contract:material_requested': {
      const id = await filedContract(w, owner);
      await ok(w, admin, 'POST', `/v1/contracts/${id}/review`, { decision: 'request_material', reason: '请补充技术交易额的计算依据' });
      return { id };
    }
    case 'contract:registered': {
      const id = await filedContract(w, owner);
      await ok(w, admin, 'POST', `/v1/contracts/${id}/review`, { decision: 'register' });
      return { id };
    }
    case 'interest:pending': {
      const achievementId = await publishedAchievement(w, owner);
      return { id: idOf(await ok(w, neutral.enterprise, 'POST', `/v1/achievements/${achievementId}/interests`, { message: '我司希望受让该成果' })) };
    }
    case 'subscription':
      return { id: idOf(await ok(w, owner, 'POST', '/v1/subscriptions', { type: 'achievement', q: '水稻' })) };
    case 'notification': {
      const id = newId();
      await ctx.db.db.insert(notifications).values({
        id,
        userId: owner.userId,
        type: 'subscription_match',
        subjectKind: 'achievement',
        subjectId: newId(),
        title: '寒地水稻精量播种机',
        createdAt: ctx.clock.now(),
      });
      return { id };
    }
  }
}

