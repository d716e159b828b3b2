import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  QueryNotRegisteredError,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowFailedError,
} from 'reprise/client';
import * as activities from './fixtures/activities.ts';
import {
  addItem,
  approvalWithDeadline,
  approve,
  cancellable,
  collectItems,
  deterministicValues,
  failing,
  greet,
  itemsQuery,
  sequence,
  sleeper,
  statusQuery,
  waitForApproval,
} from './fixtures/workflows.ts';
import { startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('durable core, in-process', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({ activities });
  });
  after(async () => {
    await env.close();
  });

  test('a workflow calls an activity and returns its result', async () => {
    const result = await env.client.workflow.execute(greet, {
      taskQueue: env.taskQueue,
      workflowId: id('greet'),
      args: ['Ann'],
    });
    assert.equal(result, 'Hello, Ann!');
  });

  test('sequential activities each run once and the history records each once', async () => {
    const before = activities.state.calls.get('addOne') ?? 0;
    const handle = await env.client.workflow.start(sequence, {
      taskQueue: env.taskQueue,
      workflowId: id('seq'),
      args: [5],
    });
    assert.equal(await handle.result(), 5);
    assert.equal((activities.state.calls.get('addOne') ?? 0) - before, 5);
    const history = await handle.fetchHistory();
    const types = history.events.map((e) => e.type);
    assert.equal(types.filter((t) => t === 'ActivityTaskScheduled').length, 5);
    assert.equal(types.filter((t) => t === 'ActivityTaskCompleted').length, 5);
    assert.equal(types[0], 'WorkflowExecutionStarted');
    assert.equal(types.at(-1), 'WorkflowExecutionCompleted');
    history.events.forEach((e, i) => {
      assert.equal(e.eventId, i + 1);
    });
  });

  test('a signal unblocks a condition and a query reads workflow state', async () => {
    const handle = await env.client.workflow.start(waitForApproval, {
      taskQueue: env.taskQueue,
      workflowId: id('approval'),
    });
    assert.equal(await handle.query(statusQuery), 'waiting');
    await handle.signal(approve, { by: 'ann' });
    assert.equal(await handle.result(), 'approved by ann');
    assert.equal(await handle.query(statusQuery), 'approved', 'a closed run is queried by replay');
  });

  test('signals are delivered in order and a query takes arguments', async () => {
    const handle = await env.client.workflow.start(collectItems, {
      taskQueue: env.taskQueue,
      workflowId: id('items'),
    });
    await handle.signal(addItem, 'a');
    await handle.signal(addItem, 'b');
    await waitFor(async () => (await handle.query(itemsQuery, 10)).length === 2, 'two items');
    assert.deepEqual(await handle.query(itemsQuery, 1), ['a']);
    await handle.signal(addItem, 'done');
    assert.deepEqual(await handle.result(), ['a', 'b', 'done']);
  });

  test('a query the workflow does not handle fails with QueryNotRegisteredError', async () => {
    const handle = await env.client.workflow.start(waitForApproval, {
      taskQueue: env.taskQueue,
      workflowId: id('noquery'),
    });
    await assert.rejects(handle.query('nope'), (e: unknown) => {
      assert.ok(e instanceof QueryNotRegisteredError);
      assert.match(e.message, /status/);
      return true;
    });
    await handle.terminate('done');
  });

  test('condition with a timeout returns false when the deadline passes first', async () => {
    const result = await env.client.workflow.execute(approvalWithDeadline, {
      taskQueue: env.taskQueue,
      workflowId: id('deadline'),
      args: [20],
    });
    assert.equal(result, 'timed out');
  });

  test('a durable sleep completes', async () => {
    const result = await env.client.workflow.execute(sleeper, {
      taskQueue: env.taskQueue,
      workflowId: id('sleep'),
      args: [30],
    });
    assert.equal(result, 'awake');
  });

  test('an ApplicationFailure thrown by the workflow fails it; the client rebuilds the class', async () => {
    const handle = await env.client.workflow.start(failing, {
      taskQueue: env.taskQueue,
      workflowId: id('fail'),
      args: ['application'],
    });
    await assert.rejects(handle.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.ok(e.cause instanceof ApplicationFailure);
      assert.equal(e.cause.type, 'Rejected');
      assert.equal(e.cause.nonRetryable, true);
      assert.deepEqual(e.cause.details, [{ id: 7 }]);
      return true;
    });
    assert.equal((await handle.describe()).status, 'Failed');
  });

  test('an activity that keeps failing surfaces as ActivityFailure with its cause chain', async () => {
    const handle = await env.client.workflow.start(failing, {
      taskQueue: env.taskQueue,
      workflowId: id('actfail'),
      args: ['activity'],
    });
    const err = await handle.result().then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ActivityFailure);
    assert.equal(err.cause.activityType, 'alwaysFails');
    assert.equal(err.cause.retryState, 'MaximumAttemptsReached');
    assert.ok(err.cause.cause instanceof ApplicationFailure);
    assert.equal(err.cause.cause.type, 'Boom');
    assert.equal(err.cause.cause.message, 'boom');
  });

  test('cancelling a sleeping workflow ends it as Canceled', async () => {
    const handle = await env.client.workflow.start(cancellable, {
      taskQueue: env.taskQueue,
      workflowId: id('cancel'),
    });
    await waitFor(async () => (await handle.describe()).pendingTimers.length === 1, 'the timer');
    await handle.cancel();
    await assert.rejects(handle.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.ok(e.cause instanceof CancelledFailure);
      return true;
    });
    const d = await handle.describe();
    assert.equal(d.status, 'Canceled');
    assert.equal(d.pendingTimers.length, 0);
  });

  test('a workflow past its run timeout ends as TimedOut with TimeoutFailure', async () => {
    const handle = await env.client.workflow.start(sleeper, {
      taskQueue: env.taskQueue,
      workflowId: id('timeout'),
      args: [86_400_000],
      workflowRunTimeout: 50,
    });
    await assert.rejects(handle.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.ok(e.cause instanceof TimeoutFailure);
      return true;
    });
    const d = await handle.describe();
    assert.equal(d.status, 'TimedOut');
    assert.equal(d.pendingTimers.length, 0);
  });

  test('terminating a workflow ends it at once with TerminatedFailure', async () => {
    const handle = await env.client.workflow.start(cancellable, {
      taskQueue: env.taskQueue,
      workflowId: id('terminate'),
    });
    await handle.terminate('operator said so');
    await assert.rejects(handle.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.ok(e.cause instanceof TerminatedFailure);
      assert.equal(e.cause.message, 'operator said so');
      return true;
    });
    const history = await handle.fetchHistory();
    assert.equal(history.events.at(-1)?.type, 'WorkflowExecutionTerminated');
  });
});

describe('replay', () => {
  test('Date.now(), Math.random() and uuid4() give the same values on replay', async () => {
    activities.resetActivityState();
    const env = await startTestEnv({ activities, maxCachedWorkflows: 0 });
    const handle = await env.client.workflow.start(deterministicValues, {
      taskQueue: env.taskQueue,
      workflowId: 'determinism',
    });
    const result = await handle.result();
    // With no cache the run is dropped once its last answer is acknowledged (maybe just after).
    await waitFor(() => env.worker.cachedWorkflowCount === 0, 'the run to leave the worker');
    const history = await handle.fetchHistory();
    await env.close();
    assert.equal(activities.state.recorded.length, 2);
    const [first, second] = activities.state.recorded as {
      now: number;
      random: number;
      uuid: string;
    }[];
    assert.deepEqual(first, second);
    assert.equal(result.now, first?.now);
    assert.equal(result.random, first?.random);
    assert.equal(result.uuid, first?.uuid);
    const started = history.events.find((e) => e.type === 'WorkflowTaskStarted');
    assert.equal(result.now, started?.timeMs, 'Date.now() is the workflow task time');
  });
});
