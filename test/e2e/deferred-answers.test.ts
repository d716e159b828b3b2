// ADR 0013: a run's first answer, on a committed row, that only starts one activity for its
// worker waits in the store for that activity's result, and the three writes (answer, result,
// next answer) commit together. Not a later answer, nor one to a task during which an event came,
// nor one that starts more or sends its activity to the queue, nor with another engine on the
// file; and an answer lost to another engine's write gives its task out again at once. The test
// plays the worker through the engine API, on a store whose linger window (5 s) outlasts any step
// here, so that what waits, waits until the test moves on.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from 'reprise/client';
import type { WorkflowHandle } from 'reprise/client';
import { Engine } from 'reprise/server';
import { TaskKind } from '../../src/protocol/tasks.ts';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { ActivityTask, RunWorkflowTask } from '../../src/transport/engine-api.ts';
import { addItem, collect } from '../contract/fixtures/contract-workflows.ts';
import { asWorkflowTask, scheduleWork } from '../helpers/commands.ts';
import { tempDir, uniqueQueue, waitFor } from '../helpers/test-env.ts';
import { openTestStoreAt, testStoreUrl } from '../helpers/test-store.ts';

describe('an answer that waits for its activity’s result', () => {
  const tmp = tempDir();
  const path = join(tmp.dir, 'answers.db');
  let store: SqliteStore | PostgresStore;
  let engine: Engine;
  let n = 0;
  before(async () => {
    store = await openTestStoreAt(path, { lingerMs: 5_000 });
    engine = await Engine.open({ store });
  });
  after(async () => {
    await engine.close();
    await store.close();
    tmp.remove();
  });

  const api = () => engine.connection;
  const poll = async (taskQueue: string) =>
    asWorkflowTask(
      await api().pollWorkflowTask({
        namespace: 'default',
        taskQueue,
        identity: 'me',
        waitMs: 5000,
      }),
    );
  const types = async (handle: WorkflowHandle) =>
    (await handle.fetchHistory()).events.map((e) => e.type);
  const answer = (task: RunWorkflowTask, seqs: number[], taskQueue: string) =>
    api().completeWorkflowTask({
      taskToken: task.taskToken,
      identity: 'me',
      commands: seqs.map((seq) => scheduleWork(taskQueue, seq, { requestEagerExecution: true })),
    });
  const completeEagerly = (activity: ActivityTask) =>
    api().completeActivityTask({
      taskToken: activity.taskToken,
      identity: 'me',
      result: 'out',
      eagerWorkflowTask: true,
    });

  /**
   * Starts a run whose first task goes to a poll already waiting, in the start's own commit: the
   * answer to it is decided on a committed row. (A task a poll takes from the queue commits its
   * start with the answer instead, ADR 0007.)
   */
  async function startedForWaitingPoll() {
    await waitFor(() => engine.deps.peers.alone(), 'the engine to be alone on the file');
    const taskQueue = uniqueQueue('answers');
    const polled = poll(taskQueue);
    await waitFor(
      () => engine.deps.pollers.count('default', taskQueue, TaskKind.Workflow) > 0,
      'the poll to wait',
    );
    const handle = await new Client({ connection: api() }).workflow.start(collect, {
      taskQueue,
      workflowId: `answers-${++n}`,
      args: [1],
      // No task times out while the test looks (its timeout row would flush what waits).
      workflowTaskTimeout: '1 hour',
    });
    return { taskQueue, handle, first: await polled };
  }

  test('the answer, the result and the next answer commit together', async () => {
    const { taskQueue, handle, first } = await startedForWaitingPoll();
    const startOnly = ['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted'];
    const [activity] = (await answer(first, [1], taskQueue)).activityTasks ?? [];
    assert.ok(activity, 'the activity came back with the answer');
    // Not committed: readers of the store do not see the activity yet.
    assert.deepEqual((await handle.describe()).pendingActivities, []);
    const done = await completeEagerly(activity);
    assert.ok(done.workflowTask);
    assert.deepEqual(await types(handle), startOnly, 'neither the answer nor the result');
    await api().completeWorkflowTask({
      taskToken: done.workflowTask.taskToken,
      identity: 'me',
      commands: [{ type: 'CompleteWorkflowExecution', result: 'done' }],
    });
    assert.equal(await handle.result(), 'done');
    assert.deepEqual((await types(handle)).slice(3), [
      'WorkflowTaskCompleted',
      'ActivityTaskScheduled',
      'ActivityTaskStarted',
      'ActivityTaskCompleted',
      'WorkflowTaskScheduled',
      'WorkflowTaskStarted',
      'WorkflowTaskCompleted',
      'WorkflowExecutionCompleted',
    ]);
  });

  test('a held result is recorded as the worker sent it, not as its object is changed later', async () => {
    const { taskQueue, handle, first } = await startedForWaitingPoll();
    const [activity] = (await answer(first, [1], taskQueue)).activityTasks ?? [];
    assert.ok(activity);
    const result = { receipt: 'as-returned' };
    const done = await api().completeActivityTask({
      taskToken: activity.taskToken,
      identity: 'me',
      result,
      eagerWorkflowTask: true,
    });
    assert.ok(done.workflowTask);
    result.receipt = 'changed-after-the-call'; // the result waits, uncommitted, for the answer
    await api().completeWorkflowTask({
      taskToken: done.workflowTask.taskToken,
      identity: 'me',
      commands: [{ type: 'CompleteWorkflowExecution', result: 'done' }],
    });
    assert.equal(await handle.result(), 'done');
    const completed = (await handle.fetchHistory()).events.find(
      (e) => e.type === 'ActivityTaskCompleted',
    );
    assert.deepEqual(completed?.type === 'ActivityTaskCompleted' && completed.result, {
      receipt: 'as-returned',
    });
  });

  test('an answer after a held result commits both before its activity is handed out', async () => {
    const { taskQueue, handle, first } = await startedForWaitingPoll();
    const [activity] = (await answer(first, [1], taskQueue)).activityTasks ?? [];
    assert.ok(activity);
    const done = await completeEagerly(activity);
    assert.ok(done.workflowTask);
    const next = await answer(done.workflowTask, [2], taskQueue);
    assert.equal(next.activityTasks?.length, 1);
    // One commit per step from here on: this answer did not wait for its result.
    assert.deepEqual((await types(handle)).slice(-5), [
      'ActivityTaskCompleted',
      'WorkflowTaskScheduled',
      'WorkflowTaskStarted',
      'WorkflowTaskCompleted',
      'ActivityTaskScheduled',
    ]);
  });

  test('a first answer whose task start still waits commits both before its activity is handed out', async () => {
    await waitFor(() => engine.deps.peers.alone(), 'the engine to be alone on the file');
    const taskQueue = uniqueQueue('answers');
    // No poll waits: the task is queued, and the poll that takes it defers its start (ADR 0007).
    const handle = await new Client({ connection: api() }).workflow.start(collect, {
      taskQueue,
      workflowId: `answers-${++n}`,
      args: [1],
      workflowTaskTimeout: '1 hour',
    });
    const first = await poll(taskQueue);
    assert.equal((await answer(first, [1], taskQueue)).activityTasks?.length, 1);
    assert.equal((await handle.describe()).pendingActivities.length, 1);
  });

  test('a later answer, even on a committed row, commits before its activity is handed out', async () => {
    const { taskQueue, handle, first } = await startedForWaitingPoll();
    await answer(first, [], taskQueue);
    // The signal's commit hands the next task to a poll already waiting: a committed row.
    const polled = poll(taskQueue);
    await waitFor(
      () => engine.deps.pollers.count('default', taskQueue, TaskKind.Workflow) > 0,
      'the poll to wait',
    );
    await handle.signal(addItem, 'wake up');
    assert.equal((await answer(await polled, [1], taskQueue)).activityTasks?.length, 1);
    assert.equal((await handle.describe()).pendingActivities.length, 1);
  });

  test('an answer to a task during which a signal came commits before its activity is handed out', async () => {
    const { taskQueue, handle, first } = await startedForWaitingPoll();
    await handle.signal(addItem, 'while the task ran');
    assert.equal((await answer(first, [1], taskQueue)).activityTasks?.length, 1);
    assert.equal((await handle.describe()).pendingActivities.length, 1);
  });

  test('an answer that starts two activities commits before handing them out', async () => {
    const { taskQueue, handle, first } = await startedForWaitingPoll();
    assert.equal((await answer(first, [1, 2], taskQueue)).activityTasks?.length, 2);
    assert.deepEqual((await handle.describe()).pendingActivities.length, 2);
  });

  test('an answer that starts one activity for its worker and one for the queue commits before handing it out', async () => {
    const { taskQueue, handle, first } = await startedForWaitingPoll();
    const answered = await api().completeWorkflowTask({
      taskToken: first.taskToken,
      identity: 'me',
      commands: [
        scheduleWork(taskQueue, 1, { requestEagerExecution: true }),
        scheduleWork(taskQueue, 2, { requestEagerExecution: false }),
      ],
    });
    assert.equal(answered.activityTasks?.length, 1);
    assert.equal((await handle.describe()).pendingActivities.length, 2);
  });

  test('an answer whose one activity goes to the queue commits at once', async () => {
    const { taskQueue, handle, first } = await startedForWaitingPoll();
    const answered = await api().completeWorkflowTask({
      taskToken: first.taskToken,
      identity: 'me',
      commands: [scheduleWork(taskQueue, 1, { requestEagerExecution: false })],
    });
    assert.equal(answered.activityTasks, undefined);
    assert.equal((await handle.describe()).pendingActivities.length, 1);
  });

  test('with another engine on the file, the answer commits before its activity is handed out', async () => {
    const { taskQueue, handle, first } = await startedForWaitingPoll();
    const other = await Engine.open({ store: await testStoreUrl(path) });
    try {
      await waitFor(() => engine.deps.peers.others, 'the engine to see the other');
      assert.equal((await answer(first, [1], taskQueue)).activityTasks?.length, 1);
      assert.equal((await handle.describe()).pendingActivities.length, 1);
    } finally {
      await other.close();
    }
  });

  test('an answer lost to another engine’s write gives its task out again at once', async () => {
    // An hour's task timeout: only giving the task out again at once lets the run go on here.
    const { taskQueue, handle, first } = await startedForWaitingPoll();
    const [activity] = (await answer(first, [1], taskQueue)).activityTasks ?? [];
    assert.ok(activity);
    // Another engine opens and writes the run before the answer commits (this one still takes
    // itself to be alone): the waiting answer will lose its compare-and-set.
    const other = await Engine.open({ store: await testStoreUrl(path) });
    try {
      await new Client({ connection: other.connection }).workflow
        .getHandle(handle.workflowId)
        .signal(addItem, 'from the other engine');
    } finally {
      await other.close();
    }
    // The activity's result commits the answer with it, or tries to: the attempt is gone.
    await assert.rejects(
      api().completeActivityTask({
        taskToken: activity.taskToken,
        identity: 'me',
        result: 'out',
      }),
      { code: 'ActivityTaskNotFound' },
    );
    const next = await poll(taskQueue);
    assert.deepEqual(
      next.events.map((e) => e.type),
      [
        'WorkflowExecutionStarted',
        'WorkflowTaskScheduled',
        'WorkflowTaskStarted',
        'WorkflowExecutionSignaled',
        'WorkflowTaskTimedOut',
        'WorkflowTaskScheduled',
        'WorkflowTaskStarted',
      ],
      'the whole history, the lost answer not in it',
    );
    const finished = await api().completeWorkflowTask({
      taskToken: next.taskToken,
      identity: 'me',
      commands: [{ type: 'CompleteWorkflowExecution', result: ['from the other engine'] }],
    });
    assert.equal(finished.accepted, true);
    assert.deepEqual(await handle.result(), ['from the other engine']);
  });
});
