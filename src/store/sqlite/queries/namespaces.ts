import type Database from 'better-sqlite3';

export function prepareNamespaceQueries(db: Database.Database) {
  return {
    insert: db.prepare<[string]>('INSERT INTO namespaces (name) VALUES (?) ON CONFLICT DO NOTHING'),
    exists: db.prepare<[string], { found: 1 }>('SELECT 1 AS found FROM namespaces WHERE name = ?'),
  };
}
export type NamespaceQueries = ReturnType<typeof prepareNamespaceQueries>;
