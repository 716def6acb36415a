import Fastify, { type FastifyInstance } from 'fastify';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { createServices, type AppDeps, type Services } from './container.js';
import { newId } from './lib/ids.js';
import { createSerializerCompiler } from './lib/serializer.js';
import errorsPlugin, { frameworkError } from './plugins/errors.js';
import securityPlugin from './plugins/security.js';
import shutdownPlugin from './plugins/shutdown.js';
import textGuardPlugin from './plugins/text-guard.js';
import swaggerPlugin from './plugins/swagger.js';
import authPlugin from './plugins/auth.js';
import policyPlugin from './plugins/policy.js';
import sandboxClockPlugin from './plugins/sandbox-clock.js';
import { healthRoutes } from './plugins/health.js';
import { accountsRoutes } from './modules/accounts/accounts.routes.js';
import { catalogRoutes } from './modules/catalog/catalog.routes.js';
import { calendarRoutes } from './modules/catalog/calendar.routes.js';
import { achievementsRoutes } from './modules/achievements/achievements.routes.js';
import { achievementsImportRoutes } from './modules/achievements/achievements.import.routes.js';
import { needsRoutes } from './modules/needs/needs.routes.js';
import { searchRoutes } from './modules/search/search.routes.js';
import { matchingRoutes } from './modules/matching/matching.routes.js';
import { listingsRoutes } from './modules/listings/listings.routes.js';
import { registrationsRoutes } from './modules/listings/registrations.routes.js';
import { auctionsRoutes } from './modules/auctions/auctions.routes.js';
import { auditRoutes } from './modules/audit/audit.routes.js';
import { liveRoutes } from './modules/live/live.routes.js';
import { dealsRoutes } from './modules/deals/deals.routes.js';
import { contractsRoutes } from './modules/contracts/contracts.routes.js';
import { statsRoutes } from './modules/stats/stats.routes.js';
import { interestsRoutes } from './modules/interests/interests.routes.js';
import { subscriptionsRoutes } from './modules/interests/interests.subscriptions.routes.js';
import { sandboxRoutes } from './modules/sandbox/sandbox.routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDeps;
    services: Services;
  }
}

export type { AppDeps };

/** Builds the whole HTTP application. Used by the server, the CLI tools and every test. */
export async function buildApp(deps: AppDeps, services: Services = createServices(deps)): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    logger: config.LOG_LEVEL === 'silent' ? false : { level: config.LOG_LEVEL, redact: ['req.headers.authorization'] },
    bodyLimit: config.BODY_LIMIT_BYTES,
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    trustProxy: config.TRUST_PROXY,
    // Accept a caller's request id only when it is a sane token; otherwise mint one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._-]{8,64}$/.test(given) ? given : newId();
    },
    ajv: { customOptions: { removeAdditional: false } },
    frameworkErrors: frameworkError,
    // src/plugins/shutdown.ts answers requests that arrive while closing, as problem+json.
    return503OnClosing: false,
  }).withTypeProvider<ZodTypeProvider>();

  // JSON only (multipart is added where uploads are accepted): anything else is a 415, not a 400.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  // Production projects responses onto their schemas; development and tests also check them with zod.
  app.setSerializerCompiler(createSerializerCompiler({ verify: config.NODE_ENV !== 'production' }));
  app.decorate('deps', deps);
  app.decorate('services', services);
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });

  await app.register(errorsPlugin);
  await app.register(securityPlugin, { corsOrigins: config.CORS_ORIGINS });
  await app.register(shutdownPlugin);
  await app.register(textGuardPlugin);
  await app.register(swaggerPlugin);
  await app.register(authPlugin, { tokens: services.tokens });
  await app.register(policyPlugin, { enforce: config.NODE_ENV !== 'production' });
  await app.register(sandboxClockPlugin, { sandbox: services.sandbox });

  await app.register(healthRoutes);
  await app.register(accountsRoutes, {
    loginPerAccount: config.LOGIN_MAX_PER_ACCOUNT_PER_MINUTE,
    loginPerIp: config.LOGIN_MAX_PER_IP_PER_MINUTE,
  });
  await app.register(catalogRoutes);
  await app.register(calendarRoutes);
  await app.register(achievementsRoutes);
  await app.register(achievementsImportRoutes, { limitBytes: config.IMPORT_LIMIT_BYTES });
  await app.register(needsRoutes);
  await app.register(searchRoutes);
  await app.register(matchingRoutes);
  await app.register(listingsRoutes);
  await app.register(registrationsRoutes);
  await app.register(auctionsRoutes, { bidsPerBidderPerMinute: config.BIDS_PER_BIDDER_PER_MINUTE });
  await app.register(auditRoutes);
  await app.register(liveRoutes, { heartbeatMs: config.SSE_HEARTBEAT_MS, retryMs: config.SSE_RETRY_MS });
  await app.register(dealsRoutes);
  await app.register(contractsRoutes);
  await app.register(statsRoutes);
  await app.register(interestsRoutes);
  await app.register(subscriptionsRoutes);
  await app.register(sandboxRoutes);

  return app;
}
