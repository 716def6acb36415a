interface PgError {
  code?: string;
  constraint?: string;
}

/** drizzle wraps driver errors (DrizzleQueryError.cause); look through the wrapper. */
function pgError(err: unknown): PgError | undefined {
  let e: unknown = err;
  for (let i = 0; i < 3 && e; i++) {
    if (typeof e === 'object' && e !== null && typeof (e as PgError).code === 'string' && /^[0-9A-Z]{5}$/.test((e as PgError).code!)) {
      return e as PgError;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const pe = pgError(err);
  return pe?.code === '23505' && (constraint === undefined || pe.constraint === constraint);
}

export function isSerializationFailure(err: unknown): boolean {
  const code = pgError(err)?.code;
  return code === '40001' || code === '40P01';
}
