import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ApplicationFailure,
  ErrorCode,
  UpdateNotFoundError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from 'reprise/client';
import type { WorkflowHandle } from 'reprise/client';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';
import { Worker } from 'reprise/worker';
import * as activities from './fixtures/message-activities.ts';
import {
  addItem,
  addNamed,
  addToCart,
  anyUpdate,
  cart,
  cartThatContinues,
  checkout,
  doubleIt,
  failingUpdate,
  handledQuery,
  itemsQuery,
  notReplayed,
  quick,
  release,
  viaActivity,
  waitForRelease,
} from './fixtures/message-workflows.ts';
import {
  fixturesPath,
  startTestEnv,
  takeWorkflowTask,
  updateStageIn,
  waitFor,
} from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const updateEvents = (events: HistoryEvent[]): HistoryEvent[] =>
  events.filter(
    (e) =>
      e.type === 'WorkflowExecutionUpdateAccepted' || e.type === 'WorkflowExecutionUpdateCompleted',
  );

describe('workflow updates', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;
  const startCart = (): Promise<WorkflowHandle<typeof cart>> =>
    env.client.workflow.start(cart, {
      taskQueue: env.taskQueue,
      workflowId: id('cart'),
      args: ['ann'],
    });

  before(async () => {
    env = await startTestEnv({ workflows: 'message-workflows.ts', activities });
  });
  after(async () => {
    await env.close();
  });

  test("an update returns its handler's result and is recorded as accepted, then completed", async () => {
    const handle = await startCart();
    assert.equal(await handle.executeUpdate(addItem, { args: ['apple'] }), 1);
    assert.equal(await handle.executeUpdate(addItem, { args: ['pear'] }), 2);
    assert.deepEqual(await handle.query(itemsQuery), ['apple', 'pear']);
    const events = updateEvents((await handle.fetchHistory()).events);
    assert.deepEqual(
      events.map((e) => e.type),
      [
        'WorkflowExecutionUpdateAccepted',
        'WorkflowExecutionUpdateCompleted',
        'WorkflowExecutionUpdateAccepted',
        'WorkflowExecutionUpdateCompleted',
      ],
    );
    const [accepted, completed] = events;
    assert.ok(accepted?.type === 'WorkflowExecutionUpdateAccepted');
    assert.equal(accepted.name, 'addItem');
    assert.deepEqual(accepted.input, ['apple']);
    assert.ok(completed?.type === 'WorkflowExecutionUpdateCompleted');
    assert.deepEqual(completed.outcome, { status: 'success', result: 1 });
    await handle.signal(checkout);
    assert.deepEqual(await handle.result(), ['apple', 'pear']);
  });

  test('a rejected update leaves no event in history', async () => {
    const handle = await startCart();
    // Once the first workflow task is done, the workflow waits with no task out.
    let before: HistoryEvent[] = [];
    await waitFor(async () => {
      before = (await handle.fetchHistory()).events;
      return before.at(-1)?.type === 'WorkflowTaskCompleted';
    }, 'the first workflow task to complete');
    await assert.rejects(
      handle.executeUpdate(addItem, { args: [''], updateId: 'empty-item' }),
      (e: unknown) => {
        assert.ok(e instanceof WorkflowUpdateFailedError);
        assert.ok(e.cause instanceof ApplicationFailure);
        assert.equal(e.cause.type, 'BadItem');
        assert.equal(e.cause.message, 'An item needs a name');
        return true;
      },
    );
    const history = await handle.fetchHistory();
    assert.deepEqual(
      history.events,
      before,
      'not even a workflow task: the speculative task that delivered it left nothing behind',
    );
    assert.ok(!JSON.stringify(history.events).includes('empty-item'), 'no event names the update');
    assert.deepEqual(await handle.query(itemsQuery), []);
    // The workflow goes on: a valid update is accepted, and a duplicate is rejected.
    assert.equal(await handle.executeUpdate(addItem, { args: ['apple'] }), 1);
    await assert.rejects(handle.executeUpdate(addItem, { args: ['apple'] }), (e: unknown) => {
      assert.ok(e instanceof WorkflowUpdateFailedError);
      assert.equal((e.cause as Error).message, "apple is already in ann's cart");
      return true;
    });
    assert.equal(updateEvents((await handle.fetchHistory()).events).length, 2);
  });

  test('the same updateId twice is applied once', async () => {
    const handle = await startCart();
    const first = await handle.executeUpdate(addItem, { args: ['apple'], updateId: 'once' });
    const second = await handle.executeUpdate(addItem, { args: ['apple'], updateId: 'once' });
    assert.equal(first, 1);
    assert.equal(second, 1, 'the second call gets the first one’s outcome, not a rejection');
    const both = await Promise.all([
      handle.executeUpdate(addItem, { args: ['pear'], updateId: 'twice-at-once' }),
      handle.executeUpdate(addItem, { args: ['pear'], updateId: 'twice-at-once' }),
    ]);
    assert.deepEqual(both, [2, 2]);
    assert.equal(await handle.query(handledQuery), 2);
    const accepted = updateEvents((await handle.fetchHistory()).events).filter(
      (e) => e.type === 'WorkflowExecutionUpdateAccepted',
    );
    assert.equal(accepted.length, 2);
  });

  test('an update whose handler throws a failure fails the update, not the workflow', async () => {
    const handle = await startCart();
    await assert.rejects(
      handle.executeUpdate(failingUpdate, { args: ['no stock'] }),
      (e: unknown) => {
        assert.ok(e instanceof WorkflowUpdateFailedError);
        assert.ok(e.cause instanceof ApplicationFailure);
        assert.equal(e.cause.type, 'UpdateFailed');
        assert.equal(e.cause.message, 'no stock');
        return true;
      },
    );
    assert.equal((await handle.describe()).status, 'Running');
    assert.equal(await handle.executeUpdate(addItem, { args: ['apple'] }), 1);
  });

  test('an update with no handler is rejected and names the registered ones', async () => {
    const handle = await startCart();
    await assert.rejects(handle.executeUpdate('noSuchUpdate'), (e: unknown) => {
      assert.ok(e instanceof WorkflowUpdateFailedError);
      assert.match((e.cause as Error).message, /No registered handler for update: noSuchUpdate/);
      assert.match((e.cause as Error).message, /addItem/);
      return true;
    });
    assert.deepEqual(updateEvents((await handle.fetchHistory()).events), []);
  });

  test('an update sent before the first workflow task waits for its handler', async () => {
    const handle = await env.client.workflow.start(cart, {
      taskQueue: env.taskQueue,
      workflowId: id('early'),
      args: ['bob'],
    });
    // Sent at once: it may ride the first task, before setHandler ran.
    assert.equal(await handle.executeUpdate(addItem, { args: ['first'] }), 1);
  });

  test(
    'an update to a workflow waiting out its start delay ends the delay',
    { timeout: 20_000 },
    async () => {
      const handle = await env.client.workflow.start(cart, {
        taskQueue: env.taskQueue,
        workflowId: id('delayed'),
        args: ['dan'],
        startDelay: '10000 days',
      });
      // As Temporal's server, which dispatches the first workflow task to deliver it.
      assert.equal(await handle.executeUpdate(addItem, { args: ['first'] }), 1);
      const types = (await handle.fetchHistory()).events.map((e) => e.type);
      assert.deepEqual(types.slice(0, 4), [
        'WorkflowExecutionStarted',
        'WorkflowTaskScheduled',
        'WorkflowTaskStarted',
        'WorkflowTaskCompleted',
      ]);
      await handle.signal(checkout);
      assert.deepEqual(await handle.result(), ['first']);
    },
  );

  test('startUpdate returns once the update is accepted, and result() waits for its handler', async () => {
    const handle = await startCart();
    const update = await handle.startUpdate(waitForRelease, {
      args: ['box'],
      waitForStage: 'ACCEPTED',
      updateId: 'box-update',
    });
    assert.equal(update.updateId, 'box-update');
    assert.equal(update.workflowId, handle.workflowId);
    const types = updateEvents((await handle.fetchHistory()).events).map((e) => e.type);
    assert.deepEqual(types, ['WorkflowExecutionUpdateAccepted']);
    await handle.signal(release);
    assert.equal(await update.result(), 'released box');
    assert.equal(await handle.getUpdateHandle<string>('box-update').result(), 'released box');
  });

  test('startUpdate gives a handle for an update rejected or failed at once; its result() throws', async () => {
    const handle = await startCart();
    // As Temporal's client: the handle comes without error, the failure with result().
    const rejected = await handle.startUpdate(addItem, { args: [''], waitForStage: 'ACCEPTED' });
    await assert.rejects(rejected.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowUpdateFailedError);
      assert.ok(e.cause instanceof ApplicationFailure);
      assert.equal(e.cause.type, 'BadItem');
      return true;
    });
    const failed = await handle.startUpdate(failingUpdate, {
      args: ['no stock'],
      waitForStage: 'ACCEPTED',
    });
    await assert.rejects(failed.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowUpdateFailedError);
      assert.ok(e.cause instanceof ApplicationFailure);
      assert.equal(e.cause.type, 'UpdateFailed');
      return true;
    });
    assert.equal(updateEvents((await handle.fetchHistory()).events).length, 2, 'the failed one');
  });

  test('setDefaultUpdateHandler handles the updates without a handler of their own, with their name', async () => {
    // No worker: the first update rides the first workflow task, which delivers it before the
    // workflow sets the default handler; it waits for it, as in Temporal.
    await env.stopWorkers();
    const handle = await env.client.workflow.start(anyUpdate, {
      taskQueue: env.taskQueue,
      workflowId: id('any-update'),
    });
    const first = handle.executeUpdate('rename', { args: ['a', 'b'], updateId: 'rename-1' });
    await waitFor(async () => {
      const state = await env.engine.connection
        .pollWorkflowUpdate({
          namespace: 'default',
          workflowId: handle.workflowId,
          updateId: 'rename-1',
          waitForStage: 'Accepted',
          waitMs: 0,
        })
        .catch(() => undefined);
      return state?.stage === 'Admitted';
    }, 'the update to be admitted');
    await env.startWorker();
    assert.equal(await first, 1);
    assert.equal(await handle.executeUpdate(addItem, { args: ['pear'] }), 2);
    assert.equal(await handle.executeUpdate('total', { args: [3] }), 3);
    await assert.rejects(handle.executeUpdate('refuse'), (e: unknown) => {
      assert.ok(e instanceof WorkflowUpdateFailedError);
      assert.ok(e.cause instanceof ApplicationFailure);
      assert.equal(e.cause.type, 'Refused');
      return true;
    });
    await handle.signal(checkout);
    assert.deepEqual(await handle.result(), ['rename a b', 'addItem pear', 'total 3']);
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath('message-workflows.ts') },
      await handle.fetchHistory(),
    );
  });

  test('a handler can run activities', async () => {
    const handle = await startCart();
    assert.equal(await handle.executeUpdate(doubleIt, { args: [21] }), 42);
  });

  test('an update to a closed workflow fails with a clear error', async () => {
    const handle = await env.client.workflow.start(quick, {
      taskQueue: env.taskQueue,
      workflowId: id('closed'),
    });
    await handle.result();
    await assert.rejects(handle.executeUpdate(addItem, { args: ['late'] }), (e: unknown) => {
      assert.ok(e instanceof WorkflowNotFoundError);
      assert.match(e.message, /closed \(Completed\); updates reach only running workflows/);
      return true;
    });
  });

  test("the handle of an updateId the run does not have throws WorkflowNotFoundError (Temporal's)", async () => {
    const handle = await startCart();
    await assert.rejects(handle.getUpdateHandle('never-sent').result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowNotFoundError);
      assert.equal(e.code, ErrorCode.WorkflowNotFound);
      assert.equal(e.workflowId, handle.workflowId);
      assert.match(e.message, /has no update 'never-sent': it was not sent to this run/);
      // The deprecated class still catches it.
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      assert.ok(e instanceof UpdateNotFoundError);
      return true;
    });
  });

  test('a completed update is still answered after its workflow closed', async () => {
    const handle = await startCart();
    await handle.executeUpdate(addItem, { args: ['apple'], updateId: 'before-close' });
    await handle.signal(checkout);
    await handle.result();
    assert.equal(
      await handle.executeUpdate(addItem, { args: ['apple'], updateId: 'before-close' }),
      1,
    );
  });

  test('validators do not run on replay', { timeout: 30_000 }, async () => {
    const handle = await startCart();
    assert.equal(await handle.executeUpdate(notReplayed, { args: ['x'] }), 'x');
    // Later tasks on another worker replay the accepted update: its validator would reject it.
    await env.stopWorkers();
    const { stop } = await env.startWorker({ maxCachedWorkflows: 0 });
    try {
      assert.equal(await handle.executeUpdate(addItem, { args: ['y'] }), 2);
      await handle.signal(checkout);
      assert.deepEqual(await handle.result(), ['x', 'y']);
      assert.equal((await handle.describe()).lastWorkflowTaskFailure, undefined);
    } finally {
      await stop();
      await env.startWorker();
    }
  });

  test('the handler gets the arguments as sent, whatever its validator did to its own', async () => {
    const handle = await startCart();
    // As in Temporal, where each gets its own decoding of the input: a replay, which runs no
    // validator, then sees what the first run saw.
    assert.equal(await handle.executeUpdate(addNamed, { args: [{ name: ' pear ' }] }), ' pear ');
    assert.deepEqual(await handle.query(itemsQuery), [' pear ']);
    await handle.signal(checkout);
    assert.deepEqual(await handle.result(), [' pear ']);
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath('message-workflows.ts') },
      await handle.fetchHistory(),
    );
  });

  test('an update waiting on a condition survives a worker restart', async () => {
    const handle = await startCart();
    const update = await handle.startUpdate(waitForRelease, {
      args: ['parcel'],
      waitForStage: 'ACCEPTED',
    });
    // No worker that has the run cached is left: the new one replays it.
    await env.stopWorkers();
    const { worker, stop } = await env.startWorker();
    try {
      await handle.signal(release);
      assert.equal(await update.result(), 'released parcel');
      assert.ok(worker.state === 'RUNNING');
    } finally {
      await stop();
      await env.startWorker();
    }
  });

  test('an update waiting on an activity survives a worker restart', async () => {
    const handle = await startCart();
    const tokensBefore = activities.asyncState.tokens.length;
    const update = await handle.startUpdate(viaActivity, {
      args: ['gift'],
      waitForStage: 'ACCEPTED',
    });
    await waitFor(
      () => activities.asyncState.tokens.length > tokensBefore,
      'the activity to start',
    );
    const token = activities.asyncState.tokens.at(-1) as string;
    // No worker that has the run cached is left: the new one replays it.
    await env.stopWorkers();
    const { stop } = await env.startWorker();
    try {
      await env.client.activity.complete(token, 'wrapped gift');
      assert.equal(await update.result(), 'wrapped gift');
      assert.deepEqual(await handle.query(itemsQuery), ['wrapped gift']);
    } finally {
      await stop();
      await env.startWorker();
    }
  });

  test('updates and signals that arrive for one workflow task are handled in the order they arrived', async () => {
    const handle = await startCart();
    await handle.executeUpdate(addItem, { args: ['first'] });
    // No worker: what arrives now waits for one task.
    await env.stopWorkers();
    const admitted = (updateId: string): Promise<void> =>
      waitFor(async () => {
        const state = await env.engine.connection
          .pollWorkflowUpdate({
            namespace: 'default',
            workflowId: handle.workflowId,
            updateId,
            waitForStage: 'Accepted',
            waitMs: 0,
          })
          .catch(() => undefined);
        return state?.stage === 'Admitted';
      }, `update ${updateId} to be admitted`);
    const u1 = handle.executeUpdate(addItem, { args: ['u1'], updateId: 'u1' });
    await admitted('u1');
    await handle.signal(addToCart, 's1');
    const u2 = handle.executeUpdate(addItem, { args: ['u2'], updateId: 'u2' });
    await admitted('u2');
    await handle.signal(addToCart, 's2');
    const { stop } = await env.startWorker();
    try {
      assert.deepEqual(await Promise.all([u1, u2]), [2, 4]);
      assert.deepEqual(await handle.query(itemsQuery), ['first', 'u1', 's1', 'u2', 's2']);
      const history = await handle.fetchHistory();
      const accepted = history.events.filter((e) => e.type === 'WorkflowExecutionUpdateAccepted');
      const signalled = history.events.filter((e) => e.type === 'WorkflowExecutionSignaled');
      const [, a1, a2] = accepted;
      const [s1] = signalled;
      assert.ok(a1?.type === 'WorkflowExecutionUpdateAccepted' && s1 !== undefined);
      assert.ok(a2?.type === 'WorkflowExecutionUpdateAccepted');
      assert.ok((a1.acceptedRequestSequencingEventId ?? Infinity) < s1.eventId);
      assert.ok((a2.acceptedRequestSequencingEventId ?? 0) >= s1.eventId);
      // Replay puts them in the same order, from history alone.
      await handle.signal(checkout);
      assert.deepEqual(await handle.result(), ['first', 'u1', 's1', 'u2', 's2']);
      await Worker.runReplayHistory(
        { workflowsPath: fixturesPath('message-workflows.ts') },
        await handle.fetchHistory(),
      );
    } finally {
      await stop();
      await env.startWorker();
    }
  });

  test('a history with updates replays with the same code', async () => {
    const handle = await startCart();
    await handle.executeUpdate(addItem, { args: ['apple'] });
    await assert.rejects(handle.executeUpdate(addItem, { args: [''] }));
    await assert.rejects(handle.executeUpdate(failingUpdate, { args: ['no'] }));
    await handle.executeUpdate(doubleIt, { args: [2] });
    await handle.executeUpdate(notReplayed, { args: ['z'] });
    const update = await handle.startUpdate(waitForRelease, {
      args: ['late'],
      waitForStage: 'ACCEPTED',
    });
    await handle.signal(release);
    await update.result();
    await handle.signal(checkout);
    await handle.result();
    const history = await handle.fetchHistory();
    await Worker.runReplayHistory({ workflowsPath: fixturesPath('message-workflows.ts') }, history);
  });

  test('an update that arrives while the task that continues as new is out goes to the new run, which answers it', async () => {
    // A queue with no worker: the test plays the worker for the task that continues as new.
    const taskQueue = `${env.taskQueue}-continues`;
    const api = env.engine.connection;
    const handle = await env.client.workflow.start(cartThatContinues, {
      taskQueue,
      workflowId: id('continues'),
      args: ['ann'],
    });
    const firstRunId = handle.firstExecutionRunId;
    const task = await takeWorkflowTask(env, taskQueue);
    const update = handle.executeUpdate(addItem, { args: ['apple'], updateId: 'handed-on' });
    await waitFor(
      async () =>
        (await updateStageIn(env, handle.workflowId, firstRunId, 'handed-on')) === 'Admitted',
      'the update to be admitted while the task is out',
    );
    // As Temporal's server: the update does not keep the run open (a signal would).
    const answer = await api.completeWorkflowTask({
      taskToken: task.taskToken,
      identity: 'test',
      commands: [
        {
          type: 'ContinueAsNewWorkflowExecution',
          workflowType: 'cartThatContinues',
          taskQueue,
          args: ['ann', true],
        },
      ],
    });
    assert.deepEqual(answer, { accepted: true });
    const { stop } = await env.startWorker({ taskQueue });
    try {
      assert.equal(await update, 1, "the new run's handler answers the caller");
      assert.equal(await handle.result(), 'ann: 1');
    } finally {
      await stop();
    }
    const first = await env.client.workflow.getHandle(handle.workflowId, firstRunId).fetchHistory();
    assert.equal(first.events.at(-1)?.type, 'WorkflowExecutionContinuedAsNew');
    assert.deepEqual(updateEvents(first.events), []);
    const last = await env.client.workflow.getHandle(handle.workflowId).fetchHistory();
    assert.notEqual(last.runId, firstRunId);
    assert.deepEqual(
      updateEvents(last.events).map((e) => e.type),
      ['WorkflowExecutionUpdateAccepted', 'WorkflowExecutionUpdateCompleted'],
    );
  });
});
