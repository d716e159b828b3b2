// Activity retries follow Temporal's rules: backoff, caps, non-retryable failures, timeouts. The
// engine runs on a ManualClock, so a retry starts only when the test moves time past its backoff.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ActivityFailure,
  ApplicationFailure,
  RetryState,
  TimeoutFailure,
  TimeoutType,
  WorkflowFailedError,
} from 'reprise/client';
import type { WorkflowHandle } from 'reprise/client';
import { activityInfo } from 'reprise/activity';
import { ManualClock } from 'reprise/server';
import type { ActivityOptions } from 'reprise/workflow';
import * as activities from './fixtures/contract-activities.ts';
import { attemptsOf } from './fixtures/contract-activities.ts';
import type { FlakySpec } from './fixtures/contract-activities.ts';
import {
  callByKey,
  callFlaky,
  callFlakyWithRetry,
  sleeper,
} from './fixtures/contract-workflows.ts';
import { contractWorkflows } from './fixtures/paths.ts';
import { startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('activity retries', () => {
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

  const startFlaky = (
    key: string,
    spec: FlakySpec,
    options: ActivityOptions,
  ): Promise<WorkflowHandle<typeof callFlaky>> =>
    env.client.workflow.start(callFlaky, {
      taskQueue: env.taskQueue,
      workflowId: key,
      args: [key, spec, options],
    });

  /** The one pending activity of `h`; fails if there is none. */
  const pendingActivity = async (h: WorkflowHandle) => {
    const [a] = (await h.describe()).pendingActivities;
    assert.ok(a, 'an activity is pending');
    return a;
  };

  /** Waits until attempt `attempt` failed and its retry is waiting out the backoff. */
  const waitForBackoff = async (h: WorkflowHandle, attempt: number): Promise<void> => {
    await waitFor(async () => {
      const [a] = (await h.describe()).pendingActivities;
      return a?.attempt === attempt + 1 && a.nextAttemptScheduleTimeMs !== undefined;
    }, `attempt ${attempt} to fail`);
  };

  /** Moves the clock through every retry backoff until the run closes; returns each backoff. */
  const driveRetries = async (h: WorkflowHandle): Promise<number[]> => {
    const backoffs: number[] = [];
    for (let attempt = 1; ; attempt++) {
      let next: number | undefined;
      await waitFor(async () => {
        const d = await h.describe();
        const a = d.pendingActivities[0];
        next = a?.attempt === attempt + 1 ? a.nextAttemptScheduleTimeMs : undefined;
        return d.status !== 'Running' || next !== undefined;
      }, `attempt ${attempt} to end`);
      if (next === undefined) return backoffs;
      backoffs.push(next - clock.now());
      clock.set(next);
    }
  };

  /** `h.result()`'s failure, which must be a WorkflowFailedError caused by an ActivityFailure. */
  const activityFailureOf = async (h: WorkflowHandle): Promise<ActivityFailure> => {
    const err = await h.result().then(
      () => assert.fail('expected the workflow to fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ActivityFailure);
    return err.cause;
  };

  test('a failing attempt is retried after 1 s, 2 s, 4 s; retries do not grow history', async () => {
    const key = id('backoff');
    const handle = await startFlaky(
      key,
      { failures: 3 },
      { startToCloseTimeout: '1 minute', retry: { initialInterval: '1s', backoffCoefficient: 2 } },
    );
    for (const [failed, backoffMs] of [
      [1, 1000],
      [2, 2000],
      [3, 4000],
    ] as const) {
      await waitForBackoff(handle, failed);
      const failedAtMs = clock.now();
      const a = await pendingActivity(handle);
      assert.equal(a.attempt, failed + 1);
      assert.equal(a.lastFailure?.message, `${key} attempt ${failed} failed`);
      assert.equal(a.nextAttemptScheduleTimeMs, failedAtMs + backoffMs);

      // A witness timer due 1 ms before the retry: once it fired, the clock has passed there.
      const witness = await env.client.workflow.start(sleeper, {
        taskQueue: env.taskQueue,
        workflowId: id('witness'),
        args: [backoffMs - 1],
      });
      await waitFor(async () => (await witness.describe()).pendingTimers.length === 1, 'witness');
      clock.advance(backoffMs - 1);
      await witness.result();
      assert.equal(attemptsOf(key).length, failed, 'no attempt starts before the backoff ends');
      assert.equal(
        (await pendingActivity(handle)).nextAttemptScheduleTimeMs,
        failedAtMs + backoffMs,
      );

      clock.advance(1);
      await waitFor(() => attemptsOf(key).length === failed + 1, `attempt ${failed + 1}`);
      assert.equal(attemptsOf(key)[failed]?.currentAttemptScheduledTimestampMs, clock.now());
    }
    assert.equal(await handle.result(), `${key}: attempt 4`);

    const events = (await handle.fetchHistory()).events;
    const count = (type: string): number => events.filter((e) => e.type === type).length;
    assert.equal(count('ActivityTaskScheduled'), 1);
    assert.equal(count('ActivityTaskStarted'), 1);
    assert.equal(count('ActivityTaskCompleted'), 1);
    const started = events.find((e) => e.type === 'ActivityTaskStarted');
    assert.equal(started?.type === 'ActivityTaskStarted' && started.attempt, 4);
    assert.equal(
      started?.type === 'ActivityTaskStarted' && started.lastFailure?.message,
      `${key} attempt 3 failed`,
    );
  });

  test('reaching maximumAttempts fails the activity with MaximumAttemptsReached after exactly that many attempts', async () => {
    const key = id('max');
    const handle = await startFlaky(
      key,
      { failures: 99 },
      { startToCloseTimeout: '1 minute', retry: { initialInterval: '1s', maximumAttempts: 3 } },
    );
    assert.deepEqual(await driveRetries(handle), [1000, 2000]);
    const failure = await activityFailureOf(handle);
    assert.equal(failure.retryState, 'MaximumAttemptsReached');
    assert.equal(failure.activityType, 'flaky');
    assert.ok(failure.cause instanceof ApplicationFailure);
    assert.equal(failure.cause.message, `${key} attempt 3 failed`);
    assert.deepEqual(
      attemptsOf(key).map((a) => a.attempt),
      [1, 2, 3],
    );
    const failed = (await handle.fetchHistory()).events.filter(
      (e) => e.type === 'ActivityTaskFailed',
    );
    assert.equal(failed.length, 1);
  });

  test('an ApplicationFailure.nonRetryable is not retried: one attempt, NonRetryableFailure', async () => {
    const key = id('nonretryable');
    const handle = await startFlaky(
      key,
      { failures: 99, nonRetryable: true },
      { startToCloseTimeout: '1 minute', retry: { maximumAttempts: 5 } },
    );
    const failure = await activityFailureOf(handle);
    assert.equal(failure.retryState, 'NonRetryableFailure');
    assert.ok(failure.cause instanceof ApplicationFailure);
    assert.equal(failure.cause.nonRetryable, true);
    assert.equal(attemptsOf(key).length, 1);
  });

  test("a CancelledFailure an activity throws with no cancellation fails the attempt as an ApplicationFailure of type 'CancelledFailure', as in Temporal", async () => {
    const key = id('cancelled-itself');
    const handle = await env.client.workflow.start(callByKey, {
      taskQueue: env.taskQueue,
      workflowId: key,
      args: [
        'throwsCancelled',
        key,
        { startToCloseTimeout: '1 minute', retry: { maximumAttempts: 1 } },
      ],
    });
    const failure = await activityFailureOf(handle);
    assert.ok(failure.cause instanceof ApplicationFailure);
    assert.equal(failure.cause.type, 'CancelledFailure');
    assert.equal(failure.cause.message, 'stopped by itself');
    assert.equal(failure.cause.nonRetryable, false);
  });

  test('a failure whose type is in nonRetryableErrorTypes is not retried', async () => {
    const key = id('fatal');
    const handle = await startFlaky(
      key,
      { failures: 99, type: 'Fatal' },
      { startToCloseTimeout: '1 minute', retry: { nonRetryableErrorTypes: ['Fatal'] } },
    );
    const failure = await activityFailureOf(handle);
    assert.equal(failure.retryState, 'NonRetryableFailure');
    assert.ok(failure.cause instanceof ApplicationFailure);
    assert.equal(failure.cause.type, 'Fatal');
    assert.equal(attemptsOf(key).length, 1);
  });

  test("an ApplicationFailure's nextRetryDelay (ms, or any Duration) overrides the policy's backoff", async () => {
    for (const delay of [{ nextRetryDelayMs: 5000 }, { nextRetryDelay: '5s' }]) {
      const key = id('next-delay');
      const handle = await startFlaky(
        key,
        { failures: 1, ...delay },
        { startToCloseTimeout: '1 minute', retry: { initialInterval: '1s' } },
      );
      await waitForBackoff(handle, 1);
      const failedAtMs = clock.now();
      assert.equal((await pendingActivity(handle)).nextAttemptScheduleTimeMs, failedAtMs + 5000);
      clock.advance(5000);
      assert.equal(await handle.result(), `${key}: attempt 2`);
      assert.equal(attemptsOf(key)[1]?.currentAttemptScheduledTimestampMs, failedAtMs + 5000);
    }
  });

  test('maximumInterval caps the backoff', async () => {
    const key = id('cap');
    const handle = await startFlaky(
      key,
      { failures: 3 },
      {
        startToCloseTimeout: '1 minute',
        retry: { initialInterval: '1s', backoffCoefficient: 10, maximumInterval: '3s' },
      },
    );
    assert.deepEqual(await driveRetries(handle), [1000, 3000, 3000]);
    assert.equal(await handle.result(), `${key}: attempt 4`);
  });

  test('an attempt that never answers times out (start-to-close), is retried, and the last timeout is the cause', async () => {
    const key = id('hang');
    const handle = await env.client.workflow.start(callByKey, {
      taskQueue: env.taskQueue,
      workflowId: key,
      args: ['hang', key, { startToCloseTimeout: '10s', retry: { maximumAttempts: 2 } }],
    });
    for (const attempt of [1, 2]) {
      // Started in the engine, then running in the worker: the activity function is called
      // only after the start is committed and the task reaches the worker.
      await waitFor(async () => {
        const [a] = (await handle.describe()).pendingActivities;
        return a?.attempt === attempt && a.state === 'Started' && attemptsOf(key).length >= attempt;
      }, `attempt ${attempt} to start`);
      assert.equal(attemptsOf(key).length, attempt);
      clock.advance(10_000);
      if (attempt === 1) {
        await waitForBackoff(handle, 1);
        const a = await pendingActivity(handle);
        assert.equal(a.lastFailure?.info.type, 'timeout');
        clock.set(a.nextAttemptScheduleTimeMs ?? assert.fail('no retry scheduled'));
      }
    }
    const failure = await activityFailureOf(handle);
    assert.equal(failure.retryState, 'MaximumAttemptsReached');
    assert.equal(failure.retryState, RetryState.MAXIMUM_ATTEMPTS_REACHED);
    assert.ok(failure.cause instanceof TimeoutFailure);
    assert.equal(failure.cause.timeoutType, 'StartToClose');
    assert.equal(failure.cause.timeoutType, TimeoutType.START_TO_CLOSE);
    const timedOut = (await handle.fetchHistory()).events.filter(
      (e) => e.type === 'ActivityTaskTimedOut',
    );
    assert.equal(timedOut.length, 1);
  });

  /** Waits until attempt `attempt` of `h`'s activity runs in the worker. */
  const attemptRuns = (h: WorkflowHandle, key: string, attempt: number): Promise<void> =>
    waitFor(async () => {
      const [a] = (await h.describe()).pendingActivities;
      return a?.attempt === attempt && a.state === 'Started' && attemptsOf(key).length >= attempt;
    }, `attempt ${attempt} to start`);

  /** Starts `callByKey('hang')` with `options`; returns once attempt 1 runs in the worker. */
  const startHanging = async (key: string, options: ActivityOptions): Promise<WorkflowHandle> => {
    const handle = await env.client.workflow.start(callByKey, {
      taskQueue: env.taskQueue,
      workflowId: key,
      args: ['hang', key, options],
    });
    await attemptRuns(handle, key, 1);
    return handle;
  };

  /** The TimeoutFailure that ended `h`'s activity, after checking how retrying stopped. */
  const timeoutOf = async (h: WorkflowHandle, retryState: string): Promise<TimeoutFailure> => {
    const failure = await activityFailureOf(h);
    assert.equal(failure.retryState, retryState);
    assert.ok(failure.cause instanceof TimeoutFailure);
    return failure.cause;
  };

  test("a schedule-to-close timeout ends the activity on any attempt; the last attempt's failure is its cause", async () => {
    const key = id('schedule-to-close');
    const handle = await startHanging(key, {
      scheduleToCloseTimeout: '5s',
      startToCloseTimeout: '3s',
      retry: { initialInterval: '1s' },
    });
    clock.advance(3_000); // attempt 1 times out (start-to-close); its retry fits before 5 s
    await waitForBackoff(handle, 1);
    clock.set((await pendingActivity(handle)).nextAttemptScheduleTimeMs ?? assert.fail('no retry'));
    await attemptRuns(handle, key, 2);
    clock.advance(1_000); // 5 s after the schedule: attempt 2 is cut short
    const timeout = await timeoutOf(handle, 'Timeout');
    assert.equal(timeout.timeoutType, 'ScheduleToClose');
    assert.ok(timeout.cause instanceof TimeoutFailure, 'why it was retried');
    assert.equal(timeout.cause.timeoutType, 'StartToClose');
    assert.equal(attemptsOf(key).length, 2);
  });

  test('a start-to-close timeout that leaves no time to retry before schedule-to-close is recorded as ScheduleToClose', async () => {
    const key = id('no-time-left');
    const handle = await startHanging(key, {
      scheduleToCloseTimeout: '5s',
      startToCloseTimeout: '3s',
      retry: { initialInterval: '3s' },
    });
    clock.advance(3_000); // a retry would start at 6 s, past the 5 s deadline
    assert.equal((await timeoutOf(handle, 'Timeout')).timeoutType, 'ScheduleToClose');
    assert.equal(attemptsOf(key).length, 1);
  });

  test('a timeout type named in nonRetryableErrorTypes (TemporalTimeout:StartToClose) is not retried', async () => {
    const key = id('timeout-not-retried');
    const handle = await startHanging(key, {
      startToCloseTimeout: '3s',
      retry: { nonRetryableErrorTypes: ['TemporalTimeout:StartToClose'] },
    });
    clock.advance(3_000);
    assert.equal((await timeoutOf(handle, 'NonRetryableFailure')).timeoutType, 'StartToClose');
    assert.equal(attemptsOf(key).length, 1);
  });

  test("an attempt its worker cuts at the start-to-close deadline before the engine's timer fires is left to that timer: TimeoutFailure (StartToClose), not the worker's abort", async () => {
    const key = id('worker-cuts-first');
    // A worker of its own, so that its running count is this attempt's alone.
    const activityQueue = `${key}-activities`;
    const activityWorker = await env.startWorker({
      taskQueue: activityQueue,
      workflowsPath: undefined,
    });
    try {
      const handle = await env.client.workflow.start(callByKey, {
        taskQueue: env.taskQueue,
        workflowId: key,
        args: [
          'hang',
          key,
          { startToCloseTimeout: '200ms', taskQueue: activityQueue, retry: { maximumAttempts: 1 } },
        ],
      });
      // The worker's own deadline (real time) fires first: the engine's clock has not moved.
      await waitFor(() => attemptsOf(key)[0]?.abortedWith !== undefined, 'the worker to cut');
      assert.equal(attemptsOf(key)[0]?.abortedWith, 'TIMED_OUT');
      await waitFor(
        () => activityWorker.worker.getStatus().numRunningActivities === 0,
        'the worker to free the slot',
      );
      clock.advance(200); // the engine's start-to-close timer
      assert.equal((await timeoutOf(handle, 'MaximumAttemptsReached')).timeoutType, 'StartToClose');
      const types = (await handle.fetchHistory()).events.map((e) => e.type);
      assert.ok(types.includes('ActivityTaskTimedOut'));
      assert.ok(!types.includes('ActivityTaskFailed'));
    } finally {
      await activityWorker.stop();
    }
  });

  test('a schedule-to-start timeout fails the activity, not retried', async () => {
    const key = id('schedule-to-start');
    const handle = await startFlaky(
      key,
      { failures: 0 },
      { startToCloseTimeout: '1 minute', scheduleToStartTimeout: '5s', taskQueue: `${key}-nobody` },
    );
    await waitFor(
      async () => (await handle.describe()).pendingActivities[0]?.state === 'Scheduled',
      'the activity to be scheduled',
    );
    clock.advance(5_000);
    assert.equal((await timeoutOf(handle, 'NonRetryableFailure')).timeoutType, 'ScheduleToStart');
    assert.equal(attemptsOf(key).length, 0);
  });

  test("an activity type its worker does not register fails the attempt with a retryable NotFoundError: a worker that registers it runs the retry (Temporal's rule, for rolling deploys)", async () => {
    const key = id('unregistered');
    const queue = `${key}-queue`;
    const old = await env.startWorker({
      taskQueue: queue,
      workflowsPath: undefined,
      activities: { somethingElse: () => 'not this one' },
    });
    const handle = await startFlaky(
      key,
      { failures: 0 },
      { startToCloseTimeout: '1 minute', taskQueue: queue, retry: { maximumAttempts: 2 } },
    );
    await waitForBackoff(handle, 1);
    const failure = (await pendingActivity(handle)).lastFailure;
    assert.ok(failure?.info.type === 'application', 'an ApplicationFailure');
    assert.equal(failure.info.errorType, 'NotFoundError');
    assert.equal(failure.info.nonRetryable, false);
    assert.match(failure.message, /not registered on this worker/);
    await old.stop();
    await env.startWorker({ taskQueue: queue, workflowsPath: undefined, activities });
    const next = (await pendingActivity(handle)).nextAttemptScheduleTimeMs;
    clock.set(next ?? assert.fail('no retry scheduled'));
    assert.equal(await handle.result(), `${key}: attempt 2`);
  });

  test("a worker's `default` activity runs the types it does not register, as Temporal's (export default from the activities module)", async () => {
    const key = id('default-activity');
    const queue = `${key}-queue`;
    await env.startWorker({
      taskQueue: queue,
      workflowsPath: undefined,
      activities: {
        somethingElse: () => 'not this one',
        default: (...args: unknown[]) =>
          `${activityInfo().activityType} ran by default with ${JSON.stringify(args[0])}`,
      },
    });
    const handle = await startFlaky(
      key,
      { failures: 0 },
      { startToCloseTimeout: '1 minute', taskQueue: queue, retry: { maximumAttempts: 1 } },
    );
    assert.equal(await handle.result(), `flaky ran by default with "${key}"`);
  });

  test('maximumAttempts Infinity is unlimited, as 0 is', async () => {
    const key = id('infinity');
    const handle = await env.client.workflow.start(callFlakyWithRetry, {
      taskQueue: env.taskQueue,
      workflowId: key,
      args: [key, { failures: 2 }, 'unlimited'],
    });
    assert.deepEqual(await driveRetries(handle), [1000, 2000]);
    assert.equal(await handle.result(), `${key}: attempt 3`);
    const scheduled = (await handle.fetchHistory()).events.find(
      (e) => e.type === 'ActivityTaskScheduled',
    );
    assert.equal(
      scheduled?.type === 'ActivityTaskScheduled' && scheduled.retryPolicy.maximumAttempts,
      0,
    );
  });

  for (const [policy, says] of [
    ['negativeAttempts', /Invalid RetryPolicy\.maximumAttempts -1: use a whole number/],
    ['fractionalAttempts', /Invalid RetryPolicy\.maximumAttempts 1\.5: use a whole number/],
    [
      'shrinkingBackoff',
      /Invalid RetryPolicy\.backoffCoefficient 0\.5: use a finite number of 1 or more/,
    ],
  ] as const) {
    test(`an invalid retry policy in workflow code (${policy}) fails the workflow task, saying what to change`, async () => {
      const key = id(policy);
      const handle = await env.client.workflow.start(callFlakyWithRetry, {
        taskQueue: env.taskQueue,
        workflowId: key,
        args: [key, { failures: 0 }, policy],
      });
      await waitFor(
        async () => (await handle.describe()).lastWorkflowTaskFailure !== undefined,
        'the workflow task to fail',
      );
      assert.match((await handle.describe()).lastWorkflowTaskFailure?.failure.message ?? '', says);
      const types = (await handle.fetchHistory()).events.map((e) => e.type);
      assert.ok(types.includes('WorkflowTaskFailed'));
      assert.ok(!types.includes('ActivityTaskScheduled'), 'no activity was scheduled');
      assert.equal(attemptsOf(key).length, 0);
      await handle.terminate();
    });
  }

  test("without a retry policy, ActivityTaskScheduled records Temporal's defaults: 1 s, ×2, cap 100 s, unlimited", async () => {
    const key = id('defaults');
    const handle = await startFlaky(key, { failures: 0 }, { startToCloseTimeout: '1 minute' });
    assert.equal(await handle.result(), `${key}: attempt 1`);
    const scheduled = (await handle.fetchHistory()).events.find(
      (e) => e.type === 'ActivityTaskScheduled',
    );
    assert.ok(scheduled?.type === 'ActivityTaskScheduled');
    assert.deepEqual(scheduled.retryPolicy, {
      initialIntervalMs: 1000,
      backoffCoefficient: 2,
      maximumIntervalMs: 100_000,
      maximumAttempts: 0,
      nonRetryableErrorTypes: [],
    });
  });
});
