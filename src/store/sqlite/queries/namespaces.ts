import type Database from 'better-sqlite3';

const COLUMNS = 'name, description, created_at_ms';

export function prepareNamespaceQueries(db: Database.Database) {
  return {
    /** Leaves a namespace that exists as it is. */
    ensure: db.prepare<[string, number]>(
      'INSERT INTO namespaces (name, created_at_ms) VALUES (?, ?) ON CONFLICT DO NOTHING',
    ),
    /** Breaks the primary key for a namespace that exists. */
    insert: db.prepare<[string, string, number]>(
      'INSERT INTO namespaces (name, description, created_at_ms) VALUES (?, ?, ?)',
    ),
    exists: db.prepare<[string], { found: 1 }>('SELECT 1 AS found FROM namespaces WHERE name = ?'),
    get: db.prepare<[string]>(`SELECT ${COLUMNS} FROM namespaces WHERE name = ?`),
    list: db.prepare<[]>(`SELECT ${COLUMNS} FROM namespaces ORDER BY name`),
  };
}
export type NamespaceQueries = ReturnType<typeof prepareNamespaceQueries>;
