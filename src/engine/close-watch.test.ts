import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Client } from '../client/index.ts';
import { SqliteStore } from '../store/sqlite/sqlite-store.ts';
import { counted } from '../../test/helpers/counted-store.ts';
import { waitFor } from '../../test/helpers/test-env.ts';
import { Engine } from './engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'reprise-close-watch-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('CloseWatch', () => {
  test('result waiters see runs that another engine closes, with one store query a round for all of them', async () => {
    const path = join(dir, 'two-engines.db');
    const { store, calls } = counted(await SqliteStore.open({ path }));
    const waiting = await Engine.open({ store });
    const other = await Engine.open({ store: `sqlite:${path}` });
    try {
      const client = new Client({ connection: waiting.connection });
      const otherClient = new Client({ connection: other.connection });
      // No worker polls this queue: the runs stay Running until the other engine ends them.
      const handles = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          client.workflow.start('neverWorked', {
            taskQueue: 'close-watch-idle',
            workflowId: `close-watch-${i}`,
          }),
        ),
      );
      const results = handles.map((h) =>
        h.result().then(
          () => 'completed',
          (e: unknown) => (e instanceof Error ? e.message : String(e)),
        ),
      );
      // Every waiter is parked on its run (its first read saw it Running) before the closes.
      await waitFor(() => waiting.deps.closeWatch.size === 40, 'all 40 waiters watching');
      const before = new Map(calls);
      for (let i = 0; i < 40; i++)
        await otherClient.workflow.getHandle(`close-watch-${i}`).terminate('done elsewhere');
      const outcomes = await Promise.all(results);
      assert.deepEqual(new Set(outcomes), new Set(['done elsewhere']));
      assert.equal(waiting.deps.closeWatch.size, 0, 'every waiter stopped watching');
      const since = (m: string) => (calls.get(m) ?? 0) - (before.get(m) ?? 0);
      // The closes were found by the watch's query (a round or two: 1 s apart), not by 40 waiters
      // each re-reading its run every second; each waiter then reads its run once.
      assert.ok(since('listRunsByQuery') >= 1, 'the watch found the closes');
      assert.ok(since('listRunsByQuery') <= 3, `queries: ${since('listRunsByQuery')}`);
      assert.ok(since('getRun') <= 40, `run reads: ${since('getRun')}`);
    } finally {
      await other.close();
      await waiting.close();
      await store.close();
    }
  });
  test('a result waiter woken by this process’s close reads neither the run nor its history', async () => {
    const path = join(dir, 'one-engine.db');
    const sqlite = await SqliteStore.open({ path });
    const { store, calls } = counted(sqlite);
    const engine = await Engine.open({ store });
    try {
      const client = new Client({ connection: engine.connection });
      const handle = await client.workflow.start('neverWorked', {
        taskQueue: 'recent-closes',
        workflowId: 'recent-closes',
      });
      const found = calls.get('findRun') ?? 0;
      const result = handle.result();
      result.catch(() => undefined);
      // The waiter is waiting. Alone on the store, this engine has the run cached as running:
      // it is not read to be found.
      await waitFor(() => engine.deps.closeWatch.size > 0, 'the result call to wait');
      assert.equal(calls.get('findRun') ?? 0, found);
      // The run is in this engine's cache: terminating it reads neither.
      const reads = () => (calls.get('getRun') ?? 0) + (calls.get('readHistory') ?? 0);
      const before = reads();
      await handle.terminate('done here');
      await assert.rejects(result, /done here/);
      assert.equal(reads(), before);
    } finally {
      await engine.close();
      await sqlite.close();
    }
  });

  test('a closed engine answers every call with Unavailable, and so do result and update waits its close cut short', async () => {
    const sqlite = await SqliteStore.open({ path: join(dir, 'closing.db') });
    const engine = await Engine.open({ store: sqlite });
    try {
      const client = new Client({ connection: engine.connection });
      const handle = await client.workflow.start('neverWorked', {
        taskQueue: 'closing',
        workflowId: 'closing',
      });
      const result = handle.result();
      const update = handle.executeUpdate('never-accepted');
      result.catch(() => undefined);
      update.catch(() => undefined);
      await waitFor(() => engine.deps.closeWatch.size > 0, 'the result call to wait');
      await engine.close();
      // The store stays open: a waiter answered "not yet" would ask it again at once, forever.
      const unavailable = {
        name: 'UnavailableError',
        message: /engine closed while this call waited/,
      };
      await assert.rejects(result, unavailable);
      await assert.rejects(update, unavailable);
      // Every later call too: a worker's poll that got "no task" would poll again at once.
      const closedEngine = {
        name: 'UnavailableError',
        message: /a closed engine answers no more calls/,
      };
      await assert.rejects(
        engine.connection.pollWorkflowTask({
          namespace: 'default',
          taskQueue: 'closing',
          identity: 'late worker',
          waitMs: 0,
        }),
        closedEngine,
      );
      await assert.rejects(
        client.workflow.start('neverWorked', { taskQueue: 'closing', workflowId: 'late' }),
        closedEngine,
      );
    } finally {
      await engine.close();
      await sqlite.close();
    }
  });
});
