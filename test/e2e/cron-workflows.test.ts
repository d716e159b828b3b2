// Cron workflows (`cronSchedule`) end to end: a real engine on SQLite, a worker, and a ManualClock
// so that each run's wait for its cron time is exact.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CancelledFailure,
  InvalidArgumentError,
  TimeoutFailure,
  WorkflowFailedError,
} from 'reprise/client';
import { ManualClock } from 'reprise/server';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';
import {
  cronAnswering,
  cronParent,
  cronRun,
  finishSignal,
  runOf,
} from './fixtures/cron-workflows.ts';
import type { CronRunResult } from './fixtures/cron-workflows.ts';
import { startTestEnv, takeWorkflowTask, updateStageIn, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('cron workflows', () => {
  const clock = new ManualClock();
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({ clock, workflows: 'cron-workflows.ts' });
  });
  after(async () => {
    await env.close();
  });

  /** Moves the clock to 3 minutes past the next whole hour (hh:03:00). */
  function toNextHourPlus3(): number {
    const at = Math.ceil((clock.now() + 1) / HOUR) * HOUR + 3 * MIN;
    clock.set(at);
    return at;
  }

  const historyOf = async (workflowId: string, runId: string): Promise<HistoryEvent[]> =>
    (await env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events;

  /** Waits for the run to have events of these types (in order) and nothing more. */
  async function waitForTypes(workflowId: string, runId: string, what: string): Promise<void> {
    await waitFor(async () => {
      const events = await historyOf(workflowId, runId);
      return events.some((e) => e.type === what);
    }, `${what} in run ${runId}`);
  }

  /** Waits until the run closed; returns its close event. */
  async function closeOf(workflowId: string, runId: string): Promise<HistoryEvent> {
    const handle = env.client.workflow.getHandle(workflowId, runId);
    await waitFor(
      async () => (await handle.describe()).status !== 'Running',
      `run ${runId} to close`,
    );
    const last = (await historyOf(workflowId, runId)).at(-1);
    assert.ok(last !== undefined);
    return last;
  }

  async function startedOf(workflowId: string, runId: string) {
    const [e] = await historyOf(workflowId, runId);
    assert.ok(e?.type === 'WorkflowExecutionStarted');
    return e;
  }

  /** Lets the run's first workflow task start (the clock reaches its cron time), then ends it. */
  async function finish(
    workflowId: string,
    runId: string,
    outcome: 'complete' | 'fail' | 'continue',
  ): Promise<void> {
    await waitForTypes(workflowId, runId, 'WorkflowTaskCompleted');
    await env.client.workflow.getHandle(workflowId, runId).signal(finishSignal, outcome);
  }

  const nextRunOf = (close: HistoryEvent): string => {
    assert.ok(
      close.type === 'WorkflowExecutionCompleted' ||
        close.type === 'WorkflowExecutionFailed' ||
        close.type === 'WorkflowExecutionTimedOut',
      `a close that hands on, got ${close.type}`,
    );
    assert.ok(close.newExecutionRunId !== undefined, `${close.type} names the next run`);
    return close.newExecutionRunId;
  };

  test('each run starts at the next cron time after the one before closes, carrying lastResult and lastFailure', async () => {
    const t0 = toNextHourPlus3();
    const workflowId = id('cron');
    const handle = await env.client.workflow.start(cronRun, {
      taskQueue: env.taskQueue,
      workflowId,
      args: ['in'],
      cronSchedule: '*/10 * * * *',
    });
    // result() follows the chain to its end (here a cancellation), as Temporal's client does.
    const result = handle.result().then(
      () => 'resolved',
      (e: unknown) => e,
    );
    const run1 = handle.firstExecutionRunId;
    const started1 = await startedOf(workflowId, run1);
    assert.equal(started1.cronSchedule, '*/10 * * * *');
    assert.equal(started1.initiator, undefined, 'a first run continues nothing');
    // The first run waits for the schedule's first time after the start: hh:10, 7 minutes.
    assert.equal(started1.firstWorkflowTaskBackoffMs, 7 * MIN);
    assert.equal(clock.nextScheduledAt(), t0 + 7 * MIN);
    clock.advance(7 * MIN - 1);
    assert.deepEqual(
      (await historyOf(workflowId, run1)).map((e) => e.type),
      ['WorkflowExecutionStarted'],
      'no workflow task before the cron time',
    );
    clock.advance(1);
    await finish(workflowId, run1, 'complete');
    const close1 = await closeOf(workflowId, run1);
    assert.equal(close1.type, 'WorkflowExecutionCompleted');
    const run2 = nextRunOf(close1);

    // Closed at hh:10: the next run is due at hh:20, created with the close.
    const started2 = await startedOf(workflowId, run2);
    assert.equal(started2.timeMs, close1.timeMs);
    assert.equal(started2.firstWorkflowTaskBackoffMs, 10 * MIN);
    assert.equal(started2.attempt, 1);
    assert.equal(started2.cronSchedule, '*/10 * * * *');
    assert.equal(started2.firstExecutionRunId, run1);
    assert.equal(started2.continuedExecutionRunId, run1);
    assert.equal(started2.initiator, 'CronSchedule', "Temporal's initiator: the cron schedule");
    assert.deepEqual(started2.input, ['in']);
    assert.equal((started2.lastCompletionResult as CronRunResult).completed, 1);
    assert.equal(started2.continuedFailure, undefined);
    clock.advance(10 * MIN);
    await finish(workflowId, run2, 'fail');
    const close2 = await closeOf(workflowId, run2);
    assert.ok(close2.type === 'WorkflowExecutionFailed');
    assert.equal(close2.retryState, 'RetryPolicyNotSet');
    const run3 = nextRunOf(close2);

    // A failed run hands on too: the next one sees the failure and keeps the last result.
    const started3 = await startedOf(workflowId, run3);
    assert.equal(started3.firstWorkflowTaskBackoffMs, 10 * MIN);
    assert.equal((started3.lastCompletionResult as CronRunResult).completed, 1);
    assert.match(started3.continuedFailure?.message ?? '', /failed/);
    assert.equal(started3.initiator, 'CronSchedule', 'a failed run hands on by the schedule too');
    clock.advance(10 * MIN);
    await waitForTypes(workflowId, run3, 'WorkflowTaskCompleted');
    // The run takes 25 minutes (hh:30 to hh:55): hh:40 and hh:50 are skipped, the next is hh:00.
    clock.advance(25 * MIN);
    await finish(workflowId, run3, 'complete');
    const close3 = await closeOf(workflowId, run3);
    assert.ok(close3.type === 'WorkflowExecutionCompleted');
    const r3 = close3.result as CronRunResult;
    assert.equal(r3.completed, 2);
    assert.equal(r3.lastCompleted, 1);
    assert.match(r3.lastFailure ?? '', /failed/);
    assert.equal(r3.cronSchedule, '*/10 * * * *');
    assert.equal(r3.cronScheduleToScheduleInterval, 10 * MIN);
    assert.equal(r3.attempt, 1);
    const run4 = nextRunOf(close3);
    assert.equal((await startedOf(workflowId, run4)).firstWorkflowTaskBackoffMs, 5 * MIN);

    // Cancelling ends the chain: no next run, and result() reports the cancellation.
    clock.advance(5 * MIN);
    await waitForTypes(workflowId, run4, 'WorkflowTaskCompleted');
    await handle.cancel();
    const close4 = await closeOf(workflowId, run4);
    assert.equal(close4.type, 'WorkflowExecutionCanceled');
    const err = await result;
    assert.ok(err instanceof WorkflowFailedError, String(err));
    assert.ok(err.cause instanceof CancelledFailure);
    assert.equal((await env.client.workflow.getHandle(workflowId).describe()).runId, run4);
  });

  test("an update that arrives while a cron run's closing task is out goes to the next run, which answers it at once", async () => {
    toNextHourPlus3();
    // A queue with no worker: the test plays the worker for the first run's task.
    const taskQueue = `${env.taskQueue}-closing`;
    const api = env.engine.connection;
    const workflowId = id('cron-update');
    const handle = await env.client.workflow.start(cronAnswering, {
      taskQueue,
      workflowId,
      cronSchedule: '*/10 * * * *',
    });
    const run1 = handle.firstExecutionRunId;
    clock.advance(7 * MIN); // hh:10, the first run's cron time
    const task = await takeWorkflowTask(env, taskQueue);
    const update = handle.executeUpdate(runOf, { updateId: 'to-next' });
    await waitFor(
      async () => (await updateStageIn(env, workflowId, run1, 'to-next')) === 'Admitted',
      'the update to be admitted while the task is out',
    );
    // As Temporal's server: the update does not keep the run open; the run completes.
    const answer = await api.completeWorkflowTask({
      taskToken: task.taskToken,
      identity: 'test',
      commands: [{ type: 'CompleteWorkflowExecution', result: 'no update' }],
    });
    assert.deepEqual(answer, { accepted: true });
    const run2 = nextRunOf(await closeOf(workflowId, run1));
    // The next run is due at hh:20; the clock stays at hh:10: the update starts its task now.
    const { stop } = await env.startWorker({ taskQueue });
    try {
      assert.equal(await update, run2, "the next run's handler answers the caller");
    } finally {
      await stop();
    }
    await handle.terminate();
  });

  test("followRuns: false: result() is the completed cron run's own result, not the chain's", async () => {
    toNextHourPlus3();
    const workflowId = id('cron-no-follow');
    const handle = await env.client.workflow.start(cronRun, {
      taskQueue: env.taskQueue,
      workflowId,
      args: ['own'],
      cronSchedule: '*/10 * * * *',
      followRuns: false,
    });
    const result = handle.result().then(
      (r) => r,
      (e: unknown) => e,
    );
    const run1 = handle.firstExecutionRunId;
    clock.advance(7 * MIN);
    await finish(workflowId, run1, 'complete');
    const run2 = nextRunOf(await closeOf(workflowId, run1));
    // The chain ends in a termination: a followed result() would throw it.
    await env.client.workflow.getHandle(workflowId, run2).terminate('done');
    await closeOf(workflowId, run2);
    const own = (await result) as CronRunResult;
    assert.equal(own.runId, run1);
    assert.equal(own.completed, 1);
  });

  test('continue-as-new from a cron run starts a run without the schedule, whose close ends the chain, as in Temporal', async () => {
    toNextHourPlus3();
    const workflowId = id('cron-can');
    const handle = await env.client.workflow.start(cronRun, {
      taskQueue: env.taskQueue,
      workflowId,
      args: ['in'],
      cronSchedule: '*/10 * * * *',
    });
    const run1 = handle.firstExecutionRunId;
    clock.advance(7 * MIN);
    await finish(workflowId, run1, 'continue');
    const close1 = await closeOf(workflowId, run1);
    assert.ok(close1.type === 'WorkflowExecutionContinuedAsNew');
    // Temporal's server takes the new run's schedule from the command, which its SDKs leave empty.
    const started2 = await startedOf(workflowId, close1.newExecutionRunId);
    assert.equal(started2.cronSchedule, undefined);
    assert.equal(started2.initiator, 'Workflow');
    assert.equal(started2.firstWorkflowTaskBackoffMs, undefined, 'its first task is not held back');
    assert.deepEqual(started2.input, ['in+']);
    await finish(workflowId, close1.newExecutionRunId, 'complete');
    const close2 = await closeOf(workflowId, close1.newExecutionRunId);
    assert.ok(close2.type === 'WorkflowExecutionCompleted');
    assert.equal(close2.newExecutionRunId, undefined, 'no next cron run');
    const result = await handle.result();
    assert.equal(result.cronSchedule, null);
    assert.equal(result.input, 'in+');
  });

  test('a retry policy retries a failed cron run first; the next cron run follows the last attempt', async () => {
    toNextHourPlus3();
    const workflowId = id('cron-retry');
    const handle = await env.client.workflow.start(cronRun, {
      taskQueue: env.taskQueue,
      workflowId,
      args: ['in'],
      cronSchedule: '*/10 * * * *',
      retry: { initialInterval: '1s', maximumAttempts: 2 },
    });
    const run1 = handle.firstExecutionRunId;
    clock.advance(7 * MIN);
    await finish(workflowId, run1, 'fail');
    const close1 = await closeOf(workflowId, run1);
    assert.ok(close1.type === 'WorkflowExecutionFailed');
    assert.equal(close1.retryState, 'InProgress');
    const retry = nextRunOf(close1);
    const retryStarted = await startedOf(workflowId, retry);
    assert.equal(retryStarted.attempt, 2);
    assert.equal(retryStarted.firstWorkflowTaskBackoffMs, 1000);
    assert.equal(retryStarted.cronSchedule, '*/10 * * * *');
    assert.equal(retryStarted.initiator, 'Retry', "a retry of a cron run is the retry policy's");
    clock.advance(1000);
    await finish(workflowId, retry, 'fail');
    const close2 = await closeOf(workflowId, retry);
    assert.ok(close2.type === 'WorkflowExecutionFailed');
    assert.equal(close2.retryState, 'MaximumAttemptsReached');
    // Out of attempts at hh:10:01: the next cron run, attempt 1 again, at hh:20.
    const next = nextRunOf(close2);
    const nextStarted = await startedOf(workflowId, next);
    assert.equal(nextStarted.attempt, 1);
    assert.equal(nextStarted.initiator, 'CronSchedule');
    assert.equal(nextStarted.firstWorkflowTaskBackoffMs, 10 * MIN - 1000);
    assert.deepEqual(nextStarted.retryPolicy, retryStarted.retryPolicy);
    await handle.terminate('done');
    assert.equal((await closeOf(workflowId, next)).type, 'WorkflowExecutionTerminated');
  });

  test('a cron run that times out is followed by the next, which sees the timeout as lastFailure', async () => {
    toNextHourPlus3();
    const workflowId = id('cron-run-timeout');
    const handle = await env.client.workflow.start(cronRun, {
      taskQueue: env.taskQueue,
      workflowId,
      args: ['in'],
      cronSchedule: '*/10 * * * *',
      workflowRunTimeout: '2m',
    });
    const run1 = handle.firstExecutionRunId;
    clock.advance(7 * MIN); // hh:10: the run starts, and never finishes
    await waitForTypes(workflowId, run1, 'WorkflowTaskCompleted');
    clock.advance(2 * MIN); // hh:12: its run timeout
    const close1 = await closeOf(workflowId, run1);
    assert.ok(close1.type === 'WorkflowExecutionTimedOut');
    assert.equal(close1.retryState, 'RetryPolicyNotSet');
    const run2 = nextRunOf(close1);
    const started2 = await startedOf(workflowId, run2);
    assert.equal(started2.firstWorkflowTaskBackoffMs, 8 * MIN);
    assert.equal(started2.continuedFailure?.info.type, 'timeout');
    assert.equal(started2.workflowRunTimeoutMs, 2 * MIN);
    await handle.terminate('done');
  });

  test('the execution timeout covers the whole chain', async () => {
    toNextHourPlus3();
    const workflowId = id('cron-expiry');
    const handle = await env.client.workflow.start(cronRun, {
      taskQueue: env.taskQueue,
      workflowId,
      args: ['in'],
      cronSchedule: '*/10 * * * *',
      workflowExecutionTimeout: '25m',
    });
    const result = handle.result().then(
      () => 'resolved',
      (e: unknown) => e,
    );
    const run1 = handle.firstExecutionRunId;
    clock.advance(7 * MIN); // hh:10
    await finish(workflowId, run1, 'complete');
    const run2 = nextRunOf(await closeOf(workflowId, run1));
    clock.advance(10 * MIN); // hh:20
    await finish(workflowId, run2, 'complete');
    const run3 = nextRunOf(await closeOf(workflowId, run2));
    // Run 3 would start at hh:30, after the execution's end at hh:28: it times out then.
    clock.advance(8 * MIN);
    const close3 = await closeOf(workflowId, run3);
    assert.ok(close3.type === 'WorkflowExecutionTimedOut');
    assert.equal(close3.retryState, 'Timeout');
    assert.equal(close3.newExecutionRunId, undefined);
    const err = await result;
    assert.ok(err instanceof WorkflowFailedError, String(err));
    assert.ok(err.cause instanceof TimeoutFailure);
  });

  test('a cron child runs on its schedule, and the parent hears only how the chain ended', async () => {
    toNextHourPlus3();
    const workflowId = id('cron-parent');
    const handle = await env.client.workflow.start(cronParent, {
      taskQueue: env.taskQueue,
      workflowId,
      args: ['@every 1m', 150_000],
    });
    const childId = `${workflowId}-child`;
    let childRun: string | undefined;
    await waitFor(async () => {
      const e = (await handle.fetchHistory()).events.find(
        (x) => x.type === 'ChildWorkflowExecutionStarted',
      );
      childRun = e?.type === 'ChildWorkflowExecutionStarted' ? e.runId : undefined;
      return childRun !== undefined;
    }, 'the child to start');
    assert.ok(childRun !== undefined);
    assert.equal((await startedOf(childId, childRun)).firstWorkflowTaskBackoffMs, MIN);
    clock.advance(MIN);
    const second = nextRunOf(await closeOf(childId, childRun));
    clock.advance(MIN);
    const third = nextRunOf(await closeOf(childId, second));
    // Its next time (+3 min) is past the child's 150 s: the chain times out at +2.5 min.
    clock.advance(30_000);
    assert.equal((await closeOf(childId, third)).type, 'WorkflowExecutionTimedOut');
    assert.equal(await handle.result(), 'failed: TimeoutFailure');
    const completedChildEvents = (await handle.fetchHistory()).events.filter(
      (e) => e.type === 'ChildWorkflowExecutionCompleted',
    );
    assert.equal(completedChildEvents.length, 0, 'a run that hands on does not report');
  });

  test('signalWithStart does not end a cron run’s wait for its time', async () => {
    const t0 = toNextHourPlus3();
    const workflowId = id('cron-sws');
    const handle = await env.client.workflow.start(cronRun, {
      taskQueue: env.taskQueue,
      workflowId,
      args: ['in'],
      cronSchedule: '*/10 * * * *',
    });
    await env.client.workflow.signalWithStart(cronRun, {
      taskQueue: env.taskQueue,
      workflowId,
      args: ['in'],
      cronSchedule: '*/10 * * * *',
      signal: finishSignal,
      signalArgs: ['complete'],
    });
    const run1 = handle.firstExecutionRunId;
    assert.deepEqual(
      (await historyOf(workflowId, run1)).map((e) => e.type),
      ['WorkflowExecutionStarted', 'WorkflowExecutionSignaled'],
    );
    assert.equal(clock.nextScheduledAt(), t0 + 7 * MIN);
    await handle.terminate('done');
  });

  test('an unreadable cronSchedule, or one with a startDelay, is refused and starts nothing', async () => {
    for (const [cronSchedule, startDelay] of [
      ['every hour', undefined],
      ['0 0 * * * *', undefined],
      ['CRON_TZ=Nowhere/Land 0 * * * *', undefined],
      ['0 0 L * *', undefined], // Quartz's last day: robfig/cron, as Temporal, refuses it
      ['0 * * * *', '1m'],
    ] as const) {
      const workflowId = id('cron-bad');
      await assert.rejects(
        env.client.workflow.start(cronRun, {
          taskQueue: env.taskQueue,
          workflowId,
          args: ['in'],
          cronSchedule,
          startDelay,
        }),
        InvalidArgumentError,
      );
      await assert.rejects(env.client.workflow.getHandle(workflowId).describe());
    }
  });
});
