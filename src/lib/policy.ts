/**
 * The authorization matrix: for every operation of the API (by operationId), what each caller
 * gets, on a row of its own organization and on a row of another one. It is the specification
 * the services are held to (the table itself is src/lib/policy.table.ts): src/plugins/policy.ts refuses to register a route without an entry
 * (or whose security disagrees with it), and tests/authorization-matrix.test.ts calls every
 * operation as every role on its own and a foreign row and compares each status with this table.
 *
 * API.md's rule, which every cell follows: a row the caller may not see answers 404 exactly like
 * a row that does not exist. A row anyone may see (a published achievement, an approved listing,
 * an organization profile) answers 403 to a caller who may see it but not change it.
 */
export const ROLES = ['anonymous', 'university', 'institute', 'enterprise', 'broker', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export type SignedInRole = Exclude<Role, 'anonymous'>;
export const SIGNED_IN_ROLES = ROLES.filter((r): r is SignedInRole => r !== 'anonymous');
/** Organization kinds that post achievements (and so sell, file contracts and receive interests). */
export const POSTERS = ['university', 'institute', 'enterprise', 'broker'] as const satisfies readonly SignedInRole[];

/** 'allow' is any 2xx; a number is the exact status of the refusal. */
export type Outcome = 'allow' | 401 | 403 | 404 | 409 | 422;

/** On a row of the caller's organization (null: a role that never owns such a row) and on another organization's. */
export interface RowCell {
  own: Outcome | null;
  foreign: Outcome;
}

/**
 * The row an operation acts on, in the state the operation expects. `seller-organization` is the
 * organization a contract filing names as its seller (its own or another).
 */
export const SUBJECTS = [
  'organization',
  'seller-organization',
  'achievement:draft',
  'achievement:pending_review',
  'achievement:published',
  'need:draft',
  'need:pending_review',
  'need:published',
  'listing:pending_review',
  'listing:notice',
  'listing:deposit_paid',
  'listing:auction',
  'listing:awaiting_agreement',
  'deal',
  'contract:draft',
  'contract:submitted',
  'contract:material_requested',
  'contract:registered',
  'interest:pending',
  'subscription',
  'notification',
] as const;
export type Subject = (typeof SUBJECTS)[number];
type KindOf<S> = S extends `${infer K}:${string}` ? K : S;
export type SubjectKind = KindOf<Subject>;
export const subjectKind = (s: Subject): SubjectKind => s.split(':')[0] as SubjectKind;

/**
 * Which roles can own a row of each kind (API.md): the organization kinds that post achievements
 * also list them, file their contracts and receive interests in them; needs are posted by
 * enterprises and brokers; a deal belongs to its brokerage and parties (an admin's to the
 * platform); subscriptions and notifications belong to any signed-in user.
 */
export const OWNERS: Record<SubjectKind, readonly SignedInRole[]> = {
  organization: ['university', 'institute', 'enterprise', 'broker', 'admin'],
  'seller-organization': POSTERS,
  achievement: POSTERS,
  need: ['enterprise', 'broker'],
  listing: POSTERS,
  deal: ['university', 'institute', 'enterprise', 'broker', 'admin'],
  contract: POSTERS,
  interest: POSTERS,
  subscription: ['university', 'institute', 'enterprise', 'broker', 'admin'],
  notification: ['university', 'institute', 'enterprise', 'broker', 'admin'],
};
export const canOwn = (subject: Subject, role: SignedInRole): boolean => OWNERS[subjectKind(subject)].includes(role);

interface PolicyBase {
  /** API.md's "who" column (or the route's rule where API.md has no row) */
  who: string;
  /** why a non-obvious cell is what it is */
  why?: string;
  /** the answer to a caller without a token */
  anonymous: Outcome;
}
export type OperationPolicy =
  | (PolicyBase & { subject: null; roles: Record<SignedInRole, Outcome> })
  | (PolicyBase & { subject: Subject; roles: Record<SignedInRole, RowCell> });

export type PolicyTable = Readonly<Record<string, OperationPolicy>>;

/** The entry of an operation, or undefined when the table has none. */
export function policyOf(table: PolicyTable, operationId: string): OperationPolicy | undefined {
  return Object.hasOwn(table, operationId) ? table[operationId] : undefined;
}

/** Whether a route registration agrees with the table; the reason when it does not. */
export function routePolicyProblem(table: PolicyTable, route: { operationId: string; secured: boolean }): string | undefined {
  const policy = policyOf(table, route.operationId);
  if (!policy) return `operation ${route.operationId} has no entry in the authorization table (src/lib/policy.table.ts)`;
  if (route.secured !== (policy.anonymous === 401)) {
    return route.secured
      ? `operation ${route.operationId} requires a token, but the authorization table lets anonymous callers in (${policy.anonymous})`
      : `operation ${route.operationId} is public, but the authorization table answers 401 to anonymous callers`;
  }
  return undefined;
}

const ALLOW = 'allow' as const;
const everyRole = <T>(value: T): Record<SignedInRole, T> => Object.fromEntries(SIGNED_IN_ROLES.map((r) => [r, value])) as Record<SignedInRole, T>;

/** Anyone, with or without a token; there is no row, or it is public. */
export const open = (who = 'anyone'): OperationPolicy => ({ who, anonymous: ALLOW, subject: null, roles: everyRole(ALLOW) });
/** Any signed-in user; what they get is scoped to them by the service. */
export const signedIn = (who = 'user'): OperationPolicy => ({ who, anonymous: 401, subject: null, roles: everyRole(ALLOW) });
/** Platform admins; every organization kind 403. */
export const adminOnly = (who = 'admin'): OperationPolicy => ({ who, anonymous: 401, subject: null, roles: { ...everyRole<Outcome>(403), admin: ALLOW } });
/** These roles; the others 403. */
export const rolesOnly = (who: string, allowed: readonly SignedInRole[], why?: string): OperationPolicy => ({
  who,
  why,
  anonymous: 401,
  subject: null,
  roles: Object.fromEntries(SIGNED_IN_ROLES.map((r) => [r, allowed.includes(r) ? ALLOW : 403])) as Record<SignedInRole, Outcome>,
});

export const cell = (own: Outcome | null, foreign: Outcome): RowCell => ({ own, foreign });
/** The same cell for the four organization kinds; `own` is dropped for kinds that never own such a row. */
export const posters = (subject: Subject, c: RowCell): Record<(typeof POSTERS)[number], RowCell> =>
  Object.fromEntries(POSTERS.map((r) => [r, canOwn(subject, r) ? c : cell(null, c.foreign)])) as Record<(typeof POSTERS)[number], RowCell>;

/** The owning organization only: another's row is invisible (404); the admin's answer is given. */
export const ownerOnly = (subject: Subject, who: string, admin: RowCell, why?: string): OperationPolicy => ({
  who,
  why,
  anonymous: 401,
  subject,
  roles: { ...posters(subject, cell(ALLOW, 404)), admin },
});

/** An admin decision on any organization's row; organizations 403 whoever owns the row. */
export const adminDecision = (subject: Subject, who = 'admin'): OperationPolicy => ({
  who,
  anonymous: 401,
  subject,
  roles: { ...posters(subject, cell(403, 403)), admin: cell(null, ALLOW) },
});
