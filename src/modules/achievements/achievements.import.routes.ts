import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { badRequest } from '../../lib/errors.js';
import { problems } from '../../lib/http.js';
import { actorOf } from '../../plugins/auth.js';
import { ImportReportSchema, ImportUploadSchema } from './achievements.import.schemas.js';

/**
 * Bulk import of a 可转化成果清单. Multipart parsing is registered in this plugin only: every other
 * route keeps answering 415 to multipart bodies.
 */
export const achievementsImportRoutes: FastifyPluginAsyncZod<{ limitBytes: number }> = async (app, { limitBytes }) => {
  const { achievementsImport } = app.services;
  await app.register(multipart, {
    limits: { fileSize: limitBytes, files: 1, fields: 10, fieldSize: 1024, parts: 11 },
    throwFileSizeLimit: true,
  });

  app.post(
    '/v1/achievements/import',
    {
      preHandler: app.requireUser,
      // The body is a multipart stream read by the handler; the schema documents it and is not run.
      validatorCompiler: () => () => true,
      schema: {
        operationId: 'importAchievements',
        tags: ['Achievements'],
        summary: 'Import a 可转化成果清单 (CSV or XLSX): valid rows become drafts, invalid rows are reported per row',
        description:
          'Send the file as the multipart/form-data field `file`. Columns, formats and limits: docs/import.md. ' +
          'Each row is created whole or not at all; the report lists created ids and, for every failed row, its errors by column. ' +
          'At most 5,000 rows per file.',
        security: [{ bearerAuth: [] }],
        consumes: ['multipart/form-data'],
        body: ImportUploadSchema,
        response: { 200: ImportReportSchema, ...problems(400, 401, 403, 413, 415, 422) },
      },
    },
    async (req) => {
      let upload: { filename: string; mimetype: string; data: Buffer } | undefined;
      try {
        const file = await req.file();
        if (file) upload = { filename: file.filename, mimetype: file.mimetype, data: await file.toBuffer() };
      } catch (err) {
        // busboy's errors for a body that is not valid multipart (no boundary, truncated, bad part
        // headers) carry no status; the plugin's own limits (413) do and pass through.
        if (err instanceof Error && (err as { statusCode?: number }).statusCode === undefined) {
          throw badRequest('MALFORMED_MULTIPART', 'The multipart/form-data body could not be read');
        }
        throw err;
      }
      if (!upload) throw badRequest('IMPORT_NO_FILE', 'Send the list as a file in the multipart/form-data field "file"');
      return achievementsImport.importFile(actorOf(req), upload);
    },
  );
};
