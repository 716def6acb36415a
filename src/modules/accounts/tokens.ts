import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { unauthorized } from '../../lib/errors.js';
import type { SigningKeys } from './keys.js';
import type { MemberRole, OrgKind } from './accounts.tables.js';

/** Who is calling: derived from a verified access token. */
export interface Actor {
  userId: string;
  organizationId: string;
  kind: OrgKind;
  role: MemberRole;
  isAdmin: boolean;
}

export interface TokenSettings {
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
}

// RFC 9068 access-token type; a refresh token (opaque) or an ID-token-like JWT never passes.
const ACCESS_TYP = 'at+jwt';

export function createTokenIssuer(keys: SigningKeys, settings: TokenSettings) {
  return {
    async sign(actor: Omit<Actor, 'isAdmin'>): Promise<string> {
      // Token times are real time, never the business clock, so a sandbox clock jump cannot expire them.
      return new SignJWT({ org: actor.organizationId, kind: actor.kind, role: actor.role })
        .setProtectedHeader({ alg: 'EdDSA', typ: ACCESS_TYP, kid: keys.kid })
        .setSubject(actor.userId)
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setIssuedAt()
        .setNotBefore('0s')
        .setJti(randomBytes(12).toString('base64url'))
        .setExpirationTime(`${settings.accessTtlSeconds}s`)
        .sign(keys.privateKey);
    },

    async verify(token: string): Promise<Actor> {
      try {
        const { payload } = await jwtVerify(
          token,
          async (header) => {
            if (header.kid !== keys.kid) throw new joseErrors.JWKSNoMatchingKey();
            return keys.publicKey;
          },
          {
            algorithms: ['EdDSA'],
            issuer: settings.issuer,
            audience: settings.audience,
            typ: ACCESS_TYP,
            requiredClaims: ['sub', 'exp', 'iat', 'nbf'],
            clockTolerance: 5,
          },
        );
        const { sub, org, kind, role } = payload as Record<string, unknown>;
        if (typeof sub !== 'string' || typeof org !== 'string' || typeof kind !== 'string' || typeof role !== 'string') {
          throw new Error('claims');
        }
        return {
          userId: sub,
          organizationId: org,
          kind: kind as OrgKind,
          role: role as MemberRole,
          isAdmin: kind === 'platform' && role === 'admin',
        };
      } catch (err) {
        const expired = err instanceof joseErrors.JWTExpired;
        throw unauthorized(expired ? 'The access token has expired' : 'The access token is not valid', expired ? 'TOKEN_EXPIRED' : 'INVALID_TOKEN');
      }
    },
  };
}

export type TokenIssuer = ReturnType<typeof createTokenIssuer>;

export const newOpaqueToken = (): string => randomBytes(32).toString('base64url');
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
