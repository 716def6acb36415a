import type { Db } from '../../db/client.js';
import { withTransaction } from '../../db/tx.js';
import { FIELDS, REGIONS, type FieldSeed } from './catalog.data.js';
import type { CatalogRepo } from './catalog.repo.js';

export interface FieldNode {
  code: string;
  name: string;
  nameEn: string;
  parentCode: string | null;
  scheme: string;
  /** corresponding codes in the other scheme (both directions of the crosswalk) */
  crosswalk: string[];
  children: FieldNode[];
}

export interface Region {
  code: string;
  name: string;
  level: 'province' | 'city';
  provinceCode: string;
}

const parentOf = (code: string): string | null => {
  const i = code.lastIndexOf('.');
  return i < 0 ? null : code.slice(0, i);
};

/**
 * The catalog is reference data held in memory (a few hundred rows), also synced to tables for
 * SQL joins. It answers the questions other modules ask: is this a field, which ancestors does it
 * have, how far apart are two fields, is this a region, which province is a city in.
 */
export function createCatalogService(data: { fields: FieldSeed[]; regions: typeof REGIONS } = { fields: FIELDS, regions: REGIONS }) {
  const byCode = new Map<string, FieldNode>();
  for (const f of data.fields) {
    byCode.set(f.code, {
      code: f.code,
      name: f.name,
      nameEn: f.nameEn,
      parentCode: parentOf(f.code),
      scheme: f.code.split('.')[0]!,
      crosswalk: [],
      children: [],
    });
  }
  const crosswalkPairs: { fromCode: string; toCode: string }[] = [];
  for (const f of data.fields) {
    for (const to of f.crosswalk ?? []) {
      const a = byCode.get(f.code);
      const b = byCode.get(to);
      if (!a || !b) throw new Error(`crosswalk ${f.code} → ${to} names an unknown field`);
      a.crosswalk.push(to);
      b.crosswalk.push(f.code);
      crosswalkPairs.push({ fromCode: f.code, toCode: to });
    }
  }
  const roots: FieldNode[] = [];
  for (const node of byCode.values()) {
    if (node.parentCode === null) roots.push(node);
    else {
      const parent = byCode.get(node.parentCode);
      if (!parent) throw new Error(`field ${node.code} has no parent ${node.parentCode}`);
      parent.children.push(node);
    }
  }
  const regionsByCode = new Map<string, Region>(
    data.regions.map((r) => [r.code, { ...r, provinceCode: `${r.code.slice(0, 2)}0000` }]),
  );

  function ancestors(code: string): string[] {
    const out: string[] = [];
    for (let c: string | null = code; c !== null; c = parentOf(c)) out.push(c);
    return out.reverse();
  }

  return {
    fieldTree: (): FieldNode[] => roots,
    field: (code: string): FieldNode | undefined => byCode.get(code),
    isField: (code: string): boolean => byCode.has(code),
    /** the code and every ancestor, root first */
    ancestors,
    /** the union of the codes and all their ancestors: what a row stores to be found by any ancestor */
    withAncestors(codes: readonly string[]): string[] {
      return [...new Set(codes.flatMap((c) => (byCode.has(c) ? ancestors(c) : [c])))].sort();
    },
    /**
     * Hops between two fields through their deepest common ancestor (0 = same field). Codes in
     * different schemes are compared through the crosswalk. Infinity when unrelated.
     */
    fieldDistance(a: string, b: string): number {
      const direct = (x: string, y: string): number => {
        const ax = ancestors(x);
        const ay = ancestors(y);
        let common = 0;
        while (common < ax.length && common < ay.length && ax[common] === ay[common]) common++;
        return common === 0 ? Infinity : ax.length - common + (ay.length - common);
      };
      let best = direct(a, b);
      for (const x of byCode.get(a)?.crosswalk ?? []) best = Math.min(best, direct(x, b) + 1);
      return best;
    },
    regions: (filter: { level?: Region['level'] | undefined; provinceCode?: string | undefined } = {}): Region[] =>
      [...regionsByCode.values()].filter(
        (r) => (!filter.level || r.level === filter.level) && (!filter.provinceCode || r.provinceCode === filter.provinceCode),
      ),
    region: (code: string): Region | undefined => regionsByCode.get(code),
    isRegion: (code: string): boolean => regionsByCode.has(code),

    async syncToDatabase(db: Db, repo: CatalogRepo): Promise<void> {
      await withTransaction(db, (tx) =>
        repo.sync(tx, {
          fields: [...byCode.values()].map((n) => ({
            code: n.code,
            name: n.name,
            nameEn: n.nameEn,
            parentCode: n.parentCode,
            scheme: n.scheme,
            depth: ancestors(n.code).length - 1,
          })),
          crosswalk: crosswalkPairs,
          regions: [...regionsByCode.values()].map((r) => ({ code: r.code, name: r.name, level: r.level, provinceCode: r.provinceCode })),
        }),
      );
    },
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;
