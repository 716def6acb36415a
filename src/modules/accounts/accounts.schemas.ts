import { z } from 'zod';
import { isoDate } from '../../lib/http.js';
import type { OrganizationRow, UserRow } from './accounts.repo.js';

const email = z.email().max(254).transform((e) => e.trim());
// NIST 800-63B: length over composition rules; argon2 input is bounded to keep hashing cheap.
const password = z.string().min(10, 'at least 10 characters').max(128);
const regionCode = z.string().regex(/^\d{6}$/, 'a 6-digit GB/T 2260 code');

export const OrganizationKindSchema = z.enum(['university', 'institute', 'enterprise', 'broker', 'platform']).meta({ id: 'OrganizationKind' });

export const OrganizationSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    kind: OrganizationKindSchema,
    regionCode: z.string(),
    creditCode: z.string().nullable(),
    description: z.string().nullable(),
    website: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int(),
  })
  .meta({ id: 'Organization' });

export const UserSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    displayName: z.string(),
    organizationId: z.uuid(),
    role: z.enum(['owner', 'member', 'admin']),
    createdAt: z.string(),
  })
  .meta({ id: 'User' });

export const TokenPairSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    expiresIn: z.number().int().describe('Access-token lifetime in seconds'),
    tokenType: z.literal('Bearer'),
  })
  .meta({ id: 'TokenPair' });

const NewOrganizationSchema = z.strictObject({
  name: z.string().trim().min(2).max(200),
  kind: OrganizationKindSchema,
  regionCode,
  creditCode: z.string().trim().toUpperCase().optional().describe('统一社会信用代码, validated with its check character'),
});

export const RegisterBodySchema = z
  .strictObject({
    email,
    password,
    displayName: z.string().trim().min(1).max(100),
    organization: NewOrganizationSchema.optional(),
    organizationId: z.uuid().optional(),
    inviteCode: z.string().min(10).max(200).optional(),
  })
  .refine((b) => (b.organization ? !b.organizationId && !b.inviteCode : Boolean(b.organizationId && b.inviteCode)), {
    message: 'give either `organization` (a new organization) or both `organizationId` and `inviteCode`',
    path: ['organization'],
  })
  .meta({ id: 'RegisterRequest' });

export const RegisterResponseSchema = TokenPairSchema.extend({ user: UserSchema, organization: OrganizationSchema }).meta({ id: 'RegisterResponse' });

export const LoginBodySchema = z.strictObject({ email, password: z.string().min(1).max(128) }).meta({ id: 'LoginRequest' });
export const RefreshBodySchema = z.strictObject({ refreshToken: z.string().min(10).max(200) }).meta({ id: 'RefreshRequest' });

export const MeSchema = z
  .object({
    user: UserSchema,
    organization: OrganizationSchema,
    role: z.enum(['university', 'institute', 'enterprise', 'broker', 'admin']).describe('What the user may do: the organization kind, or admin for the platform operator'),
  })
  .meta({ id: 'Me' });

export const UpdateOrganizationBodySchema = z
  .strictObject({
    name: z.string().trim().min(2).max(200).optional(),
    regionCode: regionCode.optional(),
    creditCode: z.string().trim().toUpperCase().optional(),
    description: z.string().max(5000).nullable().optional(),
    website: z.url().max(500).nullable().optional(),
  })
  .meta({ id: 'UpdateOrganizationRequest' });

export const InviteBodySchema = z.strictObject({ email: email.optional() }).meta({ id: 'InviteRequest' });
export const InviteSchema = z
  .object({
    inviteCode: z.string().describe('Shown once; give it to the new member with the organization id'),
    organizationId: z.uuid(),
    email: z.string().nullable(),
    expiresAt: z.string(),
  })
  .meta({ id: 'Invite' });

export const JwksSchema = z
  .object({ keys: z.array(z.object({ kty: z.string(), crv: z.string(), x: z.string(), kid: z.string(), alg: z.string(), use: z.string() })) })
  .meta({ id: 'Jwks' });

export const toOrganizationDto = (o: OrganizationRow): z.infer<typeof OrganizationSchema> => ({
  id: o.id,
  name: o.name,
  kind: o.kind,
  regionCode: o.regionCode,
  creditCode: o.creditCode,
  description: o.description,
  website: o.website,
  createdAt: isoDate(o.createdAt)!,
  updatedAt: isoDate(o.updatedAt)!,
  version: o.version,
});

export const toUserDto = (u: UserRow): z.infer<typeof UserSchema> => ({
  id: u.id,
  email: u.email,
  displayName: u.displayName,
  organizationId: u.organizationId,
  role: u.role,
  createdAt: isoDate(u.createdAt)!,
});
