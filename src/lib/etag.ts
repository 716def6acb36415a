import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { preconditionFailed } from './errors.js';
import { matchesIfNoneMatch, type ReadResult } from './read-cache.js';

/** Weak-free ETag from a row's version: `"<version>"`. */
export const etagOf = (version: number): string => `"${version}"`;

export function setEtag(reply: FastifyReply, version: number): void {
  reply.header('etag', etagOf(version));
}

/** Parses If-Match into the expected version; `*` or absent → undefined (no precondition). */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const m = /^(?:W\/)?"(\d{1,9})"$/.exec(header.trim());
  if (!m) throw preconditionFailed('If-Match must be an ETag this API issued, such as "3"');
  return Number(m[1]);
}

/**
 * Answers a cacheable read: a public body goes out as it is (the bytes the route's serializer
 * wrote when it was stored), or 304 when If-None-Match names its ETag; a value is returned for
 * the route to serialize.
 */
export function sendRead<T>(request: FastifyRequest, reply: FastifyReply, r: ReadResult<T>): T | FastifyReply {
  // The body depends on who asks (owners, admins and disclosed organizations see more under the
  // same version ETag), so a cache must not answer one caller with what it stored for another.
  reply.header('vary', varyWith(reply.getHeader('vary'), 'Authorization'));
  if (r.etag !== undefined) reply.header('etag', r.etag);
  if ('value' in r) return r.value;
  if (matchesIfNoneMatch(request.headers['if-none-match'], r.etag)) return reply.code(304).send();
  return reply.header('content-type', 'application/json; charset=utf-8').send(r.body);
}

function varyWith(current: unknown, name: string): string {
  const names = typeof current === 'string' && current !== '' ? current.split(',').map((n) => n.trim()) : [];
  return names.some((n) => n.toLowerCase() === name.toLowerCase() || n === '*') ? names.join(', ') : [...names, name].join(', ');
}

/** What a route answered by sendRead declares: the conditional request header and its 304. */
export const conditionalRead = {
  headers: z.object({
    'if-none-match': z.string().max(1024).optional().describe('ETags from earlier answers of this URL; 304 when one is still current'),
  }),
  responses: { 304: z.null().describe('Not Modified: an ETag in If-None-Match is current (the body is the one you have)') },
};
