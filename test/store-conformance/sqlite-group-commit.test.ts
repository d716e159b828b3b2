// SQLite's group commit (sqlite-store.ts): writes sent in one turn share one transaction, and
// consecutive appends to one run are written together. Each outcome must be the one the writes
// would have had one after another, in the order they were sent.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AppendToRunRequest } from '../../src/store/store.ts';
import { describe, test } from 'node:test';
import { RunConflictError, WorkflowExecutionAlreadyStartedError } from '../../src/errors.ts';
import { RunStatus } from '../../src/protocol/run-status.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import {
  appendRequest,
  completedEvent,
  createRequest,
  findTask,
  makeRun,
  makeTimer,
  signaledEvent,
  workflowTask,
} from './builders.ts';
import { tempDir } from '../helpers/test-env.ts';

async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await SqliteStore.open({ path: ':memory:' });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

const reasonOf = (r: PromiseSettledResult<void> | undefined): unknown =>
  r?.status === 'rejected' ? (r.reason as unknown) : undefined;

const outcome = (r: PromiseSettledResult<void>): string =>
  r.status === 'fulfilled' ? 'ok' : r.reason instanceof Error ? r.reason.name : 'not an Error';

describe('SqliteStore group commit', () => {
  test('appends to one run sent at once leave the holders the last one names (ADR 0012)', () =>
    withStore(async (store) => {
      const held = makeRun();
      const released = makeRun();
      for (const run of [held, released]) await store.createRun(createRequest(run));
      const next = (run: typeof held) => ({ ...run, nextEventId: 4, version: run.version + 1 });
      await Promise.all([
        store.appendToRun({ ...appendRequest(held, { events: [signaledEvent(3, 'a')] }) }),
        store.appendToRun({
          ...appendRequest(next(held), { events: [signaledEvent(4, 'b')] }),
          heldBy: ['p1'],
        }),
        store.appendToRun({
          ...appendRequest(released, { events: [signaledEvent(3, 'a')] }),
          heldBy: ['p1'],
        }),
        store.appendToRun(appendRequest(next(released), { events: [signaledEvent(4, 'b')] })),
      ]);
      assert.deepEqual(await store.listRunsHeldBy({ processId: 'p1' }), [held.runId]);
    }));

  test('an append that continues one still uncommitted (sent at once) commits after it, as if in turn', () =>
    withStore(async (store) => {
      const run = makeRun();
      await store.createRun(createRequest(run));
      const first = appendRequest(run, {
        events: [signaledEvent(3, 'a'), signaledEvent(4, 'b')],
        tasks: [workflowTask(run, 3, { taskQueue: 'qa' })],
        timers: [
          makeTimer(run, { key: 'a', dueAtMs: 1 }),
          makeTimer(run, { key: 'b', dueAtMs: 2 }),
        ],
        state: 'first',
        searchAttributes: { stage: 'first' },
      });
      const afterFirst = { ...run, nextEventId: 5, version: run.version + 1 };
      const second = appendRequest(afterFirst, {
        events: [signaledEvent(5, 'c')],
        tasks: [workflowTask(run, 5, { taskQueue: 'qb' })],
        // The second deletes a timer the first set and sets one again under another key.
        deleteTimerKeys: ['a'],
        timers: [makeTimer(run, { key: 'c', dueAtMs: 3 })],
        status: RunStatus.Completed,
        closeTimeMs: 9_000,
        state: 'second',
      });
      await Promise.all([store.appendToRun(first), store.appendToRun(second)]);
      assert.deepEqual(await store.getRun({ runId: run.runId }), {
        ...run,
        status: RunStatus.Completed,
        closeTimeMs: 9_000,
        nextEventId: 6,
        version: run.version + 2,
        state: 'second',
        // The second said nothing of them: the first's stay.
        searchAttributes: { stage: 'first' },
      });
      assert.deepEqual(await store.readHistory({ runId: run.runId, fromEventId: 3 }), [
        signaledEvent(3, 'a'),
        signaledEvent(4, 'b'),
        signaledEvent(5, 'c'),
      ]);
      assert.deepEqual(
        (await store.readHistory({ runId: run.runId, fromEventId: 5 })).map((e) => e.eventId),
        [5],
      );
      assert.ok(await findTask(store, { taskQueue: 'qa' }));
      assert.ok(await findTask(store, { taskQueue: 'qb' }));
      const timers = await store.takeDueTimers({ nowMs: 10, limit: 10, leaseMs: 1 });
      assert.deepEqual(timers.map((t) => t.key).sort(), ['b', 'c']);
    }));

  test('an append that lost its race does not take down the one after it that continues the winner', () =>
    withStore(async (store) => {
      const run = makeRun();
      await store.createRun(createRequest(run));
      const winner = appendRequest(run, { events: [signaledEvent(3, 'a')], state: 'winner' });
      // Decided on the same row as the winner: the same compare-and-set, so it loses.
      const loser = appendRequest(run, { events: [signaledEvent(3, 'b')], state: 'loser' });
      const next = appendRequest(
        { ...run, nextEventId: 4, version: run.version + 1 },
        { events: [signaledEvent(4, 'c')], state: 'next' },
      );
      const results = await Promise.allSettled(
        [winner, loser, next].map((r) => store.appendToRun(r)),
      );
      assert.deepEqual(results.map(outcome), ['ok', 'RunConflictError', 'ok']);
      const reason = reasonOf(results[1]);
      assert.ok(reason instanceof RunConflictError);
      assert.equal((await store.getRun({ runId: run.runId }))?.state, 'next');
      assert.deepEqual(
        (await store.readHistory({ runId: run.runId, fromEventId: 3 })).map((e) => e.eventId),
        [3, 4],
      );
    }));

  test('an append decided on one that lost its race (`after`) fails with it, in the same batch or a later one', () =>
    withStore(async (store) => {
      const run = makeRun();
      await store.createRun(createRequest(run));
      const winner = appendRequest(run, { events: [signaledEvent(3, 'a')], state: 'winner' });
      const loser = appendRequest(run, { events: [signaledEvent(3, 'b')], state: 'loser' });
      // Decided on the loser, but their compare-and-set alone would pass on the winner's row.
      const onLoser = (state: string, more: Partial<AppendToRunRequest> = {}) => ({
        ...appendRequest(
          { ...run, nextEventId: 4, version: run.version + 1 },
          { events: [signaledEvent(4, state)], state },
        ),
        after: loser,
        ...more,
      });
      const successor = makeRun({ workflowId: run.workflowId });
      // One that also creates a run (continue-as-new) is written in a savepoint of its own.
      const batch = [winner, loser, onLoser('continued', { createRun: createRequest(successor) })];
      const results = await Promise.allSettled(batch.map((r) => store.appendToRun(r)));
      assert.deepEqual(results.map(outcome), ['ok', 'RunConflictError', 'RunConflictError']);
      assert.equal(await store.getRun({ runId: successor.runId }), undefined);
      // In the loser's chain, and sent after the loser's batch: refused as well.
      const chained = await Promise.allSettled(
        [loser, onLoser('chained')].map((r) => store.appendToRun(r)),
      );
      assert.deepEqual(chained.map(outcome), ['RunConflictError', 'RunConflictError']);
      await assert.rejects(store.appendToRun(onLoser('late')), RunConflictError);
      assert.equal((await store.getRun({ runId: run.runId }))?.state, 'winner');
      assert.deepEqual(
        (await store.readHistory({ runId: run.runId, fromEventId: 3 })).map((e) => e.eventId),
        [3],
      );
    }));

  test('a start of a workflow id sent between two appends of its running run sees the run as it was then', () =>
    withStore(async (store) => {
      const a = makeRun({ workflowId: 'w' });
      await store.createRun(createRequest(a));
      const signalled = appendRequest(a, { events: [signaledEvent(3, 'x')] });
      const b = makeRun({ workflowId: 'w', startTimeMs: 5_000 });
      const closes = appendRequest(
        { ...a, nextEventId: 4, version: a.version + 1 },
        { events: [completedEvent(4)], status: RunStatus.Completed, closeTimeMs: 4_000 },
      );
      const results = await Promise.allSettled([
        store.appendToRun(signalled),
        store.createRun(createRequest(b)),
        store.appendToRun(closes),
      ]);
      assert.deepEqual(results.map(outcome), ['ok', 'WorkflowExecutionAlreadyStartedError', 'ok']);
      const refused = reasonOf(results[1]);
      assert.ok(refused instanceof WorkflowExecutionAlreadyStartedError);
      assert.equal((await store.getRun({ runId: a.runId }))?.status, RunStatus.Completed);
      assert.equal(await store.getRun({ runId: b.runId }), undefined);
    }));
});

describe('SqliteStore.close', () => {
  test('waits for a batch that is waiting out another connection’s lock, then closes', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'close.db');
    const store = await SqliteStore.open({ path });
    const run = makeRun();
    await store.createRun(createRequest(run));
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE'); // holds the write lock past SQLite's busy timeout (5 s)
    const write = store.appendToRun(appendRequest(run, { events: [signaledEvent(3, 'a')] }));
    // The batch's first attempt ran out SQLite's busy timeout; it now waits to try again.
    await new Promise((resolve) => setImmediate(resolve));
    const closed = store.close();
    other.exec('COMMIT');
    other.close();
    await write;
    await closed;
    const reopened = await SqliteStore.open({ path });
    try {
      const events = await reopened.readHistory({ runId: run.runId });
      assert.deepEqual(
        events.map((e) => e.eventId),
        [1, 2, 3],
      );
    } finally {
      await reopened.close();
    }
  });
});
