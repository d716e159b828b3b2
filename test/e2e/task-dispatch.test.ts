// How tasks reach workers (docs/performance.md): eager dispatch of the activities a workflow
// task schedules and of the workflow task an activity result schedules, sync match of a task to
// a poll already waiting, and the engine's cache of run rows with another engine on the file.
// The test plays the worker itself through the engine API, to see each step.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Engine } from 'reprise/server';
import { Client } from 'reprise/client';
import type { Command } from '../../src/protocol/commands.ts';
import type { ActivityTask } from '../../src/transport/engine-api.ts';
import { addItem, collect } from '../contract/fixtures/contract-workflows.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { asWorkflowTask, scheduleWork } from '../helpers/commands.ts';
import { startTestEnv, uniqueQueue, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';
import { sqliteOnly } from '../helpers/test-store.ts';

describe('task dispatch', () => {
  let env: TestEnv;
  let n = 0;
  before(async () => {
    // A linger window far longer than any step here (20 ms by default): a held result waits for
    // the write the test sends next unless a step stalls for a second.
    env = await startTestEnv({ lingerMs: 1_000 });
  });
  after(async () => {
    await env.close();
  });

  const api = () => env.engine.connection;
  const poll = (taskQueue: string, waitMs = 5000, signal?: AbortSignal) =>
    api().pollWorkflowTask({ namespace: 'default', taskQueue, identity: 'me', waitMs }, signal);
  const pollActivity = (taskQueue: string, waitMs = 0) =>
    api().pollActivityTask({ namespace: 'default', taskQueue, identity: 'me', waitMs });
  const schedule = (taskQueue: string, seq: number, eager: boolean): Command =>
    scheduleWork(taskQueue, seq, eager ? { requestEagerExecution: true } : {});
  async function started(taskQueue: string) {
    const handle = await env.client.workflow.start(collect, {
      taskQueue,
      workflowId: `dispatch-${++n}`,
      args: [1],
    });
    return { handle, first: asWorkflowTask(await poll(taskQueue)) };
  }

  /** A started workflow whose first task scheduled one activity, handed back eagerly. */
  async function withEagerActivity(taskQueue: string) {
    const { handle, first } = await started(taskQueue);
    const res = await api().completeWorkflowTask({
      taskToken: first.taskToken,
      identity: 'me',
      commands: [schedule(taskQueue, 1, true)],
    });
    const [activity] = res.activityTasks ?? [];
    assert.ok(activity, 'the activity came back with the answer');
    return { handle, activity };
  }

  /** Runs `body` with a client of a second engine on the same file, closed after. */
  async function withOtherEngine(body: (otherClient: Client) => Promise<void>): Promise<void> {
    const other = await Engine.open({ store: env.storeUrl });
    try {
      await body(new Client({ connection: other.connection }));
    } finally {
      await other.close();
    }
  }

  /** Completes the activity, asking for the next workflow task back. */
  const completeEagerly = (activity: ActivityTask) =>
    api().completeActivityTask({
      taskToken: activity.taskToken,
      identity: 'me',
      result: 'out',
      eagerWorkflowTask: true,
    });

  test('activities asked for eagerly come back started; the others are queued', async () => {
    const taskQueue = uniqueQueue('eager');
    const { handle, first } = await started(taskQueue);
    const res = await api().completeWorkflowTask({
      taskToken: first.taskToken,
      identity: 'me',
      commands: [schedule(taskQueue, 1, true), schedule(taskQueue, 2, false)],
    });
    assert.equal(res.accepted, true);
    assert.deepEqual(
      res.activityTasks?.map((t: ActivityTask) => [t.activityId, t.args, t.attempt]),
      [['1', ['input-1'], 1]],
    );
    const queued = await pollActivity(taskQueue);
    assert.equal(queued?.activityId, '2', 'only the one not asked for eagerly was queued');
    assert.equal(await pollActivity(taskQueue), undefined);
    const desc = await handle.describe();
    assert.deepEqual(
      desc.pendingActivities.map((a) => [a.activityId, a.state]),
      [
        ['1', 'Started'],
        ['2', 'Started'],
      ],
    );
  });

  test('an activity result hands back the next workflow task, started, with its events', async () => {
    const taskQueue = uniqueQueue('eager-wt');
    const { handle, activity } = await withEagerActivity(taskQueue);
    const done = await completeEagerly(activity);
    const next = done.workflowTask;
    assert.ok(next);
    assert.deepEqual(
      next.events.map((e) => e.type),
      [
        'WorkflowTaskCompleted',
        'ActivityTaskScheduled',
        'ActivityTaskStarted',
        'ActivityTaskCompleted',
        'WorkflowTaskScheduled',
        'WorkflowTaskStarted',
      ],
    );
    assert.equal(await poll(taskQueue, 0), undefined, 'nothing was left in the queue');
    // The result waits for the task's answer to share its commit; unanswered, it commits alone
    // once the store's linger window ends.
    let history = (await handle.fetchHistory()).events;
    await waitFor(async () => {
      history = (await handle.fetchHistory()).events;
      return history.at(-1)?.eventId === next.startedEventId;
    }, 'the activity result to commit alone');
    assert.deepEqual(history.slice(-next.events.length), next.events);
    // The task handed back is still the run's current one.
    const res = await api().completeWorkflowTask({
      taskToken: next.taskToken,
      identity: 'me',
      commands: [{ type: 'CompleteWorkflowExecution', result: 'done' }],
    });
    assert.equal(res.accepted, true);
    assert.equal(await handle.result(), 'done');
  });

  test(
    'the result commits with the answer to the task it handed back: one transaction',
    sqliteOnly('it counts the SQLite store’s group commits'),
    async () => {
      const taskQueue = uniqueQueue('one-commit');
      const { handle, activity } = await withEagerActivity(taskQueue);
      const store = env.engine.deps.store;
      assert.ok(store instanceof SqliteStore);
      const commitsBefore = store.writeTransactions;
      const done = await completeEagerly(activity);
      assert.ok(done.workflowTask);
      const res = await api().completeWorkflowTask({
        taskToken: done.workflowTask.taskToken,
        identity: 'me',
        commands: [{ type: 'CompleteWorkflowExecution', result: 'done' }],
      });
      assert.equal(res.accepted, true);
      assert.equal(store.writeTransactions - commitsBefore, 1, 'both answers in one commit');
      assert.deepEqual(
        (await handle.fetchHistory()).events.slice(-6).map((e) => e.type),
        [
          'ActivityTaskStarted',
          'ActivityTaskCompleted',
          'WorkflowTaskScheduled',
          'WorkflowTaskStarted',
          'WorkflowTaskCompleted',
          'WorkflowExecutionCompleted',
        ],
      );
    },
  );

  test('a signal that arrives while the result waits for the answer is recorded and seen next', async () => {
    const taskQueue = uniqueQueue('held-signal');
    const { handle, activity } = await withEagerActivity(taskQueue);
    const done = await completeEagerly(activity);
    assert.ok(done.workflowTask);
    // The signal's commit carries the held result with it: both are in history once it returns.
    await handle.signal(addItem, 'late');
    const types = (await handle.fetchHistory()).events.map((e) => e.type);
    assert.deepEqual(types.slice(-4), [
      'ActivityTaskCompleted',
      'WorkflowTaskScheduled',
      'WorkflowTaskStarted',
      'WorkflowExecutionSignaled',
    ]);
    const res = await api().completeWorkflowTask({
      taskToken: done.workflowTask.taskToken,
      identity: 'me',
      commands: [],
    });
    assert.equal(res.accepted, true);
    // The signal came after the task started: a new task carries it.
    const next = asWorkflowTask(await poll(taskQueue));
    assert.deepEqual(
      next.events.map((e) => e.type),
      [
        'WorkflowExecutionSignaled',
        'WorkflowTaskCompleted',
        'WorkflowTaskScheduled',
        'WorkflowTaskStarted',
      ],
    );
  });

  test('without asking, the next workflow task goes to the queue', async () => {
    const taskQueue = uniqueQueue('no-eager');
    const { activity } = await withEagerActivity(taskQueue);
    const done = await api().completeActivityTask({
      taskToken: activity.taskToken,
      identity: 'me',
      result: 'out',
    });
    assert.equal(done.workflowTask, undefined);
    const next = asWorkflowTask(await poll(taskQueue, 0));
    assert.equal(next.events.at(-1)?.type, 'WorkflowTaskStarted');
  });

  test('a task enqueued while a poll waits is started for that poll (sync match)', async () => {
    const taskQueue = uniqueQueue('sync');
    const waiting = poll(taskQueue, 10_000);
    await waitFor(
      () => env.engine.deps.pollers.count('default', taskQueue, 'workflow') === 1,
      'the poll to wait',
    );
    const handle = await env.client.workflow.start(collect, {
      taskQueue,
      workflowId: `dispatch-${++n}`,
      args: [1],
    });
    // Started in the start's own transaction: already in history when start() returns.
    const atStart = (await handle.fetchHistory()).events.map((e) => e.type);
    assert.deepEqual(atStart, [
      'WorkflowExecutionStarted',
      'WorkflowTaskScheduled',
      'WorkflowTaskStarted',
    ]);
    const task = asWorkflowTask(await waiting);
    assert.equal(task.runId, (await handle.describe()).runId);
    assert.deepEqual(
      task.events.map((e) => e.type),
      ['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted'],
    );
    const started = task.events.at(-1);
    assert.ok(started?.type === 'WorkflowTaskStarted');
    assert.equal(started.identity, 'me');
    assert.equal(await poll(taskQueue, 0), undefined, 'no task row was left behind');
  });

  test('a continued run’s first task goes to a waiting poll in the continuing transaction', async () => {
    const taskQueue = uniqueQueue('can');
    const { handle, first } = await started(taskQueue);
    const waiting = poll(taskQueue, 10_000);
    await waitFor(
      () => env.engine.deps.pollers.count('default', taskQueue, 'workflow') === 1,
      'the poll to wait',
    );
    const res = await api().completeWorkflowTask({
      taskToken: first.taskToken,
      identity: 'me',
      commands: [
        { type: 'ContinueAsNewWorkflowExecution', workflowType: 'collect', taskQueue, args: [2] },
      ],
    });
    assert.equal(res.accepted, true);
    // Started in the continuing transaction: already in the new run's history.
    const atOnce = await env.client.workflow.getHandle(handle.workflowId).fetchHistory();
    assert.deepEqual(
      atOnce.events.map((e) => e.type),
      ['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted'],
    );
    const next = asWorkflowTask(await waiting);
    assert.notEqual(next.runId, first.runId);
    assert.deepEqual(
      next.events.map((e) => e.type),
      ['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted'],
    );
    const latest = env.client.workflow.getHandle(handle.workflowId);
    assert.equal((await latest.describe()).runId, next.runId);
    assert.equal(await poll(taskQueue, 0), undefined, 'no task row was left behind');
  });

  test('a poll that stopped waiting gets nothing, and the task waits in the queue', async () => {
    const taskQueue = uniqueQueue('gone');
    const stop = new AbortController();
    const waiting = poll(taskQueue, 10_000, stop.signal);
    stop.abort();
    assert.equal(await waiting, undefined);
    await env.client.workflow.start(collect, {
      taskQueue,
      workflowId: `dispatch-${++n}`,
      args: [1],
    });
    assert.equal(
      asWorkflowTask(await poll(taskQueue, 0)).events.at(-1)?.type,
      'WorkflowTaskStarted',
    );
  });

  test('polls that read the queue at once each get a different task, none left waiting', async () => {
    const taskQueue = uniqueQueue('herd');
    const runIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const handle = await env.client.workflow.start(collect, {
        taskQueue,
        workflowId: `dispatch-${++n}`,
        args: [1],
      });
      runIds.push(handle.firstExecutionRunId);
    }
    // No wait allowed: a poll that lost the oldest task to another must look again at once.
    const tasks = await Promise.all([poll(taskQueue, 0), poll(taskQueue, 0), poll(taskQueue, 0)]);
    assert.deepEqual(tasks.map((t) => asWorkflowTask(t).runId).sort(), [...runIds].sort());
  });

  test('a signal by workflow id reaches the run another engine started since, not the cached one', async () => {
    await withOtherEngine(async (otherClient) => {
      const taskQueue = uniqueQueue('signal-hint');
      const workflowId = `dispatch-${++n}`;
      // This engine wrote the first run: its cache names it as the id's running run.
      const first = await env.client.workflow.start(collect, { taskQueue, workflowId, args: [3] });
      await otherClient.workflow.getHandle(workflowId).terminate('replaced');
      const second = await otherClient.workflow.start(collect, {
        taskQueue,
        workflowId,
        args: [3],
      });
      await env.client.workflow.getHandle(workflowId).signal(addItem, 'x');
      const signalled = async (runId: string | undefined) =>
        (await env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events.some(
          (e) => e.type === 'WorkflowExecutionSignaled',
        );
      assert.equal(await signalled(second.firstExecutionRunId), true);
      assert.equal(await signalled(first.firstExecutionRunId), false);
    });
  });

  test('a signal by run id finds the run this engine cached, and still fails once another engine closed it', async () => {
    await withOtherEngine(async (otherClient) => {
      const taskQueue = uniqueQueue('signal-run-hint');
      const workflowId = `dispatch-${++n}`;
      const handle = await env.client.workflow.start(collect, { taskQueue, workflowId, args: [3] });
      const runId = handle.firstExecutionRunId;
      const signals = async () =>
        (await handle.fetchHistory()).events.filter((e) => e.type === 'WorkflowExecutionSignaled')
          .length;
      // The handle carries the run id: the signal goes to that run.
      await handle.signal(addItem, 'a');
      assert.equal(await signals(), 1);
      // A run id cached here does not stand for another workflow id.
      await assert.rejects(
        env.client.workflow.getHandle(`${workflowId}-other`, runId).signal(addItem, 'b'),
        { name: 'WorkflowNotFoundError' },
      );
      // Closed by the other engine: this engine's cache still has the run running.
      await otherClient.workflow.getHandle(workflowId).terminate('closed elsewhere');
      await assert.rejects(handle.signal(addItem, 'c'), { name: 'WorkflowNotFoundError' });
      assert.equal(await signals(), 1);
    });
  });

  test('writes from another engine on the same file are not lost to a cached run row', async () => {
    await withOtherEngine(async (otherClient) => {
      const taskQueue = uniqueQueue('two-engines');
      const workflowId = `dispatch-${++n}`;
      const handle = await env.client.workflow.start(collect, { taskQueue, workflowId, args: [3] });
      // This engine caches the run's row with each write; the other engine writes in between.
      await handle.signal(addItem, 'a');
      await otherClient.workflow.getHandle(workflowId).signal(addItem, 'b');
      await handle.signal(addItem, 'c');
      const signals = (await handle.fetchHistory()).events.flatMap((e) =>
        e.type === 'WorkflowExecutionSignaled' ? [e.input[0]] : [],
      );
      assert.deepEqual(signals, ['a', 'b', 'c']);
    });
  });
});
