// Cancellation through the public API: CancellationScope (cancellable, nonCancellable,
// withTimeout, current, new CancellationScope({ cancellable, timeout }) with run / cancel /
// cancelRequested), isCancellation, and the activity cancellation types, with cancellation
// reaching a running activity through its heartbeats and AbortSignal.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CancelledFailure, WorkflowFailedError } from 'reprise/client';
import type { WorkflowHandle } from 'reprise/client';
import { ManualClock } from 'reprise/server';
import * as activities from './fixtures/cancellation-activities.ts';
import { state } from './fixtures/cancellation-activities.ts';
import {
  cancelActivity,
  cancelScopeByHand,
  cleanupAfterCancel,
  currentScopes,
  detachedTrigger,
  looseTimeoutDelays,
  pastDeadline,
  proceed,
  raceTimeout,
  scopeWithTimeoutOption,
  shieldedInnerScope,
} from './fixtures/cancellation-workflows.ts';
import { startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

async function eventTypes(handle: WorkflowHandle): Promise<string[]> {
  return (await handle.fetchHistory()).events.map((e) => e.type);
}

describe('cancellation', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({ workflows: 'cancellation-workflows.ts', activities });
  });
  after(async () => {
    await env.close();
  });

  describe('CancellationScope', () => {
    test('work in a nonCancellable scope completes after the workflow is cancelled', async () => {
      const key = id('cleanup');
      const handle = await env.client.workflow.start(cleanupAfterCancel, {
        taskQueue: env.taskQueue,
        workflowId: key,
        args: [key],
      });
      await waitFor(
        async () => (await handle.describe()).pendingTimers.length === 1,
        'the workflow to sleep',
      );
      await handle.cancel();
      await assert.rejects(handle.result(), (e: unknown) => {
        assert.ok(e instanceof WorkflowFailedError);
        assert.ok(e.cause instanceof CancelledFailure);
        return true;
      });
      assert.ok(state.cleanups.includes(key), 'the cleanup activity ran');
      const types = await eventTypes(handle);
      assert.ok(types.indexOf('WorkflowExecutionCancelRequested') < types.indexOf('TimerCanceled'));
      assert.ok(types.indexOf('TimerCanceled') < types.indexOf('ActivityTaskCompleted'));
      assert.equal(types.at(-1), 'WorkflowExecutionCanceled');
      assert.equal((await handle.describe()).status, 'Canceled');
    });

    test('withTimeout cancels the inner work when the timeout passes', async () => {
      const handle = await env.client.workflow.start(raceTimeout, {
        taskQueue: env.taskQueue,
        workflowId: id('timeout'),
        args: [20, 24 * 3600 * 1000],
      });
      assert.equal(await handle.result(), 'timed out: CancelledFailure isCancellation=true');
      const types = await eventTypes(handle);
      assert.equal(types.filter((t) => t === 'TimerFired').length, 1, 'the timeout fired');
      assert.equal(types.filter((t) => t === 'TimerCanceled').length, 1, 'the work was cancelled');
    });

    test('withTimeout returns the work result and cancels its timer when the work ends first', async () => {
      const handle = await env.client.workflow.start(raceTimeout, {
        taskQueue: env.taskQueue,
        workflowId: id('in-time'),
        args: [24 * 3600 * 1000, 10],
      });
      assert.equal(await handle.result(), 'work finished');
      const types = await eventTypes(handle);
      assert.equal(types.filter((t) => t === 'TimerFired').length, 1, 'the work timer fired');
      assert.equal(
        types.filter((t) => t === 'TimerCanceled').length,
        1,
        'the timeout timer did not',
      );
    });

    test('new CancellationScope({ cancellable, timeout }).run cancels itself after the timeout', async () => {
      const result = await env.client.workflow.execute(scopeWithTimeoutOption, {
        taskQueue: env.taskQueue,
        workflowId: id('scope-timeout'),
      });
      assert.equal(result, 'cancelled by its timeout: CancelledFailure isCancellation=true');
    });

    test('scope.cancel() rejects the work in the scope and cancelRequested, and later calls in it', async () => {
      const handle = await env.client.workflow.start(cancelScopeByHand, {
        taskQueue: env.taskQueue,
        workflowId: id('by-hand'),
      });
      assert.deepEqual(await handle.result(), [
        'cancelRequested: CancelledFailure isCancellation=true',
        'work: CancelledFailure isCancellation=true',
        'after cancel: CancelledFailure isCancellation=true',
      ]);
      const types = await eventTypes(handle);
      assert.ok(
        !types.includes('ActivityTaskScheduled'),
        'nothing is scheduled in a cancelled scope',
      );
      assert.ok(!state.cleanups.includes('never'));
    });

    test('CancellationScope.current() is the scope whose run() the code is in, across awaits', async () => {
      const facts = await env.client.workflow.execute(currentScopes, {
        taskQueue: env.taskQueue,
        workflowId: id('current'),
      });
      assert.deepEqual(facts, {
        rootHasNoParent: true,
        currentIsOuter: true,
        currentSurvivesAwait: true,
        innerParentIsOuter: true,
        innerIsNotCancellable: true,
        backToRoot: true,
      });
    });

    test('cancelling a scope reaches its cancellable children but not its nonCancellable ones', async () => {
      const handle = await env.client.workflow.start(shieldedInnerScope, {
        taskQueue: env.taskQueue,
        workflowId: id('shielded'),
      });
      assert.deepEqual(await handle.result(), [
        'cancellable: CancelledFailure isCancellation=true',
        'nonCancellable: fired',
      ]);
      // The cancelled timer was started and cancelled in one activation: as in Temporal, it is
      // dropped, and history records only the shielded one.
      const types = await eventTypes(handle);
      assert.equal(types.filter((t) => t === 'TimerStarted').length, 1);
      assert.equal(types.filter((t) => t === 'TimerCanceled').length, 0);
      assert.equal(types.filter((t) => t === 'TimerFired').length, 1);
    });
  });

  describe('durations and Trigger', () => {
    test('a negative duration waits 1 ms, as in Temporal: sleep, condition, withTimeout, a scope timeout', async () => {
      const handle = await env.client.workflow.start(pastDeadline, {
        taskQueue: env.taskQueue,
        workflowId: id('past-deadline'),
      });
      assert.deepEqual(await handle.result(), {
        sleep: 'ok',
        sleepString: 'ok',
        condition: 'ok: false',
        withTimeout: 'CancelledFailure: Cancellation scope cancelled',
        scopeTimeout: 'CancelledFailure: Cancellation scope cancelled',
      });
      const history = await handle.fetchHistory();
      const durations = history.events.flatMap((e) =>
        e.type === 'TimerStarted' ? [e.startToFireTimeoutMs] : [],
      );
      // The two scopes' timers of a day are cancelled by their 1 ms timeouts.
      assert.deepEqual(durations, [1, 1, 1, 1, 86_400_000, 1, 86_400_000]);
    });

    // Without the coercion, NaN reached the engine as a null duration: the task's answer was
    // refused, and the task timed out and was retried for ever (a timeout here).
    test(
      'setTimeout coerces its delay as Node does: NaN or none is 1 ms, a numeric string its number',
      { timeout: 20_000 },
      async () => {
        const handle = await env.client.workflow.start(looseTimeoutDelays, {
          taskQueue: env.taskQueue,
          workflowId: id('loose-delays'),
        });
        assert.deepEqual((await handle.result()).sort(), ['NaN', 'none', 'string 30']);
        const durations = (await handle.fetchHistory()).events.flatMap((e) =>
          e.type === 'TimerStarted' ? [e.startToFireTimeoutMs] : [],
        );
        assert.deepEqual(durations, [30, 1, 1]);
      },
    );

    test("a Trigger's resolve and reject work when passed on as plain functions", async () => {
      const result = await env.client.workflow.execute(detachedTrigger, {
        taskQueue: env.taskQueue,
        workflowId: id('detached-trigger'),
      });
      assert.deepEqual(result, ['ok: by a detached resolve', 'Error: by a detached reject']);
    });
  });

  describe('activity cancellation types', () => {
    // The activities' 200 ms heartbeat timeout lets a cancellation reach them within 160 ms (the
    // worker's heartbeat throttle). On an engine clock that never moves it cannot fire: on real
    // time, a heartbeat that a busy machine sent 40 ms late would time the attempt out.
    let env: TestEnv;
    before(async () => {
      env = await startTestEnv({
        clock: new ManualClock(),
        workflows: 'cancellation-workflows.ts',
        activities,
      });
    });
    after(async () => {
      await env.close();
    });

    async function startCancelling(
      type: 'TRY_CANCEL' | 'WAIT_CANCELLATION_COMPLETED' | 'ABANDON',
      activityName: 'heartbeatUntilCancelled' | 'heartbeatIgnoringCancel' | 'heartbeatThenFail',
      key: string,
      ackDelayMs = 0,
      maximumAttempts = 1,
    ): Promise<WorkflowHandle<typeof cancelActivity>> {
      const handle = await env.client.workflow.start(cancelActivity, {
        taskQueue: env.taskQueue,
        workflowId: key,
        args: [type, activityName, key, ackDelayMs, maximumAttempts],
      });
      await waitFor(
        async () =>
          (await handle.describe()).pendingActivities[0]?.lastHeartbeatTimeMs !== undefined,
        'the activity to heartbeat',
      );
      await handle.signal(proceed);
      return handle;
    }

    test('TRY_CANCEL: the workflow sees the cancellation at once; history records the request', async () => {
      const key = id('try-cancel');
      const handle = await startCancelling('TRY_CANCEL', 'heartbeatIgnoringCancel', key);
      try {
        assert.equal(await handle.result(), 'ActivityFailure/CancelledFailure isCancellation=true');
        assert.equal(state.attempts.get(key)?.finished, undefined, 'the activity still runs');
        const types = await eventTypes(handle);
        assert.ok(types.includes('ActivityTaskCancelRequested'));
        assert.ok(!types.includes('ActivityTaskCanceled'), 'the workflow did not wait for it');
      } finally {
        state.released.add(key);
      }
    });

    test('WAIT_CANCELLATION_COMPLETED: the workflow waits for the activity to acknowledge', async () => {
      const key = id('wait-cancel');
      const handle = await startCancelling(
        'WAIT_CANCELLATION_COMPLETED',
        'heartbeatUntilCancelled',
        key,
        100,
      );
      assert.equal(await handle.result(), 'ActivityFailure/CancelledFailure isCancellation=true');
      const attempt = state.attempts.get(key);
      assert.equal(
        attempt?.finished,
        'acknowledged cancellation',
        'it finished before the workflow',
      );
      const types = await eventTypes(handle);
      const requested = types.indexOf('ActivityTaskCancelRequested');
      const canceled = types.indexOf('ActivityTaskCanceled');
      assert.ok(requested > 0 && canceled > requested, 'requested, then canceled');
      assert.ok(canceled < types.indexOf('WorkflowExecutionCompleted'));
    });

    test('an attempt that fails after the cancel request ends the activity: no retry, and the workflow goes on', async () => {
      const key = id('cancel-then-fail');
      // Retries unlimited: only the cancel request may stop them. The activity is not told of it
      // (its heartbeats after the first are held a minute): it fails as one that never looks at
      // its cancellation (one told that fails likewise: test/contract/heartbeats.test.ts).
      const handle = await startCancelling(
        'WAIT_CANCELLATION_COMPLETED',
        'heartbeatThenFail',
        key,
        0,
        0,
      );
      await waitFor(
        async () => (await eventTypes(handle)).includes('ActivityTaskCancelRequested'),
        'the cancel request to be recorded',
      );
      state.released.add(key);
      assert.equal(
        await handle.result(),
        'ActivityFailure/ApplicationFailure isCancellation=false',
      );
      assert.equal(state.attempts.get(key)?.abortedWith, undefined, 'it was not told');
      assert.equal(state.attempts.get(key)?.attempt, 1, 'no second attempt');
      const failed = (await handle.fetchHistory()).events.find(
        (e) => e.type === 'ActivityTaskFailed',
      );
      assert.ok(failed?.type === 'ActivityTaskFailed');
      assert.equal(failed.retryState, 'CancelRequested');
    });

    test('a running activity learns of its cancellation through heartbeats and its AbortSignal', async () => {
      const key = id('abort-signal');
      const handle = await startCancelling(
        'WAIT_CANCELLATION_COMPLETED',
        'heartbeatUntilCancelled',
        key,
      );
      await handle.result();
      const attempt = state.attempts.get(key);
      assert.equal(attempt?.abortedWith, 'CANCELLED');
      assert.equal(attempt.cancelledPromiseRejected, true, 'Context.cancelled rejected');
    });

    test('ABANDON: the workflow goes on at once and no cancel request is recorded', async () => {
      const key = id('abandon');
      const handle = await startCancelling('ABANDON', 'heartbeatIgnoringCancel', key);
      try {
        assert.equal(await handle.result(), 'ActivityFailure/CancelledFailure isCancellation=true');
        const types = await eventTypes(handle);
        assert.ok(!types.includes('ActivityTaskCancelRequested'));
        assert.ok(!types.includes('ActivityTaskCanceled'));
        // Nobody told the activity of a cancellation; a heartbeat may since have found its run
        // closed (NOT_FOUND).
        assert.notEqual(state.attempts.get(key)?.abortedWith, 'CANCELLED');
      } finally {
        state.released.add(key);
      }
    });
  });
});
