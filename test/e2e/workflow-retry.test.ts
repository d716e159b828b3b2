// The workflow retry policy end to end: a real engine on SQLite, a worker, and a ManualClock so
// that the backoff between one attempt's close and the next attempt's first task is exact.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CancelledFailure,
  TimeoutFailure,
  WorkflowFailedError,
  type WorkflowHandle,
  type WorkflowHandleWithStartDetails,
} from 'reprise/client';
import { ManualClock } from 'reprise/server';
import { Worker } from 'reprise/worker';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';
import {
  alwaysFails,
  failsNonRetryable,
  failsUntilAttempt,
  failsWithType,
  parentOfDoomedChild,
  parentOfFlakyChild,
  slowUntilAttempt,
  slowWithUpdates,
  stamp,
  waitsForCancel,
} from './fixtures/retry-workflows.ts';
import { fixturesPath, startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const workflows = 'retry-workflows.ts';

interface Run {
  runId: string;
  events: HistoryEvent[];
}

describe('workflow retry policy', () => {
  const clock = new ManualClock();
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({ clock, workflows });
  });
  after(async () => {
    await env.close();
  });

  const historyOf = async (workflowId: string, runId: string): Promise<HistoryEvent[]> =>
    (await env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events;

  /** Waits until the run closed; returns its history. */
  async function closedRun(workflowId: string, runId: string): Promise<Run> {
    const handle = env.client.workflow.getHandle(workflowId, runId);
    await waitFor(
      async () => (await handle.describe()).status !== 'Running',
      `run ${runId} to close`,
    );
    return { runId, events: await historyOf(workflowId, runId) };
  }

  /** The run that retries this closed one, if any. */
  function retriedBy(run: Run): string | undefined {
    const last = run.events.at(-1);
    if (last?.type === 'WorkflowExecutionFailed' || last?.type === 'WorkflowExecutionTimedOut') {
      return last.newExecutionRunId;
    }
    return undefined;
  }

  /**
   * Follows the retry chain from `runId`: waits for each run to close and moves the clock by the
   * next attempt's backoff (its `firstWorkflowTaskBackoffMs`). Returns every run and the backoffs.
   */
  async function driveRetries(
    workflowId: string,
    runId: string,
  ): Promise<{ runs: Run[]; backoffs: number[] }> {
    const runs: Run[] = [];
    const backoffs: number[] = [];
    let current = runId;
    for (;;) {
      const run = await closedRun(workflowId, current);
      runs.push(run);
      const next = retriedBy(run);
      if (next === undefined) break;
      current = next;
      const started = (await historyOf(workflowId, next))[0];
      assert.ok(started?.type === 'WorkflowExecutionStarted');
      backoffs.push(started.firstWorkflowTaskBackoffMs ?? 0);
      clock.advance(started.firstWorkflowTaskBackoffMs ?? 0);
    }
    return { runs, backoffs };
  }

  /** The child's first run, as the parent recorded it in ChildWorkflowExecutionStarted. */
  async function firstChildRun(parent: WorkflowHandle): Promise<string> {
    let runId: string | undefined;
    await waitFor(async () => {
      const e = (await parent.fetchHistory()).events.find(
        (x) => x.type === 'ChildWorkflowExecutionStarted',
      );
      runId = e?.type === 'ChildWorkflowExecutionStarted' ? e.runId : undefined;
      return runId !== undefined;
    }, 'the child to start');
    return runId!;
  }

  const startedOf = (run: Run) => {
    const e = run.events[0];
    assert.ok(e?.type === 'WorkflowExecutionStarted');
    return e;
  };

  test('a failing workflow with a retry policy runs again as a new run after the backoff', async () => {
    const workflowId = id('flaky');
    const handle = await env.client.workflow.start(failsUntilAttempt, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [2, 'the input'],
      retry: { initialInterval: '10s', maximumAttempts: 3 },
    });
    const first = await closedRun(workflowId, handle.firstExecutionRunId);
    const failed = first.events.at(-1);
    assert.ok(failed?.type === 'WorkflowExecutionFailed');
    assert.equal(failed.retryState, 'InProgress');
    assert.equal(failed.failure.message, 'attempt 1 failed');
    assert.ok(failed.newExecutionRunId !== undefined);
    const firstRun = env.client.workflow.getHandle(workflowId, handle.firstExecutionRunId);
    assert.equal((await firstRun.describe()).status, 'Failed');
    // The handle from start() follows the chain: it describes the retry.
    assert.equal((await handle.describe()).runId, failed.newExecutionRunId);

    // The next attempt exists at once, created with the close, and waits out the backoff.
    const secondId = failed.newExecutionRunId;
    const waiting = await historyOf(workflowId, secondId);
    assert.deepEqual(
      waiting.map((e) => e.type),
      ['WorkflowExecutionStarted'],
    );
    const started = waiting[0];
    assert.ok(started?.type === 'WorkflowExecutionStarted');
    assert.equal(started.timeMs, failed.timeMs);
    assert.equal(started.attempt, 2);
    assert.equal(started.firstWorkflowTaskBackoffMs, 10_000);
    assert.equal(started.firstExecutionRunId, handle.firstExecutionRunId);
    assert.equal(started.continuedExecutionRunId, handle.firstExecutionRunId);
    assert.equal(started.initiator, 'Retry', "Temporal's initiator: the retry policy retried");
    assert.deepEqual(started.input, [2, 'the input']);
    assert.deepEqual(started.retryPolicy, {
      initialIntervalMs: 10_000,
      backoffCoefficient: 2,
      maximumIntervalMs: 1_000_000,
      maximumAttempts: 3,
      nonRetryableErrorTypes: [],
    });
    assert.equal(started.continuedFailure?.message, 'attempt 1 failed');
    const firstStarted = startedOf(first);
    assert.equal(firstStarted.attempt, 1);
    assert.deepEqual(firstStarted.retryPolicy, started.retryPolicy);

    // The engine's next wake-up is the backoff's end: moving the clock to just before it runs
    // nothing, and the task is scheduled at exactly that time (checked below).
    assert.equal(clock.nextScheduledAt(), started.timeMs + 10_000);
    clock.advance(9_999);
    assert.deepEqual(
      (await historyOf(workflowId, secondId)).map((e) => e.type),
      ['WorkflowExecutionStarted'],
      'no workflow task before the backoff has passed',
    );
    clock.advance(1);
    const result = await handle.result();
    assert.equal(result.attempt, 2);
    assert.equal(result.runId, secondId);
    assert.equal(result.continuedFrom, handle.firstExecutionRunId);
    assert.equal(result.input, 'the input');
    const second = await historyOf(workflowId, secondId);
    const scheduled = second.find((e) => e.type === 'WorkflowTaskScheduled');
    assert.equal(scheduled!.timeMs - started.timeMs, 10_000);
    // startTime is the attempt's start; runStartTime its first task's, after the backoff.
    assert.equal(result.startTimeMs, started.timeMs);
    assert.equal(result.runStartTimeMs, started.timeMs + 10_000);
    // The failure the attempt before ended with, as Temporal's workflowInfo().lastFailure.
    assert.equal(result.lastFailure, 'attempt 1 failed');
    assert.equal((await env.client.workflow.getHandle(workflowId).describe()).runId, secondId);
  });

  test('attempt counts up in workflowInfo()', async () => {
    const workflowId = id('attempts');
    const handle = await env.client.workflow.start(failsUntilAttempt, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [4, 'x'],
      retry: { initialInterval: '1s', backoffCoefficient: 2 },
    });
    const { runs, backoffs } = await driveRetries(workflowId, handle.firstExecutionRunId);
    assert.deepEqual(
      runs.map((r) => startedOf(r).attempt),
      [1, 2, 3, 4],
    );
    assert.deepEqual(backoffs, [1000, 2000, 4000]);
    const result = await handle.result();
    assert.equal(result.attempt, 4);
    assert.equal(result.firstExecutionRunId, handle.firstExecutionRunId);
    assert.equal(result.continuedFrom, runs[2]?.runId);
  });

  test('maximumAttempts ends the retries with the last failure', async () => {
    const workflowId = id('doomed');
    const handle = await env.client.workflow.start(alwaysFails, {
      taskQueue: env.taskQueue,
      workflowId,
      retry: { initialInterval: '1s', maximumAttempts: 3 },
    });
    const { runs } = await driveRetries(workflowId, handle.firstExecutionRunId);
    assert.equal(runs.length, 3);
    const closes = runs.map((r) => r.events.at(-1));
    assert.deepEqual(
      closes.map((e) => (e?.type === 'WorkflowExecutionFailed' ? e.retryState : e?.type)),
      ['InProgress', 'InProgress', 'MaximumAttemptsReached'],
    );
    const err = await handle.result().catch((e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError);
    assert.equal(err.retryState, 'MaximumAttemptsReached');
    assert.equal((err.cause as Error).message, 'attempt 3 failed');
  });

  test('a non-retryable failure is not retried', async () => {
    const cases: [string, WorkflowHandle<(...args: string[]) => Promise<never>>][] = [
      [
        'nonRetryable',
        await env.client.workflow.start(failsNonRetryable, {
          taskQueue: env.taskQueue,
          workflowId: id('fatal'),
          retry: { maximumAttempts: 5 },
        }),
      ],
      [
        'nonRetryableErrorTypes',
        await env.client.workflow.start(failsWithType, {
          taskQueue: env.taskQueue,
          workflowId: id('typed'),
          args: ['Boom'],
          retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['Boom'] },
        }),
      ],
    ];
    for (const [what, handle] of cases) {
      const run = await closedRun(handle.workflowId, handle.firstExecutionRunId!);
      const last = run.events.at(-1);
      assert.ok(last?.type === 'WorkflowExecutionFailed', what);
      assert.equal(last.retryState, 'NonRetryableFailure', what);
      assert.equal(last.newExecutionRunId, undefined, what);
      const err = await handle.result().catch((e: unknown) => e);
      assert.ok(err instanceof WorkflowFailedError, what);
      assert.equal(err.retryState, 'NonRetryableFailure', what);
      const latest = await env.client.workflow.getHandle(handle.workflowId).describe();
      assert.equal(latest.runId, handle.firstExecutionRunId, `${what}: no other run`);
    }
  });

  /**
   * Starts `workflow` (one that sleeps an hour in its first attempt) with a one-minute run
   * timeout and `initialInterval`, and waits until that first attempt sleeps.
   */
  async function startSleeping<W extends typeof slowUntilAttempt | typeof slowWithUpdates>(
    workflow: W,
    workflowId: string,
    initialInterval: string,
  ): Promise<WorkflowHandleWithStartDetails<W>> {
    const handle = await env.client.workflow.start(workflow, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [2] as Parameters<W>,
      workflowRunTimeout: '1 minute',
      retry: { initialInterval },
    });
    await waitFor(
      async () => (await handle.describe()).pendingTimers.length === 1,
      'the first attempt to sleep',
    );
    return handle;
  }

  test('a run timeout is retried', async () => {
    const workflowId = id('slow');
    const handle = await startSleeping(slowUntilAttempt, workflowId, '5s');
    clock.advance(60_000);
    const first = await closedRun(workflowId, handle.firstExecutionRunId);
    const timedOut = first.events.at(-1);
    assert.ok(timedOut?.type === 'WorkflowExecutionTimedOut');
    assert.equal(timedOut.retryState, 'InProgress');
    assert.ok(timedOut.newExecutionRunId !== undefined);
    const started = (await historyOf(workflowId, timedOut.newExecutionRunId))[0];
    assert.ok(started?.type === 'WorkflowExecutionStarted');
    assert.equal(started.attempt, 2);
    assert.equal(started.firstWorkflowTaskBackoffMs, 5000);
    assert.equal(started.continuedFailure?.info.type, 'timeout');
    clock.advance(5000);
    const result = await handle.result();
    assert.equal(result.attempt, 2);
    assert.equal(result.runId, timedOut.newExecutionRunId);
  });

  test('an update the run had not accepted when it timed out into a retry reaches the retry', async () => {
    const workflowId = id('update-across-retry');
    const handle = await startSleeping(slowWithUpdates, workflowId, '5s');
    // No worker: the update is only admitted when the run times out.
    await env.stopWorkers();
    let restarted = false;
    try {
      const update = handle.executeUpdate(stamp, { updateId: 'across' });
      const stageIn = async (runId: string): Promise<string | undefined> =>
        env.engine.connection
          .pollWorkflowUpdate({
            namespace: 'default',
            workflowId,
            runId,
            updateId: 'across',
            waitForStage: 'Accepted',
            waitMs: 0,
          })
          .then(
            (r) => r.stage,
            () => undefined,
          );
      await waitFor(
        async () => (await stageIn(handle.firstExecutionRunId)) === 'Admitted',
        'the update to be admitted to the first run',
      );
      clock.advance(60_000);
      const first = await closedRun(workflowId, handle.firstExecutionRunId);
      const secondId = retriedBy(first);
      assert.ok(secondId !== undefined);
      // As Temporal's server: aborted on the closed run, the update is sent to the retry.
      await waitFor(
        async () => (await stageIn(secondId)) === 'Admitted',
        'the update to be admitted to the retry',
      );
      clock.advance(5000);
      await env.startWorker();
      restarted = true;
      assert.equal(await update, 2);
      assert.equal(await handle.result(), 2);
    } finally {
      if (!restarted) await env.startWorker();
    }
  });

  test('an update to a run in its retry backoff dispatches its first workflow task at once', async () => {
    const workflowId = id('update-in-backoff');
    const handle = await startSleeping(slowWithUpdates, workflowId, '1 hour');
    clock.advance(60_000);
    const secondId = retriedBy(await closedRun(workflowId, handle.firstExecutionRunId));
    assert.ok(secondId !== undefined);
    // The retry waits an hour for its first task; the update, as in Temporal, does not wait.
    assert.equal(await handle.executeUpdate(stamp), 2);
    assert.equal(await handle.result(), 2);
    const events = await historyOf(workflowId, secondId);
    assert.equal(events[1]?.type, 'WorkflowTaskScheduled');
    assert.ok(events[1].timeMs < (events[0]?.timeMs ?? 0) + 3_600_000, 'before the backoff ended');
  });

  test('retries stop when the workflow execution timeout would pass', async () => {
    const workflowId = id('out-of-time');
    const handle = await env.client.workflow.start(slowUntilAttempt, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [99],
      workflowExecutionTimeout: '90s',
      workflowRunTimeout: '1 minute',
      retry: { initialInterval: '5s' },
    });
    await waitFor(
      async () => (await handle.describe()).pendingTimers.length === 1,
      'the first attempt to sleep',
    );
    const startMs = clock.now();
    clock.advance(60_000); // run 1 times out; run 2 starts after 5 s, with 25 s left
    const first = await closedRun(workflowId, handle.firstExecutionRunId);
    const secondId = retriedBy(first);
    assert.ok(secondId !== undefined);
    const secondStarted = (await historyOf(workflowId, secondId))[0];
    assert.ok(secondStarted?.type === 'WorkflowExecutionStarted');
    assert.equal(secondStarted.workflowExecutionExpirationTimeMs, startMs + 90_000);
    clock.advance(5000);
    await waitFor(
      async () =>
        (await env.client.workflow.getHandle(workflowId, secondId).describe()).pendingTimers
          .length === 1,
      'the second attempt to sleep',
    );
    clock.set(startMs + 90_000); // the execution's deadline, not the second run's own minute
    const second = await closedRun(workflowId, secondId);
    const last = second.events.at(-1);
    assert.ok(last?.type === 'WorkflowExecutionTimedOut');
    assert.equal(last.retryState, 'Timeout');
    assert.equal(last.newExecutionRunId, undefined);
    assert.equal(last.timeMs, startMs + 90_000);
    const err = await handle.result().catch((e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof TimeoutFailure);
    assert.equal(err.retryState, 'Timeout');
  });

  test('cancellation is not retried', async () => {
    const workflowId = id('cancelled');
    const handle = await env.client.workflow.start(waitsForCancel, {
      taskQueue: env.taskQueue,
      workflowId,
      retry: { initialInterval: '1s', maximumAttempts: 5 },
    });
    await waitFor(
      async () =>
        (await handle.fetchHistory()).events.some((e) => e.type === 'WorkflowTaskCompleted'),
      'the first task',
    );
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof CancelledFailure);
    const latest = await env.client.workflow.getHandle(workflowId).describe();
    assert.equal(latest.runId, handle.firstExecutionRunId);
    assert.equal(latest.status, 'Canceled');
  });

  test('handle.result() follows the retries to the final outcome', async () => {
    const workflowId = id('follow');
    const handle = await env.client.workflow.start(failsUntilAttempt, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [3, 'y'],
      retry: { initialInterval: '2s', backoffCoefficient: 3 },
    });
    // Waiting from the start, before any retry exists, through both retries.
    const fromStart = handle.result();
    const fromFirstRun = env.client.workflow
      .getHandle<typeof failsUntilAttempt>(workflowId, handle.firstExecutionRunId)
      .result();
    const { runs, backoffs } = await driveRetries(workflowId, handle.firstExecutionRunId);
    assert.deepEqual(backoffs, [2000, 6000]);
    const last = runs.at(-1)!;
    const fromLatest = env.client.workflow.getHandle<typeof failsUntilAttempt>(workflowId).result();
    for (const result of await Promise.all([fromStart, fromFirstRun, fromLatest])) {
      assert.equal(result.attempt, 3);
      assert.equal(result.runId, last.runId);
    }
  });

  test('followRuns: false: result() is the failure of the run itself, not of the retries that follow', async () => {
    const workflowId = id('no-follow');
    const handle = await env.client.workflow.start(failsUntilAttempt, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [2, 'z'],
      retry: { initialInterval: '2s' },
      followRuns: false,
    });
    const own = handle.result().catch((e: unknown) => e);
    const fromFirstRun = env.client.workflow
      .getHandle(workflowId, handle.firstExecutionRunId, { followRuns: false })
      .result()
      .then(
        (): unknown => undefined,
        (e: unknown) => e,
      );
    // Followed (the default), the same run's result is the retry's.
    const followed = env.client.workflow
      .getHandle<typeof failsUntilAttempt>(workflowId, handle.firstExecutionRunId)
      .result();
    const { runs } = await driveRetries(workflowId, handle.firstExecutionRunId);
    assert.equal(runs.length, 2);
    const err = await own;
    assert.ok(err instanceof WorkflowFailedError);
    assert.equal(err.message, 'Workflow execution failed');
    assert.equal((err.cause as Error).message, 'attempt 1 failed');
    assert.equal(err.retryState, 'InProgress');
    const first = await fromFirstRun;
    assert.ok(first instanceof WorkflowFailedError);
    assert.equal((first.cause as Error).message, 'attempt 1 failed');
    assert.equal((await followed).runId, runs.at(-1)?.runId);
  });

  test("a child's retry policy retries the child and only the final outcome reaches the parent", async () => {
    const workflowId = id('parent');
    const childId = `${workflowId}-child`;
    const handle = await env.client.workflow.start(parentOfFlakyChild, {
      taskQueue: env.taskQueue,
      workflowId,
    });
    const firstChildRunId = await firstChildRun(handle);
    const { runs, backoffs } = await driveRetries(childId, firstChildRunId);
    assert.deepEqual(backoffs, [1000, 2000]);
    assert.deepEqual(
      runs.map((r) => startedOf(r).parent?.workflowId),
      [workflowId, workflowId, workflowId],
    );
    const result = await handle.result();
    assert.equal(result.attempt, 3);
    assert.equal(result.input, 'from parent');
    const childEvents = (await handle.fetchHistory()).events.filter((e) =>
      e.type.startsWith('ChildWorkflowExecution'),
    );
    assert.deepEqual(
      childEvents.map((e) => e.type),
      ['ChildWorkflowExecutionStarted', 'ChildWorkflowExecutionCompleted'],
    );
    const [started, completed] = childEvents;
    assert.ok(started?.type === 'ChildWorkflowExecutionStarted');
    assert.equal(started.runId, firstChildRunId);
    assert.ok(completed?.type === 'ChildWorkflowExecutionCompleted');
    assert.equal(completed.runId, runs.at(-1)?.runId);

    // A child whose retries run out: the parent hears the last failure, once.
    const doomedId = id('doomed-parent');
    const doomed = await env.client.workflow.start(parentOfDoomedChild, {
      taskQueue: env.taskQueue,
      workflowId: doomedId,
    });
    await driveRetries(`${doomedId}-child`, await firstChildRun(doomed));
    assert.deepEqual(await doomed.result(), {
      retryState: 'MaximumAttemptsReached',
      cause: 'attempt 2 failed',
    });
    const failedEvents = (await doomed.fetchHistory()).events.filter(
      (e) => e.type === 'ChildWorkflowExecutionFailed',
    );
    assert.equal(failedEvents.length, 1);
  });

  test('every run of a retry chain replays with Worker.runReplayHistory', async () => {
    const workflowId = id('replayed');
    const handle = await env.client.workflow.start(failsUntilAttempt, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [3, 'z'],
      retry: { initialInterval: '1s' },
    });
    const { runs } = await driveRetries(workflowId, handle.firstExecutionRunId);
    assert.equal(runs.length, 3);
    for (const run of runs) {
      await Worker.runReplayHistory(
        { workflowsPath: fixturesPath(workflows) },
        { events: run.events },
      );
    }
  });
});
