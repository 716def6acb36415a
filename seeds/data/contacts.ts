import { between } from './text.js';
import { AREA_CODES, type SeedOrganization } from './organizations.js';

/** The contact printed on an organization's listings (confidential: shown to the owner and admins only). */
export function contactOf(org: SeedOrganization): { name: string; phone: string; email: string } {
  const area = AREA_CODES[org.regionCode] ?? '0451';
  return {
    name: org.contactName,
    phone: `${area}-${between(`${org.slug}:phone`, 8200_0000, 8899_9999)}`,
    email: `ttc-${org.slug}@techbridge.example`,
  };
}
