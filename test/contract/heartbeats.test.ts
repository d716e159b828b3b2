// Heartbeats: progress details carry over to the next attempt, a missed heartbeat fails the
// attempt, and cancellation or worker shutdown reach a running activity through its AbortSignal.
// The engine runs on a ManualClock: heartbeat timeouts fire only when the test moves time.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  TimeoutFailure,
  TimeoutType,
  WorkflowFailedError,
} from 'reprise/client';
import type { WorkflowHandle } from 'reprise/client';
import { ActivityCancellationDetails } from 'reprise/activity';
import { ManualClock } from 'reprise/server';
import type { ActivityOptions } from 'reprise/workflow';
import * as activities from './fixtures/contract-activities.ts';
import { attemptsOf } from './fixtures/contract-activities.ts';
import { callByKey, survivesShutdown } from './fixtures/contract-workflows.ts';
import { contractFixture, contractWorkflows } from './fixtures/paths.ts';
import { recordingLogger, startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

/** Waits until the one pending activity of `h` is on `attempt` and waiting out a backoff. */
/** Starts an activity that heartbeats until cancelled (200 ms heartbeat timeout); waits for its first heartbeat. */
async function startHeartbeatingUntilCancelled(env: TestEnv, key: string): Promise<WorkflowHandle> {
  const handle = await env.client.workflow.start(callByKey, {
    taskQueue: env.taskQueue,
    workflowId: key,
    args: [
      'heartbeatUntilCancelled',
      key,
      { startToCloseTimeout: '1 minute', heartbeatTimeout: '200ms' },
    ],
  });
  await waitFor(
    async () => (await handle.describe()).pendingActivities[0]?.lastHeartbeatTimeMs !== undefined,
    'the first heartbeat',
  );
  return handle;
}

/**
 * The worker aborted the attempt of `key` with `reason` (its signal's reason and the details it
 * gives), within `timeoutMs` of the call, and the attempt then ended in the worker.
 */
async function assertAbortedInWorker(
  env: TestEnv,
  key: string,
  reason: string,
  details: ConstructorParameters<typeof ActivityCancellationDetails>[0],
  timeoutMs?: number,
): Promise<void> {
  await waitFor(
    () => attemptsOf(key)[0]?.abortedWith !== undefined,
    `the worker to abort ${key}`,
    timeoutMs,
  );
  assert.equal(attemptsOf(key)[0]?.abortedWith, reason);
  assert.deepEqual(attemptsOf(key)[0]?.cancelledFor, new ActivityCancellationDetails(details));
  await waitFor(
    () => env.worker.getStatus().numRunningActivities === 0,
    'the attempt to end in the worker',
  );
}

async function waitForBackoff(h: WorkflowHandle, attempt: number): Promise<void> {
  await waitFor(async () => {
    const [a] = (await h.describe()).pendingActivities;
    return a?.attempt === attempt && a.nextAttemptScheduleTimeMs !== undefined;
  }, `attempt ${attempt} to be scheduled`);
}

async function pendingActivity(h: WorkflowHandle) {
  const [a] = (await h.describe()).pendingActivities;
  assert.ok(a, 'an activity is pending');
  return a;
}

describe('heartbeats', () => {
  const clock = new ManualClock();
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({ clock, workflows: contractWorkflows, activities });
  });
  after(async () => {
    // Attempts that never answered are still running: they end when shutdown aborts them.
    await env.close();
  });

  test('the last heartbeat details of a failed attempt reach the next attempt as heartbeatDetails', async () => {
    const key = id('resume');
    const handle = await env.client.workflow.start(callByKey, {
      taskQueue: env.taskQueue,
      workflowId: key,
      args: [
        'resumable',
        key,
        { startToCloseTimeout: '1 minute', retry: { initialInterval: '1s' } },
      ],
    });
    await waitForBackoff(handle, 2);
    const a = await pendingActivity(handle);
    assert.deepEqual(a.heartbeatDetails, [{ done: 3 }]);
    clock.set(a.nextAttemptScheduleTimeMs ?? assert.fail('no retry scheduled'));
    assert.deepEqual(await handle.result(), { done: 3 });
    assert.deepEqual(
      attemptsOf(key).map((r) => r.heartbeatDetails),
      [undefined, { done: 3 }],
    );
  });

  /**
   * Starts `heartbeatOnceThenHang` (heartbeat timeout 5 s) with `retry`; returns once its first
   * heartbeat is recorded.
   */
  const startSilentAfterOneHeartbeat = async (
    key: string,
    retry: NonNullable<ActivityOptions['retry']>,
  ): Promise<WorkflowHandle> => {
    const handle = await env.client.workflow.start(callByKey, {
      taskQueue: env.taskQueue,
      workflowId: key,
      args: [
        'heartbeatOnceThenHang',
        key,
        { startToCloseTimeout: '1 minute', heartbeatTimeout: '5s', retry },
      ],
    });
    await waitFor(
      async () => (await handle.describe()).pendingActivities[0]?.lastHeartbeatTimeMs !== undefined,
      'the first heartbeat',
    );
    return handle;
  };

  test('an attempt that stops heartbeating fails with a Heartbeat timeout and is retried', async () => {
    const key = id('silent');
    const handle = await startSilentAfterOneHeartbeat(key, { initialInterval: '1s' });
    assert.deepEqual((await pendingActivity(handle)).heartbeatDetails, ['alive']);

    clock.advance(5000);
    await waitForBackoff(handle, 2);
    const a = await pendingActivity(handle);
    const info = a.lastFailure?.info;
    assert.ok(info?.type === 'timeout', 'the attempt failed with a timeout');
    assert.equal(info.timeoutType, 'Heartbeat');
    clock.set(a.nextAttemptScheduleTimeMs ?? assert.fail('no retry scheduled'));
    assert.equal(await handle.result(), `${key}: attempt 2`);
    const started = (await handle.fetchHistory()).events.find(
      (e) => e.type === 'ActivityTaskStarted',
    );
    assert.ok(started?.type === 'ActivityTaskStarted');
    assert.equal(started.attempt, 2);
    assert.equal(started.lastFailure?.info.type, 'timeout');
  });

  test("a heartbeat timeout's TimeoutFailure carries the last heartbeat's details, as heartbeat() was given them", async () => {
    const key = id('last-details');
    const handle = await startSilentAfterOneHeartbeat(key, { maximumAttempts: 1 });
    clock.advance(5000);
    const err = await handle.result().then(
      () => assert.fail('expected the workflow to fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ActivityFailure);
    const timeout = err.cause.cause;
    assert.ok(timeout instanceof TimeoutFailure);
    assert.equal(timeout.timeoutType, 'Heartbeat');
    // Temporal's TimeoutType keys name Reprise's values, so ported comparisons hold.
    assert.equal(timeout.timeoutType, TimeoutType.HEARTBEAT);
    assert.equal(timeout.lastHeartbeatDetails, 'alive');
  });

  test('cancelling the workflow aborts a heartbeating activity and the workflow ends Canceled', async () => {
    const key = id('cancel');
    const handle = await startHeartbeatingUntilCancelled(env, key);
    await handle.cancel();
    await assert.rejects(handle.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.ok(e.cause instanceof CancelledFailure);
      return true;
    });
    assert.equal((await handle.describe()).status, 'Canceled');
    const [attempt] = attemptsOf(key);
    assert.equal(attemptsOf(key).length, 1);
    // Temporal's reason as the message, and its cancellationDetails.
    assert.equal(attempt?.abortedWith, 'CANCELLED', 'the activity saw its signal abort');
    assert.deepEqual(
      attempt.cancelledFor,
      new ActivityCancellationDetails({ cancelRequested: true }),
    );
    const types = (await handle.fetchHistory()).events.map((e) => e.type);
    assert.ok(types.includes('ActivityTaskCancelRequested'));
    assert.ok(types.includes('ActivityTaskCanceled'));
    assert.equal(types.at(-1), 'WorkflowExecutionCanceled');
  });
});

/**
 * Starts `activity` as a WAIT_CANCELLATION_COMPLETED call retried without limit, whose 200 ms
 * heartbeat timeout makes its heartbeats go every 160 ms (a cancellation reaches it that soon).
 */
function startCancellable(
  env: TestEnv,
  activity: Parameters<typeof callByKey>[0],
  key: string,
): Promise<WorkflowHandle> {
  return env.client.workflow.start(callByKey, {
    taskQueue: env.taskQueue,
    workflowId: key,
    args: [
      activity,
      key,
      {
        startToCloseTimeout: '1 minute',
        heartbeatTimeout: '200ms',
        retry: { initialInterval: '10ms' },
        cancellationType: 'WAIT_CANCELLATION_COMPLETED',
      },
    ],
  });
}

/** As {@link startCancellable}; then waits for the activity's first heartbeat and cancels the workflow. */
async function cancelWhileHeartbeating(
  env: TestEnv,
  activity: Parameters<typeof callByKey>[0],
  key: string,
): Promise<WorkflowHandle> {
  const handle = await startCancellable(env, activity, key);
  await waitFor(
    async () => (await handle.describe()).pendingActivities[0]?.lastHeartbeatTimeMs !== undefined,
    'the first heartbeat',
  );
  await handle.cancel();
  return handle;
}

describe('an activity acknowledging its cancellation', () => {
  let env: TestEnv;
  before(async () => {
    // A ManualClock that never moves: the heartbeat timeout cannot fire before the activity
    // acknowledges, however late a busy machine sends the heartbeat that tells it.
    env = await startTestEnv({
      clock: new ManualClock(),
      workflows: contractWorkflows,
      activities,
    });
  });
  after(async () => {
    await env.close();
  });

  test("with a CancelledFailure of its own: its details are recorded (ActivityTaskCanceled, and so the workflow's CancelledFailure), as in Temporal", async () => {
    const handle = await cancelWhileHeartbeating(env, 'acknowledgeWithDetails', 'ack-with-details');
    await assert.rejects(handle.result(), WorkflowFailedError);
    const canceled = (await handle.fetchHistory()).events.find(
      (e) => e.type === 'ActivityTaskCanceled',
    );
    assert.ok(canceled?.type === 'ActivityTaskCanceled');
    assert.deepEqual(canceled.details, [{ rowsDone: 7 }]);
  });

  test('with an ApplicationFailure of its own once cancelled: the attempt failed, not cancelled, and is not retried, as in Temporal', async () => {
    const key = 'fails-when-cancelled';
    const handle = await cancelWhileHeartbeating(env, 'failsWhenCancelled', key);
    await assert.rejects(handle.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.ok(e.cause instanceof ActivityFailure, 'the workflow failed with the activity');
      assert.equal(e.cause.retryState, 'CancelRequested');
      assert.ok(e.cause.cause instanceof ApplicationFailure);
      assert.equal(e.cause.cause.type, 'CleanupFailed');
      return true;
    });
    const events = (await handle.fetchHistory()).events;
    const failed = events.find((e) => e.type === 'ActivityTaskFailed');
    assert.ok(failed?.type === 'ActivityTaskFailed');
    assert.equal(failed.retryState, 'CancelRequested');
    assert.ok(!events.some((e) => e.type === 'ActivityTaskCanceled'));
    assert.equal(attemptsOf(key).length, 1, 'no second attempt');
    assert.equal(attemptsOf(key)[0]?.abortedWith, 'CANCELLED', 'it was told');
  });

  test("with Node's AbortError (a timer given its signal): the cancellation is recorded, as in Temporal", async () => {
    const key = 'abort-error-when-cancelled';
    const handle = await cancelWhileHeartbeating(env, 'abortErrorWhenCancelled', key);
    await assert.rejects(handle.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.ok(e.cause instanceof CancelledFailure);
      return true;
    });
    const types = (await handle.fetchHistory()).events.map((e) => e.type);
    assert.ok(types.includes('ActivityTaskCanceled'));
    assert.ok(!types.includes('ActivityTaskFailed'));
    assert.equal(types.at(-1), 'WorkflowExecutionCanceled');
    assert.equal(attemptsOf(key)[0]?.abortedWith, 'AbortError');
  });
});

describe('a heartbeat that finds its attempt no longer current', () => {
  const { logger, warnings } = recordingLogger();
  let env: TestEnv;

  before(async () => {
    // A ManualClock that never moves: no heartbeat or start-to-close timeout fires.
    env = await startTestEnv({
      clock: new ManualClock(),
      workflows: contractWorkflows,
      activities,
      worker: { logger },
    });
  });
  after(async () => {
    await env.close();
  });

  test('aborts the attempt, and the worker reports nothing for it (the engine would refuse it)', async () => {
    const key = 'gone-at-heartbeat';
    const handle = await startHeartbeatingUntilCancelled(env, key);
    await handle.terminate('the attempt is gone');
    await assertAbortedInWorker(env, key, 'NOT_FOUND', { notFound: true });
    assert.deepEqual(warnings, []);
  });
});

describe('an attempt that stops heartbeating, in its worker', () => {
  const { logger, warnings } = recordingLogger();
  const clock = new ManualClock();
  let env: TestEnv;

  before(async () => {
    // The engine's clock moves only when the test moves it: its heartbeat timeout has not fired
    // when the worker gives up on the attempt.
    env = await startTestEnv({
      clock,
      workflows: contractWorkflows,
      activities,
      worker: { logger },
    });
  });
  after(async () => {
    await env.close();
  });

  test('is aborted by its worker once its heartbeat timeout (plus 5 s) passes without a heartbeat, and reports nothing', async () => {
    const key = 'silent-in-worker';
    const handle = await env.client.workflow.start(callByKey, {
      taskQueue: env.taskQueue,
      workflowId: key,
      args: [
        'heartbeatOnceThenHang',
        key,
        {
          startToCloseTimeout: '1 hour',
          heartbeatTimeout: '200ms',
          retry: { initialInterval: '1s' },
        },
      ],
    });
    await waitFor(() => attemptsOf(key).length === 1, 'the attempt to run');
    // Real time is the subject here: the worker gives up 5.2 s after the attempt's heartbeat.
    await assertAbortedInWorker(env, key, 'TIMED_OUT', { timedOut: true }, 5_200 + 10_000);
    // Nothing reported: the attempt is the engine's to time out.
    assert.equal((await pendingActivity(handle)).state, 'Started');
    clock.advance(200);
    await waitForBackoff(handle, 2);
    const a = await pendingActivity(handle);
    assert.ok(a.lastFailure?.info.type === 'timeout', 'the engine timed the attempt out');
    assert.equal(a.lastFailure.info.timeoutType, 'Heartbeat');
    clock.set(a.nextAttemptScheduleTimeMs ?? assert.fail('no retry scheduled'));
    assert.equal(await handle.result(), `${key}: attempt 2`);
    assert.deepEqual(warnings, []);
  });

  test('goes on past its heartbeat timeout (plus 5 s) while its heartbeats are answered', async () => {
    const key = 'heartbeating-in-worker';
    const handle = await startHeartbeatingUntilCancelled(env, key);
    const since = Date.now();
    await waitFor(() => Date.now() - since > 6_000, 'the heartbeat timeout and 5 s to pass');
    assert.equal(attemptsOf(key)[0]?.abortedWith, undefined, 'the attempt still runs');
    await handle.cancel();
    await assert.rejects(handle.result(), WorkflowFailedError);
    assert.equal(attemptsOf(key)[0]?.abortedWith, 'CANCELLED');
  });
});

describe('worker shutdown', () => {
  /**
   * An engine on a ManualClock whose own worker runs workflows only, and `first`, a worker that
   * runs the activities and whose shutdown cancels them at once (no grace time).
   */
  async function startWithActivityWorker(slots?: number): Promise<{
    clock: ManualClock;
    env: TestEnv;
    first: { stop: () => Promise<void> };
  }> {
    const clock = new ManualClock();
    const env = await startTestEnv({ clock, workflows: contractWorkflows });
    const first = await env.startWorker({
      workflowsPath: undefined,
      activities,
      shutdownGraceTime: 0,
      ...(slots !== undefined && { maxConcurrentActivityTaskExecutions: slots }),
    });
    return { clock, env, first };
  }

  // With one slot, the poll loop waits for a free slot while the activity runs: shutdown must
  // not wait for that slot.
  for (const slots of [100, 1]) {
    test(`shutdown aborts a running activity's signal and the next worker retries the attempt (${slots} activity slots)`, async () => {
      const { clock, env, first } = await startWithActivityWorker(slots);
      try {
        const key = `shutdown-${slots}`;
        const handle = await env.client.workflow.start(survivesShutdown, {
          taskQueue: env.taskQueue,
          workflowId: key,
          args: [key],
        });
        await waitFor(() => attemptsOf(key).length === 1, 'attempt 1 to run');

        await first.stop();
        assert.equal(attemptsOf(key)[0]?.abortedWith, 'WORKER_SHUTDOWN');
        assert.deepEqual(
          attemptsOf(key)[0]?.cancelledFor,
          new ActivityCancellationDetails({ workerShutdown: true }),
        );
        await waitForBackoff(handle, 2);
        const a = await pendingActivity(handle);
        // Temporal's failure for an attempt its worker's shutdown cancelled: retryable.
        assert.equal(
          a.lastFailure?.message,
          'Worker is shutting down and this activity did not complete in time',
        );
        assert.ok(a.lastFailure.info.type === 'application');
        assert.equal(a.lastFailure.info.errorType, 'WorkerShutdown');
        assert.equal(a.lastFailure.info.nonRetryable, false);

        await env.startWorker({ workflowsPath: undefined, activities });
        clock.set(a.nextAttemptScheduleTimeMs ?? assert.fail('no retry scheduled'));
        assert.equal(await handle.result(), `${key}: attempt 2`);
      } finally {
        await env.close();
      }
    });
  }

  test("an attempt cut by shutdown keeps that reason when its cancellation is requested after: its CancelledFailure fails it (WorkerShutdown), not retried, as with Temporal's core", async () => {
    const { clock, env, first } = await startWithActivityWorker();
    try {
      const key = 'shutdown-then-cancel';
      const handle = await startCancellable(env, 'heartbeatPastCancellation', key);
      await waitFor(() => attemptsOf(key).length === 1, 'the attempt to run');
      const stopped = first.stop();
      await waitFor(
        () => attemptsOf(key)[0]?.abortedWith === 'WORKER_SHUTDOWN',
        'shutdown to abort the attempt',
      );
      await handle.cancel();
      await waitFor(
        async () =>
          (await handle.fetchHistory()).events.some(
            (e) => e.type === 'ActivityTaskCancelRequested',
          ),
        'the cancel request to be recorded',
      );
      // A heartbeat recorded after the request (the clock moved since) was answered with it.
      clock.advance(1);
      await waitFor(
        async () =>
          (await handle.describe()).pendingActivities[0]?.lastHeartbeatTimeMs === clock.now(),
        'a heartbeat after the request',
      );
      activities.state.released.add(key);
      await stopped;
      await assert.rejects(handle.result(), WorkflowFailedError);
      const events = (await handle.fetchHistory()).events;
      assert.ok(!events.some((e) => e.type === 'ActivityTaskCanceled'));
      const failed = events.find((e) => e.type === 'ActivityTaskFailed');
      assert.ok(failed?.type === 'ActivityTaskFailed');
      assert.equal(failed.retryState, 'CancelRequested');
      assert.ok(failed.failure.info.type === 'application');
      assert.equal(failed.failure.info.errorType, 'WorkerShutdown');
      assert.deepEqual(
        attemptsOf(key)[0]?.cancelledFor,
        new ActivityCancellationDetails({ workerShutdown: true }),
      );
    } finally {
      await env.close();
    }
  });

  test('shutdown aborts running activities and resolves even when nothing else keeps the process alive', async () => {
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>(
      (resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', contractFixture('shutdown-process.ts')],
          // A guard against a hang only: a loaded machine takes tens of seconds to start it.
          { timeout: 150_000 },
          (error, out) => {
            resolve({ code: error ? (error.code as number | null) : 0, stdout: out });
          },
        );
      },
    );
    assert.match(stdout, /shutdown done; the activity saw: WORKER_SHUTDOWN/);
    assert.equal(code, 0);
  });
});
