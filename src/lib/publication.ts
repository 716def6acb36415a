import { sql, type SQL, type AnyColumn } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { inline, type Bind } from '../db/prepared.js';
import type { ChangedEntity } from './changes.js';
import type { Actor } from '../modules/accounts/tokens.js';
import type { CatalogService } from '../modules/catalog/catalog.service.js';
import { encodeCursor, decodeCursor } from './cursor.js';
import { badRequest, conflict, forbidden, notFound, unauthorized, unprocessable, type FieldError } from './errors.js';

/**
 * The review lifecycle shared by achievements (科技成果) and needs (技术需求):
 * draft → pending_review → published | rejected (with reason) → archived. A published row whose
 * validUntil has passed is "expired": it leaves public lists until its owner renews it.
 */
export const PUBLICATION_STATUSES = ['draft', 'pending_review', 'published', 'rejected', 'archived'] as const;
export type PublicationStatus = (typeof PUBLICATION_STATUSES)[number];

/** Which statuses a transition may start from. */
export const TRANSITIONS = {
  submit: ['draft', 'rejected'],
  review: ['pending_review'],
  archive: ['draft', 'pending_review', 'published', 'rejected'],
  edit: ['draft', 'pending_review', 'published', 'rejected'],
} as const satisfies Record<string, readonly PublicationStatus[]>;

export const DEFAULT_VALIDITY_DAYS = 365;
/** Longest a row may be offered without being looked at again (renewal moves it on). */
export const MAX_VALIDITY_DAYS = 3 * 365;
const DAY_MS = 86_400_000;

/** The columns every publishable row has. */
export interface PublishableRow {
  id: string;
  organizationId: string;
  status: PublicationStatus;
  validUntil: Date;
}

export const isExpired = (row: { status: PublicationStatus; validUntil: Date }, now: Date): boolean =>
  row.status === 'published' && row.validUntil.getTime() <= now.getTime();

export const isPubliclyVisible = (row: PublishableRow, now: Date): boolean => row.status === 'published' && !isExpired(row, now);

/** Members of the owning organization, and admins, see every field of a row in every status. */
export const isPrivileged = (viewer: Actor | null, row: PublishableRow): boolean =>
  viewer !== null && (viewer.isAdmin || viewer.organizationId === row.organizationId);

/**
 * Grants beyond ownership: an organization whose expression of interest the owner accepted sees
 * the row's contact and confidential detail (the interests capability implements it).
 */
export interface DisclosureGrants {
  isDisclosedTo(db: Executor, entity: ChangedEntity, id: string, organizationId: string): Promise<boolean>;
}

/** Whether a non-owner reader holds a disclosure grant on the row (owners and admins need none). */
export async function isDisclosed(grants: DisclosureGrants, db: Executor, viewer: Actor | null, entity: ChangedEntity, row: PublishableRow): Promise<boolean> {
  if (viewer === null || isPrivileged(viewer, row)) return false;
  return grants.isDisclosedTo(db, entity, row.id, viewer.organizationId);
}

/**
 * Rows a caller may not see answer 404, exactly as rows that do not exist, so ids of drafts and
 * other organizations' work cannot be probed.
 */
export function assertVisible<R extends PublishableRow>(viewer: Actor | null, row: R | undefined, now: Date, what: string): R {
  if (!row || !(isPubliclyVisible(row, now) || isPrivileged(viewer, row))) throw notFound(what);
  return row;
}

/** Only the owning organization changes its rows; a foreign row is a 404, not a 403. */
export function assertOwner<R extends PublishableRow>(actor: Actor, row: R | undefined, now: Date, what: string, allowAdmin = false): R {
  if (!row) throw notFound(what);
  if (row.organizationId === actor.organizationId || (allowAdmin && actor.isAdmin)) return row;
  // Admins and the public may know a published row exists: tell them it is not theirs to change.
  if (actor.isAdmin || isPubliclyVisible(row, now)) throw forbidden(`Only the owning organization may change this ${what.toLowerCase()}`, 'NOT_OWNER');
  throw notFound(what);
}

export function assertTransition(action: keyof typeof TRANSITIONS, status: PublicationStatus): void {
  if (!(TRANSITIONS[action] as readonly PublicationStatus[]).includes(status)) {
    throw conflict('INVALID_STATE', `Cannot ${action} in status ${status}`);
  }
}

/** The validUntil a write asks for, checked against now; absent → default on create. */
export function resolveValidUntil(given: string | undefined, now: Date, errors: FieldError[]): Date | undefined {
  if (given === undefined) return undefined;
  const at = new Date(given);
  if (at.getTime() <= now.getTime()) errors.push({ path: 'validUntil', message: 'must be in the future' });
  else if (at.getTime() > now.getTime() + MAX_VALIDITY_DAYS * DAY_MS) errors.push({ path: 'validUntil', message: `at most ${MAX_VALIDITY_DAYS} days ahead` });
  return at;
}

export const defaultValidUntil = (now: Date): Date => new Date(now.getTime() + DEFAULT_VALIDITY_DAYS * DAY_MS);

/** Field and region codes must exist in the catalogue (the schema only checks their shape). */
export function checkCatalogCodes(catalog: CatalogService, input: { fieldCodes?: string[] | undefined; regionCode?: string | undefined }, errors: FieldError[]): void {
  input.fieldCodes?.forEach((c, i) => {
    if (!catalog.isField(c)) errors.push({ path: `fieldCodes.${i}`, message: `unknown field code ${c} (see GET /v1/fields)` });
  });
  if (input.regionCode !== undefined && !catalog.isRegion(input.regionCode)) {
    errors.push({ path: 'regionCode', message: `unknown region code ${input.regionCode} (see GET /v1/regions)` });
  }
}

export function throwIfInvalid(errors: FieldError[], what: string): void {
  if (errors.length > 0) throw unprocessable('VALIDATION_FAILED', `The ${what} is not valid`, errors);
}

/**
 * What a row stores to be found by `field=X`: its codes, their ancestors, and the crosswalked
 * codes in the other scheme (so `field=NHT.01` finds rows coded in the 4567 system).
 */
export function fieldPathOf(catalog: CatalogService, codes: readonly string[]): string[] {
  const crosswalked = codes.flatMap((c) => catalog.ancestors(c).flatMap((a) => catalog.field(a)?.crosswalk ?? []));
  return catalog.withAncestors([...codes, ...crosswalked]);
}

/** A province code (xx0000) matches its cities and counties; a city (xxxx00) its counties. */
export function regionCondition(column: AnyColumn, code: string, bind: Bind = inline): SQL {
  if (code.endsWith('0000')) return sql`${column} like ${bind('provincePrefix', `${code.slice(0, 2)}%`)}`;
  if (code.endsWith('00')) return sql`${column} like ${bind('cityPrefix', `${code.slice(0, 4)}%`)}`;
  return sql`${column} = ${bind('county', code)}`;
}

/** A keyset order: an expression, its direction, and the SQL type to cast cursor values to. */
export interface KeysetOrder {
  expr: SQL;
  direction: 'asc' | 'desc';
  cast: 'timestamptz' | 'bigint' | 'int';
  /** the row's value of expr, as it goes into the cursor */
  valueOf: (row: Record<string, unknown>) => string | number;
}

/** The WHERE part that continues after the cursor's row; id breaks ties in the same direction. */
export function keysetCondition(order: KeysetOrder, idColumn: AnyColumn, cursor: string | undefined, bind: Bind = inline): SQL | undefined {
  const values = decodeCursor(cursor, 2);
  if (!values) return undefined;
  const [value, id] = values;
  if (value === null || typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) throw badRequest('INVALID_CURSOR', 'The cursor is not one this API issued');
  // A cursor value of the wrong type would reach PostgreSQL as a cast error (500): refuse it here.
  const typed = order.cast === 'timestamptz' ? typeof value === 'string' && !Number.isNaN(Date.parse(value)) : typeof value === 'number' && Number.isSafeInteger(value);
  if (!typed) throw badRequest('INVALID_CURSOR', 'The cursor is not one this API issued');
  const cmp = order.direction === 'desc' ? sql`<` : sql`>`;
  return sql`(${order.expr}, ${idColumn}) ${cmp} (${bind('afterValue', value)}::${sql.raw(order.cast)}, ${bind('afterId', id)}::uuid)`;
}

export function keysetOrderBy(order: KeysetOrder, idColumn: AnyColumn): SQL {
  const dir = sql.raw(order.direction);
  return sql`${order.expr} ${dir}, ${idColumn} ${dir}`;
}

/** Slices the extra row fetched to learn whether another page exists. */
export function keysetPage<R extends { id: string }>(rows: R[], limit: number, order: KeysetOrder): { rows: R[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const page = rows.slice(0, limit);
  const last = page[page.length - 1]!;
  return { rows: page, nextCursor: encodeCursor([order.valueOf(last as unknown as Record<string, unknown>), last.id]) };
}

/** The columns the shared list filters read; achievements and needs both have them. */
export interface PublishableColumns {
  id: AnyColumn;
  organizationId: AnyColumn;
  status: AnyColumn;
  validUntil: AnyColumn;
  title: AnyColumn;
  summary: AnyColumn;
  keywords: AnyColumn;
  fieldPathCodes: AnyColumn;
  regionCode: AnyColumn;
}

export type ListScope = { kind: 'public'; now: Date } | { kind: 'organization'; organizationId: string } | { kind: 'all' };

export interface CommonListFilter {
  scope: ListScope;
  status?: PublicationStatus | undefined;
  q?: string | undefined;
  fieldCode?: string | undefined;
  regionCode?: string | undefined;
}

/**
 * WHERE conditions for the scope and the filters every publishable list offers. `bind` names
 * each value, so a list of the same shape can reuse a query built once (src/db/prepared.ts).
 */
export function commonListConditions(t: PublishableColumns, f: CommonListFilter, bind: Bind = inline): SQL[] {
  const where: SQL[] = [];
  if (f.scope.kind === 'public') where.push(sql`${t.status} = 'published'`, sql`${t.validUntil} > ${bind('now', f.scope.now)}`);
  if (f.scope.kind === 'organization') where.push(sql`${t.organizationId} = ${bind('organizationId', f.scope.organizationId)}`);
  if (f.status) where.push(sql`${t.status} = ${bind('status', f.status)}`);
  if (f.q) {
    const like = bind('qLike', `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(sql`(${t.title} ilike ${like} or ${t.summary} ilike ${like} or ${bind('q', f.q)} = any(${t.keywords}))`);
  }
  if (f.fieldCode) where.push(sql`${t.fieldPathCodes} @> array[${bind('field', f.fieldCode)}]::text[]`);
  if (f.regionCode) where.push(regionCondition(t.regionCode, f.regionCode, bind));
  return where;
}

/**
 * Who is asking decides the base set. Public: published, unexpired rows. `mine=true`: the
 * caller's organization in every status. `status` other than published without `mine`: the
 * admin's view (for example the pending_review queue).
 */
export function listScope(viewer: Actor | null, query: { mine?: 'true' | 'false' | undefined; status?: PublicationStatus | undefined }, now: Date, what: string): ListScope {
  if (query.mine === 'true') {
    if (!viewer) throw unauthorized(`Sign in to list your organization’s ${what}`);
    return { kind: 'organization', organizationId: viewer.organizationId };
  }
  if (query.status !== undefined && query.status !== 'published') {
    if (!viewer?.isAdmin) throw forbidden(`Only admins list ${what} by status; use mine=true for your own`, 'ADMIN_ONLY');
    return { kind: 'all' };
  }
  return { kind: 'public', now };
}

/** The owner, review and validity part of a publishable row as a caller may see it. */
export function publicationDto(
  row: PublishableRow & {
    regionCode: string;
    contact: { name: string | null; phone: string | null; email: string | null } | null;
    reviewReason: string | null;
    publishedAt: Date | null;
    createdAt: Date;
    updatedAt: Date;
    version: number;
  },
  viewer: Actor | null,
  now: Date,
  disclosed = false,
) {
  const privileged = isPrivileged(viewer, row);
  return {
    organizationId: row.organizationId,
    regionCode: row.regionCode,
    contact: privileged || disclosed ? row.contact : null,
    status: row.status,
    expired: isExpired(row, now),
    reviewReason: privileged ? row.reviewReason : null,
    validUntil: row.validUntil.toISOString(),
    publishedAt: row.publishedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    version: row.version,
  };
}
