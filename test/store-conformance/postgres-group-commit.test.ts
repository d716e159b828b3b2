// The PostgreSQL store's group commit: appends and run creations of many runs that arrive together
// share one transaction (a few statements for all of them), and still fail one by one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  IllegalStateError,
  InvalidArgumentError,
  NamespaceNotFoundError,
  RunConflictError,
  WorkflowExecutionAlreadyStartedError,
} from '../../src/errors.ts';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { CreateRunRequest, RunRecord } from '../../src/store/store.ts';
import { freshSchema, openTestPostgresStore } from '../helpers/postgres.ts';
import {
  appendRequest,
  createRequest,
  findTasks,
  makeRun,
  makeTimer,
  signaledEvent,
  workflowTask,
} from './builders.ts';
import { signalAppend, signalsOf, turns } from './signal-appends.ts';

/** The creation of `run` with its start events, its first workflow task and two timers. */
function creation(run: RunRecord): CreateRunRequest {
  return {
    ...createRequest(run),
    timers: [
      makeTimer(run, { key: 'a', dueAtMs: 1_000 }),
      makeTimer(run, { key: 'b', dueAtMs: 2_000 }),
    ],
  };
}

/** Asserts that `result` is a rejection with an error of class `type`, and returns the error. */
function rejectedWith<E extends Error>(
  result: PromiseSettledResult<void> | undefined,
  type: new (...args: never[]) => E,
): E {
  assert.equal(result?.status, 'rejected');
  const e: unknown = result.reason;
  assert.ok(e instanceof type, String(e));
  return e;
}

describe('PostgreSQL store: group commit', () => {
  let schema: string;
  let reader: PostgresStore;
  before(async () => {
    schema = freshSchema();
    reader = await openTestPostgresStore({ schema });
  });
  after(async () => {
    await reader.close();
  });

  async function withStore(
    opts: { maxBatches?: number },
    fn: (store: PostgresStore) => Promise<void>,
  ): Promise<void> {
    const store = await openTestPostgresStore({ schema, ...opts });
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }

  /** `n` new runs on a task queue of their own, created one by one. */
  async function createRuns(store: PostgresStore, n: number): Promise<RunRecord[]> {
    const taskQueue = `q-${freshSchema()}`;
    const runs = Array.from({ length: n }, () => makeRun({ taskQueue }));
    for (const run of runs) await store.createRun(createRequest(run));
    return runs;
  }

  test('appends of many runs sent in one turn commit in one transaction, each with all its rows', () =>
    withStore({}, async (store) => {
      const taskQueue = `q-${freshSchema()}`;
      const runs = Array.from({ length: 12 }, () => makeRun({ taskQueue }));
      for (const run of runs) {
        await store.createRun({
          ...createRequest(run),
          timers: [
            makeTimer(run, { key: 'a', dueAtMs: 1_000 }),
            makeTimer(run, { key: 'b', dueAtMs: 2_000 }),
            makeTimer(run, { key: 'c', dueAtMs: 3_000 }),
          ],
        });
      }
      const created = await findTasks(store, { taskQueue, limit: 100 });
      assert.equal(created.length, runs.length);
      const taskOf = new Map(created.map((t) => [t.runId, t.taskId]));
      const before = store.writeTransactions;
      await Promise.all(
        runs.map((run, i) =>
          store.appendToRun(
            signalAppend(run, 0, `s${i}`, {
              deleteTaskIds: [taskOf.get(run.runId) ?? -1],
              tasks: [workflowTask(run, run.nextEventId)],
              deleteTimerKeys: ['a'],
              // The first run's firing is stale (another due time): its timer stays.
              firedTimer: { key: 'b', dueAtMs: i === 0 ? 1_999 : 2_000 },
              timers: [makeTimer(run, { key: 'd', dueAtMs: 4_000 })],
            }),
          ),
        ),
      );
      assert.equal(store.writeTransactions - before, 1, 'one transaction for all');
      for (const [i, run] of runs.entries()) {
        assert.deepEqual(await signalsOf(reader, run), [`s${i}`]);
        assert.equal((await reader.getRun({ runId: run.runId }))?.version, run.version + 1);
      }
      const tasks = await findTasks(reader, { taskQueue, limit: 100 });
      assert.deepEqual(
        tasks.map((t) => [t.runId, t.scheduledEventId]).sort(),
        runs.map((r) => [r.runId, r.nextEventId]).sort(),
        "each run's old task gone, its new one queued",
      );
      const timers = await reader.takeDueTimers({ nowMs: 10_000, leaseMs: 1, limit: 1_000 });
      for (const [i, run] of runs.entries()) {
        const keys = timers
          .filter((t) => t.runId === run.runId)
          .map((t) => t.key)
          .sort();
        assert.deepEqual(keys, i === 0 ? ['b', 'c', 'd'] : ['c', 'd'], `timers of run ${i}`);
      }
    }));

  test("one run's lost compare-and-set fails only its append; the others in the transaction commit", () =>
    withStore({}, async (store) => {
      const runs = await createRuns(store, 6);
      const stale = runs[3];
      assert.ok(stale !== undefined);
      await store.appendToRun(signalAppend(stale, 0, 'first'));
      const before = store.writeTransactions;
      const results = await Promise.allSettled(
        runs.map((run) => store.appendToRun(signalAppend(run, 0, 'next'))),
      );
      assert.equal(store.writeTransactions - before, 1);
      for (const [i, result] of results.entries()) {
        if (i === 3) {
          assert.equal(result.status, 'rejected');
          assert.ok(result.reason instanceof RunConflictError);
        } else {
          assert.equal(result.status, 'fulfilled', `run ${i}`);
        }
      }
      assert.deepEqual(await signalsOf(reader, stale), ['first']);
      for (const run of runs.filter((r) => r !== stale)) {
        assert.deepEqual(await signalsOf(reader, run), ['next']);
      }
    }));

  test('a write the database refuses fails only itself: the others of its transaction commit alone', () =>
    withStore({}, async (store) => {
      const runs = await createRuns(store, 5);
      const results = await Promise.allSettled(
        runs.map((run, i) =>
          store.appendToRun(
            // JSONB holds no NUL character: this one write is refused.
            signalAppend(run, 0, 'next', i === 2 ? { searchAttributes: { note: 'a\u0000b' } } : {}),
          ),
        ),
      );
      for (const [i, result] of results.entries()) {
        if (i === 2) {
          assert.equal(result.status, 'rejected');
          assert.ok(result.reason instanceof InvalidArgumentError, String(result.reason));
        } else {
          assert.equal(result.status, 'fulfilled', `run ${i}`);
        }
      }
      for (const [i, run] of runs.entries()) {
        assert.deepEqual(await signalsOf(reader, run), i === 2 ? [] : ['next']);
      }
    }));

  test('appends that arrive while maxBatches transactions run wait, and share the next one', () =>
    withStore({ maxBatches: 1 }, async (store) => {
      const [first, ...rest] = await createRuns(store, 11);
      assert.ok(first !== undefined);
      const before = store.writeTransactions;
      const running = store.appendToRun(signalAppend(first, 0, 'first'));
      // Its transaction has begun (it needs several round trips to commit).
      await turns(1);
      await Promise.all([
        running,
        ...rest.map((run) => store.appendToRun(signalAppend(run, 0, 'r'))),
      ]);
      assert.equal(store.writeTransactions - before, 2, 'the first, then all the rest in one');
      for (const run of rest) assert.deepEqual(await signalsOf(reader, run), ['r']);
    }));

  test("a chain's second append decided on a first that lost fails with it; other runs commit", () =>
    withStore({}, async (store) => {
      const [run, other] = await createRuns(store, 2);
      assert.ok(run !== undefined && other !== undefined);
      await reader.appendToRun(signalAppend(run, 0, 'rival'));
      const first = signalAppend(run, 0, 'result', { linger: true });
      const second = appendRequest(
        { ...run, nextEventId: run.nextEventId + 1, version: run.version + 1 },
        { events: [signaledEvent(run.nextEventId + 1, 'answer')], after: first },
      );
      const results = await Promise.allSettled([
        store.appendToRun(first),
        store.appendToRun(second),
        store.appendToRun(signalAppend(other, 0, 'other')),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['rejected', 'rejected', 'fulfilled'],
      );
      assert.deepEqual(await signalsOf(reader, run), ['rival']);
      assert.deepEqual(await signalsOf(reader, other), ['other']);
    }));

  test('a group commit holds at most 1,000 runs: more that arrive together take two', () =>
    withStore({}, async (store) => {
      const runs = Array.from({ length: 1_001 }, () => makeRun());
      await Promise.all(runs.map((run) => store.createRun(createRequest(run))));
      const before = store.writeTransactions;
      await Promise.all(runs.map((run) => store.appendToRun(signalAppend(run, 0, 'next'))));
      assert.equal(store.writeTransactions - before, 2);
      const last = runs.at(-1);
      assert.ok(last !== undefined);
      assert.deepEqual(await signalsOf(reader, last), ['next']);
    }));

  describe('run creations', () => {
    /** Whether `run` was written: its row, its history and its workflow task. */
    async function written(run: RunRecord): Promise<boolean> {
      const row = await reader.getRun({ runId: run.runId });
      const events = await reader.readHistory({ runId: run.runId });
      const tasks = await findTasks(reader, { taskQueue: run.taskQueue, limit: 100 });
      const queued = tasks.some((t) => t.runId === run.runId);
      assert.equal(events.length > 0, row !== undefined, `history of ${run.runId} as its row`);
      assert.equal(queued, row !== undefined, `task of ${run.runId} as its row`);
      return row !== undefined;
    }

    test('creations sent in one turn commit in one transaction, each with its history, task and timers', () =>
      withStore({}, async (store) => {
        const taskQueue = `q-${freshSchema()}`;
        const runs = Array.from({ length: 12 }, () => makeRun({ taskQueue }));
        const before = store.writeTransactions;
        await Promise.all(runs.map((run) => store.createRun(creation(run))));
        assert.equal(store.writeTransactions - before, 1, 'one transaction for all');
        for (const run of runs) {
          assert.deepEqual(await reader.getRun({ runId: run.runId }), run);
          assert.deepEqual(
            await reader.readHistory({ runId: run.runId }),
            createRequest(run).events,
          );
        }
        const tasks = await findTasks(reader, { taskQueue, limit: 100 });
        assert.deepEqual(
          tasks.map((t) => t.runId),
          runs.map((r) => r.runId),
          'task ids grow in the order the creations arrived',
        );
        const timers = await reader.takeDueTimers({ nowMs: 10_000, leaseMs: 1, limit: 1_000 });
        for (const run of runs) {
          const keys = timers
            .filter((t) => t.runId === run.runId)
            .map((t) => t.key)
            .sort();
          assert.deepEqual(keys, ['a', 'b'], `timers of ${run.runId}`);
        }
      }));

    test('a creation whose workflow id is running is refused naming the running run; the others commit', () =>
      withStore({}, async (store) => {
        const taskQueue = `q-${freshSchema()}`;
        const running = makeRun({ taskQueue });
        await store.createRun(creation(running));
        const runs = Array.from({ length: 5 }, (_, i) =>
          makeRun({ taskQueue, ...(i === 2 && { workflowId: running.workflowId }) }),
        );
        const before = store.writeTransactions;
        const results = await Promise.allSettled(runs.map((run) => store.createRun(creation(run))));
        assert.equal(store.writeTransactions - before, 1);
        for (const [i, run] of runs.entries()) {
          if (i === 2) {
            const e = rejectedWith(results[i], WorkflowExecutionAlreadyStartedError);
            assert.equal(e.runId, running.runId);
            assert.equal(e.workflowId, running.workflowId);
          } else {
            assert.equal(results[i]?.status, 'fulfilled', `run ${i}`);
          }
          assert.equal(await written(run), i !== 2, `run ${i} written`);
        }
        const timers = await reader.takeDueTimers({ nowMs: 10_000, leaseMs: 1, limit: 1_000 });
        assert.ok(!timers.some((t) => t.runId === runs[2]?.runId), 'the refused one has no timer');
      }));

    test('two creations of one workflow id in one turn: the first commits, the second is refused naming it', () =>
      withStore({}, async (store) => {
        const first = makeRun({ taskQueue: `q-${freshSchema()}` });
        const second = makeRun({ taskQueue: first.taskQueue, workflowId: first.workflowId });
        const other = makeRun({ taskQueue: first.taskQueue });
        const before = store.writeTransactions;
        const results = await Promise.allSettled(
          [first, second, other].map((run) => store.createRun(creation(run))),
        );
        assert.equal(store.writeTransactions - before, 1);
        assert.equal(results[0]?.status, 'fulfilled');
        assert.equal(
          rejectedWith(results[1], WorkflowExecutionAlreadyStartedError).runId,
          first.runId,
        );
        assert.equal(results[2]?.status, 'fulfilled');
        assert.equal(await written(first), true);
        assert.equal(await written(second), false);
        assert.equal(await written(other), true);
      }));

    test('a creation in a namespace that does not exist, or with a run id that does, fails alone; the others commit', () =>
      withStore({}, async (store) => {
        const taskQueue = `q-${freshSchema()}`;
        const existing = makeRun({ taskQueue });
        await store.createRun(creation(existing));
        const runs = Array.from({ length: 6 }, (_, i) =>
          makeRun({
            taskQueue,
            ...(i === 1 && { namespace: `missing-${freshSchema()}` }),
            ...(i === 4 && { runId: existing.runId }),
          }),
        );
        const results = await Promise.allSettled(runs.map((run) => store.createRun(creation(run))));
        const missing = rejectedWith(results[1], NamespaceNotFoundError);
        assert.equal(missing.namespace, runs[1]?.namespace);
        const duplicate = rejectedWith(results[4], IllegalStateError);
        assert.match(duplicate.message, new RegExp(`run id ${existing.runId} already exists`));
        for (const [i, run] of runs.entries()) {
          if (i === 1 || i === 4) continue;
          assert.equal(results[i]?.status, 'fulfilled', `run ${i}`);
          assert.equal(await written(run), true, `run ${i} written`);
        }
        assert.equal(await written(runs[1] ?? existing), false);
        assert.equal(
          (await reader.getRun({ runId: existing.runId }))?.workflowId,
          existing.workflowId,
          'the existing run is left as it was',
        );
      }));

    test('creations and appends of other runs in one turn share one transaction', () =>
      withStore({}, async (store) => {
        const [a, b] = await createRuns(store, 2);
        assert.ok(a !== undefined && b !== undefined);
        const created = Array.from({ length: 3 }, () => makeRun({ taskQueue: a.taskQueue }));
        const before = store.writeTransactions;
        await Promise.all([
          store.appendToRun(signalAppend(a, 0, 'a')),
          ...created.map((run) => store.createRun(creation(run))),
          store.appendToRun(signalAppend(b, 0, 'b')),
        ]);
        assert.equal(store.writeTransactions - before, 1);
        assert.deepEqual(await signalsOf(reader, a), ['a']);
        assert.deepEqual(await signalsOf(reader, b), ['b']);
        for (const run of created) assert.equal(await written(run), true);
      }));

    test('an append to a run created in the same turn finds it: creations are written first', () =>
      withStore({}, async (store) => {
        const run = makeRun({ taskQueue: `q-${freshSchema()}` });
        const before = store.writeTransactions;
        await Promise.all([
          store.createRun(creation(run)),
          store.appendToRun(signalAppend(run, 0, 'early')),
        ]);
        assert.equal(store.writeTransactions - before, 1);
        assert.deepEqual(await signalsOf(reader, run), ['early']);
      }));

    test('a lone surrogate in a workflow id, task queue or timer key is stored as U+FFFD, as a parameter of its own would be; the writes commit', () =>
      withStore({}, async (store) => {
        // The rows go to PostgreSQL as one JSON text, which may not hold a lone surrogate's escape.
        const taskQueue = `q-\ud800-${freshSchema()}`;
        const lone = makeRun({ taskQueue, workflowId: `wf-\udc00-${freshSchema()}` });
        const other = makeRun({ taskQueue });
        const withTimer = (run: RunRecord): CreateRunRequest => ({
          ...createRequest(run),
          timers: [makeTimer(run, { key: 'k-\ud83d' })],
        });
        await Promise.all([store.createRun(withTimer(lone)), store.createRun(withTimer(other))]);
        const stored = (s: string) => s.replace(/[\ud800-\udfff]/g, '\ufffd');
        const found = await reader.findRun({ namespace: 'default', workflowId: lone.workflowId });
        assert.equal(found?.runId, lone.runId, 'found by the workflow id as given');
        assert.equal(found.workflowId, stored(lone.workflowId));
        const tasks = await findTasks(reader, { taskQueue, limit: 10 });
        assert.deepEqual(tasks.map((t) => t.runId).sort(), [lone.runId, other.runId].sort());
        const timers = await reader.takeDueTimers({ nowMs: 10_000, leaseMs: 1, limit: 1_000 });
        const keys = timers.filter((t) => t.runId === lone.runId).map((t) => t.key);
        assert.deepEqual(keys, ['k-\ufffd']);
        // A second start of the workflow id is refused naming the run that holds it.
        const again = makeRun({ taskQueue, workflowId: lone.workflowId });
        const results = await Promise.allSettled([
          store.createRun(creation(again)),
          store.createRun(creation(makeRun({ taskQueue }))),
        ]);
        assert.equal(
          rejectedWith(results[0], WorkflowExecutionAlreadyStartedError).runId,
          lone.runId,
        );
        assert.equal(results[1].status, 'fulfilled');
        // An append whose task and timer carry them commits too.
        await store.appendToRun(
          signalAppend(lone, 0, 'next', {
            tasks: [workflowTask(lone, lone.nextEventId)],
            timers: [makeTimer(lone, { key: 'k2-\udbff' })],
          }),
        );
        assert.deepEqual(await signalsOf(reader, lone), ['next']);
      }));

    test('close waits for the creations still queued', async () => {
      const store = await openTestPostgresStore({ schema });
      const run = makeRun({ taskQueue: `q-${freshSchema()}` });
      const created = store.createRun(creation(run));
      await store.close();
      await created;
      assert.equal(await written(run), true);
    });
  });
});
