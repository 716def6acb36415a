import { parse as parseCsv, CsvError } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { AppError, unprocessable } from '../../lib/errors.js';
import { columnForHeader, type Cell } from './achievements.import.columns.js';
import type { Sheet } from './achievements.import.rows.js';

/** One request imports at most this many data rows (a 可转化成果清单 has dozens to thousands). */
export const IMPORT_MAX_ROWS = 5000;
/** The header row is the first of these rows that names the 成果名称 column; rows above it (a sheet title) are skipped. */
const HEADER_SEARCH_ROWS = 10;

export interface Upload {
  filename: string;
  mimetype: string;
  data: Buffer;
}

const unsupported = (message: string) => new AppError(415, 'UNSUPPORTED_FILE_TYPE', message);
const tooMany = () => new AppError(413, 'IMPORT_TOO_MANY_ROWS', `A file may hold at most ${IMPORT_MAX_ROWS} rows; split it`);

const ZIP = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const OLE2 = Buffer.from([0xd0, 0xcf, 0x11, 0xe0]);
const CSV_TYPES = new Set(['text/csv', 'text/plain', 'application/csv', 'text/x-csv', 'text/comma-separated-values']);

/** What the file is, by its bytes first (browsers label CSV files inconsistently), then by its name and type. */
export function detectFormat(upload: Upload): 'xlsx' | 'csv' {
  const head = upload.data.subarray(0, 4);
  if (head.equals(ZIP)) return 'xlsx';
  if (head.equals(OLE2)) throw unsupported('Legacy .xls workbooks are not read: save the sheet as .xlsx or CSV (UTF-8)');
  const name = upload.filename.toLowerCase();
  const named = /\.[a-z0-9]+$/.test(name);
  const csvByName = name.endsWith('.csv') || name.endsWith('.txt') || (!named && CSV_TYPES.has(upload.mimetype.split(';')[0]!.trim()));
  // NUL bytes mean a binary file (a PDF or an image renamed .csv); UTF-16 text has them too but starts with a BOM.
  const binary = !isUtf16(upload.data) && upload.data.subarray(0, 8192).includes(0);
  if (!csvByName || binary) throw unsupported(`Upload a .csv or .xlsx file (got ${upload.filename || 'a file without a name'}, ${upload.mimetype})`);
  return 'csv';
}

const isUtf16 = (b: Buffer): 'le' | 'be' | false => (b[0] === 0xff && b[1] === 0xfe ? 'le' : b[0] === 0xfe && b[1] === 0xff ? 'be' : false);

/**
 * CSV text in the encodings spreadsheets write: UTF-8 with or without a BOM, UTF-16 with a BOM
 * ("Unicode text"), and GB18030/GBK, which Excel on Chinese Windows uses for "CSV (逗号分隔)".
 */
export function decodeText(data: Buffer): string {
  const utf16 = isUtf16(data);
  if (utf16 === 'le') return new TextDecoder('utf-16le').decode(data.subarray(2));
  if (utf16 === 'be') return new TextDecoder('utf-16be').decode(data.subarray(2));
  const body = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? data.subarray(3) : data;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return new TextDecoder('gb18030').decode(body);
  }
}

/** Whichever of comma, tab or semicolon the first line uses most. */
function delimiterOf(text: string): string {
  const first = text.slice(0, text.search(/\r?\n|$/));
  const counts = [',', '\t', ';'].map((d) => [d, first.split(d).length] as const);
  return counts.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
}

const blank = (cells: Cell[]) => cells.every((c) => c === null || (typeof c === 'string' && c.trim() === ''));

const namesTitle = (r: { cells: Cell[] }) => r.cells.some((c) => typeof c === 'string' && columnForHeader(c) === 'title');

/**
 * Finds the header row: the first row naming the 成果名称 column among the first few non-blank
 * rows (rows above it, such as a merged sheet title, are skipped), else the first non-blank row.
 * Keeps the non-blank rows below it with their spreadsheet row numbers.
 */
function toSheet(rows: Iterable<{ row: number; cells: Cell[] }>): Sheet {
  let header: { row: number; cells: Cell[] } | undefined;
  const candidates: { row: number; cells: Cell[] }[] = [];
  const data: Sheet['rows'] = [];
  const add = (r: { row: number; cells: Cell[] }) => {
    if (data.length >= IMPORT_MAX_ROWS) throw tooMany();
    data.push(r);
  };
  for (const r of rows) {
    if (blank(r.cells)) continue;
    if (header) add(r);
    else if (namesTitle(r)) header = r;
    else {
      candidates.push(r);
      if (candidates.length === HEADER_SEARCH_ROWS) {
        header = candidates[0]!;
        candidates.slice(1).forEach(add);
      }
    }
  }
  if (!header && candidates.length > 0) {
    header = candidates[0]!;
    candidates.slice(1).forEach(add);
  }
  if (!header) throw unprocessable('IMPORT_EMPTY', 'The file is empty: it needs a header row and at least one row of data');
  if (data.length === 0) throw unprocessable('IMPORT_EMPTY', `The file has a header row (row ${header.row}) but no rows of data`);
  return { headerRow: header.row, headers: header.cells.map((c) => (c === null ? '' : String(c))), rows: data };
}

export function readCsv(data: Buffer): Sheet {
  const text = decodeText(data);
  let records: string[][];
  try {
    records = parseCsv(text, { delimiter: delimiterOf(text), relax_column_count: true, skip_empty_lines: false, trim: false });
  } catch (e) {
    if (e instanceof CsvError) throw unprocessable('IMPORT_UNREADABLE', `The CSV file cannot be read: ${e.message}`);
    throw e;
  }
  // A record is a spreadsheet row (quoted cells may span lines), so row numbers match what Excel shows.
  return toSheet(records.map((cells, i) => ({ row: i + 1, cells })));
}

/** exceljs cell values → plain cells: rich text joined, formulas as their cached result, links as their text. */
function cellOf(v: ExcelJS.CellValue): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof Date) return v;
  if ('richText' in v) return v.richText.map((t) => t.text).join('');
  if ('formula' in v || 'sharedFormula' in v) return cellOf((v as ExcelJS.CellFormulaValue).result as ExcelJS.CellValue);
  if ('hyperlink' in v) return cellOf(v.text as ExcelJS.CellValue);
  if ('error' in v) return String(v.error);
  return null;
}

export async function readXlsx(data: Buffer): Promise<Sheet> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(data as unknown as ArrayBuffer);
  } catch {
    throw unsupported('The file is not a readable .xlsx workbook');
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) throw unprocessable('IMPORT_EMPTY', 'The workbook has no sheet');
  if (sheet.actualRowCount > IMPORT_MAX_ROWS + HEADER_SEARCH_ROWS) throw tooMany();
  const rows: { row: number; cells: Cell[] }[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    // row.values is 1-based (index 0 is empty).
    const values = Array.isArray(row.values) ? row.values.slice(1) : [];
    rows.push({ row: rowNumber, cells: Array.from({ length: values.length }, (_, i) => cellOf(values[i] as ExcelJS.CellValue)) });
  });
  return toSheet(rows);
}

export async function readSheet(upload: Upload): Promise<Sheet> {
  if (upload.data.length === 0) throw unprocessable('IMPORT_EMPTY', 'The file is empty: it needs a header row and at least one row of data');
  return detectFormat(upload) === 'xlsx' ? readXlsx(upload.data) : readCsv(upload.data);
}
