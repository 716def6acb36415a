import type { Db } from '../../db/client.js';
import { withTransaction } from '../../db/tx.js';
import type { Clock } from '../../lib/clock.js';
import { conflict, forbidden, notFound, unprocessable } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { assertOwner, isPubliclyVisible, keysetPage, type DisclosureGrants } from '../../lib/publication.js';
import type { OrgKind } from '../accounts/accounts.tables.js';
import type { Actor } from '../accounts/tokens.js';
import { interestOrder, type InterestScope, type InterestsRepo, type InterestView } from './interests.repo.js';
import type { DecideInterestInput, ExpressInterestInput, InterestDto, ListInterestsQuery, ListSubjectInterestsQuery } from './interests.schemas.js';
import type { SubjectKind } from './interests.tables.js';

export interface InterestsDeps {
  db: Db;
  repo: InterestsRepo;
  clock: Clock;
}

/**
 * Who may express interest: in an achievement, those who would acquire it (enterprises, and
 * brokers on their behalf); in a need, anyone who could solve it.
 */
export const MAY_EXPRESS: Record<SubjectKind, ReadonlySet<OrgKind>> = {
  achievement: new Set(['enterprise', 'broker']),
  need: new Set(['university', 'institute', 'enterprise', 'broker']),
};
const WHAT: Record<SubjectKind, string> = { achievement: 'Achievement', need: 'Need' };

export interface InterestResult {
  interest: InterestDto;
  version: number;
}

export function toInterestDto(v: InterestView): InterestDto {
  return {
    id: v.id,
    subject: v.achievementId !== null ? { type: 'achievement', id: v.achievementId, title: v.subjectTitle } : { type: 'need', id: v.needId!, title: v.subjectTitle },
    ownerOrganizationId: v.ownerOrganizationId,
    requesterOrganizationId: v.requesterOrganizationId,
    requesterOrganizationName: v.requesterOrganizationName,
    requesterUserId: v.requesterUserId,
    message: v.message,
    status: v.status,
    decisionMessage: v.decisionMessage,
    decidedAt: v.decidedAt?.toISOString() ?? null,
    createdAt: v.createdAt.toISOString(),
    updatedAt: v.updatedAt.toISOString(),
    version: v.version,
  };
}

/** The grant the achievements and needs services consult when a non-owner reads a row. */
export function createDisclosureGrants(repo: Pick<InterestsRepo, 'hasAcceptedInterest'>): DisclosureGrants {
  return { isDisclosedTo: (db, entity, id, organizationId) => repo.hasAcceptedInterest(db, entity, id, organizationId) };
}

export function createInterestsService(deps: InterestsDeps) {
  const { db, repo, clock } = deps;
  const result = (v: InterestView): InterestResult => ({ interest: toInterestDto(v), version: v.version });

  async function decide(actor: Actor, id: string, decision: 'accepted' | 'declined', input: DecideInterestInput | null | undefined): Promise<InterestResult> {
    return withTransaction(db, async (tx) => {
      const row = await repo.findForUpdate(tx, id);
      if (!row) throw notFound('Interest');
      if (row.ownerOrganizationId !== actor.organizationId) {
        // The requester and admins may see it, so they learn why they may not decide it.
        if (row.requesterOrganizationId === actor.organizationId || actor.isAdmin) throw forbidden("Only the row's owner accepts or declines an interest", 'NOT_OWNER');
        throw notFound('Interest');
      }
      if (row.status !== 'pending') throw conflict('INVALID_STATE', `The interest is already ${row.status}`);
      const now = clock.now();
      const updated = await repo.decide(tx, id, row.version, { status: decision, decisionMessage: input?.message ?? null, decidedBy: actor.userId, decidedAt: now });
      if (!updated) throw conflict('INVALID_STATE', 'The interest changed meanwhile; fetch it again');
      const view = (await repo.findView(tx, id))!;
      await repo.insertNotifications(tx, [
        {
          id: newId(),
          userId: row.requesterUserId,
          type: decision === 'accepted' ? 'interest_accepted' : 'interest_declined',
          subjectKind: row.achievementId !== null ? 'achievement' : 'need',
          subjectId: (row.achievementId ?? row.needId)!,
          title: view.subjectTitle,
          message: input?.message ?? null,
          interestId: id,
          createdAt: now,
        },
      ]);
      return result(view);
    });
  }

  return {
    /**
     * An expression of interest in a published, unexpired row of another organization. Every
     * member of the owning organization is notified in the same transaction.
     */
    async express(actor: Actor, kind: SubjectKind, id: string, input: ExpressInterestInput): Promise<InterestResult> {
      if (!MAY_EXPRESS[kind].has(actor.kind)) {
        throw forbidden(kind === 'achievement' ? 'Enterprises and brokers express interest in achievements' : 'Universities, institutes, enterprises and brokers propose to needs', 'ROLE_NOT_ALLOWED');
      }
      return withTransaction(db, async (tx) => {
        const now = clock.now();
        const subject = await repo.findSubject(tx, kind, id);
        if (!subject) throw notFound(WHAT[kind]);
        if (subject.organizationId === actor.organizationId) {
          throw unprocessable('OWN_ROW', `This ${kind} belongs to your organization: interests come from other organizations`);
        }
        if (!isPubliclyVisible(subject, now)) throw notFound(WHAT[kind]);
        const inserted = await repo.insertInterest(tx, {
          id: newId(),
          achievementId: kind === 'achievement' ? id : null,
          needId: kind === 'need' ? id : null,
          ownerOrganizationId: subject.organizationId,
          requesterOrganizationId: actor.organizationId,
          requesterUserId: actor.userId,
          message: input.message,
          createdAt: now,
          updatedAt: now,
        });
        if (!inserted) throw conflict('INTEREST_EXISTS', `Your organization already has a pending or accepted interest in this ${kind}`);
        const members = await repo.memberIds(tx, subject.organizationId);
        await repo.insertNotifications(
          tx,
          members.map((userId) => ({
            id: newId(),
            userId,
            type: 'interest_received' as const,
            subjectKind: kind,
            subjectId: id,
            title: subject.title,
            message: input.message,
            interestId: inserted.id,
            createdAt: now,
          })),
        );
        return result((await repo.findView(tx, inserted.id))!);
      });
    },

    /** The interests one row received: its owner and admins. */
    async listForSubject(actor: Actor, kind: SubjectKind, id: string, query: ListSubjectInterestsQuery) {
      assertOwner(actor, await repo.findSubject(db, kind, id), clock.now(), WHAT[kind], true);
      return page(await repo.list(db, { kind: 'subject', subject: kind, id }, query), query.limit);
    },

    /** Interests the caller's organization received (in its rows) or sent. */
    async list(actor: Actor, query: ListInterestsQuery) {
      const scope: InterestScope = { kind: query.direction, organizationId: actor.organizationId };
      return page(await repo.list(db, scope, query), query.limit);
    },

    /** Both organizations involved, and admins; anyone else gets a 404. */
    async get(actor: Actor, id: string): Promise<InterestResult> {
      const v = await repo.findView(db, id);
      if (!v || !(actor.isAdmin || v.ownerOrganizationId === actor.organizationId || v.requesterOrganizationId === actor.organizationId)) throw notFound('Interest');
      return result(v);
    },

    /** The owner accepts: the interested organization now sees the row's contact and confidential detail. */
    accept: (actor: Actor, id: string, input?: DecideInterestInput | null) => decide(actor, id, 'accepted', input),
    decline: (actor: Actor, id: string, input?: DecideInterestInput | null) => decide(actor, id, 'declined', input),
  };
}

function page(rows: InterestView[], limit: number): { items: InterestDto[]; nextCursor: string | null } {
  const p = keysetPage(rows, limit, interestOrder);
  return { items: p.rows.map(toInterestDto), nextCursor: p.nextCursor };
}

export type InterestsService = ReturnType<typeof createInterestsService>;
