// foreignWrites on PostgreSQL: the notices of migration 0002, read by a listening connection of
// the store's own. Shown with a second store object on the same schema (another engine process)
// and one on another schema. That a notice did NOT come is shown by a later one that did: notices
// arrive in commit order, so the value moves by exactly one for it.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { freshSchema, testPostgresUrl } from '../../../test/helpers/postgres.ts';
import { waitFor } from '../../../test/helpers/test-env.ts';
import { createRequest, makeRun } from '../../../test/store-conformance/builders.ts';
import type { EngineProcessRecord } from '../store.ts';
import { ForeignWrites } from './foreign-writes.ts';
import { PostgresStore } from './postgres-store.ts';

function engineProcess(processId: string, seenAtMs = 1): EngineProcessRecord {
  return { processId, hostKey: 'h', pid: 1, pidStart: '1', startedAtMs: 1, seenAtMs };
}

/** Awaits the store's value standing: its connection listens. */
async function listening(store: PostgresStore): Promise<number> {
  await waitFor(() => store.foreignWrites() === store.foreignWrites(), 'the store to listen');
  return store.foreignWrites();
}

/** Awaits `store`'s value reaching `from + by`, and checks it went no further. */
async function movesBy(store: PostgresStore, from: number, by: number): Promise<void> {
  await waitFor(() => store.foreignWrites() >= from + by, `the value to move by ${by}`);
  assert.equal(store.foreignWrites(), from + by);
}

describe('PostgresStore.foreignWrites', () => {
  let url: string;
  const schema = freshSchema();
  let store: PostgresStore;
  let other: PostgresStore;
  let elsewhere: PostgresStore;

  before(async () => {
    url = await testPostgresUrl();
    store = await PostgresStore.open({ url, schema });
    other = await PostgresStore.open({ url, schema });
    elsewhere = await PostgresStore.open({ url, schema: freshSchema() });
  });
  after(async () => {
    await Promise.all([store.close(), other.close(), elsewhere.close()]);
  });

  test('a new value at every call until the connection listens, then one that stands', async () => {
    const first = store.foreignWrites();
    assert.notEqual(store.foreignWrites(), first);
    const standing = await listening(store);
    assert.ok(standing > first);
    assert.equal(store.foreignWrites(), standing);
  });

  test('its own writes do not move it, whatever they are', async () => {
    const v = await listening(store);
    await store.registerEngineProcess(engineProcess('own'));
    await store.addSearchAttributes({ namespace: 'default', types: { OwnAmount: 'Int' } });
    await store.createRun(createRequest(makeRun()));
    // The other store's engine joining is the next notice: the value moves by it alone.
    await other.registerEngineProcess(engineProcess('joins-after-own-writes'));
    await movesBy(store, v, 1);
  });

  test('another engine process joining moves it; that process refreshing its record does not', async () => {
    const v = await listening(store);
    await other.registerEngineProcess(engineProcess('joining'));
    await movesBy(store, v, 1);
    await other.registerEngineProcess(engineProcess('joining', 2));
    await other.addSearchAttributes({ namespace: 'default', types: { Joined: 'Keyword' } });
    await movesBy(store, v, 2);
  });

  test('search attribute types another writer adds or removes move it; its runs do not', async () => {
    const v = await listening(store);
    await other.addSearchAttributes({ namespace: 'default', types: { Colour: 'Keyword' } });
    await movesBy(store, v, 1);
    await other.createRun(createRequest(makeRun()));
    await other.removeSearchAttributes({ namespace: 'default', names: ['Colour'] });
    await movesBy(store, v, 2);
    // A client that is not a Reprise store (no reprise.writer) is another writer too.
    const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      await client.query(
        "INSERT INTO search_attribute_types (namespace, name, type) VALUES ('default', 'ByHand', 'Int')",
      );
    } finally {
      await client.end();
    }
    await movesBy(store, v, 3);
  });

  test('writes in another schema do not move it', async () => {
    const v = await listening(store);
    await elsewhere.registerEngineProcess(engineProcess('elsewhere'));
    await elsewhere.addSearchAttributes({ namespace: 'default', types: { Far: 'Int' } });
    await other.registerEngineProcess(engineProcess('after-elsewhere'));
    await movesBy(store, v, 1);
  });
});

describe('ForeignWrites', () => {
  test(
    'a lost connection makes every call a new value until it listens again, with a value no call saw',
    { timeout: 30_000 },
    async () => {
      const url = await testPostgresUrl();
      const clients: pg.Client[] = [];
      const writes = new ForeignWrites({
        connect: () => {
          const client = new pg.Client({ connectionString: url });
          clients.push(client);
          return client;
        },
        schema: 'public',
        writerId: 'w',
      });
      try {
        writes.value();
        await waitFor(() => writes.listening, 'the connection to listen');
        const before = writes.value();
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        try {
          const pid = (clients[0] as unknown as { processID: number }).processID;
          await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        } finally {
          await admin.end();
        }
        await waitFor(() => !writes.listening, 'the connection to be lost');
        const lost = writes.value();
        assert.ok(lost > before);
        assert.notEqual(writes.value(), lost);
        await waitFor(() => writes.listening, 'the connection to listen again');
        assert.equal(clients.length, 2);
        const again = writes.value();
        assert.ok(again > lost);
        assert.equal(writes.value(), again);
      } finally {
        await writes.close();
      }
      // Closed: no connection is left, and each call is a new value.
      assert.equal(writes.listening, false);
      assert.notEqual(writes.value(), writes.value());
    },
  );
});

/**
 * A TCP relay to the server whose relayed connections can be made to go silent: no byte passes
 * either way, and no end or error reaches either side (a peer that vanished, a firewall that
 * dropped an idle connection's state). Silenced connections stay open until the relay closes.
 */
async function silenceableRelay(url: string): Promise<{
  url: string;
  silence: () => void;
  close: () => Promise<void>;
}> {
  const target = new URL(url);
  const sockets = new Set<net.Socket>();
  let pairs: [net.Socket, net.Socket][] = [];
  const server = net.createServer((down) => {
    const up = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [down, up]) {
      sockets.add(s);
      s.on('error', () => undefined);
    }
    down.pipe(up);
    up.pipe(down);
    pairs.push([down, up]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const relayed = new URL(url);
  relayed.hostname = '127.0.0.1';
  relayed.port = String((server.address() as net.AddressInfo).port);
  return {
    url: relayed.toString(),
    silence: () => {
      for (const [down, up] of pairs) {
        down.unpipe(up);
        up.unpipe(down);
        down.pause();
        up.pause();
      }
      pairs = [];
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}

describe('ForeignWrites on a connection that goes silent', () => {
  test(
    'is found lost by its checks, though no error or end comes: every call a new value, then it listens again',
    { timeout: 30_000 },
    async () => {
      const relay = await silenceableRelay(await testPostgresUrl());
      const writes = new ForeignWrites({
        connect: () => new pg.Client({ connectionString: relay.url }),
        schema: 'public',
        writerId: 'w',
        checkEveryMs: 50,
      });
      try {
        writes.value();
        await waitFor(() => writes.listening, 'the connection to listen');
        const before = writes.value();
        relay.silence();
        // Notices sent now never arrive: the store must stop saying that none came.
        await waitFor(() => !writes.listening, 'the silent connection to be found lost');
        assert.notEqual(writes.value(), before);
        await waitFor(() => writes.listening, 'a new connection to listen');
      } finally {
        await writes.close();
        await relay.close();
      }
    },
  );

  test('close() returns, the connection gone silent', { timeout: 15_000 }, async () => {
    const relay = await silenceableRelay(await testPostgresUrl());
    const writes = new ForeignWrites({
      connect: () => new pg.Client({ connectionString: relay.url }),
      schema: 'public',
      writerId: 'w',
      checkEveryMs: 60_000,
    });
    try {
      writes.value();
      await waitFor(() => writes.listening, 'the connection to listen');
      relay.silence();
      await writes.close();
      assert.equal(writes.listening, false);
    } finally {
      await relay.close();
    }
  });
});
