import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SqliteStore } from '../store/sqlite/sqlite-store.ts';
import { freshSchema, openTestPostgresStore } from '../../test/helpers/postgres.ts';
import { tempDir, waitFor } from '../../test/helpers/test-env.ts';
import { Peers } from './peers.ts';

describe('peers: whether an engine is alone on its store', () => {
  const tmp = tempDir();
  let n = 0;
  after(() => {
    tmp.remove();
  });

  const record = (processId: string) => ({
    processId,
    hostKey: 'elsewhere',
    pid: 1,
    pidStart: '1',
    startedAtMs: 0,
    seenAtMs: 0,
  });

  /**
   * Runs `fn` with two connections to one fresh file, `here` the engine's and `there` another
   * writer's, and a Peers on `here`; `join` is a write by `there`, registering itself as a
   * joining engine does; `lookFindsNone` is a whole look that finds no other engine.
   */
  async function withWriters(
    fn: (s: {
      here: SqliteStore;
      peers: Peers;
      join: () => Promise<void>;
      lookFindsNone: () => void;
    }) => Promise<void> | void,
  ): Promise<void> {
    const path = join(tmp.dir, `peers-${String(++n)}.db`);
    const here = await SqliteStore.open({ path });
    const there = await SqliteStore.open({ path });
    const peers = new Peers(here);
    try {
      await fn({
        here,
        peers,
        join: () => there.registerEngineProcess(record('other')),
        lookFindsNone: () => {
          peers.lookEnded(peers.lookBegins(), false);
        },
      });
    } finally {
      await here.close();
      await there.close();
    }
  }

  test('not alone until a look finds no other engine', async () => {
    await withWriters(({ peers, lookFindsNone }) => {
      assert.equal(peers.alone(), false);
      peers.lookEnded(peers.lookBegins(), true);
      assert.equal(peers.alone(), false);
      lookFindsNone();
      assert.equal(peers.alone(), true);
      peers.lookFailed();
      assert.equal(peers.alone(), false);
    });
  });

  test('alone, another writer is noticed before the next look, and its own writes are not', async () => {
    await withWriters(async ({ here, peers, join, lookFindsNone }) => {
      lookFindsNone();
      await here.registerEngineProcess(record('me'));
      assert.equal(peers.alone(), true, "this store's own write is not another writer");
      await join();
      // Within FOREIGN_WRITES_ASKED_EVERY_MS the last answer stands; then the write is seen.
      await waitFor(() => !peers.alone(), 'the other write to be noticed');
      assert.equal(peers.others, true);
      // A look that finds no engine record (the writer was not an engine) lets it be alone again.
      lookFindsNone();
      assert.equal(peers.alone(), true);
    });
  });

  test('a write noticed while a look is under way outlasts that look', async () => {
    await withWriters(async ({ peers, join, lookFindsNone }) => {
      lookFindsNone();
      // The look reads the records before the other engine writes its own, and ends after it.
      const begun = peers.lookBegins();
      await join();
      await waitFor(() => !peers.alone(), 'the other write to be noticed');
      peers.lookEnded(begun, false);
      assert.equal(peers.alone(), false, 'the look began before the write it did not see');
      peers.lookEnded(peers.lookBegins(), true);
      assert.equal(peers.alone(), false);
    });
  });

  test('a write no question saw yet ends acting alone when a look begins, until it ends', async () => {
    await withWriters(async ({ peers, join, lookFindsNone }) => {
      lookFindsNone();
      assert.equal(peers.alone(), true);
      await join();
      // The look's read of the records is under way (a busy store may keep it for a while).
      const begun = peers.lookBegins();
      assert.equal(peers.alone(), false, 'the write came before the look that will report it');
      peers.lookEnded(begun, true);
      assert.equal(peers.alone(), false);
    });
  });

  test('polls may read ahead while alone, and while the last look found no other engine', async () => {
    await withWriters(async ({ peers, join, lookFindsNone }) => {
      assert.equal(peers.mayReadAhead(), false, 'no look yet');
      lookFindsNone();
      assert.equal(peers.mayReadAhead(), true);
      await join();
      await waitFor(() => !peers.alone(), 'the other write to be noticed');
      assert.equal(peers.mayReadAhead(), true, 'a write alone does not stop it before a look');
      peers.lookEnded(peers.lookBegins(), true);
      assert.equal(peers.mayReadAhead(), false, 'a look found the other engine');
      lookFindsNone();
      peers.lookFailed();
      assert.equal(peers.mayReadAhead(), false, 'a failed look');
    });
  });

  test('on PostgreSQL, alone once the store listens and a look finds no other engine, until one joins', async () => {
    const schema = freshSchema();
    const here = await openTestPostgresStore({ schema });
    try {
      const peers = new Peers(here);
      peers.lookEnded(peers.lookBegins(), false);
      // The store's listening connection is made at the first question: it cannot tell yet.
      assert.equal(peers.alone(), false);
      assert.equal(peers.mayReadAhead(), true, 'the look found no other engine');
      await waitFor(() => here.foreignWrites() === here.foreignWrites(), 'the store to listen');
      peers.lookEnded(peers.lookBegins(), false);
      assert.equal(peers.alone(), true);
      // Another engine process on the schema, through a store object of its own.
      const there = await openTestPostgresStore({ schema });
      try {
        await there.registerEngineProcess(record('other'));
        await waitFor(() => !peers.alone(), 'the joining engine to be noticed without a look');
      } finally {
        await there.close();
      }
    } finally {
      await here.close();
    }
  });
});
