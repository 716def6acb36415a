import type { Db } from '../../db/client.js';
import { AppError, forbidden, type FieldError } from '../../lib/errors.js';
import type { Actor } from '../accounts/tokens.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import type { ColumnMap } from './achievements.import.columns.js';
import { readSheet, type Upload } from './achievements.import.read.js';
import { createRowConverter, mapHeaders } from './achievements.import.rows.js';
import type { ImportReport } from './achievements.import.schemas.js';
import type { CreateAchievementInput } from './achievements.schemas.js';
import { POSTERS as ACHIEVEMENT_POSTERS, type AchievementsService } from './achievements.service.js';

export interface AchievementsImportDeps {
  db: Db;
  catalog: CatalogService;
  achievements: Pick<AchievementsService, 'create'>;
  organizations: { getOrganization(id: string): Promise<{ name: string; regionCode: string }> };
}

/**
 * Rows per transaction. Each row runs in its own savepoint inside the batch, so a row the
 * database refuses is rolled back alone (never half a row) while the batch pays one commit.
 */
const BATCH_ROWS = 250;

export type ImportProgress = (done: number, total: number) => void;

/** Database refusals that belong to one row's data (SQLSTATE 22 data exception, 23 integrity constraint). */
function isRowDataError(e: unknown): boolean {
  for (let x: unknown = e; x && typeof x === 'object'; x = (x as { cause?: unknown }).cause) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code)) return true;
  }
  return false;
}

export function createAchievementsImportService(deps: AchievementsImportDeps) {
  const { db, achievements, organizations } = deps;
  const rows = createRowConverter(deps.catalog);

  /** A creation failure of one row as column errors, or undefined when it is not the row's fault. */
  function rowErrors(e: unknown, columns: ColumnMap): FieldError[] | undefined {
    if (e instanceof AppError && e.status < 500) {
      return e.errors?.length ? rows.toColumnErrors(columns, e.errors) : [{ path: 'row', message: e.message }];
    }
    if (isRowDataError(e)) return [{ path: 'row', message: 'the database refused this row' }];
    return undefined;
  }

  return {
    /**
     * Imports a 可转化成果清单: every valid row becomes a draft of the caller's organization,
     * every invalid row is reported with its errors and leaves nothing behind. A file that cannot
     * be read, or whose header row we do not understand, is refused whole.
     */
    async importFile(actor: Actor, upload: Upload, onProgress?: ImportProgress): Promise<ImportReport> {
      if (!ACHIEVEMENT_POSTERS.has(actor.kind)) throw forbidden('Universities, institutes, enterprises and brokers import achievements', 'ROLE_NOT_ALLOWED');
      const sheet = await readSheet(upload);
      const columns = mapHeaders(sheet);
      const org = await organizations.getOrganization(actor.organizationId);
      const defaults = { institution: org.name, regionCode: org.regionCode };

      const failed: ImportReport['failed'] = [];
      const valid: { row: number; input: CreateAchievementInput }[] = [];
      for (const r of sheet.rows) {
        const result = rows.convert(r.cells, columns, defaults);
        if (result.ok) valid.push({ row: r.row, input: result.input });
        else failed.push({ row: r.row, errors: result.errors });
      }

      const total = sheet.rows.length;
      const created: ImportReport['created']['items'] = [];
      onProgress?.(failed.length, total);
      for (let i = 0; i < valid.length; i += BATCH_ROWS) {
        const batch = valid.slice(i, i + BATCH_ROWS);
        const batchCreated: typeof created = [];
        const batchFailed: typeof failed = [];
        await db.transaction(async (tx) => {
          for (const c of batch) {
            try {
              const r = await tx.transaction((savepoint) => achievements.create(actor, c.input, savepoint));
              batchCreated.push({ row: c.row, id: r.achievement.id });
            } catch (e) {
              const errors = rowErrors(e, columns);
              if (!errors) throw e;
              batchFailed.push({ row: c.row, errors });
            }
          }
        });
        // Only a committed batch counts: a failed commit leaves none of its rows.
        created.push(...batchCreated);
        failed.push(...batchFailed);
        onProgress?.(failed.length + created.length, total);
      }
      failed.sort((a, b) => a.row - b.row);
      return { rows: total, created: { count: created.length, items: created }, failed };
    },
  };
}

export type AchievementsImportService = ReturnType<typeof createAchievementsImportService>;
