import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  InvalidArgumentError,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowContinuedAsNewError,
  WorkflowUpdateFailedError,
} from 'reprise/client';
import type { WithStartWorkflowOptions, WorkflowUpdateHandle } from 'reprise/client';
import { Worker } from 'reprise/worker';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';
import * as activities from './fixtures/message-activities.ts';
import {
  addItem,
  cart,
  cartThatContinues,
  checkout,
  handledQuery,
  itemsQuery,
  leavesUpdates,
  release,
  waitForRelease,
} from './fixtures/message-workflows.ts';
import { fixturesPath, startTestEnv, uniqueQueue, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const types = (events: HistoryEvent[]): string[] => events.map((e) => e.type);

describe('update-with-start', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;
  const operation = (
    workflowId: string,
    extra: Partial<WithStartWorkflowOptions<typeof cart>> = {},
  ): WithStartWorkflowOperation<typeof cart> =>
    new WithStartWorkflowOperation(cart, {
      workflowId,
      taskQueue: env.taskQueue,
      args: ['ann'],
      workflowIdConflictPolicy: 'USE_EXISTING',
      ...extra,
    });
  const addWithStart = (
    op: WithStartWorkflowOperation<typeof cart>,
    item: string,
    updateId?: string,
  ) =>
    env.client.workflow.executeUpdateWithStart(addItem, {
      args: [item],
      startWorkflowOperation: op,
      ...(updateId !== undefined && { updateId }),
    });
  /** The error a promise rejects with. */
  const rejection = async (p: Promise<unknown>): Promise<unknown> => {
    try {
      await p;
    } catch (e) {
      return e;
    }
    assert.fail('expected a rejection');
  };

  before(async () => {
    env = await startTestEnv({ workflows: 'message-workflows.ts', activities });
  });
  after(async () => {
    await env.close();
  });

  test("with no running workflow it starts one whose first workflow task runs the update's handler", async () => {
    const op = operation(id('new'));
    assert.equal(await addWithStart(op, 'apple'), 1);
    const handle = await op.workflowHandle();
    const history = await handle.fetchHistory();
    assert.equal(
      handle.firstExecutionRunId,
      history.runId,
      'the handle is that of the run started',
    );
    assert.deepEqual(types(history.events).slice(0, 6), [
      'WorkflowExecutionStarted',
      'WorkflowTaskScheduled',
      'WorkflowTaskStarted',
      'WorkflowTaskCompleted',
      'WorkflowExecutionUpdateAccepted',
      'WorkflowExecutionUpdateCompleted',
    ]);
    const accepted = history.events[4];
    assert.ok(accepted?.type === 'WorkflowExecutionUpdateAccepted');
    assert.equal(accepted.workflowTaskCompletedEventId, 4, 'accepted by the first workflow task');
    assert.equal(accepted.acceptedRequestSequencingEventId, 1, 'admitted with the start');
    assert.deepEqual(accepted.input, ['apple']);
    await handle.signal(checkout);
    assert.deepEqual(await handle.result(), ['apple']);
  });

  test('with a running workflow and USE_EXISTING it updates that run and starts nothing', async () => {
    const workflowId = id('existing');
    const first = operation(workflowId);
    await addWithStart(first, 'apple');
    const started = await first.workflowHandle();
    const second = operation(workflowId);
    assert.equal(await addWithStart(second, 'pear'), 2);
    const found = await second.workflowHandle();
    const history = await found.fetchHistory();
    assert.equal(history.runId, started.firstExecutionRunId);
    assert.equal(types(history.events).filter((t) => t === 'WorkflowExecutionStarted').length, 1);
    assert.equal(found.firstExecutionRunId, undefined, 'a run found, not started, by this call');
    await found.signal(checkout);
    assert.deepEqual(await found.result(), ['apple', 'pear']);
  });

  test('startUpdateWithStart returns once the update is accepted, with a handle to its result', async () => {
    const op = operation(id('start-update'));
    const update = await env.client.workflow.startUpdateWithStart(addItem, {
      args: ['apple'],
      waitForStage: 'ACCEPTED',
      startWorkflowOperation: op,
    });
    const handle = await op.workflowHandle();
    assert.equal(update.workflowId, handle.workflowId);
    assert.equal(update.workflowRunId, handle.firstExecutionRunId);
    assert.equal(await update.result(), 1);
    assert.equal(await handle.getUpdateHandle<number>(update.updateId).result(), 1);
  });

  test('with a running workflow and FAIL both the update and workflowHandle() throw, and nothing is written', async () => {
    const workflowId = id('fail');
    const first = operation(workflowId);
    await addWithStart(first, 'apple');
    const running = await first.workflowHandle();
    const before = await running.fetchHistory();
    const op = operation(workflowId, { workflowIdConflictPolicy: 'FAIL' });
    const e = await rejection(addWithStart(op, 'pear'));
    assert.ok(e instanceof WorkflowExecutionAlreadyStartedError);
    assert.equal(e.workflowId, workflowId);
    assert.equal(await rejection(op.workflowHandle()), e);
    assert.deepEqual((await running.fetchHistory()).events, before.events);
    assert.deepEqual(await running.query(itemsQuery), ['apple']);
  });

  test('with FAIL, an updateId the running run has already is not a conflict: the call gets its outcome', async () => {
    // Temporal's rule: a retried update-with-start finds its own update.
    const workflowId = id('fail-retried');
    const op = operation(workflowId, { workflowIdConflictPolicy: 'FAIL' });
    assert.equal(await addWithStart(op, 'apple', 'retried'), 1);
    const again = operation(workflowId, { workflowIdConflictPolicy: 'FAIL' });
    assert.equal(await addWithStart(again, 'apple', 'retried'), 1);
    const handle = await again.workflowHandle();
    assert.equal(await handle.query(handledQuery), 1, 'applied once');
  });

  test('a missing workflowIdConflictPolicy is refused, and nothing is started', async () => {
    const workflowId = id('no-policy');
    const op = new WithStartWorkflowOperation(cart, {
      workflowId,
      taskQueue: env.taskQueue,
      args: ['ann'],
    } as WithStartWorkflowOptions<typeof cart>);
    const e = await rejection(addWithStart(op, 'apple'));
    assert.ok(e instanceof InvalidArgumentError);
    assert.match(e.message, /workflowIdConflictPolicy/);
    assert.equal(await rejection(op.workflowHandle()), e);
    await assert.rejects(
      env.client.workflow.getHandle(workflowId).describe(),
      WorkflowNotFoundError,
    );
  });

  test('a startDelay is refused, and nothing is started', async () => {
    const workflowId = id('delay');
    const op = operation(workflowId, { startDelay: '1 minute' });
    await assert.rejects(addWithStart(op, 'apple'), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError);
      assert.match(e.message, /startDelay/);
      return true;
    });
    await assert.rejects(
      env.client.workflow.getHandle(workflowId).describe(),
      WorkflowNotFoundError,
    );
  });

  test('an operation serves one call: a second is refused and leaves the first one’s handle', async () => {
    const op = operation(id('twice'));
    assert.equal(await addWithStart(op, 'apple'), 1);
    const handle = await op.workflowHandle();
    await assert.rejects(addWithStart(op, 'pear'), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError);
      assert.match(e.message, /new one for each call/);
      return true;
    });
    assert.equal(await op.workflowHandle(), handle);
    assert.deepEqual(await handle.query(itemsQuery), ['apple']);
  });

  test('workflowIdReusePolicy REJECT_DUPLICATE refuses a closed id: both throw, and nothing changes', async () => {
    const workflowId = id('reject');
    const first = operation(workflowId);
    await addWithStart(first, 'apple');
    const closed = await first.workflowHandle();
    await closed.signal(checkout);
    await closed.result();
    const before = await closed.fetchHistory();
    const op = operation(workflowId, { workflowIdReusePolicy: 'REJECT_DUPLICATE' });
    const e = await rejection(addWithStart(op, 'pear'));
    assert.ok(e instanceof WorkflowExecutionAlreadyStartedError);
    assert.match(e.message, /REJECT_DUPLICATE/);
    assert.equal(await rejection(op.workflowHandle()), e);
    const latest = env.client.workflow.getHandle(workflowId);
    assert.equal((await latest.describe()).runId, before.runId);
    assert.deepEqual((await latest.fetchHistory()).events, before.events);
  });

  test('after the workflow closed it starts a new run with the update', async () => {
    const workflowId = id('again');
    const first = operation(workflowId);
    await addWithStart(first, 'apple');
    const closed = await first.workflowHandle();
    await closed.signal(checkout);
    await closed.result();
    const op = operation(workflowId);
    assert.equal(await addWithStart(op, 'pear'), 1);
    const handle = await op.workflowHandle();
    assert.notEqual(handle.firstExecutionRunId, closed.firstExecutionRunId);
    assert.deepEqual(await handle.query(itemsQuery), ['pear']);
  });

  test('the updateId of an update a closed run completed gets its outcome and starts nothing', async () => {
    const workflowId = id('closed-dedupe');
    const first = operation(workflowId);
    assert.equal(await addWithStart(first, 'apple', 'add-apple'), 1);
    const closed = await first.workflowHandle();
    await closed.signal(checkout);
    await closed.result();
    const op = operation(workflowId);
    assert.equal(await addWithStart(op, 'apple', 'add-apple'), 1);
    const latest = env.client.workflow.getHandle(workflowId);
    assert.equal((await latest.describe()).runId, closed.firstExecutionRunId, 'no new run');
  });

  const leavingOperation = (
    workflowId: string,
    extra: Partial<WithStartWorkflowOptions<typeof leavesUpdates>> = {},
  ): WithStartWorkflowOperation<typeof leavesUpdates> =>
    new WithStartWorkflowOperation(leavesUpdates, {
      workflowId,
      taskQueue: env.taskQueue,
      args: [],
      workflowIdConflictPolicy: 'USE_EXISTING',
      ...extra,
    });
  /** Sends `waitForRelease` update `updateId` with start, and returns once it is accepted. */
  const startLateUpdate = (
    op: WithStartWorkflowOperation<typeof leavesUpdates>,
    updateId: string,
  ): Promise<WorkflowUpdateHandle<string>> =>
    env.client.workflow.startUpdateWithStart(waitForRelease, {
      args: ['late'],
      updateId,
      waitForStage: 'ACCEPTED',
      startWorkflowOperation: op,
    });
  /** A `leavesUpdates` run that accepted `waitForRelease` update `updateId`, and its handle. */
  const runThatAccepted = async (workflowId: string, updateId: string) => {
    const op = leavingOperation(workflowId);
    await startLateUpdate(op, updateId);
    return op.workflowHandle();
  };

  test('an update a closed run accepted and left unfinished starts a new run, whose outcome it gets', async () => {
    // Temporal's server returns only a completed update's outcome from the latest run; else the
    // start goes ahead under the reuse policy and the new run takes the update.
    const workflowId = id('left-unfinished');
    const closed = await runThatAccepted(workflowId, 'left');
    await closed.signal(checkout);
    assert.deepEqual(await closed.result(), [], 'closed with the update accepted, not completed');
    const op = leavingOperation(workflowId);
    const update = await startLateUpdate(op, 'left');
    const handle = await op.workflowHandle();
    assert.ok(handle.firstExecutionRunId !== undefined, 'a run this call started');
    assert.notEqual(handle.firstExecutionRunId, closed.firstExecutionRunId);
    assert.equal(update.workflowRunId, handle.firstExecutionRunId);
    await handle.signal(release);
    assert.equal(await update.result(), 'released late');
    const events = (await handle.fetchHistory()).events;
    assert.ok(events.some((e) => e.type === 'WorkflowExecutionUpdateCompleted'));
  });

  test('an update a closed run accepted and left unfinished is refused under REJECT_DUPLICATE, and nothing changes', async () => {
    const workflowId = id('left-rejected');
    const closed = await runThatAccepted(workflowId, 'left');
    await closed.terminate('closed under the update');
    const before = await closed.fetchHistory();
    const op = leavingOperation(workflowId, { workflowIdReusePolicy: 'REJECT_DUPLICATE' });
    const e = await rejection(startLateUpdate(op, 'left'));
    assert.ok(e instanceof WorkflowExecutionAlreadyStartedError, `got ${String(e)}`);
    assert.match(e.message, /REJECT_DUPLICATE/);
    const latest = env.client.workflow.getHandle(workflowId);
    assert.equal((await latest.describe()).runId, before.runId);
    assert.deepEqual((await latest.fetchHistory()).events, before.events);
  });

  test('TERMINATE_EXISTING ends the running run and starts a new one with the update', async () => {
    const workflowId = id('replace');
    const first = operation(workflowId);
    await addWithStart(first, 'apple');
    const old = await first.workflowHandle();
    const op = operation(workflowId, { workflowIdConflictPolicy: 'TERMINATE_EXISTING' });
    assert.equal(await addWithStart(op, 'pear'), 1);
    const handle = await op.workflowHandle();
    assert.notEqual(handle.firstExecutionRunId, old.firstExecutionRunId);
    const oldRun = env.client.workflow.getHandle(workflowId, old.firstExecutionRunId);
    assert.equal((await oldRun.describe()).status, 'Terminated');
    assert.deepEqual(await handle.query(itemsQuery), ['pear']);
  });

  test('concurrent calls start one run and apply each update once', async () => {
    const workflowId = id('race');
    const items = ['a', 'b', 'c', 'd', 'e'];
    const ops = items.map(() => operation(workflowId));
    const counts = await Promise.all(ops.map((op, i) => addWithStart(op, items[i] ?? '')));
    assert.deepEqual([...counts].sort(), [1, 2, 3, 4, 5]);
    const handles = await Promise.all(ops.map((op) => op.workflowHandle()));
    assert.equal(handles.filter((h) => h.firstExecutionRunId !== undefined).length, 1, 'one start');
    const handle = handles[0];
    assert.ok(handle);
    assert.deepEqual([...(await handle.query(itemsQuery))].sort(), items);
  });

  test('the same updateId twice is applied once, and the second call gets the first outcome', async () => {
    const workflowId = id('dedupe');
    const [a, b] = await Promise.all([
      addWithStart(operation(workflowId), 'apple', 'once'),
      addWithStart(operation(workflowId), 'apple', 'once'),
    ]);
    assert.equal(a, 1);
    assert.equal(b, 1);
    const handle = env.client.workflow.getHandle(workflowId);
    assert.equal(await handle.query(handledQuery), 1);
  });

  test('an update the validator rejects throws, yet workflowHandle() gives the run it started', async () => {
    const op = operation(id('rejected'));
    await assert.rejects(addWithStart(op, ''), (e: unknown) => {
      assert.ok(e instanceof WorkflowUpdateFailedError);
      assert.equal((e.cause as Error).message, 'An item needs a name');
      return true;
    });
    const handle = await op.workflowHandle();
    assert.equal((await handle.describe()).status, 'Running');
    const history = await handle.fetchHistory();
    assert.ok(!types(history.events).some((t) => t.startsWith('WorkflowExecutionUpdate')));
    assert.deepEqual(await handle.query(itemsQuery), []);
  });

  test('startUpdateWithStart gives a handle for an update the validator rejects; its result() throws', async () => {
    const op = operation(id('start-rejected'));
    const update = await env.client.workflow.startUpdateWithStart(addItem, {
      args: [''],
      waitForStage: 'ACCEPTED',
      startWorkflowOperation: op,
    });
    await assert.rejects(update.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowUpdateFailedError);
      assert.equal((e.cause as Error).message, 'An item needs a name');
      return true;
    });
    assert.equal(update.workflowRunId, (await op.workflowHandle()).firstExecutionRunId);
  });

  test("followRuns: false on the operation: the handle's result() is the started run's own outcome", async () => {
    const workflowId = id('no-follow');
    const op = new WithStartWorkflowOperation(cartThatContinues, {
      workflowId,
      taskQueue: env.taskQueue,
      args: ['ann'],
      workflowIdConflictPolicy: 'USE_EXISTING',
      followRuns: false,
    });
    assert.equal(
      await env.client.workflow.executeUpdateWithStart(addItem, {
        args: ['apple'],
        startWorkflowOperation: op,
      }),
      1,
    );
    const next = env.client.workflow.getHandle(workflowId);
    await next.executeUpdate(addItem, { args: ['pear'] });
    assert.equal(await next.result(), 'ann: 1');
    const handle = await op.workflowHandle();
    await assert.rejects(handle.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowContinuedAsNewError);
      return true;
    });
  });

  test('an update admitted to a run that closes before accepting it is sent again, with a new start', async () => {
    // Temporal's server retries once when the run it found closes under the update.
    const taskQueue = uniqueQueue('closing');
    const workflowId = id('closing');
    const running = await env.client.workflow.start(cart, { workflowId, taskQueue, args: ['ann'] });
    const op = new WithStartWorkflowOperation(cart, {
      workflowId,
      taskQueue,
      args: ['ann'],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const call = addWithStart(op, 'apple', 'sent-again');
    const poll = () =>
      env.engine.connection.pollWorkflowUpdate({
        namespace: 'default',
        workflowId,
        runId: running.firstExecutionRunId,
        updateId: 'sent-again',
        waitForStage: 'Accepted',
        waitMs: 0,
      });
    await waitFor(
      () =>
        poll().then(
          () => true,
          () => false,
        ),
      'the update to be admitted to the running run',
    );
    await running.terminate('closed under the update');
    const { stop } = await env.startWorker({ taskQueue });
    try {
      assert.equal(await call, 1);
      const handle = await op.workflowHandle();
      assert.ok(handle.firstExecutionRunId !== undefined, 'a run this call started');
      assert.notEqual(handle.firstExecutionRunId, running.firstExecutionRunId);
      assert.deepEqual(await handle.query(itemsQuery), ['apple']);
    } finally {
      await stop();
    }
  });

  test('a history started by update-with-start replays with the same code', async () => {
    const op = operation(id('replay'));
    await addWithStart(op, 'apple');
    const handle = await op.workflowHandle();
    await handle.signal(checkout);
    await handle.result();
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath('message-workflows.ts') },
      await handle.fetchHistory(),
    );
  });
});
