import type { Db } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import { notFound, unprocessable, type FieldError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { checkCatalogCodes, keysetPage, throwIfInvalid } from '../../lib/publication.js';
import type { Actor } from '../accounts/tokens.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import { buildTsquery } from '../search/search.postgres.js';
import { queryTerms } from '../search/search.text.js';
import { subscriptionOrder, type SubscriptionRow, type SubscriptionsRepo } from './interests.outbox.repo.js';
import type { CreateSubscriptionInput, CreatedSubscriptionDto, SubscriptionDto } from './interests.schemas.js';
import { checkWebhookUrl, newWebhookSecret, WebhookUrlError, type Resolver, type WebhookPolicy } from './interests.webhooks.js';

export interface SubscriptionsDeps {
  db: Db;
  repo: SubscriptionsRepo;
  clock: Clock;
  catalog: CatalogService;
  webhookPolicy: WebhookPolicy;
  resolve?: Resolver;
}

export function toSubscriptionDto(row: SubscriptionRow): SubscriptionDto {
  return {
    id: row.id,
    type: row.kind,
    q: row.q,
    fieldCodes: row.fieldCodes,
    regionCode: row.regionCode,
    webhookUrl: row.webhookUrl,
    createdAt: row.createdAt.toISOString(),
  };
}

const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Saved searches, per user: another user's subscription is a 404 like one that does not exist. */
export function createSubscriptionsService(deps: SubscriptionsDeps) {
  const { db, repo, clock, catalog, webhookPolicy, resolve } = deps;

  /**
   * q is matched as the search box matches it (src/modules/search/search.postgres.ts): every jieba
   * term (or a synonym) of q, the last one as a prefix, or the title containing q from three
   * characters on. Both forms are computed here once, so matching is one SQL statement.
   */
  async function textMatch(q: string | undefined): Promise<{ matchQuery: string | null; titlePattern: string | null }> {
    if (q === undefined) return { matchQuery: null, titlePattern: null };
    const tsquery = buildTsquery(queryTerms(q), 'all');
    const matchQuery = tsquery !== undefined && (await repo.isMatchableTsquery(db, tsquery)) ? tsquery : null;
    const titlePattern = [...q].length >= 3 || matchQuery === null ? likePattern(q) : null;
    return { matchQuery, titlePattern };
  }

  return {
    async create(actor: Actor, input: CreateSubscriptionInput): Promise<CreatedSubscriptionDto> {
      const errors: FieldError[] = [];
      checkCatalogCodes(catalog, input, errors);
      throwIfInvalid(errors, 'subscription');
      let webhookUrl: string | null = null;
      if (input.webhookUrl !== undefined) {
        try {
          webhookUrl = (await checkWebhookUrl(input.webhookUrl, webhookPolicy, resolve)).href;
        } catch (err) {
          if (!(err instanceof WebhookUrlError)) throw err;
          throw unprocessable(err.code, `The webhook URL is refused: ${err.message}`, [{ path: 'webhookUrl', message: err.message }]);
        }
      }
      const webhookSecret = webhookUrl === null ? null : newWebhookSecret();
      const row = await repo.insert(db, {
        id: newId(),
        userId: actor.userId,
        kind: input.type,
        q: input.q ?? null,
        ...(await textMatch(input.q)),
        fieldCodes: [...new Set(input.fieldCodes ?? [])],
        regionCode: input.regionCode ?? null,
        webhookUrl,
        webhookSecret,
        createdAt: clock.now(),
      });
      return { ...toSubscriptionDto(row), webhookSecret };
    },

    async list(actor: Actor, query: { limit: number; cursor?: string | undefined }): Promise<{ items: SubscriptionDto[]; nextCursor: string | null }> {
      const page = keysetPage(await repo.list(db, actor.userId, query), query.limit, subscriptionOrder);
      return { items: page.rows.map(toSubscriptionDto), nextCursor: page.nextCursor };
    },

    async get(actor: Actor, id: string): Promise<SubscriptionDto> {
      const row = await repo.findById(db, id);
      if (!row || row.userId !== actor.userId) throw notFound('Subscription');
      return toSubscriptionDto(row);
    },

    async remove(actor: Actor, id: string): Promise<void> {
      if (!(await repo.delete(db, actor.userId, id))) throw notFound('Subscription');
    },
  };
}

export type SubscriptionsService = ReturnType<typeof createSubscriptionsService>;
