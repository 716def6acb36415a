import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { invites, organizations, refreshTokens, users } from './accounts.tables.js';

export type OrganizationRow = typeof organizations.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type RefreshTokenRow = typeof refreshTokens.$inferSelect;

/** All SQL of the accounts capability. Every method takes the executor (pool or transaction). */
export const accountsRepo = {
  async insertOrganization(db: Executor, row: typeof organizations.$inferInsert): Promise<OrganizationRow> {
    const [out] = await db.insert(organizations).values(row).returning();
    return out!;
  },

  async findOrganization(db: Executor, id: string): Promise<OrganizationRow | undefined> {
    const [row] = await db.select().from(organizations).where(eq(organizations.id, id));
    return row;
  },

  async findOrganizationsByKind(db: Executor, kind: OrganizationRow['kind']): Promise<OrganizationRow[]> {
    return db.select().from(organizations).where(eq(organizations.kind, kind));
  },

  /** Conditional update on version: returns undefined when the row changed meanwhile. */
  async updateOrganization(
    db: Executor,
    id: string,
    expectedVersion: number,
    patch: Partial<Pick<OrganizationRow, 'name' | 'regionCode' | 'description' | 'website' | 'creditCode'>>,
    now: Date,
  ): Promise<OrganizationRow | undefined> {
    const [row] = await db
      .update(organizations)
      .set({ ...patch, updatedAt: now, version: sql`${organizations.version} + 1` })
      .where(and(eq(organizations.id, id), eq(organizations.version, expectedVersion)))
      .returning();
    return row;
  },

  async insertUser(db: Executor, row: typeof users.$inferInsert): Promise<UserRow> {
    const [out] = await db.insert(users).values(row).returning();
    return out!;
  },

  async findUser(db: Executor, id: string): Promise<UserRow | undefined> {
    const [row] = await db.select().from(users).where(eq(users.id, id));
    return row;
  },

  async findUserByEmail(db: Executor, email: string): Promise<UserRow | undefined> {
    const [row] = await db
      .select()
      .from(users)
      .where(sql`lower(${users.email}) = lower(${email})`);
    return row;
  },

  /** The organization's earliest owner: whom CLI tools act as on the organization's behalf. */
  async findFirstOwner(db: Executor, organizationId: string): Promise<UserRow | undefined> {
    const [row] = await db
      .select()
      .from(users)
      .where(and(eq(users.organizationId, organizationId), eq(users.role, 'owner')))
      .orderBy(users.createdAt, users.id)
      .limit(1);
    return row;
  },

  async setPassword(db: Executor, userId: string, passwordHash: string, now: Date): Promise<void> {
    await db
      .update(users)
      .set({ passwordHash, updatedAt: now, version: sql`${users.version} + 1` })
      .where(eq(users.id, userId));
  },

  async touchLogin(db: Executor, userId: string, now: Date): Promise<void> {
    await db.update(users).set({ lastLoginAt: now }).where(eq(users.id, userId));
  },

  async insertInvite(db: Executor, row: typeof invites.$inferInsert) {
    const [out] = await db.insert(invites).values(row).returning();
    return out!;
  },

  /**
   * Consumes an invite in one conditional update: of two concurrent registrations with the same
   * code, exactly one gets the row back.
   */
  async consumeInvite(db: Executor, organizationId: string, codeHash: string, now: Date) {
    const [row] = await db
      .update(invites)
      .set({ usedAt: now })
      .where(
        and(
          eq(invites.organizationId, organizationId),
          eq(invites.codeHash, codeHash),
          isNull(invites.usedAt),
          sql`${invites.expiresAt} > ${now}`,
        ),
      )
      .returning();
    return row;
  },

  async markInviteUsedBy(db: Executor, inviteId: string, userId: string): Promise<void> {
    await db.update(invites).set({ usedBy: userId }).where(eq(invites.id, inviteId));
  },

  async insertRefreshToken(db: Executor, row: typeof refreshTokens.$inferInsert): Promise<void> {
    await db.insert(refreshTokens).values(row);
  },

  async findRefreshToken(db: Executor, tokenHash: string): Promise<RefreshTokenRow | undefined> {
    const [row] = await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash));
    return row;
  },

  /** Marks a live token rotated; undefined when it was already rotated or revoked (a race or a reuse). */
  async rotateRefreshToken(db: Executor, id: string, now: Date): Promise<RefreshTokenRow | undefined> {
    const [row] = await db
      .update(refreshTokens)
      .set({ rotatedAt: now })
      .where(and(eq(refreshTokens.id, id), isNull(refreshTokens.rotatedAt), isNull(refreshTokens.revokedAt)))
      .returning();
    return row;
  },

  async revokeFamily(db: Executor, familyId: string, now: Date): Promise<void> {
    await db
      .update(refreshTokens)
      .set({ revokedAt: now })
      .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
  },
};

export type AccountsRepo = typeof accountsRepo;
