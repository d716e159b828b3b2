// The store the end-to-end and contract suites run on. scripts/test.sh runs them on SQLite, and
// once more on PostgreSQL (REPRISE_TEST_STORE=postgres), as the store contract promises the same
// behaviour of every backend.
import type { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { freshSchema, openTestPostgresStore, testPostgresUrl } from './postgres.ts';

export type TestStoreKind = 'sqlite' | 'postgres';

/** What `REPRISE_TEST_STORE` names: `postgres`, or SQLite by default. */
export const TEST_STORE: TestStoreKind =
  process.env['REPRISE_TEST_STORE'] === 'postgres' ? 'postgres' : 'sqlite';

/** A test's option that skips it on a store whose internals it does not test (SQLite's file). */
export function sqliteOnly(why: string): { skip: string | false } {
  return { skip: TEST_STORE === 'sqlite' ? false : `SQLite only: ${why}` };
}

const schemas = new Map<string, string>();

/**
 * The store URL for the SQLite file `sqlitePath`: `sqlite:<path>`, or on PostgreSQL a schema of
 * its own on the test server, the same one for every call with the same path in this process
 * (engines that share a file share the schema). Child processes get the URL, not the path.
 */
export async function testStoreUrl(sqlitePath: string): Promise<string> {
  if (TEST_STORE === 'sqlite') return `sqlite:${sqlitePath}`;
  const url = new URL(await testPostgresUrl());
  url.searchParams.set('schema', schemaFor(sqlitePath));
  return url.toString();
}

/**
 * A store object on the store `testStoreUrl(sqlitePath)` names, made with options both backends
 * take (a test that counts its commits, or holds writes longer).
 */
export async function openTestStoreAt(
  sqlitePath: string,
  opts: { lingerMs?: number } = {},
): Promise<SqliteStore | PostgresStore> {
  if (TEST_STORE === 'sqlite') return SqliteStore.open({ path: sqlitePath, ...opts });
  return openTestPostgresStore({ schema: schemaFor(sqlitePath), ...opts });
}

function schemaFor(sqlitePath: string): string {
  let schema = schemas.get(sqlitePath);
  if (schema === undefined) {
    schema = freshSchema();
    schemas.set(sqlitePath, schema);
  }
  return schema;
}
