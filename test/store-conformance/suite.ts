// The store contract (src/store/store.ts) as tests: every backend runs this same suite.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  NamespaceAlreadyExistsError,
  RunConflictError,
  WorkflowExecutionAlreadyStartedError,
} from '../../src/errors.ts';
import { RunStatus } from '../../src/protocol/run-status.ts';
import { TaskKind } from '../../src/protocol/tasks.ts';
import type { AppendToRunRequest, Store, TaskRecord } from '../../src/store/store.ts';
import {
  appendRequest,
  findTask,
  findTasks,
  completedEvent,
  createRequest,
  makeRun,
  makeTimer,
  makeWorker,
  omitTaskId,
  richEvents,
  signaledEvent,
  startEvents,
  workflowTask,
  wtStartedEvent,
} from './builders.ts';
import { visibilityConformance } from './visibility-suite.ts';
import { scheduleConformance } from './schedule-suite.ts';

export function storeConformance(backend: string, open: () => Promise<Store>): void {
  /** Runs `fn` on a fresh store and closes it, whatever happens. */
  async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
    const store = await open();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }

  describe(`Store conformance: ${backend}`, () => {
    describe('namespaces', () => {
      test('the default namespace exists, and ensureNamespace creates others once', () =>
        withStore(async (store) => {
          assert.equal(await store.hasNamespace({ namespace: 'default' }), true);
          assert.equal(await store.hasNamespace({ namespace: 'billing' }), false);
          await store.ensureNamespace({ namespace: 'billing' });
          await store.ensureNamespace({ namespace: 'billing' });
          assert.equal(await store.hasNamespace({ namespace: 'billing' }), true);
        }));

      test('createNamespace stores the description and creation time that getNamespace reads back', () =>
        withStore(async (store) => {
          const billing = { namespace: 'billing', description: 'Invoices', createdAtMs: 1_234 };
          assert.equal(await store.getNamespace({ namespace: 'billing' }), undefined);
          await store.createNamespace(billing);
          assert.deepEqual(await store.getNamespace({ namespace: 'billing' }), billing);
          assert.equal(await store.hasNamespace({ namespace: 'billing' }), true);
        }));

      test('createNamespace of a namespace that exists throws NamespaceAlreadyExistsError and changes nothing', () =>
        withStore(async (store) => {
          const first = { namespace: 'billing', description: 'first', createdAtMs: 10 };
          await store.createNamespace(first);
          await assert.rejects(
            store.createNamespace({ namespace: 'billing', description: 'second', createdAtMs: 20 }),
            (e) => e instanceof NamespaceAlreadyExistsError && e.namespace === 'billing',
          );
          assert.deepEqual(await store.getNamespace({ namespace: 'billing' }), first);
          const before = await store.getNamespace({ namespace: 'default' });
          await assert.rejects(
            store.createNamespace({ namespace: 'default', description: 'x', createdAtMs: 30 }),
            NamespaceAlreadyExistsError,
          );
          assert.deepEqual(await store.getNamespace({ namespace: 'default' }), before);
          // One that ensureNamespace made exists as well; ensureNamespace leaves a record as it is.
          await store.ensureNamespace({ namespace: 'ensured', createdAtMs: 40 });
          await store.ensureNamespace({ namespace: 'billing', createdAtMs: 50 });
          assert.deepEqual(await store.getNamespace({ namespace: 'billing' }), first);
          await assert.rejects(
            store.createNamespace({ namespace: 'ensured', description: '', createdAtMs: 60 }),
            NamespaceAlreadyExistsError,
          );
          assert.deepEqual(await store.getNamespace({ namespace: 'ensured' }), {
            namespace: 'ensured',
            description: '',
            createdAtMs: 40,
          });
        }));

      test('the default namespace has a record: no description, created when the store was', () =>
        withStore(async (store) => {
          const record = await store.getNamespace({ namespace: 'default' });
          assert.ok(record !== undefined);
          assert.equal(record.description, '');
          assert.ok(record.createdAtMs > 0, String(record.createdAtMs));
          assert.ok(record.createdAtMs <= Date.now(), String(record.createdAtMs));
        }));

      test('listNamespaces returns every namespace in byte order of the names', () =>
        withStore(async (store) => {
          for (const namespace of ['b', 'a.z', 'B', 'a-z', 'a_z']) {
            await store.createNamespace({ namespace, description: namespace, createdAtMs: 5 });
          }
          const names = (await store.listNamespaces()).map((n) => n.namespace);
          assert.deepEqual(names, ['B', 'a-z', 'a.z', 'a_z', 'b', 'default']);
          const b = (await store.listNamespaces()).find((n) => n.namespace === 'b');
          assert.deepEqual(b, { namespace: 'b', description: 'b', createdAtMs: 5 });
        }));
    });

    describe('runs', () => {
      test('createRun stores the run with its first events, tasks and timers', () =>
        withStore(async (store) => {
          const run = makeRun();
          const timer = makeTimer(run, { key: 'wt-timeout', dueAtMs: 5_000 });
          await store.createRun({ ...createRequest(run), timers: [timer] });

          assert.deepEqual(await store.getRun({ runId: run.runId }), run);
          assert.deepEqual(await store.readHistory({ runId: run.runId }), startEvents(run));
          const task = await findTask(store, { taskQueue: run.taskQueue });
          assert.deepEqual(omitTaskId(task), workflowTask(run, 2));
          assert.deepEqual(await store.takeDueTimers({ nowMs: 5_000, limit: 10, leaseMs: 1 }), [
            timer,
          ]);
        }));

      test('getRun and findRun of an unknown run return undefined', () =>
        withStore(async (store) => {
          assert.equal(await store.getRun({ runId: randomUUID() }), undefined);
          assert.equal(
            await store.findRun({ namespace: 'default', workflowId: 'nope' }),
            undefined,
          );
        }));

      test('createRun of a running workflow id throws WorkflowExecutionAlreadyStartedError and changes nothing', () =>
        withStore(async (store) => {
          const first = makeRun({ workflowId: 'order-1' });
          await store.createRun(createRequest(first));
          const second = makeRun({ workflowId: 'order-1', taskQueue: 'other-queue' });

          await assert.rejects(
            store.createRun({
              ...createRequest(second),
              timers: [makeTimer(second, { key: 't', dueAtMs: 0 })],
            }),
            (e: unknown) => {
              assert.ok(e instanceof WorkflowExecutionAlreadyStartedError);
              assert.equal(e.workflowId, 'order-1');
              assert.equal(e.runId, first.runId);
              assert.equal(e.workflowType, second.workflowType);
              return true;
            },
          );
          assert.equal(await store.getRun({ runId: second.runId }), undefined);
          assert.deepEqual(await store.readHistory({ runId: second.runId }), []);
          assert.equal(await findTask(store, { taskQueue: 'other-queue' }), undefined);
          assert.equal(await store.nextTimerDueAt(), undefined);
          const found = await store.findRun({ namespace: 'default', workflowId: 'order-1' });
          assert.equal(found?.runId, first.runId);
        }));

      test('a closed run (status Completed) allows a new run of the same workflow id', () =>
        withStore(async (store) => {
          const first = makeRun({ workflowId: 'order-2' });
          await store.createRun(createRequest(first));
          await store.appendToRun(
            appendRequest(first, {
              events: [completedEvent(3)],
              status: RunStatus.Completed,
              closeTimeMs: 2_000,
            }),
          );
          const second = makeRun({ workflowId: 'order-2', startTimeMs: 3_000 });
          await store.createRun(createRequest(second));
          assert.equal((await store.getRun({ runId: second.runId }))?.status, RunStatus.Running);
        }));

      test('the same workflow id may run at once in two namespaces', () =>
        withStore(async (store) => {
          await store.ensureNamespace({ namespace: 'other' });
          await store.createRun(createRequest(makeRun({ workflowId: 'w' })));
          await store.createRun(createRequest(makeRun({ workflowId: 'w', namespace: 'other' })));
          const found = await store.findRun({ namespace: 'other', workflowId: 'w' });
          assert.equal(found?.namespace, 'other');
        }));

      test('findRun without runId returns the latest run, also when two start in the same millisecond', () =>
        withStore(async (store) => {
          const runs = [1_000, 2_000, 2_000].map((startTimeMs) =>
            makeRun({ workflowId: 'loop', startTimeMs }),
          );
          for (const run of runs) {
            await store.createRun(createRequest(run));
            await store.appendToRun(
              appendRequest(run, {
                events: [completedEvent(3)],
                status: RunStatus.ContinuedAsNew,
                closeTimeMs: run.startTimeMs,
              }),
            );
          }
          const latest = await store.findRun({ namespace: 'default', workflowId: 'loop' });
          assert.equal(latest?.runId, runs[2]!.runId);
        }));

      test('findRun with a runId returns that run only under its own workflow id and namespace', () =>
        withStore(async (store) => {
          const old = makeRun({ workflowId: 'w', startTimeMs: 1 });
          await store.createRun(createRequest(old));
          await store.appendToRun(
            appendRequest(old, {
              events: [completedEvent(3)],
              status: RunStatus.Completed,
              closeTimeMs: 2,
            }),
          );
          await store.createRun(createRequest(makeRun({ workflowId: 'w', startTimeMs: 5 })));
          const ref = { namespace: 'default', workflowId: 'w', runId: old.runId };
          assert.equal((await store.findRun(ref))?.runId, old.runId);
          assert.equal(await store.findRun({ ...ref, workflowId: 'x' }), undefined);
          assert.equal(await store.findRun({ ...ref, namespace: 'other' }), undefined);
        }));

      test('listRuns returns a namespace’s runs, most recently started first, up to the limit', () =>
        withStore(async (store) => {
          await store.ensureNamespace({ namespace: 'other' });
          const runs = [3_000, 1_000, 2_000].map((startTimeMs) => makeRun({ startTimeMs }));
          for (const run of runs) await store.createRun(createRequest(run));
          await store.createRun(createRequest(makeRun({ namespace: 'other', startTimeMs: 9_000 })));

          const listed = await store.listRuns({ namespace: 'default', limit: 2 });
          assert.deepEqual(
            listed.map((r) => r.startTimeMs),
            [3_000, 2_000],
          );
          assert.equal((await store.listRuns({ namespace: 'default', limit: 10 })).length, 3);
        }));

      test('run state round-trips as JSON, and undefined state stays undefined', () =>
        withStore(async (store) => {
          const state = { pending: [1, 2], nested: { ok: true, name: 'ü' }, none: null };
          const run = makeRun({ state });
          await store.createRun(createRequest(run));
          assert.deepEqual((await store.getRun({ runId: run.runId }))?.state, state);
          await store.appendToRun(appendRequest(run, { events: [], nextEventId: 3, state: 42 }));
          assert.equal((await store.getRun({ runId: run.runId }))?.state, 42);
          await store.appendToRun(
            appendRequest(
              { ...run, version: run.version + 1 },
              { events: [], nextEventId: 3, state: undefined },
            ),
          );
          assert.equal((await store.getRun({ runId: run.runId }))?.state, undefined);
        }));
    });

    describe('appendToRun', () => {
      test("an append that brings its state's JSON stores that state; in one transaction, the last one's", () =>
        withStore(async (store) => {
          const run = makeRun();
          await store.createRun(createRequest(run));
          const state = { step: 1, note: 'ü' };
          const first = appendRequest(run, {
            events: [],
            nextEventId: 3,
            state,
            stateJson: JSON.stringify(state),
          });
          await store.appendToRun(first);
          assert.deepEqual((await store.getRun({ runId: run.runId }))?.state, state);
          // Two writes in one transaction: the row gets the last one's JSON.
          const next = { ...run, version: run.version + 1 };
          const second = appendRequest(next, {
            events: [],
            nextEventId: 3,
            state: { step: 2 },
            stateJson: JSON.stringify({ step: 2 }),
            linger: true,
          });
          const third = appendRequest(
            { ...next, version: next.version + 1 },
            { events: [], nextEventId: 3, state: { step: 3 }, stateJson: '{"step":3}' },
          );
          await Promise.all([
            store.appendToRun(second),
            store.appendToRun({ ...third, after: second }),
          ]);
          assert.deepEqual((await store.getRun({ runId: run.runId }))?.state, { step: 3 });
        }));

      test('appendToRun with createRun closes the run and creates its successor of the same workflow id in one transaction', () =>
        withStore(async (store) => {
          const run = makeRun();
          await store.createRun(createRequest(run));
          const next = makeRun({ workflowId: run.workflowId, startTimeMs: 2_000 });
          await store.appendToRun(
            appendRequest(run, {
              events: [completedEvent(3)],
              status: RunStatus.ContinuedAsNew,
              closeTimeMs: 2_000,
              createRun: { ...createRequest(next), timers: [makeTimer(next, { dueAtMs: 9 })] },
            }),
          );
          assert.equal(
            (await store.getRun({ runId: run.runId }))?.status,
            RunStatus.ContinuedAsNew,
          );
          assert.deepEqual(await store.getRun({ runId: next.runId }), next);
          assert.deepEqual(await store.readHistory({ runId: next.runId }), startEvents(next));
          const found = await store.findRun({ namespace: 'default', workflowId: run.workflowId });
          assert.equal(found?.runId, next.runId);
          const first = await findTask(store, { taskQueue: next.taskQueue });
          assert.deepEqual(omitTaskId(first), workflowTask(run, 2));
          assert.deepEqual(
            omitTaskId(
              await findTask(store, {
                taskQueue: next.taskQueue,
                skipTaskIds: [first?.taskId ?? 0],
              }),
            ),
            workflowTask(next, 2),
          );
          assert.equal(await store.nextTimerDueAt(), 9);
        }));

      test('appendToRun with createRun that loses the compare-and-set writes neither run', () =>
        withStore(async (store) => {
          const run = makeRun();
          await store.createRun(createRequest(run));
          const next = makeRun({ workflowId: run.workflowId });
          await assert.rejects(
            store.appendToRun(
              appendRequest(run, {
                expectedVersion: run.version + 1,
                events: [completedEvent(3)],
                status: RunStatus.ContinuedAsNew,
                closeTimeMs: 2_000,
                createRun: createRequest(next),
              }),
            ),
            RunConflictError,
          );
          assert.deepEqual(await store.getRun({ runId: run.runId }), run);
          assert.equal(await store.getRun({ runId: next.runId }), undefined);
          assert.deepEqual(await store.readHistory({ runId: next.runId }), []);
        }));

      test('appends events and replaces status, closeTime, state and nextEventId', () =>
        withStore(async (store) => {
          const run = makeRun();
          await store.createRun(createRequest(run));
          await store.appendToRun(
            appendRequest(run, {
              events: [wtStartedEvent(3), completedEvent(4)],
              status: RunStatus.Completed,
              closeTimeMs: 7_000,
              nextEventId: 5,
              state: { done: true },
            }),
          );
          assert.deepEqual(await store.getRun({ runId: run.runId }), {
            ...run,
            status: RunStatus.Completed,
            closeTimeMs: 7_000,
            nextEventId: 5,
            version: run.version + 1,
            state: { done: true },
          });
          const history = await store.readHistory({ runId: run.runId });
          assert.deepEqual(
            history.map((e) => e.eventId),
            [1, 2, 3, 4],
          );
        }));

      test('appends to many runs at once all commit, and a conflicting one fails alone', () =>
        withStore(async (store) => {
          const runs = [makeRun(), makeRun(), makeRun()];
          for (const r of runs) await store.createRun(createRequest(r));
          const stale = { ...runs[1]!, version: runs[1]!.version + 7 };
          const results = await Promise.allSettled([
            store.appendToRun(appendRequest(runs[0]!, { events: [signaledEvent(3, 'x')] })),
            store.appendToRun(appendRequest(stale, { events: [signaledEvent(3, 'y')] })),
            store.appendToRun(appendRequest(runs[2]!, { events: [signaledEvent(3, 'z')] })),
          ]);
          assert.deepEqual(
            results.map((r) => r.status),
            ['fulfilled', 'rejected', 'fulfilled'],
          );
          const second = results[1];
          assert.ok(second.status === 'rejected' && second.reason instanceof RunConflictError);
          assert.equal((await store.readHistory({ runId: runs[0]!.runId })).length, 3);
          assert.equal((await store.readHistory({ runId: runs[1]!.runId })).length, 2);
          assert.equal((await store.readHistory({ runId: runs[2]!.runId })).length, 3);
        }));

      test('when an append loses its compare-and-set, the one sent with it that continues it fails too, and nothing changes', () =>
        withStore(async (store) => {
          const run = makeRun();
          await store.createRun(createRequest(run));
          const stale = { ...run, version: run.version + 7 };
          const first = appendRequest(stale, {
            events: [signaledEvent(3, 'a')],
            tasks: [workflowTask(run, 3, { taskQueue: 'qa' })],
            state: 'first',
          });
          const second = appendRequest(
            { ...stale, nextEventId: 4, version: stale.version + 1 },
            {
              events: [signaledEvent(4, 'b')],
              timers: [makeTimer(run, { key: 'b', dueAtMs: 1 })],
              state: 'second',
            },
          );
          const results = await Promise.allSettled([
            store.appendToRun(first),
            store.appendToRun(second),
          ]);
          for (const r of results)
            assert.ok(r.status === 'rejected' && r.reason instanceof RunConflictError);
          assert.deepEqual(await store.getRun({ runId: run.runId }), run);
          assert.equal((await store.readHistory({ runId: run.runId })).length, 2);
          assert.equal(await findTask(store, { taskQueue: 'qa' }), undefined);
          assert.deepEqual(await store.takeDueTimers({ nowMs: 10, limit: 10, leaseMs: 1 }), []);
        }));

      test('two appends racing on one run: one wins, the other gets RunConflictError and changes nothing', () =>
        withStore(async (store) => {
          const run = makeRun();
          await store.createRun(createRequest(run));
          const a = appendRequest(run, {
            events: [signaledEvent(3, 'a')],
            tasks: [workflowTask(run, 3, { taskQueue: 'qa' })],
            timers: [makeTimer(run, { key: 'a', dueAtMs: 1 })],
            state: 'a',
          });
          const b = appendRequest(run, {
            events: [signaledEvent(3, 'b')],
            tasks: [workflowTask(run, 3, { taskQueue: 'qb' })],
            timers: [makeTimer(run, { key: 'b', dueAtMs: 1 })],
            state: 'b',
          });

          const results = await Promise.allSettled([store.appendToRun(a), store.appendToRun(b)]);
          const won = results.findIndex((r) => r.status === 'fulfilled');
          const reasons = results.flatMap((r): unknown[] =>
            r.status === 'rejected' ? [r.reason] : [],
          );
          assert.notEqual(won, -1);
          assert.equal(reasons.length, 1);
          const [reason] = reasons;
          assert.ok(reason instanceof RunConflictError);
          assert.equal(reason.runId, run.runId);

          const winner = won === 0 ? 'a' : 'b';
          const loser = won === 0 ? 'b' : 'a';
          const history = await store.readHistory({ runId: run.runId, fromEventId: 3 });
          assert.deepEqual(history, [signaledEvent(3, winner)]);
          assert.equal((await store.getRun({ runId: run.runId }))?.state, winner);
          assert.equal(await findTask(store, { taskQueue: `q${loser}` }), undefined);
          assert.ok(await findTask(store, { taskQueue: `q${winner}` }));
          const timers = await store.takeDueTimers({ nowMs: 1, limit: 10, leaseMs: 1 });
          assert.deepEqual(
            timers.map((t) => t.key),
            [winner],
          );
        }));

      test('an append that adds no event still bumps the version', () =>
        withStore(async (store) => {
          const run = makeRun();
          await store.createRun(createRequest(run));
          await store.appendToRun(appendRequest(run, { events: [], state: 'attempt started' }));
          assert.deepEqual(await store.getRun({ runId: run.runId }), {
            ...run,
            version: run.version + 1,
            state: 'attempt started',
          });
          assert.deepEqual(await store.readHistory({ runId: run.runId }), startEvents(run));

          // The pre-append version is stale now, although nextEventId did not move.
          await assert.rejects(
            store.appendToRun(appendRequest(run, { events: [], state: 'stale' })),
            RunConflictError,
          );
          assert.equal((await store.getRun({ runId: run.runId }))?.state, 'attempt started');
        }));

      test('two appends racing with no events: one wins, the other gets RunConflictError and changes nothing', () =>
        withStore(async (store) => {
          const run = makeRun();
          await store.createRun(createRequest(run));
          const a = appendRequest(run, {
            events: [],
            tasks: [workflowTask(run, 2, { taskQueue: 'qa' })],
            timers: [makeTimer(run, { key: 'a', dueAtMs: 1 })],
            state: 'a',
          });
          const b = appendRequest(run, {
            events: [],
            tasks: [workflowTask(run, 2, { taskQueue: 'qb' })],
            timers: [makeTimer(run, { key: 'b', dueAtMs: 1 })],
            state: 'b',
          });
          assert.equal(a.expectedNextEventId, b.expectedNextEventId);
          assert.equal(a.expectedVersion, b.expectedVersion);

          const results = await Promise.allSettled([store.appendToRun(a), store.appendToRun(b)]);
          const won = results.findIndex((r) => r.status === 'fulfilled');
          const reasons = results.flatMap((r): unknown[] =>
            r.status === 'rejected' ? [r.reason] : [],
          );
          assert.notEqual(won, -1);
          assert.equal(reasons.length, 1);
          const [reason] = reasons;
          assert.ok(reason instanceof RunConflictError);
          assert.equal(reason.runId, run.runId);

          const winner = won === 0 ? 'a' : 'b';
          const loser = won === 0 ? 'b' : 'a';
          assert.deepEqual(await store.getRun({ runId: run.runId }), {
            ...run,
            version: run.version + 1,
            state: winner,
          });
          assert.deepEqual(await store.readHistory({ runId: run.runId }), startEvents(run));
          assert.equal(await findTask(store, { taskQueue: `q${loser}` }), undefined);
          assert.ok(await findTask(store, { taskQueue: `q${winner}` }));
          const timers = await store.takeDueTimers({ nowMs: 1, limit: 10, leaseMs: 1 });
          assert.deepEqual(
            timers.map((t) => t.key),
            [winner],
          );
        }));

      test('a failed append leaves the run, events, tasks and timers untouched', () =>
        withStore(async (store) => {
          const run = makeRun();
          const keep = makeTimer(run, { key: 'keep', dueAtMs: 100 });
          await store.createRun({ ...createRequest(run), timers: [keep] });
          const queued = await findTask(store, { taskQueue: run.taskQueue });
          assert.ok(queued);

          await assert.rejects(
            store.appendToRun({
              ...appendRequest(run, {
                events: [signaledEvent(3, 'x')],
                status: RunStatus.Failed,
                state: 'changed',
                tasks: [workflowTask(run, 3, { taskQueue: 'new-queue' })],
                timers: [
                  makeTimer(run, { key: 'new', dueAtMs: 1 }),
                  makeTimer(run, { key: 'keep', dueAtMs: 1 }),
                ],
                deleteTimerKeys: ['keep'],
                deleteTaskIds: [queued.taskId],
              }),
              expectedNextEventId: 2, // stale
              nextEventId: 3,
              events: [signaledEvent(2, 'x')],
            }),
            RunConflictError,
          );

          assert.deepEqual(await store.getRun({ runId: run.runId }), run);
          assert.deepEqual(await store.readHistory({ runId: run.runId }), startEvents(run));
          assert.equal(await findTask(store, { taskQueue: 'new-queue' }), undefined);
          assert.equal(
            (await findTask(store, { taskQueue: run.taskQueue }))?.taskId,
            queued.taskId,
          );
          assert.equal(await store.nextTimerDueAt(), 100);
          assert.deepEqual(await store.takeDueTimers({ nowMs: 100, limit: 10, leaseMs: 1 }), [
            keep,
          ]);
        }));

      test('an append to a missing run throws RunConflictError', () =>
        withStore(async (store) => {
          await assert.rejects(
            store.appendToRun(appendRequest(makeRun(), { events: [signaledEvent(3, 'x')] })),
            RunConflictError,
          );
        }));

      test('deleted timers and tasks are gone, and deleting missing ones changes nothing', () =>
        withStore(async (store) => {
          const run = makeRun();
          await store.createRun({
            ...createRequest(run),
            tasks: [workflowTask(run, 2), workflowTask(run, 2, { taskQueue: 'q2' })],
            timers: ['t1', 't2', 't3'].map((key) => makeTimer(run, { key, dueAtMs: 10 })),
          });
          const t1 = await findTask(store, { taskQueue: run.taskQueue });
          const t2 = await findTask(store, { taskQueue: 'q2' });
          assert.ok(t1 && t2);

          await store.appendToRun(
            appendRequest(run, {
              events: [signaledEvent(3, 's')],
              deleteTimerKeys: ['t1', 'missing'],
              deleteTaskIds: [t1.taskId, 987_654],
            }),
          );
          await store.deleteTimer({ runId: run.runId, key: 't2' });
          await store.deleteTimer({ runId: run.runId, key: 'missing' });
          await store.deleteTask({ taskId: t2.taskId });
          await store.deleteTask({ taskId: 987_655 });

          assert.equal(await findTask(store, { taskQueue: run.taskQueue }), undefined);
          assert.equal(await findTask(store, { taskQueue: 'q2' }), undefined);
          const timers = await store.takeDueTimers({ nowMs: 10_000, limit: 10, leaseMs: 1 });
          assert.deepEqual(
            timers.map((t) => t.key),
            ['t3'],
          );
        }));

      test('deleteTimerKeys removes only the appending run’s timers', () =>
        withStore(async (store) => {
          const a = makeRun();
          const b = makeRun();
          await store.createRun({ ...createRequest(a), timers: [makeTimer(a, { key: 'k' })] });
          await store.createRun({ ...createRequest(b), timers: [makeTimer(b, { key: 'k' })] });
          await store.appendToRun(
            appendRequest(a, { events: [signaledEvent(3, 's')], deleteTimerKeys: ['k'] }),
          );
          const timers = await store.takeDueTimers({ nowMs: 10_000, limit: 10, leaseMs: 1 });
          assert.deepEqual(
            timers.map((t) => t.runId),
            [b.runId],
          );
        }));

      test('firedTimer deletes the row only while it has that due time', () =>
        withStore(async (store) => {
          const run = makeRun();
          await store.createRun({
            ...createRequest(run),
            timers: [
              makeTimer(run, { key: 'again', dueAtMs: 20 }),
              makeTimer(run, { key: 'fired', dueAtMs: 10 }),
            ],
          });
          const append = (n: number, req: Partial<AppendToRunRequest>) =>
            store.appendToRun(
              appendRequest(run, {
                expectedNextEventId: 3 + n,
                expectedVersion: n,
                nextEventId: 4 + n,
                events: [signaledEvent(3 + n, 's')],
                ...req,
              }),
            );
          // A stale firing (the row was set again since, due at 20) keeps it; a current one not.
          await append(0, { firedTimer: { key: 'again', dueAtMs: 10 } });
          await append(1, { firedTimer: { key: 'fired', dueAtMs: 10 } });
          const due = await store.takeDueTimers({ nowMs: 25, limit: 10, leaseMs: 1 });
          assert.deepEqual(
            due.map((t) => [t.key, t.dueAtMs]),
            [['again', 20]],
          );
          // Fired as it is, and set again in the same write: the new row stays.
          await append(2, {
            firedTimer: { key: 'again', dueAtMs: 20 },
            timers: [makeTimer(run, { key: 'again', dueAtMs: 30 })],
          });
          const later = await store.takeDueTimers({ nowMs: 10_000, limit: 10, leaseMs: 1 });
          assert.deepEqual(
            later.map((t) => [t.key, t.dueAtMs]),
            [['again', 30]],
          );
        }));
    });

    visibilityConformance(withStore);
    scheduleConformance(withStore);

    describe('history', () => {
      test('history round-trips every field of each event', () =>
        withStore(async (store) => {
          const run = makeRun();
          await store.createRun(createRequest(run));
          const events = richEvents(3);
          await store.appendToRun(appendRequest(run, { events, nextEventId: 3 + events.length }));
          assert.deepEqual(await store.readHistory({ runId: run.runId }), [
            ...startEvents(run),
            ...events,
          ]);
        }));

      test('readHistory returns events in order from fromEventId', () =>
        withStore(async (store) => {
          const run = makeRun();
          await store.createRun(createRequest(run));
          for (let id = 3; id <= 12; id++) {
            await store.appendToRun(
              appendRequest(
                { ...run, nextEventId: id, version: run.version + (id - 3) },
                { events: [signaledEvent(id, `s${id}`)], nextEventId: id + 1 },
              ),
            );
          }
          const tail = await store.readHistory({ runId: run.runId, fromEventId: 10 });
          assert.deepEqual(
            tail.map((e) => e.eventId),
            [10, 11, 12],
          );
          assert.deepEqual(await store.readHistory({ runId: randomUUID() }), []);
        }));
    });

    describe('tasks', () => {
      test('findTasks changes nothing: the task stays until deleted, and skipped ids are passed over', () =>
        withStore(async (store) => {
          const run = makeRun();
          await store.createRun({
            ...createRequest(run),
            tasks: [workflowTask(run, 2), workflowTask(run, 3)],
          });
          const first = await findTask(store, { taskQueue: run.taskQueue });
          assert.ok(first);
          assert.deepEqual(await findTask(store, { taskQueue: run.taskQueue }), first);
          const second = await findTask(store, {
            taskQueue: run.taskQueue,
            skipTaskIds: [first.taskId],
          });
          assert.equal(second?.scheduledEventId, 3);
          assert.equal(
            await findTask(store, {
              taskQueue: run.taskQueue,
              skipTaskIds: [first.taskId, second.taskId],
            }),
            undefined,
          );
          await store.deleteTask({ taskId: first.taskId });
          assert.deepEqual(await findTask(store, { taskQueue: run.taskQueue }), second);
        }));

      test('tasks come out in FIFO order per queue', () =>
        withStore(async (store) => {
          const run = makeRun();
          await store.createRun({
            ...createRequest(run),
            tasks: [5, 3, 9, 7].map((id) => workflowTask(run, id, { taskQueue: 'fifo' })),
          });
          const order: number[] = [];
          const seen: number[] = [];
          for (let i = 0; i < 5; i++) {
            const task = await findTask(store, { taskQueue: 'fifo', skipTaskIds: seen });
            if (task) {
              order.push(task.scheduledEventId);
              seen.push(task.taskId);
            }
          }
          assert.deepEqual(order, [5, 3, 9, 7]);
        }));

      test('tasks come out lowest priority key first, oldest first within a key; no key is 3', () =>
        withStore(async (store) => {
          const run = makeRun();
          const queued: [number, number | undefined][] = [
            [2, 5],
            [3, undefined],
            [4, 1],
            [5, 3],
            [6, 1],
            [7, 2],
            [8, undefined],
          ];
          await store.createRun({
            ...createRequest(run),
            tasks: queued.map(([id, priority]) =>
              workflowTask(run, id, { taskQueue: 'prio', priority }),
            ),
          });
          const found = await findTasks(store, { taskQueue: 'prio', limit: 10 });
          assert.deepEqual(
            found.map((t) => [t.scheduledEventId, t.priority]),
            [
              [4, 1],
              [6, 1],
              [7, 2],
              [3, 3],
              [5, 3],
              [8, 3],
              [2, 5],
            ],
          );
          // A limit and skipped ids keep that order.
          const [first, second, third] = found as [TaskRecord, TaskRecord, TaskRecord];
          assert.deepEqual(
            (
              await findTasks(store, {
                taskQueue: 'prio',
                limit: 3,
                skipTaskIds: [first.taskId, third.taskId],
              })
            ).map((t) => t.scheduledEventId),
            [6, 3, 5],
          );
          assert.equal(second.scheduledEventId, 6);
        }));

      test('findTasks passes over any set of skipped ids: not only the oldest, and ids of other queues', () =>
        withStore(async (store) => {
          const run = makeRun();
          await store.createRun({
            ...createRequest(run),
            tasks: [
              ...[2, 3, 4, 5, 6].map((id) => workflowTask(run, id, { taskQueue: 'skips' })),
              workflowTask(run, 7, { taskQueue: 'elsewhere' }),
            ],
          });
          const ids: number[] = [];
          for (let i = 0; i < 10; i++) {
            const task = await findTask(store, { taskQueue: 'skips', skipTaskIds: ids });
            if (!task) break;
            ids.push(task.taskId);
          }
          assert.equal(ids.length, 5);
          const elsewhere = await findTask(store, { taskQueue: 'elsewhere' });
          assert.ok(elsewhere);
          const [a, b, c, , e] = ids as [number, number, number, number, number];
          const found = async (skipTaskIds: number[]) =>
            (await findTask(store, { taskQueue: 'skips', skipTaskIds }))?.scheduledEventId;
          assert.equal(await found([b]), 2, 'a skipped id behind the oldest changes nothing');
          assert.equal(await found([a, c]), 3, 'a gap in the skipped ids is found');
          // Skipped ids that are not this queue's do not hide its tasks.
          assert.equal(await found([elsewhere.taskId, 987_654, 987_655, a]), 3);
          assert.equal(await found(ids.filter((id) => id !== e)), 6);
          assert.equal(await found(ids), undefined);
        }));

      test('findTasks returns up to its limit, oldest first, passing over skipped ids', () =>
        withStore(async (store) => {
          const run = makeRun();
          await store.createRun({
            ...createRequest(run),
            tasks: [8, 4, 6, 2, 9].map((id) => workflowTask(run, id, { taskQueue: 'some' })),
          });
          const events = (tasks: TaskRecord[]) => tasks.map((t) => t.scheduledEventId);
          const all = await findTasks(store, { taskQueue: 'some', limit: 10 });
          assert.deepEqual(events(all), [8, 4, 6, 2, 9]);
          assert.deepEqual(
            events(await findTasks(store, { taskQueue: 'some', limit: 3 })),
            [8, 4, 6],
          );
          const [first, , third] = all as [TaskRecord, TaskRecord, TaskRecord];
          assert.deepEqual(
            events(
              await findTasks(store, {
                taskQueue: 'some',
                limit: 3,
                skipTaskIds: [first.taskId, third.taskId],
              }),
            ),
            [4, 2, 9],
          );
          assert.deepEqual(await findTasks(store, { taskQueue: 'none', limit: 3 }), []);
          await assert.rejects(findTasks(store, { taskQueue: 'some', limit: 0 }), /at least 1/);
        }));

      test('a task is never found in another queue, kind or namespace', () =>
        withStore(async (store) => {
          await store.ensureNamespace({ namespace: 'other' });
          const run = makeRun();
          await store.createRun({
            ...createRequest(run),
            tasks: [workflowTask(run, 2, { taskQueue: 'only', kind: TaskKind.Activity })],
          });
          assert.equal(
            await findTask(store, { taskQueue: 'only', kind: TaskKind.Workflow }),
            undefined,
          );
          assert.equal(
            await findTask(store, { taskQueue: 'only2', kind: TaskKind.Activity }),
            undefined,
          );
          assert.equal(
            await findTask(store, {
              taskQueue: 'only',
              kind: TaskKind.Activity,
              namespace: 'other',
            }),
            undefined,
          );
          const task = await findTask(store, { taskQueue: 'only', kind: TaskKind.Activity });
          assert.ok(task);
          assert.deepEqual(
            omitTaskId(task),
            workflowTask(run, 2, { taskQueue: 'only', kind: TaskKind.Activity }),
          );
        }));
    });

    describe('timers', () => {
      test('a timer is not taken before its due time', () =>
        withStore(async (store) => {
          const run = makeRun();
          const timer = makeTimer(run, { key: 'sleep', dueAtMs: 1_000 });
          await store.createRun({ ...createRequest(run), timers: [timer] });
          assert.deepEqual(await store.takeDueTimers({ nowMs: 999, limit: 10, leaseMs: 1 }), []);
          assert.deepEqual(await store.takeDueTimers({ nowMs: 1_000, limit: 10, leaseMs: 1 }), [
            timer,
          ]);
        }));

      test('timers are taken in due order, up to the limit', () =>
        withStore(async (store) => {
          const run = makeRun();
          const dues = [40, 10, 30, 20, 50];
          await store.createRun({
            ...createRequest(run),
            timers: dues.map((dueAtMs) => makeTimer(run, { key: `t${dueAtMs}`, dueAtMs })),
          });
          const first = await store.takeDueTimers({ nowMs: 45, limit: 3, leaseMs: 1_000 });
          assert.deepEqual(
            first.map((t) => t.dueAtMs),
            [10, 20, 30],
          );
          const rest = await store.takeDueTimers({ nowMs: 45, limit: 3, leaseMs: 1_000 });
          assert.deepEqual(
            rest.map((t) => t.dueAtMs),
            [40],
          );
        }));

      test('a taken timer is not taken again before its lease ends, and is after', () =>
        withStore(async (store) => {
          const run = makeRun();
          const timer = makeTimer(run, { key: 'x', dueAtMs: 10 });
          await store.createRun({ ...createRequest(run), timers: [timer] });
          assert.equal(
            (await store.takeDueTimers({ nowMs: 10, limit: 1, leaseMs: 100 })).length,
            1,
          );
          assert.deepEqual(await store.takeDueTimers({ nowMs: 109, limit: 1, leaseMs: 100 }), []);
          assert.deepEqual(await store.takeDueTimers({ nowMs: 110, limit: 1, leaseMs: 100 }), [
            timer,
          ]);
        }));

      test('a timer upsert with the same key replaces the old one and frees its lease', () =>
        withStore(async (store) => {
          const run = makeRun();
          await store.createRun({
            ...createRequest(run),
            timers: [makeTimer(run, { key: 'wt', dueAtMs: 10 })],
          });
          await store.takeDueTimers({ nowMs: 10, limit: 1, leaseMs: 10_000 });
          const replacement = makeTimer(run, {
            key: 'wt',
            dueAtMs: 50,
            payload: { kind: 'workflowTaskRetry', attempt: 2 },
          });
          await store.appendToRun(
            appendRequest(run, { events: [signaledEvent(3, 's')], timers: [replacement] }),
          );
          assert.equal(await store.nextTimerDueAt(), 50);
          assert.deepEqual(await store.takeDueTimers({ nowMs: 49, limit: 10, leaseMs: 1 }), []);
          assert.deepEqual(await store.takeDueTimers({ nowMs: 50, limit: 10, leaseMs: 1 }), [
            replacement,
          ]);
        }));

      test('nextTimerDueAt is undefined without timers and reflects due times and leases', () =>
        withStore(async (store) => {
          assert.equal(await store.nextTimerDueAt(), undefined);
          const run = makeRun();
          await store.createRun({
            ...createRequest(run),
            timers: [
              makeTimer(run, { key: 'a', dueAtMs: 100 }),
              makeTimer(run, { key: 'b', dueAtMs: 300 }),
            ],
          });
          assert.equal(await store.nextTimerDueAt(), 100);
          await store.takeDueTimers({ nowMs: 150, limit: 10, leaseMs: 1_000 }); // 'a' until 1150
          assert.equal(await store.nextTimerDueAt(), 300);
          await store.deleteTimer({ runId: run.runId, key: 'b' });
          assert.equal(await store.nextTimerDueAt(), 1_150);
          await store.deleteTimer({ runId: run.runId, key: 'a' });
          assert.equal(await store.nextTimerDueAt(), undefined);
        }));
    });

    describe('engine processes', () => {
      const proc = (processId: string, seenAtMs = 1_000) => ({
        processId,
        hostKey: 'boot pid:[1]',
        pid: 42,
        pidStart: '7',
        startedAtMs: 1_000,
        seenAtMs,
      });

      test('registerEngineProcess records a process once and refreshes its seenAtMs', () =>
        withStore(async (store) => {
          await store.registerEngineProcess(proc('a'));
          await store.registerEngineProcess({
            ...proc('b'),
            hostKey: undefined,
            pidStart: undefined,
          });
          await store.registerEngineProcess(proc('a', 5_000));
          assert.deepEqual(await store.listEngineProcesses(), [
            proc('a', 5_000),
            { ...proc('b'), hostKey: undefined, pidStart: undefined },
          ]);
        }));

      test('removeEngineProcess is true once, and frees the timer leases that process took only', () =>
        withStore(async (store) => {
          await store.registerEngineProcess(proc('dead'));
          const run = makeRun();
          const mine = makeTimer(run, { key: 'mine', dueAtMs: 10 });
          const other = makeTimer(run, { key: 'other', dueAtMs: 10 });
          await store.createRun({ ...createRequest(run), timers: [mine] });
          await store.takeDueTimers({ nowMs: 10, limit: 10, leaseMs: 60_000, owner: 'dead' });
          await store.appendToRun(
            appendRequest(run, { events: [signaledEvent(3, 's')], timers: [other] }),
          );
          await store.takeDueTimers({ nowMs: 10, limit: 10, leaseMs: 60_000, owner: 'alive' });
          assert.deepEqual(await store.takeDueTimers({ nowMs: 20, limit: 10, leaseMs: 1 }), []);
          assert.equal(await store.removeEngineProcess({ processId: 'dead' }), true);
          assert.equal(await store.removeEngineProcess({ processId: 'dead' }), false);
          assert.deepEqual(await store.listEngineProcesses(), []);
          assert.deepEqual(await store.takeDueTimers({ nowMs: 20, limit: 10, leaseMs: 1 }), [mine]);
        }));

      test('listRunsHeldBy finds the running runs whose last write named the process', () =>
        withStore(async (store) => {
          const held = makeRun();
          const sharedRun = makeRun();
          const released = makeRun();
          await store.createRun({ ...createRequest(held), heldBy: ['p1'] });
          await store.createRun(createRequest(sharedRun));
          await store.createRun({ ...createRequest(released), heldBy: ['p1'] });
          await store.appendToRun({
            ...appendRequest(sharedRun, { events: [signaledEvent(3, 's')] }),
            heldBy: ['p2', 'p1'],
          });
          await store.appendToRun(appendRequest(released, { events: [signaledEvent(3, 's')] }));
          // A closed run holds nothing, whatever its last write said.
          const closed = makeRun();
          await store.createRun({ ...createRequest(closed), heldBy: ['p1'] });
          await store.appendToRun({
            ...appendRequest(closed, {
              events: [completedEvent(3)],
              status: RunStatus.Completed,
              closeTimeMs: 5,
            }),
            heldBy: ['p1'],
          });
          assert.deepEqual(
            (await store.listRunsHeldBy({ processId: 'p1' })).sort(),
            [held.runId, sharedRun.runId].sort(),
          );
          assert.deepEqual(await store.listRunsHeldBy({ processId: 'p2' }), [sharedRun.runId]);
          assert.deepEqual(await store.listRunsHeldBy({ processId: 'p' }), []);
        }));
    });

    describe('worker registrations', () => {
      test('registerWorker replaces the same identity’s record', () =>
        withStore(async (store) => {
          await store.registerWorker(makeWorker({ identity: 'w1', workflowTypes: ['A'] }));
          const updated = makeWorker({
            identity: 'w1',
            buildId: 'build-2',
            workflowTypes: ['A', 'B'],
            signalNames: ['approve'],
            seenAtMs: 2_000,
          });
          await store.registerWorker(updated);
          assert.deepEqual(
            await store.listWorkerRegistrations({
              namespace: 'default',
              taskQueue: 'q',
              sinceMs: 0,
            }),
            [updated],
          );
        }));

      test('listWorkerRegistrations returns the queue’s registrations seen at or after sinceMs', () =>
        withStore(async (store) => {
          const stale = makeWorker({ identity: 'old', seenAtMs: 999 });
          const fresh = makeWorker({ identity: 'new', seenAtMs: 1_000 });
          await store.registerWorker(stale);
          await store.registerWorker(fresh);
          await store.registerWorker(makeWorker({ identity: 'elsewhere', taskQueue: 'q2' }));
          const list = await store.listWorkerRegistrations({
            namespace: 'default',
            taskQueue: 'q',
            sinceMs: 1_000,
          });
          assert.deepEqual(list, [fresh]);
          assert.equal(fresh.signalNames, null);
          assert.equal(fresh.buildId, undefined);
        }));
    });
  });
}
