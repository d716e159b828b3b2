import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import {
  ErrorCode,
  IllegalStateError,
  NamespaceNotFoundError,
  RepriseError,
  RunConflictError,
  UnavailableError,
} from '../../errors.ts';
import { sqliteErrorKind, translateSqliteError } from './sqlite-errors.ts';

const driverError = (code: string) => new Database.SqliteError(`driver says ${code}`, code);
const ctx = { operation: 'testOp' };

describe('sqliteErrorKind', () => {
  test('classifies driver errors by their extended result code', () => {
    const cases: [string, string][] = [
      ['SQLITE_BUSY', 'busy'],
      ['SQLITE_BUSY_SNAPSHOT', 'busy'],
      ['SQLITE_LOCKED', 'busy'],
      ['SQLITE_CONSTRAINT_UNIQUE', 'uniqueViolation'],
      ['SQLITE_CONSTRAINT_PRIMARYKEY', 'uniqueViolation'],
      ['SQLITE_CONSTRAINT_FOREIGNKEY', 'foreignKeyViolation'],
      ['SQLITE_CONSTRAINT_NOTNULL', 'constraintViolation'],
      ['SQLITE_CANTOPEN', 'unavailable'],
      ['SQLITE_READONLY', 'unavailable'],
      ['SQLITE_IOERR_FSYNC', 'unavailable'],
      ['SQLITE_FULL', 'unavailable'],
      ['SQLITE_CORRUPT', 'corrupt'],
      ['SQLITE_NOTADB', 'corrupt'],
      ['SQLITE_ERROR', 'other'],
    ];
    for (const [code, kind] of cases) assert.equal(sqliteErrorKind(driverError(code)), kind, code);
  });

  test('returns undefined for values that are not driver errors', () => {
    assert.equal(sqliteErrorKind(new Error('SQLITE_BUSY')), undefined);
    assert.equal(sqliteErrorKind({ code: 'SQLITE_BUSY' }), undefined);
    assert.equal(sqliteErrorKind(undefined), undefined);
  });

  test('classifies errors from a real database', () => {
    const db = new Database(':memory:');
    try {
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, u TEXT UNIQUE, n TEXT NOT NULL)');
      db.prepare("INSERT INTO t VALUES (1, 'a', 'x')").run();
      const fail = (sql: string) => {
        try {
          db.prepare(sql).run();
        } catch (e) {
          return sqliteErrorKind(e);
        }
        return 'no error';
      };
      assert.equal(fail("INSERT INTO t VALUES (2, 'a', 'x')"), 'uniqueViolation');
      assert.equal(fail("INSERT INTO t VALUES (1, 'b', 'x')"), 'uniqueViolation');
      assert.equal(fail("INSERT INTO t VALUES (3, 'c', NULL)"), 'constraintViolation');
    } finally {
      db.close();
    }
  });
});

describe('translateSqliteError', () => {
  test('our own errors pass through unchanged', () => {
    const ours = new RunConflictError('run-1', 3);
    assert.equal(translateSqliteError(ours, ctx), ours);
  });

  test('busy becomes UnavailableError that names the operation and keeps the cause', () => {
    const cause = driverError('SQLITE_BUSY');
    const e = translateSqliteError(cause, ctx);
    assert.ok(e instanceof UnavailableError);
    assert.equal(e.code, ErrorCode.Unavailable);
    assert.match(e.message, /^testOp: .*busy timeout.*SQLITE_BUSY/);
    assert.equal(e.cause, cause);
  });

  test('a unique violation becomes the operation’s own error, else IllegalStateError', () => {
    const unique = driverError('SQLITE_CONSTRAINT_UNIQUE');
    const custom = new NamespaceNotFoundError('x');
    assert.equal(translateSqliteError(unique, { ...ctx, onUniqueViolation: () => custom }), custom);
    const fallback = translateSqliteError(unique, ctx);
    assert.ok(fallback instanceof IllegalStateError);
    assert.match(fallback.message, /already exists/);
    assert.equal(fallback.cause, unique);
  });

  test('a foreign key violation becomes the operation’s own error, else IllegalStateError', () => {
    const fk = driverError('SQLITE_CONSTRAINT_FOREIGNKEY');
    const custom = new NamespaceNotFoundError('x');
    assert.equal(translateSqliteError(fk, { ...ctx, onForeignKeyViolation: () => custom }), custom);
    assert.ok(translateSqliteError(fk, ctx) instanceof IllegalStateError);
  });

  test('file problems become UnavailableError with a hint', () => {
    const e = translateSqliteError(driverError('SQLITE_CANTOPEN'), ctx);
    assert.ok(e instanceof UnavailableError);
    assert.match(e.message, /directory exists/);
  });

  test('corruption and other driver errors become Internal errors, never driver errors', () => {
    for (const code of ['SQLITE_CORRUPT', 'SQLITE_ERROR', 'SQLITE_MISUSE']) {
      const e = translateSqliteError(driverError(code), ctx);
      assert.ok(e instanceof RepriseError, code);
      assert.equal(e.code, ErrorCode.Internal);
      assert.ok(!(e instanceof Database.SqliteError));
    }
  });

  test('a thrown non-Error value is wrapped into an Error', () => {
    const e = translateSqliteError('boom', ctx);
    assert.ok(e instanceof Error);
    assert.match(e.message, /boom/);
  });
});
