// Numbered SQL migrations (migrations/NNNN-name.sql), applied in order, each in its own
// IMMEDIATE transaction, recorded in schema_migrations.
import type Database from 'better-sqlite3';
import { assertSchemaNotNewer, loadMigrationsFrom } from '../load-migrations.ts';
import type { Migration } from '../load-migrations.ts';

export type { Migration };

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

/** The SQLite migrations shipped with this version, in order (read from disk once per process). */
export function loadMigrations(): readonly Migration[] {
  return loadMigrationsFrom(MIGRATIONS_DIR);
}

/**
 * Brings the schema up to date: applies each migration not yet recorded in schema_migrations,
 * in version order, each in its own transaction. Applying twice is a no-op, and concurrent
 * openers of one file do not double-apply: the "already applied?" check runs inside the same
 * IMMEDIATE (write-locked) transaction as the migration. Returns the versions it applied.
 */
export function migrate(
  db: Database.Database,
  opts: { nowMs: number; migrations?: readonly Migration[] | undefined },
): number[] {
  const migrations = opts.migrations ?? loadMigrations();

  const createTable = db.transaction(() => {
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (' +
        'version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL)',
    );
  });
  createTable.immediate();

  const appliedVersion = db.prepare<[], { v: number | null }>(
    'SELECT max(version) AS v FROM schema_migrations',
  );
  const isApplied = db.prepare<[number], { version: number }>(
    'SELECT version FROM schema_migrations WHERE version = ?',
  );
  const record = db.prepare<[number, string, number]>(
    'INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)',
  );

  const current = appliedVersion.get()?.v ?? 0;
  assertSchemaNotNewer(current, migrations);

  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current) continue;
    const apply = db.transaction(() => {
      if (isApplied.get(m.version)) return false; // another opener got here first
      db.exec(m.sql);
      record.run(m.version, m.name, opts.nowMs);
      return true;
    });
    if (apply.immediate()) applied.push(m.version);
  }
  return applied;
}
