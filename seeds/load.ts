import { eq } from 'drizzle-orm';
import type { Db } from '../src/db/client.js';
import type { Services } from '../src/container.js';
import { AppError } from '../src/lib/errors.js';
import { accountsRepo } from '../src/modules/accounts/accounts.repo.js';
import type { Actor } from '../src/modules/accounts/tokens.js';
import { CreateAchievementBodySchema } from '../src/modules/achievements/achievements.schemas.js';
import { achievements } from '../src/modules/achievements/achievements.tables.js';
import { CreateNeedBodySchema } from '../src/modules/needs/needs.schemas.js';
import { needs } from '../src/modules/needs/needs.tables.js';
import { loadDealsAndContracts } from './contracts.js';
import { ACHIEVEMENTS, type SeedStatus } from './data/achievements.js';
import { needsAsOf } from './data/needs.js';
import { DEMO_PASSWORD, ORGANIZATIONS, demoEmail, type SeedOrganization } from './data/organizations.js';

/** The review verbs achievements and needs share. */
interface Lifecycle {
  submit(actor: Actor, id: string): Promise<unknown>;
  review(actor: Actor, id: string, decision: { decision: 'approve' | 'reject'; reason?: string }): Promise<unknown>;
}

/**
 * Loads the demo data set through the real services, so every row passes the same validation as
 * an API write and reaches the search outbox. Idempotent: an organization whose demo user exists
 * is not registered again, and of its listings only the titles it does not have yet are created
 * (which completes a load that was interrupted half-way). Then the broker pipeline and two years
 * of registered technology contracts (seeds/contracts.ts), keyed by seed ids, so a second load
 * adds none of them again.
 *
 * `now` dates the needs' deadlines; pass the business clock's time when it is not real time.
 */
export async function loadSeeds(db: Db, services: Services, options: { now?: Date } = {}): Promise<Record<string, number>> {
  const now = options.now ?? new Date();
  const counts = { organizations: 0, skippedOrganizations: 0, achievements: 0, needs: 0 };
  const seedNeeds = needsAsOf(now);

  for (const org of ORGANIZATIONS) {
    let owner = await existingActor(db, demoEmail(org.slug));
    if (owner) {
      counts.skippedOrganizations++;
    } else {
      owner = await register(services, org);
      // Another loader registered it a moment ago; that loader also creates its listings.
      if (!owner) {
        counts.skippedOrganizations++;
        continue;
      }
      counts.organizations++;
    }

    const haveAchievements = await titlesOf(db, 'achievements', owner.organizationId);
    for (const seed of ACHIEVEMENTS.filter((a) => a.organization === org.slug && !haveAchievements.has(a.input.title))) {
      const { achievement } = await services.achievements.create(owner, CreateAchievementBodySchema.parse(seed.input));
      await settle(services.achievements, owner, achievement.id, seed.status, seed.reviewReason);
      counts.achievements++;
    }
    const haveNeeds = await titlesOf(db, 'needs', owner.organizationId);
    for (const seed of seedNeeds.filter((n) => n.organization === org.slug && !haveNeeds.has(n.input.title))) {
      const { need } = await services.needs.create(owner, CreateNeedBodySchema.parse(seed.input));
      await settle(services.needs, owner, need.id, seed.status, undefined);
      counts.needs++;
    }
  }
  return { ...counts, ...(await loadDealsAndContracts(db, services)) };
}

/** Takes a new draft to the state the seed row asks for, the way its owner and a reviewer would. */
async function settle(service: Lifecycle, owner: Actor, id: string, status: SeedStatus, reason: string | undefined): Promise<void> {
  if (status === 'draft') return;
  await service.submit(owner, id);
  if (status === 'pending_review') return;
  await service.review(SEED_REVIEWER, id, status === 'published' ? { decision: 'approve' } : { decision: 'reject', reason: reason ?? '请补充材料后重新提交。' });
}

/** The organization with its demo user as owner; undefined when the email was taken meanwhile. */
async function register(services: Services, org: SeedOrganization): Promise<Actor | undefined> {
  try {
    const { user, organization } = await services.accounts.register({
      email: demoEmail(org.slug),
      password: DEMO_PASSWORD,
      displayName: org.contactName,
      organization: { name: org.name, kind: org.kind, regionCode: org.regionCode, creditCode: org.creditCode },
    });
    const actor: Actor = { userId: user.id, organizationId: organization.id, kind: organization.kind, role: user.role, isAdmin: false };
    // Registration takes no profile text; the owner adds it, as a new user would.
    await services.accounts.updateOrganization(actor, organization.id, undefined, { description: org.description });
    return actor;
  } catch (err) {
    if (err instanceof AppError && err.code === 'EMAIL_TAKEN') return undefined;
    throw err;
  }
}

async function existingActor(db: Db, email: string): Promise<Actor | undefined> {
  const user = await accountsRepo.findUserByEmail(db, email);
  if (!user) return undefined;
  const org = await accountsRepo.findOrganization(db, user.organizationId);
  if (!org) return undefined;
  return { userId: user.id, organizationId: org.id, kind: org.kind, role: user.role, isAdmin: false };
}

/**
 * The reviewer who approves the demo listings. A review records its decision and reason, not the
 * reviewer, so the loader acts as the operator without creating an admin account (an admin with
 * a published password would be a way into any database the seeds were loaded into).
 */
const SEED_REVIEWER: Actor = {
  userId: '00000000-0000-7000-8000-000000000000',
  organizationId: '00000000-0000-7000-8000-000000000000',
  kind: 'platform',
  role: 'admin',
  isAdmin: true,
};

async function titlesOf(db: Db, table: 'achievements' | 'needs', organizationId: string): Promise<Set<string>> {
  const rows =
    table === 'achievements'
      ? await db.select({ title: achievements.title }).from(achievements).where(eq(achievements.organizationId, organizationId))
      : await db.select({ title: needs.title }).from(needs).where(eq(needs.organizationId, organizationId));
  return new Set(rows.map((r) => r.title));
}
