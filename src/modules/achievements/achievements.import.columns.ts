import type { FieldError } from '../../lib/errors.js';
import type { CatalogService, FieldNode } from '../catalog/catalog.service.js';
import type { CreateAchievementInput } from './achievements.schemas.js';
import type { IpRight } from './achievements.tables.js';

/**
 * The columns of a 可转化成果清单 (docs/import.md documents this table; keep them in step).
 * Headers are matched after normalization (NFKC, no spaces, lower case, no "*" or "(必填)"
 * markers), so 价格（万元） and 价格(万元) are the same column.
 */
export const IMPORT_COLUMNS = [
  { key: 'title', header: '成果名称', english: 'title', required: true, aliases: ['项目名称', '成果名', '名称'] },
  { key: 'summary', header: '成果简介', english: 'summary', required: true, aliases: ['简介', '成果摘要', '摘要'] },
  { key: 'description', header: '详细介绍', english: 'description', required: false, aliases: ['成果介绍', '详细内容', '详细说明'] },
  { key: 'descriptionConfidential', header: '详细介绍保密', english: 'descriptionConfidential', required: false, aliases: ['保密'] },
  { key: 'indicators', header: '技术指标', english: 'indicators', required: false, aliases: ['主要技术指标', '技术参数'] },
  { key: 'applications', header: '应用场景', english: 'applications', required: false, aliases: ['应用前景', '应用场景及效益', '市场前景'] },
  { key: 'keywords', header: '关键词', english: 'keywords', required: false, aliases: ['关键字'] },
  { key: 'fields', header: '所属领域', english: 'fieldCodes', required: true, aliases: ['领域代码', '领域', '应用领域', '技术领域', '行业领域', 'fields'] },
  { key: 'trl', header: '技术成熟度', english: 'trl', required: true, aliases: ['成熟度', '技术就绪度', '技术成熟度(trl)', '技术成熟度等级'] },
  { key: 'stage', header: '阶段', english: 'stage', required: false, aliases: ['成果阶段', '成熟阶段', '所处阶段', '研发阶段'] },
  { key: 'ipRights', header: '知识产权', english: 'ipRights', required: false, aliases: ['知识产权情况', '专利情况', '专利'] },
  { key: 'transferModes', header: '转化方式', english: 'transferModes', required: true, aliases: ['合作方式', '转让方式', '交易方式', '拟转化方式'] },
  { key: 'priceKind', header: '价格方式', english: 'priceKind', required: false, aliases: ['报价方式', '定价方式', '价格类型'] },
  { key: 'price', header: '价格(万元)', english: 'priceWan', required: false, aliases: ['价格', '参考价格(万元)', '转让价格(万元)', '意向价格(万元)', '报价(万元)', 'price(万元)'] },
  { key: 'institution', header: '完成单位', english: 'institution', required: false, aliases: ['成果完成单位', '持有单位', '单位名称'] },
  { key: 'region', header: '所在地区', english: 'regionCode', required: false, aliases: ['地区', '所在地', '所属地区', '地区代码', 'region'] },
  { key: 'contactName', header: '联系人', english: 'contactName', required: false, aliases: [] },
  { key: 'contactPhone', header: '联系电话', english: 'contactPhone', required: false, aliases: ['电话', '手机', 'phone'] },
  { key: 'contactEmail', header: '邮箱', english: 'contactEmail', required: false, aliases: ['电子邮箱', '联系邮箱', 'email'] },
  { key: 'validUntil', header: '有效期', english: 'validUntil', required: false, aliases: ['有效期至', '截止日期'] },
] as const;

export type ColumnKey = (typeof IMPORT_COLUMNS)[number]['key'];
/** Serial-number columns that spreadsheets carry; they hold nothing to import. */
const IGNORED_HEADERS = new Set(['序号', 'no', 'no.', '#']);

export const normalizeHeader = (h: string): string =>
  h
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .replace(/[(](必填|选填|可选|required|optional)[)]/gi, '')
    .replace(/^\*+|\*+$/g, '')
    .toLowerCase();

const HEADER_INDEX = new Map<string, ColumnKey>();
for (const c of IMPORT_COLUMNS) {
  for (const name of [c.header, c.english, ...c.aliases]) HEADER_INDEX.set(normalizeHeader(name), c.key);
}

export const columnForHeader = (header: string): ColumnKey | 'ignored' | undefined => {
  const n = normalizeHeader(header);
  return IGNORED_HEADERS.has(n) ? 'ignored' : HEADER_INDEX.get(n);
};

/** A cell as read from CSV (always text) or XLSX (typed). */
export type Cell = string | number | boolean | Date | null;

/** Which column a header row names, and the user's own spelling of it (errors quote it). */
export type ColumnMap = Map<ColumnKey, { index: number; header: string }>;

/** What the uploading organization contributes to rows that leave a column blank. */
export interface RowDefaults {
  institution: string;
  regionCode: string;
}

export type RowResult = { ok: true; input: CreateAchievementInput } | { ok: false; errors: FieldError[] };

/** A cell value that failed to parse, with a message for the user. */
export interface CellError {
  error: string;
}
export type Parsed<T> = T | CellError;
export const isCellError = (v: unknown): v is CellError => typeof v === 'object' && v !== null && 'error' in v && !(v instanceof Date);
const err = (error: string): CellError => ({ error });

const squash = (s: string) => s.normalize('NFKC').replace(/\s+/g, '').toLowerCase();

function enumParser<T>(table: Record<string, T>, what: string) {
  return (value: string): Parsed<T> => {
    const k = squash(value);
    return Object.hasOwn(table, k) ? table[k]! : err(`unknown ${what}: "${value}"`);
  };
}

const STAGES: Record<string, CreateAchievementInput['stage']> = {
  lab: 'lab', 实验室: 'lab', 小试: 'lab', 实验室阶段: 'lab', 小试阶段: 'lab', '实验室/小试': 'lab', 初期: 'lab', 研发阶段: 'lab',
  pilot: 'pilot', 中试: 'pilot', 中试阶段: 'pilot', 中期: 'pilot',
  industrialization: 'industrialization', 产业化: 'industrialization', 已产业化: 'industrialization', 产业化阶段: 'industrialization',
  成熟应用: 'industrialization', 小批量生产: 'industrialization', 批量生产: 'industrialization',
};
const TRANSFER_MODES: Record<string, CreateAchievementInput['transferModes'][number]> = {
  transfer: 'transfer', 转让: 'transfer', 技术转让: 'transfer', 成果转让: 'transfer', 专利转让: 'transfer',
  license: 'license', 许可: 'license', 技术许可: 'license', 许可使用: 'license', 专利许可: 'license', 普通许可: 'license', 独占许可: 'license', 排他许可: 'license',
  equity: 'equity', 作价投资: 'equity', 作价入股: 'equity', 技术入股: 'equity', 入股: 'equity',
  joint_development: 'joint_development', 合作开发: 'joint_development', 联合开发: 'joint_development', 合作研发: 'joint_development',
  service: 'service', 技术服务: 'service',
  consulting: 'consulting', 技术咨询: 'consulting',
};
const PRICE_KINDS: Record<string, CreateAchievementInput['price']['kind']> = {
  fixed: 'fixed', 固定: 'fixed', 固定价格: 'fixed', 一口价: 'fixed', 定价: 'fixed', 挂牌价: 'fixed',
  negotiable: 'negotiable', 面议: 'negotiable', 议价: 'negotiable', 协商: 'negotiable', 协商定价: 'negotiable',
  auction: 'auction', 竞价: 'auction', 拍卖: 'auction', 竞拍: 'auction',
};
const IP_KINDS: Record<string, IpRight['kind']> = {
  invention_patent: 'invention_patent', 发明专利: 'invention_patent', 发明: 'invention_patent',
  utility_model: 'utility_model', 实用新型: 'utility_model', 实用新型专利: 'utility_model',
  design_patent: 'design_patent', 外观设计: 'design_patent', 外观设计专利: 'design_patent',
  software_copyright: 'software_copyright', 软件著作权: 'software_copyright', 软著: 'software_copyright', 计算机软件著作权: 'software_copyright',
  ic_layout: 'ic_layout', 集成电路布图设计: 'ic_layout',
  plant_variety: 'plant_variety', 植物新品种: 'plant_variety', 植物新品种权: 'plant_variety',
  trade_secret: 'trade_secret', 技术秘密: 'trade_secret', 专有技术: 'trade_secret',
};
const IP_STATUSES: Record<string, IpRight['status']> = {
  granted: 'granted', 已授权: 'granted', 授权: 'granted', 有效: 'granted',
  pending: 'pending', 申请中: 'pending', 已受理: 'pending', 受理: 'pending', 实审: 'pending', 实质审查: 'pending', 在审: 'pending', 公开: 'pending',
  expired: 'expired', 已失效: 'expired', 失效: 'expired', 过期: 'expired',
  'n/a': 'n/a',
};
const YES_NO: Record<string, boolean> = { 是: true, y: true, yes: true, true: true, '1': true, 保密: true, 否: false, n: false, no: false, false: false, '0': false, 公开: false };

export const parseStage = enumParser(STAGES, 'stage (实验室/小试, 中试 or 产业化)');
export const parseTransferMode = enumParser(TRANSFER_MODES, 'transfer mode (转让, 许可, 作价投资, 合作开发, 技术服务 or 技术咨询)');
export const parsePriceKind = enumParser(PRICE_KINDS, 'price kind (固定, 面议 or 竞价)');
export const parseYesNo = enumParser(YES_NO, 'value (是 or 否)');
const ipKind = (s: string): IpRight['kind'] | undefined => (Object.hasOwn(IP_KINDS, squash(s)) ? IP_KINDS[squash(s)] : undefined);
const ipStatus = (s: string): IpRight['status'] | undefined => (Object.hasOwn(IP_STATUSES, squash(s)) ? IP_STATUSES[squash(s)] : undefined);

/** GB/T 22900 level: 7, "7", "TRL7", "7级", "第7级". */
export function parseTrl(value: string | number): Parsed<number> {
  const m = /^(?:TRL)?(?:第)?(\d+(?:\.\d+)?)级?$/i.exec(squash(String(value)));
  const n = m ? Number(m[1]) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 9 ? n : err(`must be a whole number from 1 to 9 (GB/T 22900), not "${String(value)}"`);
}

/** TRL → stage for rows that leave 阶段 blank: GB/T 22900 levels 1–4 lab, 5–6 pilot, 7–9 industrialization. */
export const stageOfTrl = (trl: number): CreateAchievementInput['stage'] => (trl <= 4 ? 'lab' : trl <= 6 ? 'pilot' : 'industrialization');

/** 1 万元 = 10,000 yuan = 1,000,000 fen; up to six decimals (one fen) are kept exactly. */
export function wanToFen(value: string | number): Parsed<number> {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return err('must be a non-negative number of 万元');
    const fen = Math.round(value * 1_000_000);
    return Number.isSafeInteger(fen) ? fen : err('is too large');
  }
  const s = String(value).normalize('NFKC').replace(/[,\s]/g, '').replace(/(万元|万)$/, '');
  const m = /^(\d{1,9})(?:\.(\d{1,6}))?$/.exec(s);
  if (!m) return err(`must be a number of 万元 (e.g. 120 or 12.5) with at most 6 decimals, not "${String(value)}"`);
  return Number(m[1]) * 1_000_000 + Number((m[2] ?? '').padEnd(6, '0'));
}

/** A date cell → the end of that day in China Standard Time (a listing is valid through its last day). */
export function endOfDay(value: string | Date): string | undefined {
  let y: number, mo: number, d: number;
  if (value instanceof Date) {
    // XLSX dates carry the calendar date in their UTC fields.
    [y, mo, d] = [value.getUTCFullYear(), value.getUTCMonth() + 1, value.getUTCDate()];
  } else {
    const s = String(value).normalize('NFKC').trim();
    if (/^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s))) return new Date(s).toISOString();
    const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(s);
    if (!m) return undefined;
    [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  const at = new Date(Date.UTC(y, mo - 1, d, 15, 59, 59));
  if (at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d) return undefined;
  return `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}T23:59:59+08:00`;
}

/** Infers the right's kind from a Chinese patent number: ZL + year + type digit (1/8 invention, 2/9 utility, 3 design). */
function kindOfPatentNumber(number: string): IpRight['kind'] | undefined {
  const m = /^ZL(\d{4})(\d)/i.exec(number) ?? /^CN?(\d{4})(\d)\d{7}/i.exec(number);
  const type = m?.[2];
  if (type === '1' || type === '8') return 'invention_patent';
  if (type === '2' || type === '9') return 'utility_model';
  if (type === '3') return 'design_patent';
  return undefined;
}

/** "发明专利:ZL201910123456.7(已授权)" → one right. The kind may be left out when the number tells it. */
export function parseIpRight(entry: string): Parsed<IpRight> {
  const s = entry.normalize('NFKC').trim();
  const statusMatch = /\(([^)]+)\)$/.exec(s);
  let rest = statusMatch ? s.slice(0, statusMatch.index).trim() : s;
  let status = statusMatch ? ipStatus(statusMatch[1]!) : undefined;
  if (statusMatch && !status) return err(`unknown status "${statusMatch[1]}" (已授权, 申请中 or 已失效)`);
  const parts = rest.split(/[:：]/).map((p) => p.trim());
  if (parts.length === 3 && !status) {
    status = ipStatus(parts[2]!);
    if (!status) return err(`unknown status "${parts[2]}" (已授权, 申请中 or 已失效)`);
    parts.pop();
  }
  if (parts.length > 2) return err(`"${entry}" is not 类型:号码`);
  let kind: IpRight['kind'] | undefined;
  let number: string | null = null;
  if (parts.length === 2) {
    kind = ipKind(parts[0]!);
    if (!kind) return err(`unknown kind "${parts[0]}" (发明专利, 实用新型, 外观设计, 软件著作权, 集成电路布图设计, 植物新品种, 技术秘密)`);
    number = parts[1] || null;
  } else {
    rest = parts[0]!;
    kind = ipKind(rest);
    if (!kind) {
      kind = kindOfPatentNumber(rest);
      if (!kind) return err(`"${entry}" names no kind: write it as 类型:号码, e.g. 发明专利:ZL201910123456.7`);
      number = rest;
    }
  }
  return { kind, number, status: status ?? (kind === 'trade_secret' && number === null ? 'n/a' : 'granted') };
}

/** Field names and codes from the catalog, for cells that name a field rather than code it. */
export function createFieldResolver(catalog: CatalogService) {
  const byName = new Map<string, FieldNode[]>();
  const walk = (nodes: FieldNode[]) => {
    for (const n of nodes) {
      for (const name of [n.name, n.nameEn]) {
        const k = squash(name);
        byName.set(k, [...(byName.get(k) ?? []), n]);
      }
      walk(n.children);
    }
  };
  walk(catalog.fieldTree());
  return (token: string): Parsed<string> => {
    const t = token.normalize('NFKC').trim();
    const inParens = /\(([A-Za-z]{2,4}(?:\.\d{1,2})*)\)$/.exec(t)?.[1];
    const code = (inParens ?? t).toUpperCase();
    if (/^[A-Z]{2,4}(\.\d{1,2})*$/.test(code) && (inParens || !byName.has(squash(t)))) {
      return catalog.isField(code) ? code : err(`unknown field code ${code} (see GET /v1/fields)`);
    }
    const found = byName.get(squash(t)) ?? [];
    if (found.length === 0) return err(`unknown field "${t}": give a code or a name from GET /v1/fields`);
    // The same name in both schemes (新材料 = HLJ.5.03 = NHT.04) is one field through the crosswalk.
    const first = found[0]!;
    if (found.every((f) => f === first || first.crosswalk.includes(f.code))) return first.code;
    return err(`"${t}" names several fields (${found.map((f) => f.code).join(', ')}): give the code`);
  };
}

/** Region codes, or names with or without their 省/市 suffix. */
export function createRegionResolver(catalog: CatalogService) {
  const byName = new Map<string, string>();
  for (const r of catalog.regions()) {
    byName.set(squash(r.name), r.code);
    const short = r.name.replace(/(省|市|地区|特别行政区|壮族自治区|回族自治区|维吾尔自治区|自治区)$/, '');
    if (short.length >= 2 && !byName.has(squash(short))) byName.set(squash(short), r.code);
  }
  return (value: string): Parsed<string> => {
    const v = value.normalize('NFKC').trim();
    if (/^\d{6}$/.test(v)) return catalog.isRegion(v) ? v : err(`unknown region code ${v} (see GET /v1/regions)`);
    const exact = byName.get(squash(v));
    if (exact) return exact;
    // "黑龙江省哈尔滨市" or "黑龙江哈尔滨": the city the text ends with, when it lies in the province named first.
    const s = squash(v);
    for (const [name, code] of byName) {
      const city = catalog.region(code);
      if (city?.level !== 'city' || !s.endsWith(name) || s === name) continue;
      const head = s.slice(0, s.length - name.length);
      if (byName.get(head) === city.provinceCode) return code;
    }
    return err(`unknown region "${v}": give a 6-digit code or a name from GET /v1/regions`);
  };
}
