// The one place that reads node-postgres errors: everything above the store sees our errors.
import {
  ErrorCode,
  IllegalStateError,
  InvalidArgumentError,
  RepriseError,
  UnavailableError,
  ensureError,
} from '../../errors.ts';
import { constraintError } from '../constraint-errors.ts';

/** What a driver error means to the store, from its SQLSTATE or socket error code. */
export type PostgresErrorKind =
  /** Two transactions crossed (serialization failure, deadlock): run it again. */
  | 'retry'
  | 'uniqueViolation'
  | 'foreignKeyViolation'
  | 'constraintViolation'
  /** The server cannot be reached, is shutting down, or is out of a resource. */
  | 'unavailable'
  /** A login, password or permission problem: the URL or the role needs fixing. */
  | 'access'
  /** A value PostgreSQL cannot store: a NUL character (U+0000) in text or JSONB. */
  | 'unstorable'
  | 'other';

/** How an operation wants constraint violations reported; the default is an IllegalStateError. */
export interface PostgresErrorContext {
  /** The store method that failed, named in messages. */
  operation: string;
  onUniqueViolation?: ((constraint: string | undefined) => Error) | undefined;
  onForeignKeyViolation?: (() => Error) | undefined;
}

interface DriverError {
  code?: unknown;
  constraint?: unknown;
  message: string;
}

function driverError(err: unknown): DriverError | undefined {
  if (!(err instanceof Error) || err instanceof RepriseError) return undefined;
  const { code } = err as { code?: unknown };
  return typeof code === 'string' ? err : undefined;
}

const SOCKET_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Classifies a driver error; undefined for values that are not one. */
export function postgresErrorKind(err: unknown): PostgresErrorKind | undefined {
  const e = driverError(err);
  if (e === undefined) {
    // node-postgres reports a lost connection or a timed-out pool as plain Errors.
    if (err instanceof Error && !(err instanceof RepriseError)) {
      if (
        /Connection terminated|timeout exceeded when trying to connect|not queryable/i.test(
          err.message,
        )
      ) {
        return 'unavailable';
      }
    }
    return undefined;
  }
  const code = String(e.code);
  if (SOCKET_CODES.has(code)) return 'unavailable';
  if (code === '40001' || code === '40P01') return 'retry';
  if (code === '23505') return 'uniqueViolation';
  if (code === '23503') return 'foreignKeyViolation';
  if (code.startsWith('23')) return 'constraintViolation';
  // 08: connection exception; 53: insufficient resources; 57P0x: shutdown, cannot connect now.
  if (code.startsWith('08') || code.startsWith('53') || /^57P0[1-4]$/.test(code)) {
    return 'unavailable';
  }
  // 28: invalid authorization; 3D000: no such database; 42501: insufficient privilege.
  if (code.startsWith('28') || code === '3D000' || code === '42501') return 'access';
  // 22P05: \u0000 in JSONB; 22021: a NUL byte in text.
  if (code === '22P05' || code === '22021') return 'unstorable';
  return 'other';
}

/**
 * Maps whatever a store operation threw to one of our errors. Our own errors pass through;
 * driver errors become `UnavailableError` (server gone, shutting down, out of resources), the
 * context's error for a constraint violation (else `IllegalStateError`), or an `Internal` error;
 * the driver error is kept as `cause`.
 */
export function translatePostgresError(err: unknown, ctx: PostgresErrorContext): Error {
  if (err instanceof RepriseError) return err;
  const kind = postgresErrorKind(err);
  if (kind === undefined) return ensureError(err);
  const e = err as DriverError;
  const code = typeof e.code === 'string' ? ` (${e.code})` : '';
  const detail = `${e.message}${code}`;
  const op = ctx.operation;
  const options = { cause: err };
  switch (kind) {
    case 'retry':
      return new UnavailableError(
        `${op}: PostgreSQL kept aborting the transaction for conflicts with others: ${detail}. Retry.`,
        options,
      );
    case 'uniqueViolation':
      return (
        ctx.onUniqueViolation?.(typeof e.constraint === 'string' ? e.constraint : undefined) ??
        constraintError('unique', op, detail, err)
      );
    case 'foreignKeyViolation':
      return ctx.onForeignKeyViolation?.() ?? constraintError('foreignKey', op, detail, err);
    case 'constraintViolation':
      return constraintError('other', op, detail, err);
    case 'unavailable':
      return new UnavailableError(
        `${op}: the PostgreSQL server cannot be used: ${detail}. ` +
          'Check that it is running and reachable at the store URL, then retry.',
        options,
      );
    case 'access':
      return new RepriseError(
        ErrorCode.Unavailable,
        `${op}: PostgreSQL refused the store's connection: ${detail}. ` +
          'Check the user, password and database in the store URL, and the role’s privileges.',
        options,
      );
    case 'unstorable':
      return new InvalidArgumentError(
        `${op}: PostgreSQL cannot store a value of this write: ${detail}. A NUL character ` +
          '(U+0000) cannot be stored in a search attribute or memo on PostgreSQL; remove it.',
        options,
      );
    case 'other':
      return new RepriseError(
        ErrorCode.Internal,
        `${op} failed in PostgreSQL: ${detail}.`,
        options,
      );
    default:
      return assertNever(kind);
  }
}

function assertNever(x: never): never {
  throw new IllegalStateError(`Unexpected PostgreSQL error kind: ${String(x)}`);
}
