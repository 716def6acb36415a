import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * Configuration is parsed once at boot (here) and passed down; nothing reads process.env later.
 * Secrets have no defaults: in development a key is generated and persisted under DATA_DIR
 * (see keys.ts); in production a missing secret refuses to start.
 */
export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().default('0.0.0.0'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATA_DIR: z.string().default('.data'),
    DATABASE_URL: z.string().url().optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
    SEED: bool.default(true),
    JWT_PRIVATE_KEY: z.string().min(1).optional(),
    JWT_ISSUER: z.string().default('https://techbridge.local'),
    JWT_AUDIENCE: z.string().default('techbridge-api'),
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
    REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    ADMIN_EMAIL: z.string().email().optional(),
    ADMIN_PASSWORD: z.string().min(12).optional(),
    CORS_ORIGINS: z.string().default('*'),
    TRUST_PROXY: bool.default(false),
    BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
    IMPORT_LIMIT_BYTES: z.coerce.number().int().min(1024).default(20 * 1_048_576),
    REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30_000),
    LOGIN_MAX_PER_ACCOUNT_PER_MINUTE: z.coerce.number().int().min(1).default(5),
    LOGIN_MAX_PER_IP_PER_MINUTE: z.coerce.number().int().min(1).default(30),
    LISTING_SCHEDULER_INTERVAL_MS: z.coerce.number().int().min(10).max(1000).default(250).describe('how often due listing transitions are processed'),
    LISTING_MAX_NOTICE_EXTENSIONS: z.coerce.number().int().min(0).max(24).default(3).describe('default 5-working-day extensions of a notice without buyers'),
    LISTING_AGREEMENT_WORKING_DAYS: z.coerce.number().int().min(1).max(30).default(5).describe('working days both parties have to confirm a 协议成交'),
    BIDS_PER_BIDDER_PER_MINUTE: z.coerce.number().int().min(1).default(120),
    SSE_HEARTBEAT_MS: z.coerce.number().int().min(10).max(300_000).default(15_000).describe('comment line on idle event streams'),
    SSE_RETRY_MS: z.coerce.number().int().min(100).max(60_000).default(3_000).describe('reconnection delay suggested to EventSource clients'),
    MEILI_URL: z.string().url().optional().describe('selects the Meilisearch engine; unset → the PostgreSQL engine'),
    MEILI_MASTER_KEY: z.string().optional(),
    MEILI_INDEX_PREFIX: z.string().regex(/^[A-Za-z0-9_-]*$/).default(''),
    MEILI_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
    SEARCH_RELAY_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(200),
    SEARCH_RELAY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
    READ_CACHE: bool.default(true).describe('keep serialized public bodies of achievements, needs and their list pages in memory, evicted through NOTIFY'),
    READ_CACHE_MAX_BYTES: z.coerce.number().int().min(16_384).default(64 * 1_048_576).describe('bound of the read cache per process (least recently used out)'),
    READ_CACHE_MAX_AGE_MS: z.coerce.number().int().min(1).max(3_600_000).default(30_000).describe('longest a cached body is served after its read'),
    SANDBOX_CLOCK: bool.default(false).describe('business time can be moved forward through /v1/sandbox/clock (demos, acceptance tests); never in production'),
    NOTIFICATION_RELAY_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(500).describe('how often subscriptions are matched and webhooks sent'),
    WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8).describe('failed deliveries before a webhook is dead-lettered'),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000).describe('per delivery attempt'),
    WEBHOOK_ALLOW_PRIVATE: bool.default(false).describe('allow webhook URLs that resolve to loopback, private or link-local addresses (SSRF guard off)'),
    WEBHOOK_ALLOWED_HOSTS: z
      .string()
      .default('')
      .transform((s) => s.split(',').map((h) => h.trim().toLowerCase().replace(/^\[|\]$/g, '')).filter(Boolean))
      .describe('comma-separated webhook hosts (names or IP literals) exempt from the private-address refusal'),
  })
  .superRefine((c, ctx) => {
    if (c.NODE_ENV !== 'production') return;
    if (!c.JWT_PRIVATE_KEY) {
      ctx.addIssue({ code: 'custom', path: ['JWT_PRIVATE_KEY'], message: 'required in production (PKCS#8 PEM of an Ed25519 key)' });
    }
    if (!c.DATABASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'required in production (the embedded database is for development)' });
    }
    if (c.SANDBOX_CLOCK) {
      ctx.addIssue({ code: 'custom', path: ['SANDBOX_CLOCK'], message: 'not allowed in production (it lets an admin move business time: auctions, deadlines)' });
    }
    if (c.ADMIN_EMAIL && !c.ADMIN_PASSWORD) {
      ctx.addIssue({ code: 'custom', path: ['ADMIN_PASSWORD'], message: 'required with ADMIN_EMAIL' });
    }
  });

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** A config for tests and tools: defaults plus overrides, no environment. */
export function testConfig(overrides: Partial<Record<keyof Config, string>> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED: 'false', ...overrides });
}
