import type { $ZodType } from 'zod/v4/core';
import type { Db, Executor } from '../db/client.js';
import type { Actor } from '../modules/accounts/tokens.js';
import type { ChangedEntity } from './changes.js';
import type { Clock } from './clock.js';
import { etagOf } from './etag.js';
import { assertVisible, isDisclosed, isPrivileged, isPubliclyVisible, type DisclosureGrants, type ListScope, type PublishableRow } from './publication.js';
import { pageKey, type CachedBody, type ReadCache, type ReadResult } from './read-cache.js';

interface ReadableRow extends PublishableRow {
  version: number;
  contact: unknown;
  descriptionConfidential: boolean;
}

export interface Page<Dto> {
  items: Dto[];
  nextCursor: string | null;
}

export interface PublicationReadsDeps<Row extends ReadableRow, Dto> {
  db: Db;
  clock: Clock;
  cache: ReadCache;
  disclosures: DisclosureGrants;
  entity: ChangedEntity;
  /** the resource's name in messages: "Achievement", "Need" */
  what: string;
  findForRead(db: Executor, id: string): Promise<Row | undefined>;
  toDto(row: Row, viewer: Actor | null, now: Date, disclosed?: boolean): Dto;
  /** the 200 schemas of GET one and of the list route, so cached bodies are their bytes */
  schemas: { one: $ZodType; page: $ZodType };
}

/**
 * GET one and the list pages of achievements and needs, through the public read cache
 * (src/lib/read-cache.ts). Only the public representation is cached, and it is served only to
 * viewers who see exactly that: anonymous callers, and signed-in ones who own none of the rows,
 * are no admins and (for one disclosable row) hold no accepted interest. Everyone else takes the
 * uncached path, which never stores what it builds for them.
 */
export function createPublicationReads<Row extends ReadableRow, Dto>(deps: PublicationReadsDeps<Row, Dto>) {
  const { db, clock, cache, disclosures, entity, what, findForRead, toDto } = deps;
  const serializeOne = cache.serializer(deps.schemas.one, `GET one ${entity}`);
  const serializePage = cache.serializer(deps.schemas.page, `GET ${entity} list`);

  /** One row's public body fits this viewer; a disclosable row asks the grants (one indexed read). */
  async function servesOne(viewer: Actor | null, hit: CachedBody, id: string): Promise<boolean> {
    if (viewer === null) return true;
    if (viewer.isAdmin || hit.owners.includes(viewer.organizationId)) return false;
    return !hit.disclosable || !(await disclosures.isDisclosedTo(db, entity, id, viewer.organizationId));
  }

  /** Lists never disclose: only admins and the owners of rows on the page see more. */
  const servesPage = (viewer: Actor | null, owners: readonly string[]): boolean => viewer === null || (!viewer.isAdmin && !owners.includes(viewer.organizationId));

  return {
    async get(viewer: Actor | null, id: string): Promise<ReadResult<Dto>> {
      const hit = cache.get(entity, 'one', id);
      if (hit && (await servesOne(viewer, hit, id))) return hit;
      const ticket = cache.ticket(entity);
      const now = clock.now();
      const row = assertVisible(viewer, await findForRead(db, id), now, what);
      const disclosed = await isDisclosed(disclosures, db, viewer, entity, row);
      const dto = toDto(row, viewer, now, disclosed);
      const etag = etagOf(row.version);
      if (ticket && isPubliclyVisible(row, now) && !disclosed && !isPrivileged(viewer, row)) {
        return cache.put(ticket, 'one', id, serializeOne(dto), {
          etag,
          readAt: now,
          validUntil: row.validUntil,
          owners: [row.organizationId],
          disclosable: row.contact !== null || row.descriptionConfidential,
        });
      }
      return { value: dto, etag };
    },

    /**
     * A list page. `load` runs the query on `now` and returns every row it fetched (the page and
     * the one past it, which decides nextCursor) and the page built for the viewer.
     */
    async list(
      viewer: Actor | null,
      scope: ListScope,
      query: object,
      load: () => Promise<{ fetched: Row[]; shown: Row[]; page: Page<Dto> }>,
    ): Promise<ReadResult<Page<Dto>>> {
      if (scope.kind !== 'public') return { value: (await load()).page };
      const key = pageKey(query);
      const hit = cache.get(entity, 'page', key);
      if (hit && servesPage(viewer, hit.owners)) return hit;
      const ticket = cache.ticket(entity);
      const { fetched, shown, page } = await load();
      const owners = [...new Set(shown.map((r) => r.organizationId))];
      if (!ticket || !servesPage(viewer, owners)) return { value: page };
      let validUntil: Date | null = null;
      for (const r of fetched) if (validUntil === null || r.validUntil < validUntil) validUntil = r.validUntil;
      return cache.put(ticket, 'page', key, serializePage(page), { readAt: scope.now, validUntil, owners, disclosable: false });
    },
  };
}
