// Speculative workflow tasks (Temporal's rule for updates): the task that delivers an update to
// an idle workflow is written to history only if something other than a rejection comes of it.
// The test holds the tasks itself (no worker on the queue) to control what happens while one is out.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';
import type { RunWorkflowTask } from '../../src/transport/engine-api.ts';
import { Worker } from 'reprise/worker';
import { addItem, collect } from '../contract/fixtures/contract-workflows.ts';
import { contractFixture } from '../contract/fixtures/paths.ts';
import { HistoryBuilder } from '../helpers/history-builders.ts';
import { startTestEnv, uniqueQueue } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('speculative workflow tasks', () => {
  let env: TestEnv;
  let n = 0;
  before(async () => {
    env = await startTestEnv();
  });
  after(async () => {
    await env.close();
  });

  /** A workflow whose first task was answered with no commands: idle, no task out. */
  async function idleWorkflow() {
    const taskQueue = uniqueQueue('spec');
    const workflowId = `spec-${++n}`;
    const handle = await env.client.workflow.start(collect, { taskQueue, workflowId, args: [5] });
    const first = await takeTask(taskQueue);
    await env.engine.connection.completeWorkflowTask({
      taskToken: first.taskToken,
      identity: 'test',
      commands: [],
    });
    return { handle, taskQueue, workflowId, history: (await handle.fetchHistory()).events };
  }

  async function takeTask(taskQueue: string): Promise<RunWorkflowTask> {
    const task = await env.engine.connection.pollWorkflowTask({
      namespace: 'default',
      taskQueue,
      identity: 'test',
      waitMs: 5000,
    });
    assert.ok(task?.kind === 'workflow', 'a workflow task');
    return task;
  }

  async function admitUpdate(workflowId: string, updateId: string): Promise<void> {
    await env.engine.connection.updateWorkflow({
      namespace: 'default',
      workflowId,
      updateId,
      name: 'anything',
      args: [],
      waitForStage: 'Accepted',
      waitMs: 0,
    });
  }

  const reject = (updateId: string) => ({
    type: 'RejectWorkflowUpdate' as const,
    updateId,
    failure: {
      message: 'no',
      info: { type: 'application' as const, errorType: 'No', nonRetryable: false },
    },
  });

  const types = (events: HistoryEvent[]) => events.map((e) => `${e.eventId}:${e.type}`);

  test('the task shows the worker its events, and rejecting only leaves history as it was', async () => {
    const { workflowId, taskQueue, handle, history } = await idleWorkflow();
    await admitUpdate(workflowId, 'u1');
    const task = await takeTask(taskQueue);
    const next = history.length + 1;
    assert.deepEqual(types(task.events), [
      `${next - 1}:WorkflowTaskCompleted`,
      `${next}:WorkflowTaskScheduled`,
      `${next + 1}:WorkflowTaskStarted`,
    ]);
    assert.deepEqual(
      task.updates?.map((u) => u.updateId),
      ['u1'],
    );
    const res = await env.engine.connection.completeWorkflowTask({
      taskToken: task.taskToken,
      identity: 'test',
      commands: [reject('u1')],
    });
    assert.equal(res.accepted, true);
    assert.deepEqual((await handle.fetchHistory()).events, history);

    // The run goes on: the next event gets the id the dropped task had, and a normal task.
    await handle.signal(addItem, 'x');
    const after = await takeTask(taskQueue);
    assert.deepEqual(types(after.events), [
      `${next - 1}:WorkflowTaskCompleted`,
      `${next}:WorkflowExecutionSignaled`,
      `${next + 1}:WorkflowTaskScheduled`,
      `${next + 2}:WorkflowTaskStarted`,
    ]);
  });

  test('a signal while it is out writes its events first, as the worker saw them', async () => {
    const { workflowId, taskQueue, handle, history } = await idleWorkflow();
    await admitUpdate(workflowId, 'u2');
    const task = await takeTask(taskQueue);
    await handle.signal(addItem, 'y');
    const res = await env.engine.connection.completeWorkflowTask({
      taskToken: task.taskToken,
      identity: 'test',
      commands: [reject('u2')],
    });
    assert.equal(res.accepted, true);
    const next = history.length + 1;
    const events = (await handle.fetchHistory()).events;
    assert.deepEqual(events.slice(0, history.length), history);
    assert.deepEqual(types(events.slice(history.length)), [
      `${next}:WorkflowTaskScheduled`,
      `${next + 1}:WorkflowTaskStarted`,
      `${next + 2}:WorkflowExecutionSignaled`,
      `${next + 3}:WorkflowTaskCompleted`,
      `${next + 4}:WorkflowTaskScheduled`,
    ]);
    assert.deepEqual(events.slice(history.length, history.length + 2), task.events.slice(-2));
  });

  test('an answer with internal rules taken (sdkFlags) writes the task, its flags on WorkflowTaskCompleted', async () => {
    const { workflowId, taskQueue, handle, history } = await idleWorkflow();
    await admitUpdate(workflowId, 'u3');
    const task = await takeTask(taskQueue);
    const res = await env.engine.connection.completeWorkflowTask({
      taskToken: task.taskToken,
      identity: 'test',
      commands: [reject('u3')],
      sdkFlags: ['reprise/some-rule'],
    });
    assert.equal(res.accepted, true);
    const next = history.length + 1;
    const events = (await handle.fetchHistory()).events;
    assert.deepEqual(types(events.slice(history.length)), [
      `${next}:WorkflowTaskScheduled`,
      `${next + 1}:WorkflowTaskStarted`,
      `${next + 2}:WorkflowTaskCompleted`,
    ]);
    const completed = events.at(-1);
    assert.ok(completed?.type === 'WorkflowTaskCompleted');
    assert.deepEqual(completed.sdkFlags, ['reprise/some-rule']);
    assert.equal(
      history.findLast((e) => e.type === 'WorkflowTaskCompleted')?.sdkFlags,
      undefined,
      'absent when the answer has none',
    );
  });
  test('an update that came while it was out gets a task of its own when the worker only rejects', async () => {
    const { workflowId, taskQueue, handle, history } = await idleWorkflow();
    await admitUpdate(workflowId, 'u1');
    const task = await takeTask(taskQueue);
    await admitUpdate(workflowId, 'u2'); // while the task is out
    const answer = await env.engine.connection.completeWorkflowTask({
      taskToken: task.taskToken,
      identity: 'test',
      commands: [reject('u1')],
    });
    assert.deepEqual(answer, { accepted: true });
    assert.deepEqual((await handle.fetchHistory()).events, history, 'the first one is dropped');
    const next = await takeTask(taskQueue);
    assert.deepEqual(
      next.updates?.map((u) => u.updateId),
      ['u2'],
    );
    await handle.terminate();
  });

  test('an update that came while a recorded task was out gets a speculative task: rejecting it leaves no trace', async () => {
    // Temporal's server (respondworkflowtaskcompleted): updates alone waiting make the next task
    // speculative; other events waiting make it a normal one.
    const taskQueue = uniqueQueue('spec');
    const workflowId = `spec-${++n}`;
    const handle = await env.client.workflow.start(collect, { taskQueue, workflowId, args: [5] });
    const first = await takeTask(taskQueue);
    await admitUpdate(workflowId, 'u1'); // while the first (recorded) task is out
    await env.engine.connection.completeWorkflowTask({
      taskToken: first.taskToken,
      identity: 'test',
      commands: [],
    });
    const history = (await handle.fetchHistory()).events;
    assert.equal(history.at(-1)?.type, 'WorkflowTaskCompleted', 'no task written after it');
    const next = await takeTask(taskQueue);
    assert.deepEqual(
      next.updates?.map((u) => u.updateId),
      ['u1'],
    );
    const answer = await env.engine.connection.completeWorkflowTask({
      taskToken: next.taskToken,
      identity: 'test',
      commands: [reject('u1')],
    });
    assert.deepEqual(answer, { accepted: true });
    assert.deepEqual((await handle.fetchHistory()).events, history, 'the rejection left no trace');
    await handle.terminate();
  });

  test('a history recorded before that rule, with a written task that only rejected an update, replays', async () => {
    const legacy = new HistoryBuilder()
      .started('collect', [1])
      .startTask()
      .completeTask([])
      .startTask() // delivered the update that came while the first task was out; rejected it
      .completeTask([])
      .signaled('addItem', ['x'])
      .startTask()
      .completeTask([{ type: 'CompleteWorkflowExecution', result: [['x']] }]);
    await Worker.runReplayHistory(
      { workflowsPath: contractFixture('contract-workflows.ts') },
      legacy.events,
    );
  });
});
