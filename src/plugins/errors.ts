import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { isConnectionFailure } from '../db/errors.js';
import { AppError, type FieldError } from '../lib/errors.js';
import type { Problem } from '../lib/http.js';

export const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

// Fastify's own error codes mapped to our stable codes.
const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'INVALID_CONTENT_LENGTH'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'MALFORMED_BODY'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'MALFORMED_BODY'],
  FST_ERR_CTP_INVALID_CONTENT_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  FST_ERR_VALIDATION: [400, 'VALIDATION_FAILED'],
  FST_ERR_NOT_FOUND: [404, 'NOT_FOUND'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  FST_REQ_FILE_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE'],
  FST_FILES_LIMIT: [413, 'PAYLOAD_TOO_LARGE'],
  FST_PARTS_LIMIT: [413, 'PAYLOAD_TOO_LARGE'],
  FST_FIELDS_LIMIT: [413, 'PAYLOAD_TOO_LARGE'],
};

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  errors?: FieldError[],
) {
  const body: Problem = {
    type: `https://techbridge.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    instance: request.url.split('?')[0] ?? request.url,
    code,
    requestId: String(request.id),
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
  return reply.status(status).type('application/problem+json; charset=utf-8').send(body);
}

function validationErrors(err: FastifyError): FieldError[] {
  if (hasZodFastifySchemaValidationErrors(err)) {
    return err.validation.map((v) => {
      const where = (err as FastifyError & { validationContext?: string }).validationContext ?? 'body';
      const rest = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
      return { path: rest ? `${where}.${rest}` : where, message: v.message ?? 'invalid' };
    });
  }
  return [];
}

/**
 * Errors Fastify raises before routing (a URL that does not decode, a path parameter longer
 * than the router accepts) would otherwise leave as Fastify's own JSON; they are problems too.
 */
export function frameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return sendProblem(request, reply, 400, 'PARAMETER_TOO_LONG', 'A path parameter is longer than any identifier');
  }
  if (err.code === 'FST_ERR_BAD_URL') return sendProblem(request, reply, 400, 'MALFORMED_URL', 'The URL is not validly percent-encoded');
  request.log.error({ err }, 'routing failed');
  return sendProblem(request, reply, 500, 'INTERNAL', 'An internal error occurred');
}

/** One error handler for the whole app: everything leaves as application/problem+json. */
export default fp(
  async (app) => {
    app.setErrorHandler((err: FastifyError, request, reply) => {
      if (err instanceof AppError) {
        if (err.headers) reply.headers(err.headers);
        return sendProblem(request, reply, err.status, err.code, err.message, err.errors);
      }
      if (hasZodFastifySchemaValidationErrors(err)) {
        return sendProblem(request, reply, 400, 'VALIDATION_FAILED', 'The request is not valid', validationErrors(err));
      }
      if (isResponseSerializationError(err)) {
        request.log.error({ err }, 'response failed its schema');
        return sendProblem(request, reply, 500, 'INTERNAL', 'An internal error occurred');
      }
      const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
      if (mapped) return sendProblem(request, reply, mapped[0], mapped[1], err.message);
      if (err instanceof SyntaxError || (err.statusCode === 400 && !err.code)) {
        return sendProblem(request, reply, 400, 'MALFORMED_BODY', 'The request body could not be parsed');
      }
      const status = err.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        return sendProblem(request, reply, status, 'BAD_REQUEST', err.message);
      }
      // A transaction dies with its connection (only a COMMIT already sent can have landed, which an
      // Idempotency-Key replay covers), so this is "try again", not a server bug.
      if (isConnectionFailure(err)) {
        request.log.warn({ err }, 'database connection lost during the request');
        reply.header('retry-after', '1');
        return sendProblem(request, reply, 503, 'DATABASE_UNAVAILABLE', 'The database is unavailable; retry the request');
      }
      // 5xx: log everything, echo nothing internal.
      request.log.error({ err }, 'unhandled error');
      if (status === 503) return sendProblem(request, reply, 503, 'UNAVAILABLE', 'The service is unavailable; retry later');
      return sendProblem(request, reply, 500, 'INTERNAL', 'An internal error occurred');
    });

    app.setNotFoundHandler((request, reply) =>
      sendProblem(request, reply, 404, 'NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`),
    );
  },
  { name: 'errors' },
);
