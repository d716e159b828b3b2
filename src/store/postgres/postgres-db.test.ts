// PostgresDb's connections: the store's own settings hold whatever the URL gives.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { freshSchema, testPostgresUrl } from '../../../test/helpers/postgres.ts';
import { PostgresDb } from './postgres-db.ts';

describe('PostgresDb', () => {
  test("a URL's options parameter is passed on with the store's schema and writer, not in their place", async () => {
    const url = new URL(await testPostgresUrl());
    url.searchParams.set('options', '-c statement_timeout=4321');
    const schema = freshSchema();
    const db = await PostgresDb.open({ url: url.toString(), schema });
    try {
      const settings = await db.read('settings', async (c) => {
        const { rows } = await c.query<{ path: string; writer: string; timeout: string }>(
          "SELECT current_setting('search_path') AS path, " +
            "current_setting('reprise.writer', true) AS writer, " +
            "current_setting('statement_timeout') AS timeout",
        );
        return rows[0];
      });
      assert.deepEqual(settings, { path: schema, writer: db.writerId, timeout: '4321ms' });
    } finally {
      await db.close();
    }
  });
});
