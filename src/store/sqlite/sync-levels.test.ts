import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ErrorCode, RepriseError } from '../../errors.ts';
import { SyncLevels } from './sync-levels.ts';

const FULL = 2;
const NORMAL = 1;

function withDb(fn: (db: Database.Database) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-sync-'));
  const db = new Database(join(dir, 'store.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (v INTEGER)');
    fn(db);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const level = (db: Database.Database): unknown => db.pragma('synchronous', { simple: true });

test('unsynced runs one transaction at NORMAL and leaves the connection at FULL', () => {
  withDb((db) => {
    const levels = new SyncLevels(db);
    levels.full();
    const insert = db.transaction(() => {
      db.prepare('INSERT INTO t (v) VALUES (1)').run();
      return level(db);
    });
    assert.equal(
      levels.unsynced(() => insert.immediate()),
      NORMAL,
    );
    assert.equal(level(db), FULL);
    assert.deepEqual(db.prepare('SELECT v FROM t').all(), [{ v: 1 }]);
  });
});

test('a transaction that throws is rolled back and the connection is back at FULL', () => {
  withDb((db) => {
    const levels = new SyncLevels(db);
    levels.full();
    const failing = db.transaction(() => {
      db.prepare('INSERT INTO t (v) VALUES (1)').run();
      throw new Error('boom');
    });
    assert.throws(() => levels.unsynced(() => failing.immediate()), /boom/);
    assert.equal(level(db), FULL);
    assert.deepEqual(db.prepare('SELECT v FROM t').all(), []);
  });
});

test('a connection that cannot be set back to FULL is closed, not left at NORMAL', () => {
  withDb((db) => {
    const levels = new SyncLevels(db);
    levels.full();
    // A transaction left open: SQLite refuses to change the level inside it.
    assert.throws(
      () => {
        levels.unsynced(() => db.exec('BEGIN'));
      },
      (e: unknown) => e instanceof RepriseError && e.code === ErrorCode.Unavailable,
    );
    assert.equal(db.open, false);
  });
});
