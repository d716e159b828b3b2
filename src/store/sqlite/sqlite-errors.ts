// The one place that reads better-sqlite3 errors: everything above the store sees our errors.
import Database from 'better-sqlite3';
import {
  ErrorCode,
  IllegalStateError,
  RepriseError,
  UnavailableError,
  ensureError,
} from '../../errors.ts';
import { constraintError } from '../constraint-errors.ts';

/** What a driver error means to the store, from its extended result code. */
export type SqliteErrorKind =
  | 'busy'
  | 'uniqueViolation'
  | 'foreignKeyViolation'
  | 'constraintViolation'
  | 'unavailable'
  | 'corrupt'
  | 'other';

/** How an operation wants constraint violations reported; the default is an IllegalStateError. */
export interface SqliteErrorContext {
  /** The store method that failed, named in messages. */
  operation: string;
  onUniqueViolation?: (() => Error) | undefined;
  onForeignKeyViolation?: (() => Error) | undefined;
}

/** True for errors thrown by better-sqlite3 (they carry a `SQLITE_*` code). */
function isSqliteError(err: unknown): err is InstanceType<typeof Database.SqliteError> {
  return err instanceof Database.SqliteError;
}

/** Classifies a better-sqlite3 error by its extended result code; undefined for other values. */
export function sqliteErrorKind(err: unknown): SqliteErrorKind | undefined {
  if (!isSqliteError(err)) return undefined;
  const code = err.code;
  // SQLITE_LOCKED is a lock held by this same process (shared cache); it clears like BUSY.
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return 'uniqueViolation';
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreignKeyViolation';
  if (code.startsWith('SQLITE_CONSTRAINT')) return 'constraintViolation';
  if (
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_IOERR') ||
    code === 'SQLITE_FULL'
  ) {
    return 'unavailable';
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt';
  return 'other';
}

/**
 * Maps whatever a store operation threw to one of our errors. Our own errors pass through;
 * driver errors become `UnavailableError` (busy, I/O, disk full), the context's error for a
 * constraint violation (else `IllegalStateError`), or an `Internal` error; the driver error is
 * kept as `cause`.
 */
export function translateSqliteError(err: unknown, ctx: SqliteErrorContext): Error {
  if (err instanceof RepriseError) return err;
  const kind = sqliteErrorKind(err);
  if (kind === undefined) return ensureError(err);
  const detail = `${(err as Error).message} (${(err as { code: string }).code})`;
  const op = ctx.operation;
  const options = { cause: err };
  switch (kind) {
    case 'busy':
      return new UnavailableError(
        `${op}: the SQLite database stayed locked by another connection past the busy timeout: ${detail}. ` +
          'Retry; if it persists, look for a process holding a long transaction on the file.',
        options,
      );
    case 'uniqueViolation':
      return ctx.onUniqueViolation?.() ?? constraintError('unique', op, detail, err);
    case 'foreignKeyViolation':
      return ctx.onForeignKeyViolation?.() ?? constraintError('foreignKey', op, detail, err);
    case 'constraintViolation':
      return constraintError('other', op, detail, err);
    case 'unavailable':
      return new UnavailableError(
        `${op}: the SQLite database file cannot be used: ${detail}. ` +
          'Check that its directory exists, is writable, and that the disk is not full.',
        options,
      );
    case 'corrupt':
      return new RepriseError(
        ErrorCode.Internal,
        `${op}: the SQLite database file is corrupt or not a database: ${detail}. ` +
          'Restore it from a backup.',
        options,
      );
    case 'other':
      return new RepriseError(ErrorCode.Internal, `${op} failed in SQLite: ${detail}.`, options);
    default:
      return assertNever(kind);
  }
}

function assertNever(x: never): never {
  throw new IllegalStateError(`Unexpected SQLite error kind: ${String(x)}`);
}
