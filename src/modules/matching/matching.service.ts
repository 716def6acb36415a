import type { Db } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import { forbidden, notFound } from '../../lib/errors.js';
import { isPrivileged, isPubliclyVisible } from '../../lib/publication.js';
import type { Actor } from '../accounts/tokens.js';
import { toAchievementDto } from '../achievements/achievements.service.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import { toNeedDto } from '../needs/needs.service.js';
import { achievementDocument, needDocument, type AchievementRow } from '../search/search.documents.js';
import type { AchievementDocument, NeedDocument, SearchDocument, SearchEngine, SearchKind } from '../search/search.engine.js';
import { searchUnavailable } from '../search/search.service.js';
import type { MatchingRepo } from './matching.repo.js';
import type { AchievementMatchPage, MatchExplanationDto, MatchQuery, NeedMatchPage } from './matching.schemas.js';
import {
  MATCH_WEIGHTS,
  fieldScore,
  matchScore,
  matchText,
  freshnessScore,
  maturityScore,
  priceScore,
  regionScore,
  round3,
  sharedFieldCodes,
  termProfile,
  textScores,
  type MatchText,
  type TermProfile,
} from './matching.score.js';

export interface MatchingDeps {
  db: Db;
  repo: MatchingRepo;
  engine: SearchEngine;
  clock: Clock;
  catalog: CatalogService;
}

/** Candidates asked of the engine per retrieval; the re-rank sees their union. */
const POOL = 100;

interface Ranked<D> {
  doc: D;
  score: number;
  explanation: MatchExplanationDto;
}

export function createMatchingService(deps: MatchingDeps) {
  const { db, repo, engine, clock, catalog } = deps;

  /**
   * Who may see matches: members of the owning organization, brokers (matching is their trade)
   * and admins. A row the caller may not see at all is a 404, as everywhere; a visible row whose
   * matches are not theirs to see is a 403.
   */
  function authorize<R extends { id: string; organizationId: string; status: AchievementRow['status']; validUntil: Date }>(actor: Actor, row: R | undefined, now: Date, what: string): R {
    if (!row || !(isPubliclyVisible(row, now) || isPrivileged(actor, row))) throw notFound(what);
    if (!(actor.isAdmin || actor.organizationId === row.organizationId || actor.kind === 'broker')) {
      throw forbidden('Matches are for the owning organization, brokers and admins', 'MATCHES_NOT_ALLOWED');
    }
    return row;
  }

  /**
   * Candidates from the engine, four ways: the source's key terms within its fields (the same
   * leaf or any ancestor), the same terms anywhere (a miscoded row still has its words), its next
   * terms anywhere (a need's body often names the technique its title does not), and the newest
   * rows of its own leaf fields (the same subject in other words). Only public fields of
   * the source are used, so the explanation never reveals its confidential detail.
   */
  async function candidates<K extends SearchKind>(kind: K, source: SearchDocument, profile: TermProfile, now: Date): Promise<Map<string, SearchDocument>> {
    const base = { validAfter: now.getTime(), excludeOrganizationId: source.organizationId };
    const fields = source.fieldPathCodes.filter((c) => c.includes('.'));
    const q = profile.query.join(' ');
    const more = profile.moreQuery.join(' ');
    try {
      const results = await Promise.all([
        q ? engine.search(kind, { q, match: 'any', filters: { ...base, fieldCodes: fields }, limit: POOL }) : undefined,
        q ? engine.search(kind, { q, match: 'any', filters: base, limit: POOL / 2 }) : undefined,
        more ? engine.search(kind, { q: more, match: 'any', filters: base, limit: POOL / 2 }) : undefined,
        engine.search(kind, { filters: { ...base, fieldCodes: source.fieldCodes }, sort: 'newest', limit: POOL / 2, count: false }),
      ]);
      const out = new Map<string, SearchDocument>();
      for (const r of results) for (const h of r?.hits ?? []) out.set(h.id, h.document);
      return out;
    } catch (err) {
      throw searchUnavailable(err);
    }
  }

  function rank<D extends SearchDocument>(source: SearchDocument, pool: D[], profile: TermProfile, sourceText: MatchText, now: Date): Ranked<D>[] {
    const texts = textScores(profile, sourceText, pool.map((d) => matchText(d, d.kind === 'achievement' ? [d.institution] : [])));
    return pool
      .map((doc, i) => {
        const [achievement, need] = (doc.kind === 'achievement' ? [doc, source] : [source, doc]) as [AchievementDocument, NeedDocument];
        const parts = {
          text: texts[i]!.score,
          field: fieldScore(catalog, source.fieldCodes, doc.fieldCodes),
          maturity: maturityScore(achievement, need),
          price: priceScore(achievement, need),
          region: regionScore(source, doc),
          freshness: freshnessScore(doc.publishedAt, now.getTime()),
        };
        const explanation: MatchExplanationDto = {
          text: round3(parts.text),
          field: round3(parts.field),
          maturity: round3(parts.maturity),
          price: round3(parts.price),
          region: round3(parts.region),
          freshness: round3(parts.freshness),
          sharedFieldCodes: sharedFieldCodes(source, doc),
          matchedTerms: texts[i]!.matched.slice(0, 10),
        };
        return { doc, score: round3(matchScore(parts)), explanation };
      })
      .sort((a, b) => b.score - a.score || b.doc.publishedAt - a.doc.publishedAt || (a.doc.id < b.doc.id ? -1 : 1));
  }

  async function match<D extends SearchDocument>(kind: SearchKind, source: SearchDocument, now: Date): Promise<Ranked<D>[]> {
    const organization = await repo.organizationName(db, source.organizationId);
    const names = [organization, source.kind === 'achievement' ? source.institution : undefined].filter((n): n is string => n !== undefined);
    const profile = termProfile(source, names);
    const pool = [...(await candidates(kind, source, profile, now)).values()] as D[];
    return rank(source, pool, profile, matchText(source, names), now);
  }

  const extras = () => ({ nextCursor: null, engine: engine.name, weights: { ...MATCH_WEIGHTS } });

  return {
    /** GET /v1/needs/{id}/matches: published achievements that could answer the need, best first. */
    async forNeed(actor: Actor, id: string, query: MatchQuery): Promise<AchievementMatchPage> {
      const now = clock.now();
      const need = authorize(actor, await repo.findNeed(db, id), now, 'Need');
      const ranked = await match<AchievementDocument>('achievement', needDocument(need), now);
      // The index may lag the database by a moment: only rows still public now are returned.
      const rows = new Map((await repo.achievementsByIds(db, ranked.slice(0, query.limit * 2).map((r) => r.doc.id))).map((r) => [r.id, r]));
      const items = ranked
        .filter((r) => rows.has(r.doc.id) && isPubliclyVisible(rows.get(r.doc.id)!, now))
        .slice(0, query.limit)
        .map((r) => ({ achievement: toAchievementDto(rows.get(r.doc.id)!, actor, now), score: r.score, explanation: r.explanation }));
      return { items, ...extras() };
    },

    /** GET /v1/achievements/{id}/matches: published needs the achievement could answer, best first. */
    async forAchievement(actor: Actor, id: string, query: MatchQuery): Promise<NeedMatchPage> {
      const now = clock.now();
      const achievement = authorize(actor, await repo.findAchievement(db, id), now, 'Achievement');
      const ranked = await match<NeedDocument>('need', achievementDocument(achievement), now);
      const rows = new Map((await repo.needsByIds(db, ranked.slice(0, query.limit * 2).map((r) => r.doc.id))).map((r) => [r.id, r]));
      const items = ranked
        .filter((r) => rows.has(r.doc.id) && isPubliclyVisible(rows.get(r.doc.id)!, now))
        .slice(0, query.limit)
        .map((r) => ({ need: toNeedDto(rows.get(r.doc.id)!, actor, now), score: r.score, explanation: r.explanation }));
      return { items, ...extras() };
    },
  };
}

export type MatchingService = ReturnType<typeof createMatchingService>;
