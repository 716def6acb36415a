import type { ContractStats, Overview } from './stats.schemas.js';

export type StatsFormat = 'json' | 'csv';

/**
 * Picks the representation from an Accept header: the highest q among the types we serve wins,
 * the earlier one on a tie; no Accept (or only wildcards) means JSON; nothing acceptable → null.
 */
export function negotiate(accept: string | undefined): StatsFormat | null {
  if (accept === undefined || accept.trim() === '') return 'json';
  let best: { format: StatsFormat; q: number } | null = null;
  for (const part of accept.split(',')) {
    const [range, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!(q > 0)) continue;
    const format: StatsFormat | undefined =
      range === 'text/csv' ? 'csv' : range === 'application/json' || range === 'application/*' || range === '*/*' ? 'json' : range === 'text/*' ? 'csv' : undefined;
    if (format && (best === null || q > best.q)) best = { format, q };
  }
  return best?.format ?? null;
}

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
const field = (v: string | number | null): string => {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

// Excel opens UTF-8 CSV with Chinese labels correctly only when it starts with a byte-order mark.
const BOM = '\uFEFF';
const toCsv = (rows: (string | number | null)[][]): string => BOM + rows.map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8; header=present';

/** One line per group and a final `total` line; amounts in fen, growth as ratios. */
export function contractStatsCsv(s: ContractStats): string {
  const header = ['key', 'label', 'count', 'amount_fen', 'technology_amount_fen', 'previous_count', 'previous_amount_fen', 'previous_technology_amount_fen', 'yoy_count', 'yoy_amount', 'yoy_technology_amount'];
  const line = (key: string, label: string | null, g: ContractStats['totals']) => [
    key,
    label,
    g.count,
    g.amount.amount,
    g.technologyAmount.amount,
    g.previous.count,
    g.previous.amount.amount,
    g.previous.technologyAmount.amount,
    g.yoy.count,
    g.yoy.amount,
    g.yoy.technologyAmount,
  ];
  return toCsv([header, ...s.groups.map((g) => line(g.key, g.label, g)), line('total', `${s.from}..${s.to}`, s.totals)]);
}

/** section,key,value lines: every figure of the overview, flattened. */
export function overviewCsv(o: Overview): string {
  const rows: (string | number | null)[][] = [['section', 'key', 'value']];
  const add = (section: string, entries: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(entries)) {
      if (v !== null && typeof v === 'object' && 'amount' in v && 'currency' in v) rows.push([section, `${k}_fen`, (v as { amount: number }).amount]);
      else if (v === null || typeof v === 'number' || typeof v === 'string') rows.push([section, k, v]);
    }
  };
  add('achievements.status', o.achievements.byStatus);
  for (const f of o.achievements.byField) rows.push(['achievements.field', `${f.code} ${f.name}`, f.count]);
  add('needs.status', o.needs.byStatus);
  for (const f of o.needs.byField) rows.push(['needs.field', `${f.code} ${f.name}`, f.count]);
  add('listings.status', o.listings.byStatus);
  const { byStatus: _byStatus, ...listingSales } = o.listings;
  add('listings', listingSales);
  add('auctions', o.auctions);
  add('deals.stage', o.deals.byStage);
  add('conversion', o.conversion);
  const { previous, yoy, ...current } = o.contracts;
  add('contracts', current);
  add('contracts.previous', previous);
  add('contracts.yoy', yoy);
  return toCsv(rows);
}
