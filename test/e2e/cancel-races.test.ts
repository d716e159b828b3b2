// A workflow cancels a timer or an activity whose outcome history recorded before the engine
// received the cancellation: in the same activation as the cancelling signal, or while the task
// that cancels was out. The engine records nothing for such a cancellation (there is nothing
// left to cancel); the worker must accept that, cached and on replay, and deliver the outcome
// to nobody but a code path that still waits for it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from 'reprise/server';
import type { WorkflowHandle } from 'reprise/client';
import { Worker } from 'reprise/worker';
import * as activities from './fixtures/cancel-race-activities.ts';
import { gates } from './fixtures/cancel-race-activities.ts';
import {
  approve,
  approveOrTimeOut,
  cancelActivityAfterHold,
  cancelTimerAfterHold,
  finish,
  go,
} from './fixtures/cancel-race-workflows.ts';
import { fixturesPath, startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const MINUTE = 60_000;
/** A run that a regression leaves failing its tasks for ever fails its test by this bound. */
const HANG_GUARD = { timeout: 60_000 };

describe('cancelling what history has already settled', () => {
  const clock = new ManualClock();
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({ clock, workflows: 'cancel-race-workflows.ts', activities });
  });
  after(async () => {
    await env.close();
  });

  const types = async (h: WorkflowHandle): Promise<string[]> =>
    (await h.fetchHistory()).events.map((e) => e.type);
  const count = async (h: WorkflowHandle, type: string): Promise<number> =>
    (await types(h)).filter((t) => t === type).length;

  /** The run's history replays against the workflow code without a non-determinism error. */
  async function assertReplays(h: WorkflowHandle): Promise<void> {
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath('cancel-race-workflows.ts') },
      await h.fetchHistory(),
    );
  }

  /** Advances the clock by a minute once the run sleeps for it, and returns the run's result. */
  async function finishSleep(h: WorkflowHandle): Promise<unknown> {
    await waitFor(async () => (await h.describe()).pendingTimers.length === 1, 'the last sleep');
    clock.advance(MINUTE);
    return h.result();
  }

  test('a signal cancels a timer that fired in the same activation', HANG_GUARD, async () => {
    const handle = await env.client.workflow.start(approveOrTimeOut, {
      taskQueue: env.taskQueue,
      workflowId: id('approve'),
      args: [MINUTE],
    });
    await waitFor(async () => (await handle.describe()).pendingTimers.length === 1, 'the timer');
    await env.stopWorkers();
    clock.advance(MINUTE);
    await waitFor(async () => (await count(handle, 'TimerFired')) === 1, 'the timer to fire');
    await handle.signal(approve);
    // The next task delivers both: the signal runs first (Temporal's order) and clears the
    // timeout, whose firing then finds nothing waiting.
    await env.startWorker();
    await waitFor(
      async () => (await count(handle, 'WorkflowTaskCompleted')) === 2,
      'the task that delivered both',
    );
    await handle.signal(finish);
    assert.equal(await handle.result(), 'approved');
    const history = await types(handle);
    assert.equal(history.filter((t) => t === 'TimerCanceled').length, 0, 'nothing to cancel');
    assert.equal(history.filter((t) => t === 'WorkflowTaskFailed').length, 0);
    await assertReplays(handle);
  });

  test('a task cancels a timer that fired while the task was out', HANG_GUARD, async () => {
    const key = id('hold');
    const handle = await env.client.workflow.start(cancelTimerAfterHold, {
      taskQueue: env.taskQueue,
      workflowId: key,
      args: [key, 5_000],
    });
    await waitFor(async () => (await handle.describe()).pendingTimers.length === 1, 'the timer');
    await handle.signal(go);
    await waitFor(() => gates.started.has(key), 'the local activity to hold the task');
    clock.advance(5_000); // within the task's 10 s timeout
    await waitFor(async () => (await count(handle, 'TimerFired')) === 1, 'the timer to fire');
    gates.released.add(key);
    // The code had not seen the timer fire: its cancellation rejects the sleep.
    assert.equal(await finishSleep(handle), 'cancelled');
    const history = await types(handle);
    assert.equal(history.filter((t) => t === 'TimerCanceled').length, 0, 'nothing to cancel');
    assert.equal(history.filter((t) => t === 'WorkflowTaskFailed').length, 0);
    await assertReplays(handle);
  });

  for (const [cancellationType, expected] of [
    ['TRY_CANCEL', 'cancelled'],
    // The code waits for the cancellation's outcome, which is the activity's result.
    ['WAIT_CANCELLATION_COMPLETED', 'worked'],
  ] as const) {
    test(
      `a task cancels (${cancellationType}) an activity that completed while the task was out`,
      HANG_GUARD,
      async () => {
        const workKey = id('work');
        const holdKey = id('hold');
        const handle = await env.client.workflow.start(cancelActivityAfterHold, {
          taskQueue: env.taskQueue,
          workflowId: workKey,
          args: [workKey, holdKey, cancellationType],
        });
        await waitFor(() => gates.started.has(workKey), 'the activity to start');
        await handle.signal(go);
        await waitFor(() => gates.started.has(holdKey), 'the local activity to hold the task');
        gates.released.add(workKey);
        await waitFor(
          async () => (await count(handle, 'ActivityTaskCompleted')) === 1,
          'the activity to complete',
        );
        gates.released.add(holdKey);
        const result = await finishSleep(handle);
        assert.equal(result, expected === 'worked' ? `worked ${workKey}` : expected);
        const history = await types(handle);
        assert.equal(history.filter((t) => t === 'ActivityTaskCancelRequested').length, 0);
        assert.equal(history.filter((t) => t === 'WorkflowTaskFailed').length, 0);
        await assertReplays(handle);
      },
    );
  }
});
