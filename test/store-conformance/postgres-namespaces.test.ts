// The PostgreSQL store remembers the namespaces it has seen exist (hasNamespace is asked at every
// workflow start), and never a namespace it did not find. Shown on a cluster of the test's own,
// stopped midway: what the store still answers then, it answered from memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IllegalStateError, UnavailableError } from '../../src/errors.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { postgresAvailable, startCluster } from '../helpers/postgres-cluster.ts';
import { freshSchema } from '../helpers/postgres.ts';

test(
  'hasNamespace answers a namespace seen to exist, or created, from memory, and asks again for one not found',
  { skip: !postgresAvailable() && 'PostgreSQL 15 is not installed', timeout: 60_000 },
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
