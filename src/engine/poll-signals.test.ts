// A long-poll's signal is let go of when the poll ends: an engine serving polls for months (over
// HTTP, where every poll has a signal of its own) keeps nothing of the polls it has answered.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { SqliteStore } from '../store/sqlite/sqlite-store.ts';
import { counted } from '../../test/helpers/counted-store.ts';
import { ManualClock } from './clock.ts';
import { Engine } from './engine.ts';
import { READ_AHEAD_MAX_AGE_MS } from './task-queues/read-ahead.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const dir = mkdtempSync(join(tmpdir(), 'reprise-poll-signals-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Resolves once one poll of `kind` waits on the idle queue: awaited turn by turn, a few. */
async function parked(engine: Engine, kind: 'workflow' | 'activity'): Promise<void> {
  while (engine.deps.pollers.count('default', 'idle', kind) !== 1) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("a long-poll's signal", () => {
  test('polls ended by their callers leave nothing behind in the engine', async () => {
    const engine = await Engine.open({ store: `sqlite:${join(dir, 'polls.db')}` });
    try {
      const poll = async (): Promise<void> => {
        const caller = new AbortController();
        const answer = engine.connection.pollWorkflowTask(
          { namespace: 'default', taskQueue: 'idle', identity: 'poller', waitMs: 60_000 },
          caller.signal,
        );
        await parked(engine, 'workflow');
        caller.abort();
        assert.equal(await answer, undefined);
      };
      // The first polls compile what a poll runs and fill the engine's caches.
      for (let i = 0; i < 3000; i++) await poll();
      const before = heapAfterGc();
      const polls = 9000;
      for (let i = 0; i < polls; i++) await poll();
      const grownPerPoll = (heapAfterGc() - before) / polls;
      // Each poll's signal linked into the engine's own, and kept there, was 30–150 bytes a poll;
      // what is left once the engine's caches and the JIT have settled is a few.
      assert.ok(grownPerPoll < 25, `the heap grew ${grownPerPoll.toFixed(0)} bytes a poll`);
    } finally {
      await engine.close();
    }
  });

  test('a poll its caller ends answers at once, without reading its queue again', async () => {
    const sqlite = await SqliteStore.open({ path: join(dir, 'reads.db') });
    const { store, calls } = counted(sqlite);
    const clock = new ManualClock();
    const engine = await Engine.open({ store, clock });
    try {
      const caller = new AbortController();
      const answer = engine.connection.pollActivityTask(
        { namespace: 'default', taskQueue: 'idle', identity: 'poller', waitMs: 60_000 },
        caller.signal,
      );
      await parked(engine, 'activity');
      const reads = calls.get('findTasks') ?? 0;
      assert.ok(reads >= 1, 'the poll read its queue before it waited');
      // Past the age at which the engine would read the queue again rather than trust that it
      // found it empty.
      clock.advance(READ_AHEAD_MAX_AGE_MS + 1);
      caller.abort();
      assert.equal(await answer, undefined);
      assert.equal(calls.get('findTasks') ?? 0, reads, 'no read after the poll was ended');
    } finally {
      await engine.close();
      await sqlite.close();
    }
  });
});
