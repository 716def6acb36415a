import { z } from 'zod';

export const ImportRowErrorSchema = z
  .object({
    path: z.string().describe('the column header as written in the file (or "row" for the row as a whole)'),
    message: z.string(),
  })
  .meta({ id: 'ImportRowError' });

export const ImportReportSchema = z
  .object({
    rows: z.number().int().describe('data rows read below the header (blank rows are skipped)'),
    created: z
      .object({
        count: z.number().int(),
        items: z.array(z.object({ row: z.number().int().describe('spreadsheet row number (the header is row 1)'), id: z.uuid() })).describe('in row order'),
      })
      .describe('rows created as drafts of your organization'),
    failed: z
      .array(
        z.object({
          row: z.number().int().describe('spreadsheet row number (the header is row 1)'),
          errors: z.array(ImportRowErrorSchema).min(1),
        }),
      )
      .describe('rows not imported, in row order: nothing of them was stored'),
  })
  .meta({ id: 'ImportReport', description: 'Per-row result of a bulk import: every row is created whole or not at all' });
export type ImportReport = z.infer<typeof ImportReportSchema>;

/** The request body as the OpenAPI document shows it; the route reads it as a multipart stream. */
export const ImportUploadSchema = z
  .object({
    file: z.file().describe('the 可转化成果清单 as .csv (UTF-8, UTF-8 with BOM, GBK or UTF-16) or .xlsx (first sheet); columns in docs/import.md'),
  })
  .meta({ id: 'ImportUpload' });
