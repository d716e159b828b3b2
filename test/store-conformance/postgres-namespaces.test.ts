// The PostgreSQL store remembers the namespaces it has seen exist (hasNamespace is asked at every
// workflow start), and never a namespace it did not find. Shown on a cluster of the test's own,
// stopped midway: what the store still answers then, it answered from memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import {
  IllegalStateError,
  NamespaceAlreadyExistsError,
  UnavailableError,
} from '../../src/errors.ts';
import { loadMigrations, migrate } from '../../src/store/postgres/migrate.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { postgresAvailable, startCluster } from '../helpers/postgres-cluster.ts';
import { freshSchema, openTestPostgresStore, testPostgresUrl } from '../helpers/postgres.ts';

const skip = !postgresAvailable() && 'PostgreSQL 15 is not installed';

test(
  'hasNamespace answers a namespace seen to exist, or created, from memory, and asks again for one not found',
  { skip, timeout: 60_000 },
  async () => {
    const cluster = await startCluster({ fsync: false, stopWhenProcessEnds: true });
    let stopped = false;
    const schema = freshSchema();
    const store = await PostgresStore.open({ url: cluster.url, schema });
    try {
      const other = await PostgresStore.open({ url: cluster.url, schema });
      try {
        assert.equal(await store.hasNamespace({ namespace: 'default' }), true);
        assert.equal(await store.hasNamespace({ namespace: 'later' }), false);
        // Another engine process creates it: a `false` was not remembered.
        await other.ensureNamespace({ namespace: 'later' });
        assert.equal(await store.hasNamespace({ namespace: 'later' }), true);
        await store.ensureNamespace({ namespace: 'made' });
      } finally {
        await other.close();
      }

      cluster.stop();
      stopped = true;
      for (const namespace of ['default', 'later', 'made']) {
        assert.equal(await store.hasNamespace({ namespace }), true, namespace);
      }
      // One never seen is asked of the server, which is gone.
      await assert.rejects(store.hasNamespace({ namespace: 'unseen' }), UnavailableError);
    } finally {
      await store.close();
      if (!stopped) cluster.stop();
    }
    // Memory does not outlive the store: a closed one refuses the call.
    await assert.rejects(store.hasNamespace({ namespace: 'default' }), IllegalStateError);
  },
);

test(
  'a namespace one store creates is seen by another on the same schema that found it missing',
  { skip },
  async () => {
    const schema = freshSchema();
    const a = await openTestPostgresStore({ schema });
    const b = await openTestPostgresStore({ schema });
    try {
      assert.equal(await b.hasNamespace({ namespace: 'billing' }), false);
      assert.equal(await b.getNamespace({ namespace: 'billing' }), undefined);
      const billing = { namespace: 'billing', description: 'Invoices', createdAtMs: 3 };
      await a.createNamespace(billing);
      assert.equal(await b.hasNamespace({ namespace: 'billing' }), true);
      assert.deepEqual(await b.getNamespace({ namespace: 'billing' }), billing);
      assert.deepEqual(
        (await b.listNamespaces()).map((n) => n.namespace),
        ['billing', 'default'],
      );
      // The second creator is refused by the database, whatever its own memory holds.
      await assert.rejects(
        b.createNamespace({ namespace: 'billing', description: 'other', createdAtMs: 4 }),
        NamespaceAlreadyExistsError,
      );
      assert.deepEqual(await a.getNamespace({ namespace: 'billing' }), billing);
    } finally {
      await a.close();
      await b.close();
    }
  },
);

test(
  'namespaces from before their records (schema 1) open with no description, created with the database',
  { skip },
  async () => {
    const schema = freshSchema();
    const client = new pg.Client({
      connectionString: await testPostgresUrl(),
      options: `-c search_path=${schema}`,
    });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA ${schema}`);
      await migrate(client, {
        nowMs: 7_000,
        migrations: loadMigrations().filter((m) => m.version <= 1),
      });
      await client.query("INSERT INTO namespaces (name) VALUES ('by-hand')");
    } finally {
      await client.end();
    }
    const store = await openTestPostgresStore({ schema });
    try {
      assert.deepEqual(await store.listNamespaces(), [
        { namespace: 'by-hand', description: '', createdAtMs: 7_000 },
        { namespace: 'default', description: '', createdAtMs: 7_000 },
      ]);
    } finally {
      await store.close();
    }
  },
);
