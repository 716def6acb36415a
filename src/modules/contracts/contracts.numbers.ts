import { CHINA_COUNTRY_CODE } from './contracts.codes.js';

/**
 * 合同登记编号: 16 digits, extending the 14-digit layout of the older registration forms (2-digit
 * year + province + city + point + 6-digit serial) to a 4-digit year:
 *
 *   YYYY   registration year (Beijing time)
 *   PPCC   province and city digits of the registration region (GB/T 2260); a province-level
 *          code gives PP00
 *   NN     the registration point within that city; this platform is point 01
 *   SSSSSS serial per (year, region, point), from 000001
 *
 * e.g. 2026 2301 01 000042. The serial comes from contract_number_counters (see the repo).
 */
export const REGISTRATION_POINT = '01';
export const MAX_SERIAL = 999_999;

/**
 * The seller side registers in its own region; for a technology import (foreign seller) the
 * domestic buyer does.
 */
export function registrationRegion(row: { sellerCountryCode: string; sellerRegionCode: string | null; buyerRegionCode: string | null }): string {
  const code = row.sellerCountryCode === CHINA_COUNTRY_CODE ? row.sellerRegionCode : row.buyerRegionCode;
  if (code === null || !/^\d{6}$/.test(code)) throw new Error('a registered contract has a domestic party with a GB/T 2260 region');
  return code;
}

export const regionPrefixOf = (regionCode: string): string => regionCode.slice(0, 4);

export function formatRegistrationNumber(year: number, regionPrefix: string, point: string, serial: number): string {
  if (serial < 1 || serial > MAX_SERIAL) throw new RangeError(`serial ${serial} is outside 1–${MAX_SERIAL}`);
  return `${year}${regionPrefix}${point}${String(serial).padStart(6, '0')}`;
}
