/**
 * Deterministic choices for the demo data: every "random" pick is a hash of a stable key (the
 * listing's title plus a salt), so the data set is identical on every run and a listing keeps its
 * figures when others are added or reordered.
 */

/** FNV-1a, 32 bits. */
export function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export const pick = <T>(items: readonly T[], key: string): T => items[hash(key) % items.length]!;

/** An integer in [min, max]. */
export const between = (key: string, min: number, max: number): number => min + (hash(key) % (max - min + 1));

/** Yuan → fen, rounded to whole 万元 steps as asking prices and budgets are quoted. */
export const wanYuan = (wan: number): number => wan * 10_000 * 100;

/**
 * A Chinese patent application number (CNIPA, since 2003): year, type digit (1 invention,
 * 2 utility model, 3 design), 7-digit serial, then a check digit over the 12 digits
 * (weights 2–9,2–5, mod 11, 10 → X).
 */
export function patentNumber(key: string, type: 1 | 2 | 3, yearMin = 2017, yearMax = 2024): string {
  const year = between(`${key}:year`, yearMin, yearMax);
  const serial = String(between(`${key}:serial`, 100_000, 1_999_999)).padStart(7, '0');
  const digits = `${year}${type}${serial}`;
  const weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
  const sum = [...digits].reduce((s, d, i) => s + Number(d) * weights[i]!, 0);
  const check = sum % 11;
  return `${digits}.${check === 10 ? 'X' : check}`;
}

export const softwareCopyrightNumber = (key: string): string =>
  `${between(`${key}:year`, 2019, 2025)}SR${String(between(`${key}:serial`, 100_000, 1_899_999)).padStart(7, '0')}`;

export const plantVarietyNumber = (key: string): string => `CNA${between(`${key}:year`, 2016, 2023)}${String(between(`${key}:serial`, 1_000_000, 1_009_999))}`;

export const TRANSFER_MODE_NAMES = {
  transfer: '技术转让',
  license: '专利/技术许可',
  equity: '作价投资',
  joint_development: '合作开发',
  service: '技术服务',
  consulting: '技术咨询',
} as const;

export const joinCn = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join('、')}和${items[items.length - 1]}`;
