import type { FastifyReply } from 'fastify';
import { preconditionFailed } from './errors.js';

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
