export interface FieldError {
  path: string;
  message: string;
}

/**
 * The one error type of the application. Services throw it; the error handler renders it as
 * application/problem+json with the stable `code`.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (code: string, message: string, errors?: FieldError[]) => new AppError(400, code, message, errors);
export const unauthorized = (message = 'Authentication is required', code = 'UNAUTHENTICATED') =>
  new AppError(401, code, message, undefined, { 'www-authenticate': 'Bearer' });
export const forbidden = (message = 'You may not do this', code = 'FORBIDDEN') => new AppError(403, code, message);
export const notFound = (what: string) => new AppError(404, 'NOT_FOUND', `${what} not found`);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const preconditionFailed = (message = 'The resource has changed; fetch it again and retry with its current ETag') =>
  new AppError(412, 'PRECONDITION_FAILED', message);
export const unprocessable = (code: string, message: string, errors?: FieldError[]) => new AppError(422, code, message, errors);
