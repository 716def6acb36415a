import { createHmac, randomBytes } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Webhooks of saved searches: the signature, the SSRF guard and one delivery attempt.
 *
 * Signature (documented in the OpenAPI description of createSubscription and the README):
 *   TechBridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, `${t}.${body}`)>
 * The timestamp is real (wall-clock) time, not the business clock: receivers compare it with
 * their own clock to refuse replays, and a sandbox clock must not make every delivery look stale.
 */
export const SIGNATURE_HEADER = 'techbridge-signature';
export const EVENT_HEADER = 'techbridge-event';
export const DELIVERY_HEADER = 'techbridge-delivery';

export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${v1}`;
}

// Destinations a server-side request must never reach unless configured: the platform's own
// network, cloud metadata (169.254.169.254), loopback. IPv4-mapped IPv6 is checked by IPv4 rules.
const FORBIDDEN = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network", incl. the unspecified address
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // RFC 6598 carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata)
  ['172.16.0.0', 12], // RFC 1918
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // RFC 1918
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. broadcast
] as const) {
  FORBIDDEN.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routable inside some networks)
  ['ff00::', 8], // multicast
] as const) {
  FORBIDDEN.addSubnet(net, prefix, 'ipv6');
}

export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return FORBIDDEN.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface WebhookPolicy {
  /** WEBHOOK_ALLOW_PRIVATE: the guard is off */
  allowPrivate: boolean;
  /** WEBHOOK_ALLOWED_HOSTS: lower-case host names or IP literals (no brackets) the guard lets through */
  allowedHosts: readonly string[];
}

/** Why a URL is refused; `reason` goes into the problem and the dead letter. */
export class WebhookUrlError extends Error {
  constructor(
    readonly code: 'WEBHOOK_URL_INVALID' | 'WEBHOOK_URL_FORBIDDEN' | 'WEBHOOK_URL_UNRESOLVABLE',
    message: string,
  ) {
    super(message);
    this.name = 'WebhookUrlError';
  }
}

const hostOf = (url: URL): string => url.hostname.toLowerCase().replace(/^\[|\]$/g, '');

/** Syntax: absolute http(s), no credentials in it. */
export function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlError('WEBHOOK_URL_INVALID', 'not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookUrlError('WEBHOOK_URL_INVALID', 'only http and https URLs are delivered to');
  if (url.username || url.password) throw new WebhookUrlError('WEBHOOK_URL_INVALID', 'credentials in the URL are not accepted; authenticate with the signature');
  if (!url.hostname) throw new WebhookUrlError('WEBHOOK_URL_INVALID', 'the URL has no host');
  return url;
}

const exempt = (policy: WebhookPolicy, host: string): boolean => policy.allowPrivate || policy.allowedHosts.includes(host);

function refuseForbidden(policy: WebhookPolicy, host: string, addresses: readonly LookupAddress[]): void {
  if (exempt(policy, host)) return;
  const bad = addresses.find((a) => isForbiddenAddress(a.address));
  if (bad) {
    throw new WebhookUrlError('WEBHOOK_URL_FORBIDDEN', `${host} resolves to ${bad.address}, a loopback, private, link-local, multicast or unspecified address`);
  }
}

export type Resolver = (host: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) => {
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

/**
 * The whole check: syntax, then every address the host resolves to (one forbidden address is
 * enough to refuse: a client may connect to any of them). Run at creation and before each delivery.
 */
export async function checkWebhookUrl(raw: string, policy: WebhookPolicy, resolve: Resolver = systemResolver): Promise<URL> {
  const url = parseWebhookUrl(raw);
  const host = hostOf(url);
  let addresses: LookupAddress[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await resolve(host);
    } catch (err) {
      throw new WebhookUrlError('WEBHOOK_URL_UNRESOLVABLE', `${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (addresses.length === 0) throw new WebhookUrlError('WEBHOOK_URL_UNRESOLVABLE', `${host} has no address`);
  }
  refuseForbidden(policy, host, addresses);
  return url;
}

/**
 * The connection's own resolution, checked again: DNS may answer differently between the check
 * and the connect (rebinding), and this is the address the socket actually uses.
 */
function guardedLookup(policy: WebhookPolicy, host: string): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true, verbatim: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      try {
        refuseForbidden(policy, host, addresses);
      } catch (refused) {
        return callback(refused as NodeJS.ErrnoException, '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0]!;
      return callback(null, first.address, first.family);
    });
  };
}

export interface WebhookRequest {
  url: string;
  body: string;
  secret: string;
  event: string;
  deliveryId: string;
  /** unix seconds for the signature */
  timestampSeconds: number;
}

export interface WebhookAttempt {
  ok: boolean;
  /** the URL is refused by policy: retrying cannot help until the configuration or DNS changes */
  refused: boolean;
  status?: number;
  error?: string;
}

/**
 * One POST. Redirects are not followed (a 3xx is a failure: following it would bypass the guard);
 * the response body is drained and ignored; the whole attempt is bounded by timeoutMs.
 */
export async function deliverWebhook(req: WebhookRequest, policy: WebhookPolicy, timeoutMs: number, resolve: Resolver = systemResolver): Promise<WebhookAttempt> {
  let url: URL;
  try {
    url = await checkWebhookUrl(req.url, policy, resolve);
  } catch (err) {
    const refused = err instanceof WebhookUrlError && err.code !== 'WEBHOOK_URL_UNRESOLVABLE';
    return { ok: false, refused, error: err instanceof Error ? err.message : String(err) };
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<WebhookAttempt>((done) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        lookup: guardedLookup(policy, hostOf(url)),
        signal: AbortSignal.timeout(timeoutMs),
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(req.body),
          'user-agent': 'TechBridge-Webhooks/1',
          [SIGNATURE_HEADER]: signWebhook(req.secret, req.timestampSeconds, req.body),
          [EVENT_HEADER]: req.event,
          [DELIVERY_HEADER]: req.deliveryId,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          done(status >= 200 && status < 300 ? { ok: true, refused: false, status } : { ok: false, refused: false, status, error: `receiver answered ${status}` });
        });
        res.on('error', (err) => done({ ok: false, refused: false, error: err.message }));
        // Cut off mid-body (timeout, reset): whichever event comes first settles the attempt.
        res.on('close', () => done({ ok: false, refused: false, error: 'the connection closed before the answer was complete' }));
      },
    );
    request.on('error', (err) => {
      const refused = err instanceof WebhookUrlError;
      const message = err.name === 'AbortError' || err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : err.message;
      done({ ok: false, refused, error: message });
    });
    request.end(req.body);
  });
}
