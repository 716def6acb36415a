import { unprocessable, type FieldError } from '../../lib/errors.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import { CreateAchievementBodySchema } from './achievements.schemas.js';
import {
  IMPORT_COLUMNS,
  columnForHeader,
  createFieldResolver,
  createRegionResolver,
  endOfDay,
  isCellError,
  parseIpRight,
  parsePriceKind,
  parseStage,
  parseTransferMode,
  parseTrl,
  parseYesNo,
  stageOfTrl,
  wanToFen,
  type Cell,
  type Parsed,
  type ColumnKey,
  type ColumnMap,
  type RowDefaults,
  type RowResult,
} from './achievements.import.columns.js';

/** A sheet as read from the file: the header row and the non-blank rows below it, with spreadsheet row numbers. */
export interface Sheet {
  headerRow: number;
  headers: string[];
  rows: { row: number; cells: Cell[] }[];
}

/** A → 0, …, Z → 25, AA → 26: spreadsheet letters, so messages point where the user looks. */
export const columnLetter = (index: number): string => {
  let s = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
};

const expectedColumns = () =>
  IMPORT_COLUMNS.map((c) => `${c.header} (${c.english})${c.required ? ' *' : ''}`).join(', ');

/**
 * Reads the header row. A file whose columns we do not understand is refused as a whole (422)
 * before any row is imported, since every row would otherwise lose that column's data silently.
 */
export function mapHeaders(sheet: Sheet): ColumnMap {
  const columns: ColumnMap = new Map();
  const unknown: FieldError[] = [];
  const duplicate: FieldError[] = [];
  sheet.headers.forEach((raw, index) => {
    const header = raw.trim();
    const where = `column ${columnLetter(index)}`;
    if (header === '') {
      if (sheet.rows.some((r) => (r.cells[index] ?? null) !== null && String(r.cells[index]).trim() !== '')) {
        unknown.push({ path: where, message: 'this column has data but no header' });
      }
      return;
    }
    const key = columnForHeader(header);
    if (key === 'ignored') return;
    if (!key) unknown.push({ path: header, message: `${where}: not a column of the import format` });
    else if (columns.has(key)) duplicate.push({ path: header, message: `${where}: the same column as "${columns.get(key)!.header}"` });
    else columns.set(key, { index, header });
  });
  const missing: FieldError[] = IMPORT_COLUMNS.filter((c) => c.required && !columns.has(c.key)).map((c) => ({
    path: c.header,
    message: `required column missing (also accepted: ${[c.english, ...c.aliases].join(', ')})`,
  }));
  const all = [...unknown, ...duplicate, ...missing];
  if (unknown.length > 0) throw unprocessable('IMPORT_UNKNOWN_COLUMNS', `Row ${sheet.headerRow} has headers this import does not know. Expected: ${expectedColumns()}`, all);
  if (duplicate.length > 0) throw unprocessable('IMPORT_DUPLICATE_COLUMNS', `Row ${sheet.headerRow} names a column twice`, all);
  if (missing.length > 0) throw unprocessable('IMPORT_MISSING_COLUMNS', `Required columns are missing: ${missing.map((m) => m.path).join(', ')}. Expected: ${expectedColumns()}`, all);
  return columns;
}

/** Which column an input path (title, fieldCodes.0, price.amount, contact.email, …) came from. */
function columnOfPath(path: readonly PropertyKey[]): ColumnKey | undefined {
  const [head, sub] = path;
  if (head === 'price') return sub === 'kind' ? 'priceKind' : 'price';
  if (head === 'contact') return sub === 'phone' ? 'contactPhone' : sub === 'email' ? 'contactEmail' : 'contactName';
  if (head === 'fieldCodes') return 'fields';
  if (head === 'regionCode') return 'region';
  return IMPORT_COLUMNS.find((c) => c.key === head)?.key;
}

export function createRowConverter(catalog: CatalogService) {
  const resolveField = createFieldResolver(catalog);
  const resolveRegion = createRegionResolver(catalog);

  /** The header the user wrote for a column, or our own when the file lacks the column. */
  const labelOf = (columns: ColumnMap, key: ColumnKey | undefined): string =>
    key ? (columns.get(key)?.header ?? IMPORT_COLUMNS.find((c) => c.key === key)!.header) : 'row';

  /** Errors whose paths name input fields (from validation or the service) → the user's column names. */
  function toColumnErrors(columns: ColumnMap, errors: readonly { path: string | readonly PropertyKey[]; message: string }[]): FieldError[] {
    return errors.map((e) => {
      const path = typeof e.path === 'string' ? e.path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : e.path;
      const item = path.find((p) => typeof p === 'number');
      return { path: labelOf(columns, columnOfPath(path)), message: item === undefined ? e.message : `item ${item + 1}: ${e.message}` };
    });
  }

  function convert(cells: Cell[], columns: ColumnMap, defaults: RowDefaults): RowResult {
    const errors: FieldError[] = [];
    const failed = new Set<ColumnKey>();
    const fail = (key: ColumnKey, message: string) => {
      errors.push({ path: labelOf(columns, key), message });
      failed.add(key);
    };
    const cell = (key: ColumnKey): string | number | Date | undefined => {
      const c = columns.get(key);
      const v = c ? (cells[c.index] ?? null) : null;
      if (v === null) return undefined;
      if (v instanceof Date || typeof v === 'number') return v;
      const s = String(v).trim();
      return s === '' ? undefined : s;
    };
    const str = (key: ColumnKey): string | undefined => {
      const v = cell(key);
      return v instanceof Date ? v.toISOString().slice(0, 10) : v === undefined ? undefined : String(v);
    };
    /** A cell parsed by one parser; a failure records the column's error and leaves the field unset. */
    const one = <T>(key: ColumnKey, parse: (s: string) => Parsed<T>): T | undefined => {
      const v = str(key);
      if (v === undefined) return undefined;
      const r = parse(v);
      if (isCellError(r)) return void fail(key, r.error);
      return r;
    };
    /** A cell holding a list, each item parsed; any failing item fails the column. */
    const many = <T>(key: ColumnKey, sep: RegExp, parse: (s: string) => Parsed<T>): T[] | undefined => {
      const v = str(key);
      if (v === undefined) return undefined;
      const out: T[] = [];
      for (const item of v.split(sep).map((x) => x.trim()).filter(Boolean)) {
        const r = parse(item);
        if (isCellError(r)) fail(key, r.error);
        else out.push(r);
      }
      return failed.has(key) ? undefined : out;
    };
    const unique = <T>(xs: T[] | undefined) => (xs ? [...new Set(xs)] : undefined);

    const input: Record<string, unknown> = {
      title: str('title'),
      summary: str('summary'),
      description: str('description'),
      descriptionConfidential: one('descriptionConfidential', parseYesNo),
      indicators: str('indicators'),
      applications: str('applications'),
      keywords: unique(many('keywords', /[;；,，、\s]+/, (s) => s)),
      fieldCodes: unique(many('fields', /[;；,，、|\n\r]+/, resolveField)),
      trl: one('trl', parseTrl),
      ipRights: many('ipRights', /[;；,，、\n\r]+/, parseIpRight),
      transferModes: unique(many('transferModes', /[;；,，、/\s]+/, parseTransferMode)),
      institution: str('institution') ?? defaults.institution,
      regionCode: one('region', resolveRegion) ?? (str('region') === undefined ? defaults.regionCode : undefined),
    };
    // A blank 阶段 follows from the TRL (and is not reported again when the TRL itself is wrong).
    input.stage = one('stage', parseStage) ?? (str('stage') === undefined && typeof input.trl === 'number' ? stageOfTrl(input.trl) : undefined);
    if (str('stage') === undefined && failed.has('trl')) failed.add('stage');

    const rawPrice = cell('price');
    const amount = rawPrice === undefined || rawPrice instanceof Date ? undefined : wanToFen(rawPrice);
    if (rawPrice instanceof Date) fail('price', 'must be a number of 万元, not a date');
    if (isCellError(amount)) fail('price', amount.error);
    // A blank 价格方式 means 固定 when a price is given, otherwise 面议; 面议 in the price cell says so too.
    const negotiableText = typeof rawPrice === 'string' && /^(面议|协商|议价)$/.test(rawPrice);
    const kind = one('priceKind', parsePriceKind) ?? (negotiableText ? 'negotiable' : rawPrice !== undefined ? 'fixed' : 'negotiable');
    if (!failed.has('priceKind') && !failed.has('price')) {
      const fen = negotiableText ? undefined : (amount as number | undefined);
      if (kind === 'fixed' && fen === undefined) fail('price', 'required when 价格方式 is 固定');
      else if (kind !== 'fixed' && fen !== undefined) fail('price', 'only a fixed price (价格方式 固定) has an amount: leave it blank for 面议 or 竞价');
      else input.price = fen === undefined ? { kind } : { kind, amount: { amount: fen, currency: 'CNY' } };
    }

    const contact = { name: str('contactName') ?? null, phone: str('contactPhone') ?? null, email: str('contactEmail') ?? null };
    if (contact.name !== null || contact.phone !== null || contact.email !== null) input.contact = contact;

    const validUntil = cell('validUntil');
    if (validUntil !== undefined) {
      const at = typeof validUntil === 'number' ? undefined : endOfDay(validUntil);
      if (at === undefined) fail('validUntil', `must be a date such as 2027-12-31, not "${String(validUntil)}"`);
      else input.validUntil = at;
    }

    const parsed = CreateAchievementBodySchema.safeParse(input);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .filter((i) => {
          const key = columnOfPath(i.path);
          return key === undefined || !failed.has(key);
        })
        .map((i) => ({ path: i.path, message: valueAt(input, i.path) === undefined ? 'is required' : i.message }));
      errors.push(...toColumnErrors(columns, issues));
    }
    if (errors.length > 0 || !parsed.success) return { ok: false, errors: dedupe(errors) };
    return { ok: true, input: parsed.data };
  }

  return { convert, toColumnErrors };
}

export type RowConverter = ReturnType<typeof createRowConverter>;

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = obj;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

const dedupe = (errors: FieldError[]): FieldError[] => {
  const seen = new Set<string>();
  return errors.filter((e) => !seen.has(`${e.path}\u0000${e.message}`) && Boolean(seen.add(`${e.path}\u0000${e.message}`)));
};
