import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { withTransaction } from '../../db/tx.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Clock } from '../../lib/clock.js';
import { AppError, conflict, forbidden, notFound, preconditionFailed, unauthorized, unprocessable, type FieldError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { hashPassword, verifyPassword } from '../../lib/passwords.js';
import { validateCreditCode } from '../../lib/credit-code.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import type { AccountsRepo, OrganizationRow, UserRow } from './accounts.repo.js';
import type { OrgKind } from './accounts.tables.js';
import { hashToken, newOpaqueToken, type Actor, type TokenIssuer } from './tokens.js';

export interface AccountsDeps {
  db: Db;
  repo: AccountsRepo;
  clock: Clock;
  tokens: TokenIssuer;
  catalog: Pick<CatalogService, 'isRegion'>;
  refreshTtlDays: number;
  accessTtlSeconds: number;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
}

export interface RegisterInput {
  email: string;
  password: string;
  displayName: string;
  organization?: { name: string; kind: OrgKind; regionCode: string; creditCode?: string | undefined } | undefined;
  organizationId?: string | undefined;
  inviteCode?: string | undefined;
}

const INVITE_TTL_DAYS = 14;
const DAY_MS = 86_400_000;

export function createAccountsService(deps: AccountsDeps) {
  const { db, repo, clock, tokens } = deps;

  // Refresh-token lifetimes use real time (not the business clock), like access tokens.
  const realNow = () => new Date();

  async function issuePair(user: UserRow, org: OrganizationRow, familyId: string, tx: Parameters<typeof repo.insertRefreshToken>[0]): Promise<TokenPair> {
    const refreshToken = newOpaqueToken();
    const now = realNow();
    await repo.insertRefreshToken(tx, {
      id: newId(),
      userId: user.id,
      familyId,
      tokenHash: hashToken(refreshToken),
      createdAt: now,
      expiresAt: new Date(now.getTime() + deps.refreshTtlDays * DAY_MS),
    });
    const accessToken = await tokens.sign({ userId: user.id, organizationId: org.id, kind: org.kind, role: user.role });
    return { accessToken, refreshToken, expiresIn: deps.accessTtlSeconds, tokenType: 'Bearer' };
  }

  function validateOrganization(input: NonNullable<RegisterInput['organization']>): FieldError[] {
    const errors: FieldError[] = [];
    if (!deps.catalog.isRegion(input.regionCode)) {
      errors.push({ path: 'organization.regionCode', message: 'not a GB/T 2260 region code in scope (see GET /v1/regions)' });
    }
    if (input.creditCode) {
      const problem = validateCreditCode(input.creditCode);
      if (problem) errors.push({ path: 'organization.creditCode', message: problem });
    }
    return errors;
  }

  return {
    async register(input: RegisterInput) {
      const now = clock.now();
      if (input.organization?.kind === 'platform') {
        throw forbidden('Platform operator accounts are created by bootstrap, not by registration', 'KIND_NOT_ALLOWED');
      }
      if (input.organization) {
        const errors = validateOrganization(input.organization);
        if (errors.length > 0) throw unprocessable('VALIDATION_FAILED', 'The organization is not valid', errors);
      }
      const passwordHash = await hashPassword(input.password);
      try {
        return await withTransaction(db, async (tx) => {
          let org: OrganizationRow;
          let role: UserRow['role'];
          let inviteId: string | undefined;
          if (input.organization) {
            org = await repo.insertOrganization(tx, {
              id: newId(),
              name: input.organization.name,
              kind: input.organization.kind,
              regionCode: input.organization.regionCode,
              creditCode: input.organization.creditCode ?? null,
              createdAt: now,
              updatedAt: now,
            });
            role = 'owner';
          } else {
            const invite = await repo.consumeInvite(tx, input.organizationId!, hashToken(input.inviteCode!), realNow());
            if (!invite) throw unprocessable('INVALID_INVITE', 'The invite code is unknown, used or expired');
            if (invite.email && invite.email.toLowerCase() !== input.email.toLowerCase()) {
              throw unprocessable('INVALID_INVITE', 'The invite was issued for another email address');
            }
            const found = await repo.findOrganization(tx, input.organizationId!);
            if (!found) throw unprocessable('INVALID_INVITE', 'The invite code is unknown, used or expired');
            org = found;
            role = org.kind === 'platform' ? 'admin' : 'member';
            inviteId = invite.id;
          }
          const user = await repo.insertUser(tx, {
            id: newId(),
            organizationId: org.id,
            email: input.email,
            passwordHash,
            displayName: input.displayName,
            role,
            createdAt: now,
            updatedAt: now,
          });
          if (inviteId) await repo.markInviteUsedBy(tx, inviteId, user.id);
          const pair = await issuePair(user, org, newId(), tx);
          return { user, organization: org, ...pair };
        });
      } catch (err) {
        if (isUniqueViolation(err, 'users_email_key')) throw conflict('EMAIL_TAKEN', 'An account with this email already exists');
        if (isUniqueViolation(err, 'organizations_credit_code_key')) {
          throw conflict('CREDIT_CODE_TAKEN', 'An organization with this 统一社会信用代码 is already registered');
        }
        throw err;
      }
    },

    async login(input: { email: string; password: string }): Promise<TokenPair> {
      const user = await repo.findUserByEmail(db, input.email);
      const ok = await verifyPassword(user?.passwordHash, input.password);
      // One answer for unknown email and wrong password: no account enumeration.
      if (!user || !ok) throw unauthorized('Email or password is wrong', 'INVALID_CREDENTIALS');
      const org = await repo.findOrganization(db, user.organizationId);
      if (!org) throw unauthorized('Email or password is wrong', 'INVALID_CREDENTIALS');
      return withTransaction(db, async (tx) => {
        await repo.touchLogin(tx, user.id, realNow());
        return issuePair(user, org, newId(), tx);
      });
    },

    async refresh(input: { refreshToken: string }): Promise<TokenPair> {
      const now = realNow();
      const found = await repo.findRefreshToken(db, hashToken(input.refreshToken));
      if (!found || found.revokedAt || found.expiresAt <= now) {
        throw unauthorized('The refresh token is not valid', 'INVALID_REFRESH_TOKEN');
      }
      if (found.rotatedAt) {
        // A rotated token came back: it was stolen or replayed. Revoke the whole login.
        await repo.revokeFamily(db, found.familyId, now);
        throw unauthorized('The refresh token was already used; every session of this login is revoked', 'REFRESH_TOKEN_REUSED');
      }
      const pair = await withTransaction(db, async (tx) => {
        const rotated = await repo.rotateRefreshToken(tx, found.id, now);
        if (!rotated) return undefined;
        const user = await repo.findUser(tx, found.userId);
        const org = user && (await repo.findOrganization(tx, user.organizationId));
        if (!user || !org) return undefined;
        return issuePair(user, org, found.familyId, tx);
      });
      if (!pair) {
        // Lost the race to a concurrent use of the same token: that is reuse too.
        await repo.revokeFamily(db, found.familyId, now);
        throw unauthorized('The refresh token was already used; every session of this login is revoked', 'REFRESH_TOKEN_REUSED');
      }
      return pair;
    },

    async me(actor: Actor) {
      const user = await repo.findUser(db, actor.userId);
      const org = user && (await repo.findOrganization(db, user.organizationId));
      if (!user || !org) throw unauthorized('The account no longer exists', 'INVALID_TOKEN');
      return { user, organization: org };
    },

    async getOrganization(id: string) {
      const org = await repo.findOrganization(db, id);
      if (!org) throw notFound('Organization');
      return org;
    },

    async updateOrganization(
      actor: Actor,
      id: string,
      ifMatch: number | undefined,
      patch: { name?: string | undefined; regionCode?: string | undefined; description?: string | null | undefined; website?: string | null | undefined; creditCode?: string | undefined },
    ) {
      const org = await repo.findOrganization(db, id);
      if (!org) throw notFound('Organization');
      if (org.id !== actor.organizationId && !actor.isAdmin) throw forbidden('Only members of the organization may edit its profile');
      const errors: FieldError[] = [];
      if (patch.regionCode !== undefined && !deps.catalog.isRegion(patch.regionCode)) {
        errors.push({ path: 'regionCode', message: 'not a GB/T 2260 region code in scope' });
      }
      if (patch.creditCode !== undefined) {
        const problem = validateCreditCode(patch.creditCode);
        if (problem) errors.push({ path: 'creditCode', message: problem });
      }
      if (errors.length > 0) throw unprocessable('VALIDATION_FAILED', 'The organization is not valid', errors);
      const expected = ifMatch ?? org.version;
      if (expected !== org.version) throw preconditionFailed();
      try {
        const updated = await repo.updateOrganization(db, id, expected, patch, clock.now());
        if (!updated) throw preconditionFailed();
        return updated;
      } catch (err) {
        if (isUniqueViolation(err, 'organizations_credit_code_key')) {
          throw conflict('CREDIT_CODE_TAKEN', 'An organization with this 统一社会信用代码 is already registered');
        }
        throw err;
      }
    },

    async createInvite(actor: Actor, organizationId: string, input: { email?: string | undefined }) {
      if (organizationId !== actor.organizationId) throw notFound('Organization');
      if (actor.role === 'member') throw forbidden('Only the organization owner may invite members', 'OWNER_ONLY');
      const code = newOpaqueToken();
      const now = realNow();
      const invite = await repo.insertInvite(db, {
        id: newId(),
        organizationId,
        codeHash: hashToken(code),
        email: input.email ?? null,
        createdBy: actor.userId,
        createdAt: now,
        expiresAt: new Date(now.getTime() + INVITE_TTL_DAYS * DAY_MS),
      });
      return { inviteCode: code, organizationId, email: invite.email, expiresAt: invite.expiresAt };
    },

    /**
     * Creates (or repairs) the platform operator organization and its admin. Idempotent: run at
     * every start with ADMIN_EMAIL/ADMIN_PASSWORD and by `npm run admin:create`.
     */
    async bootstrapAdmin(input: { email: string; password: string }) {
      const now = clock.now();
      const passwordHash = await hashPassword(input.password);
      return withTransaction(db, async (tx) => {
        // Serialise concurrent bootstraps (several processes starting at once).
        await tx.execute(sql`SELECT pg_advisory_xact_lock(7261002)`);
        let [platform] = await repo.findOrganizationsByKind(tx, 'platform');
        platform ??= await repo.insertOrganization(tx, {
          id: newId(),
          name: 'TechBridge 平台运营方',
          kind: 'platform',
          regionCode: '230000',
          createdAt: now,
          updatedAt: now,
        });
        const existing = await repo.findUserByEmail(tx, input.email);
        if (existing) {
          if (existing.organizationId !== platform.id || existing.role !== 'admin') {
            throw new AppError(409, 'EMAIL_TAKEN', `${input.email} belongs to a non-admin account`);
          }
          await repo.setPassword(tx, existing.id, passwordHash, now);
          return { user: existing, organization: platform, created: false };
        }
        const user = await repo.insertUser(tx, {
          id: newId(),
          organizationId: platform.id,
          email: input.email,
          passwordHash,
          displayName: 'Platform administrator',
          role: 'admin',
          createdAt: now,
          updatedAt: now,
        });
        return { user, organization: platform, created: true };
      });
    },
  };
}

export type AccountsService = ReturnType<typeof createAccountsService>;
