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

// node-postgres reports a socket that went away under a query as a plain Error with one of these.
const LOST_CONNECTION = /Connection terminated|connection timeout|Client has encountered a connection error|ECONNREFUSED|ECONNRESET|EPIPE|timeout exceeded when trying to connect/i;

/**
 * The database is unreachable or dropped the connection (a terminated backend, a server shutting
 * down or failing over, a network break): a transient condition, not a bug in the request.
 */
export function isConnectionFailure(err: unknown): boolean {
  const code = pgError(err)?.code;
  // Class 08 (connection exception); 57P01-57P03 admin shutdown, crash shutdown, cannot connect now.
  if (code && (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03')) return true;
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    if (e instanceof Error && LOST_CONNECTION.test(e.message)) return true;
    if (typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' && LOST_CONNECTION.test((e as { code: string }).code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
