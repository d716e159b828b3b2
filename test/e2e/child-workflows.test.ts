import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure, ChildWorkflowFailure, WorkflowFailedError } from 'reprise/client';
import { Worker } from 'reprise/worker';
import {
  parentCancelsBeforeStart,
  parentCancelsChild,
  parentInspectsFailure,
  parentLeavesChild,
  parentOfContinuingChild,
  parentOfFailing,
  parentOfGreeter,
  parentOfTimeoutsChild,
  parentOfTimingOutChild,
  parentSignalsChild,
  parentStartsDuplicate,
  waitForever,
} from './fixtures/advanced-workflows.ts';
import { fixturesPath, startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';
import { sqliteOnly } from '../helpers/test-store.ts';

const workflows = 'advanced-workflows.ts';

describe('child workflows', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;
  const statusOf = async (workflowId: string): Promise<string> =>
    (await env.client.workflow.getHandle(workflowId).describe()).status;

  before(async () => {
    env = await startTestEnv({ workflows });
  });
  after(async () => {
    await env.close();
  });

  test('executeChild returns the child result, and the child knows its parent', async () => {
    const workflowId = id('parent');
    const result = await env.client.workflow.execute(parentOfGreeter, {
      taskQueue: env.taskQueue,
      workflowId,
      args: ['ann'],
    });
    assert.equal(result, `hello ann from ${workflowId}`);
    const child = await env.client.workflow.getHandle(`${workflowId}-child`).fetchHistory();
    const started = child.events[0];
    assert.equal(
      started?.type === 'WorkflowExecutionStarted' && started.parent?.workflowId,
      workflowId,
    );
  });

  test("a child that continues as new stays the child: the parent gets its last run's result", async () => {
    const workflowId = id('parent-of-continuing');
    const handle = await env.client.workflow.start(parentOfContinuingChild, {
      taskQueue: env.taskQueue,
      workflowId,
    });
    const { result, firstRunId } = await handle.result();
    assert.equal(result, `${workflowId} after ${firstRunId}`);
    const parentEvents = (await handle.fetchHistory()).events;
    const childEvents = parentEvents.filter((e) => e.type.startsWith('ChildWorkflowExecution'));
    assert.deepEqual(
      childEvents.map((e) => e.type),
      ['ChildWorkflowExecutionStarted', 'ChildWorkflowExecutionCompleted'],
    );
    const started = childEvents[0];
    assert.ok(started?.type === 'ChildWorkflowExecutionStarted');
    assert.equal(started.runId, firstRunId);
  });

  test("a child's timeouts are recorded as Temporal's server records them", async () => {
    const timeouts = (options: object): Promise<(number | null)[]> =>
      env.client.workflow.execute(parentOfTimeoutsChild, {
        taskQueue: env.taskQueue,
        workflowId: id('child-timeouts'),
        args: [options],
      });
    // [execution, run, task]: an unset run timeout is the execution timeout.
    assert.deepEqual(
      await timeouts({ workflowExecutionTimeout: '1 minute' }),
      [60_000, 60_000, 10_000],
    );
    // The task timeout is at most the run timeout.
    assert.deepEqual(await timeouts({ workflowRunTimeout: '5s' }), [null, 5000, 5000]);
    assert.deepEqual(await timeouts({ workflowExecutionTimeout: '4s' }), [4000, 4000, 4000]);
    assert.deepEqual(
      await timeouts({ workflowRunTimeout: '3s', workflowTaskTimeout: '1 minute' }),
      [null, 3000, 3000],
    );
  });

  test('the parent history records the child start and completion', async () => {
    const workflowId = id('parent-history');
    const handle = await env.client.workflow.start(parentOfGreeter, {
      taskQueue: env.taskQueue,
      workflowId,
      args: ['bo'],
    });
    await handle.result();
    const types = (await handle.fetchHistory()).events.map((e) => e.type);
    assert.ok(types.includes('StartChildWorkflowExecutionInitiated'));
    assert.ok(
      types.indexOf('ChildWorkflowExecutionStarted') <
        types.indexOf('ChildWorkflowExecutionCompleted'),
    );
  });

  test('a child failure surfaces as ChildWorkflowFailure with its cause', async () => {
    const result = await env.client.workflow.execute(parentInspectsFailure, {
      taskQueue: env.taskQueue,
      workflowId: id('inspect'),
    });
    assert.equal(result['isChildWorkflowFailure'], true);
    assert.equal(result['causeType'], 'ChildBroke');
  });

  test('a child failure the parent does not catch fails the parent; the client rebuilds the chain', async () => {
    const handle = await env.client.workflow.start(parentOfFailing, {
      taskQueue: env.taskQueue,
      workflowId: id('rethrow'),
    });
    await assert.rejects(handle.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.ok(e.cause instanceof ChildWorkflowFailure);
      assert.equal(e.cause.execution.workflowId, `${handle.workflowId}-child`);
      assert.ok(e.cause.cause instanceof ApplicationFailure);
      assert.equal(e.cause.cause.type, 'ChildBroke');
      return true;
    });
  });

  test('parentClosePolicy TERMINATE terminates a running child when the parent completes', async () => {
    const childId = id('terminated-child');
    await env.client.workflow.execute(parentLeavesChild, {
      taskQueue: env.taskQueue,
      workflowId: id('terminate-parent'),
      args: [childId, 'TERMINATE'],
    });
    await waitFor(async () => (await statusOf(childId)) === 'Terminated', 'the child terminated');
  });

  test(
    'ABANDON leaves it running',
    sqliteOnly('it reads the timers table of the SQLite file'),
    async () => {
      const childId = id('abandoned-child');
      const parentId = id('abandon-parent');
      await env.client.workflow.execute(parentLeavesChild, {
        taskQueue: env.taskQueue,
        workflowId: parentId,
        args: [childId, 'ABANDON'],
      });
      // A close policy is a timer row written with the parent's close: once none is left, every
      // policy there was has been applied. (The running child keeps its own wake-up row.)
      await waitFor(async () => (await statusOf(parentId)) === 'Completed', 'the parent closed');
      const db = new Database(env.dbPath, { readonly: true });
      try {
        const policyRows = db.prepare<[], { n: number }>(
          "SELECT count(*) AS n FROM timers WHERE key LIKE 'child:%:parentClosePolicy'",
        );
        await waitFor(() => policyRows.get()?.n === 0, 'no close-policy rows left');
      } finally {
        db.close();
      }
      assert.equal(await statusOf(childId), 'Running');
      await env.client.workflow.getHandle(childId).terminate('cleanup');
    },
  );

  test('REQUEST_CANCEL cancels it', async () => {
    const childId = id('cancelled-child');
    await env.client.workflow.execute(parentLeavesChild, {
      taskQueue: env.taskQueue,
      workflowId: id('cancel-parent'),
      args: [childId, 'REQUEST_CANCEL'],
    });
    await waitFor(async () => (await statusOf(childId)) === 'Canceled', 'the child cancelled');
  });

  test('a child with an id that is already running fails to start with WorkflowExecutionAlreadyStartedError in the parent', async () => {
    const childId = id('taken');
    const other = await env.client.workflow.start(waitForever, {
      taskQueue: env.taskQueue,
      workflowId: childId,
    });
    const result = await env.client.workflow.execute(parentStartsDuplicate, {
      taskQueue: env.taskQueue,
      workflowId: id('dup-parent'),
      args: [childId],
    });
    assert.equal(result, `already started: ${childId}`);
    assert.equal(await statusOf(childId), 'Running');
    await other.terminate('cleanup');
  });

  test('cancelling the scope of a child cancels the child; the ChildWorkflowFailure has retryState NonRetryableFailure', async () => {
    const childId = id('scope-child');
    const result = await env.client.workflow.execute(parentCancelsChild, {
      taskQueue: env.taskQueue,
      workflowId: id('scope-parent'),
      args: [childId],
    });
    assert.equal(result, 'child cancelled (retryState NonRetryableFailure)');
    assert.equal(await statusOf(childId), 'Canceled');
  });

  test('TRY_CANCEL: a started child whose scope is cancelled rejects at once with retryState NonRetryableFailure', async () => {
    const childId = id('try-cancel-child');
    const result = await env.client.workflow.execute(parentCancelsChild, {
      taskQueue: env.taskQueue,
      workflowId: id('try-cancel-parent'),
      args: [childId, 'TRY_CANCEL'],
    });
    assert.equal(result, 'child cancelled (retryState NonRetryableFailure)');
    // The parent completed in the task that sent the request: its parentClosePolicy closes the child.
    await waitFor(async () => (await statusOf(childId)) !== 'Running', 'the child closed');
  });

  test('ABANDON: a child cancelled before it started rejects startChild at once', async () => {
    const workflowId = id('abandon-early');
    const result = await env.client.workflow.execute(parentCancelsBeforeStart, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [`${workflowId}-child`, 'ABANDON'],
    });
    assert.equal(result, 'start rejected as cancelled');
  });

  test("a child that times out on its last attempt: the parent's retryState is the child's", async () => {
    const workflowId = id('timing-out');
    const seen = await env.client.workflow.execute(parentOfTimingOutChild, {
      taskQueue: env.taskQueue,
      workflowId,
    });
    const last = (
      await env.client.workflow.getHandle(`${workflowId}-child`).fetchHistory()
    ).events.at(-1);
    assert.ok(last?.type === 'WorkflowExecutionTimedOut');
    assert.equal(last.retryState, 'MaximumAttemptsReached');
    assert.deepEqual(seen, {
      caught: true,
      retryState: 'MaximumAttemptsReached',
      cause: 'TimeoutFailure',
    });
  });

  test('a child handle signals the child', async () => {
    const result = await env.client.workflow.execute(parentSignalsChild, {
      taskQueue: env.taskQueue,
      workflowId: id('signal-parent'),
    });
    assert.deepEqual(result, ['from parent']);
  });

  test('a parent history with a child replays deterministically', async () => {
    const handle = await env.client.workflow.start(parentInspectsFailure, {
      taskQueue: env.taskQueue,
      workflowId: id('replay'),
    });
    await handle.result();
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath(workflows) },
      await handle.fetchHistory(),
    );
  });
});
