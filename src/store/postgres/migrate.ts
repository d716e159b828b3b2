// The PostgreSQL store's numbered migrations (migrations/NNNN-name.sql), applied in order, each
// in its own transaction, recorded in schema_migrations, under an advisory lock so that engines
// opening one database at once apply each once.
import type pg from 'pg';
import { assertSchemaNotNewer, loadMigrationsFrom } from '../load-migrations.ts';
import type { Migration } from '../load-migrations.ts';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

/** The PostgreSQL migrations shipped with this version, in order. */
export function loadMigrations(): readonly Migration[] {
  return loadMigrationsFrom(MIGRATIONS_DIR);
}

/**
 * Brings the schema (the client's search_path) up to date and returns the versions it applied.
 * Applying twice is a no-op. Throws when the database is at a version newer than this code.
 */
export async function migrate(
  client: pg.ClientBase,
  opts: { nowMs: number; migrations?: readonly Migration[] | undefined },
): Promise<number[]> {
  const migrations = opts.migrations ?? loadMigrations();
  await client.query('BEGIN');
  try {
    // Held to this transaction's end: a second opener waits here, then finds the work done.
    // One lock per schema: stores in other schemas of the database do not wait for these.
    await client.query(
      "SELECT pg_advisory_xact_lock(hashtextextended('reprise migrations: ' || current_schema(), 0))",
    );
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (' +
        'version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)',
    );
    const { rows } = await client.query<{ v: number | null }>(
      'SELECT max(version) AS v FROM schema_migrations',
    );
    const current = rows[0]?.v ?? 0;
    assertSchemaNotNewer(current, migrations);
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query(
        'INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)',
        [m.version, m.name, opts.nowMs],
      );
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
