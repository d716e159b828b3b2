// DESIGN contract 1: each history event is appended once, in order. Two writers racing on one run
// cannot both succeed (the compare-and-set on the run's next event id); the loser reads the run
// again and decides again. Two engines on one SQLite file are two such writers, each with a run
// cache that the other's writes leave stale.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Client } from 'reprise/client';
import { Engine } from 'reprise/server';
import { Worker } from 'reprise/worker';
import { RunConflictError } from '../../src/errors.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { addItem, collect } from './fixtures/contract-workflows.ts';
import { contractFixture } from './fixtures/paths.ts';
import { tempDir, uniqueQueue } from '../helpers/test-env.ts';

/** `store`, counting the appends that lost their compare-and-set. */
function conflictsCounted(store: Store): { store: Store; conflicts: () => number } {
  let conflicts = 0;
  const wrapped = new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const method = (...args: unknown[]): unknown =>
        (value as (...a: unknown[]) => unknown).apply(target, args);
      if (prop !== 'appendToRun') return method;
      return async (...args: unknown[]): Promise<unknown> => {
        try {
          return await method(...args);
        } catch (e) {
          if (e instanceof RunConflictError) conflicts++;
          throw e;
        }
      };
    },
  });
  return { store: wrapped, conflicts: () => conflicts };
}

describe('contract 1: exactly-once state transitions', () => {
  const tmp = tempDir();
  after(() => {
    tmp.remove();
  });

  test('two engines racing on one run: every event once and in order, every signal once', async () => {
    const path = join(tmp.dir, 'two-writers.db');
    const stores = [await SqliteStore.open({ path }), await SqliteStore.open({ path })] as const;
    const [a, b] = stores.map(conflictsCounted) as [
      ReturnType<typeof conflictsCounted>,
      ReturnType<typeof conflictsCounted>,
    ];
    const engineA = await Engine.open({ store: a.store });
    const engineB = await Engine.open({ store: b.store });
    const taskQueue = uniqueQueue('two-writers');
    const worker = await Worker.create({
      connection: engineA.connection,
      taskQueue,
      workflowsPath: contractFixture('contract-workflows.ts'),
    });
    const running = worker.run();
    try {
      const rounds = 15;
      const clientA = new Client({ connection: engineA.connection });
      const clientB = new Client({ connection: engineB.connection });
      const handle = await clientA.workflow.start(collect, {
        taskQueue,
        workflowId: 'two-writers',
        args: [rounds * 2],
      });
      const byB = clientB.workflow.getHandle(handle.workflowId);
      // Each round, both engines signal at once, and the worker answers through engine A: each
      // engine's cached row is stale by then, written by the other since.
      const sent: string[] = [];
      for (let i = 0; i < rounds; i++) {
        sent.push(`a-${i}`, `b-${i}`);
        await Promise.all([handle.signal(addItem, `a-${i}`), byB.signal(addItem, `b-${i}`)]);
      }
      const received = await handle.result();
      assert.deepEqual([...received].sort(), [...sent].sort(), 'every signal delivered once');
      const events = (await handle.fetchHistory()).events;
      assert.deepEqual(
        events.map((e) => e.eventId),
        events.map((_, i) => i + 1),
        'event ids run from 1 without a gap or a repeat',
      );
      const signaled = events.flatMap((e) =>
        e.type === 'WorkflowExecutionSignaled' ? [e.input[0] as string] : [],
      );
      assert.deepEqual([...signaled].sort(), [...sent].sort(), 'each signal recorded once');
      assert.deepEqual(received, signaled, 'delivered in the order history records');
      assert.equal(events.at(-1)?.type, 'WorkflowExecutionCompleted');
      // The race was real: writes decided on a stale row lost, read the run again, and won.
      assert.ok(a.conflicts() + b.conflicts() > 0, 'some appends lost their compare-and-set');
    } finally {
      await worker.shutdown();
      await running;
      await engineA.close();
      await engineB.close();
      for (const s of stores) await s.close();
    }
  });
});
