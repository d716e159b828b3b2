import type Database from 'better-sqlite3';

export function prepareSearchAttributeTypeQueries(db: Database.Database) {
  return {
    list: db.prepare<[string], { name: string; type: string }>(
      'SELECT name, type FROM search_attribute_types WHERE namespace = ? ORDER BY name',
    ),
    get: db.prepare<[string, string], { type: string }>(
      'SELECT type FROM search_attribute_types WHERE namespace = ? AND name = ?',
    ),
    insert: db.prepare<[string, string, string]>(
      'INSERT INTO search_attribute_types (namespace, name, type) VALUES (?, ?, ?) ' +
        'ON CONFLICT DO NOTHING',
    ),
    delete: db.prepare<[string, string]>(
      'DELETE FROM search_attribute_types WHERE namespace = ? AND name = ?',
    ),
  };
}
