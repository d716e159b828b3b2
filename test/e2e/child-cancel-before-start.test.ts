// Cancelling the scope of a child before the child has started: (a) in the activation that
// called startChild, so the start command was never sent; (b) after history recorded
// StartChildWorkflowExecutionInitiated, before ChildWorkflowExecutionStarted. Histories recorded
// before this behaviour (fixtures/child-cancel-legacy-*.history.json) replay as they ran.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from 'reprise/client';
import { Worker } from 'reprise/worker';
import * as activities from './fixtures/cancel-race-activities.ts';
import { gates } from './fixtures/cancel-race-activities.ts';
import {
  cancelChild,
  cancelsAfterCompleting,
  cancelsAfterLocalActivity,
  cancelsInSameActivation,
  cancelsWhileStarting,
  finish,
  startsInCancelledScope,
} from './fixtures/child-cancel-workflows.ts';
import { fixturesPath, startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const workflows = 'child-cancel-workflows.ts';

describe('cancelling a child before it started', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({ workflows, activities });
  });
  after(async () => {
    await env.close();
  });

  const typesOf = async (h: WorkflowHandle): Promise<string[]> =>
    (await h.fetchHistory()).events.map((e) => e.type);
  /** The workflow's status; undefined while there is none with the id. */
  const statusOf = async (workflowId: string): Promise<string | undefined> =>
    env.client.workflow
      .getHandle(workflowId)
      .describe()
      .then(
        (d) => d.status,
        () => undefined,
      );
  const assertReplays = async (h: WorkflowHandle): Promise<void> => {
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath(workflows) },
      await h.fetchHistory(),
    );
  };

  for (const type of ['TRY_CANCEL', 'WAIT_CANCELLATION_COMPLETED', 'ABANDON'] as const) {
    test(`${type}: cancelled in the activation that started it, the child is never started and startChild rejects`, async () => {
      const workflowId = id(`same-activation-${type}`);
      const childId = `${workflowId}-child`;
      const handle = await env.client.workflow.start(cancelsInSameActivation, {
        taskQueue: env.taskQueue,
        workflowId,
        args: [childId, type],
      });
      assert.equal(
        await handle.result(),
        'start rejected as cancelled (retryState NonRetryableFailure)',
      );
      const types = await typesOf(handle);
      assert.ok(!types.includes('StartChildWorkflowExecutionInitiated'), types.join(', '));
      assert.equal(await statusOf(childId), undefined);
      await assertReplays(handle);
    });
  }

  for (const type of ['TRY_CANCEL', 'WAIT_CANCELLATION_COMPLETED', 'ABANDON'] as const) {
    test(`${type}: cancelled after a local activity of the workflow task that started it, the child is never started and startChild rejects`, async () => {
      const workflowId = id(`after-local-activity-${type}`);
      const childId = `${workflowId}-child`;
      gates.released.add(workflowId);
      const handle = await env.client.workflow.start(cancelsAfterLocalActivity, {
        taskQueue: env.taskQueue,
        workflowId,
        args: [childId, type, workflowId],
      });
      assert.equal(
        await handle.result(),
        'start rejected as cancelled (retryState NonRetryableFailure)',
      );
      const { events } = await handle.fetchHistory();
      const types = events.map((e) => e.type);
      assert.ok(!types.includes('StartChildWorkflowExecutionInitiated'), types.join(', '));
      // The cached run checked the next task's events against what the first one answered.
      assert.ok(!types.includes('WorkflowTaskFailed'), types.join(', '));
      assert.ok(
        events.some(
          (e) =>
            e.type === 'WorkflowTaskCompleted' &&
            e.sdkFlags?.includes('reprise/child-cancel-in-task') === true,
        ),
        'the run records the rule it applied, as a flag of its task',
      );
      assert.ok(
        !events.some((e) => e.type === 'MarkerRecorded' && 'patchId' in e.details),
        'no patch marker',
      );
      assert.equal(await statusOf(childId), undefined);
      await assertReplays(handle);
    });
  }

  test('cancelled in the activation that completed the run, after the completion: the run replays', async () => {
    const workflowId = id('after-completing');
    const childId = `${workflowId}-child`;
    const handle = await env.client.workflow.start(cancelsAfterCompleting, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [childId],
    });
    assert.equal(await handle.result(), 'done');
    await assertReplays(handle);
  });

  test("in a scope cancelled already, startChild sends nothing and rejects with the scope's CancelledFailure", async () => {
    const workflowId = id('cancelled-scope');
    const childId = `${workflowId}-child`;
    const handle = await env.client.workflow.start(startsInCancelledScope, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [childId],
    });
    assert.equal(
      await handle.result(),
      'CancelledFailure: Cancellation scope cancelled; cancellation true',
    );
    const types = await typesOf(handle);
    assert.ok(!types.includes('StartChildWorkflowExecutionInitiated'), types.join(', '));
    assert.equal(await statusOf(childId), undefined);
  });

  /** Runs cancelsWhileStarting: the cancel reaches the parent before the child has started. */
  async function cancelWhileStarting(
    type: 'TRY_CANCEL' | 'WAIT_CANCELLATION_COMPLETED',
  ): Promise<{ handle: WorkflowHandle; childId: string; types: () => Promise<string[]> }> {
    const workflowId = id(`while-starting-${type}`);
    const childId = `${workflowId}-child`;
    const key = workflowId;
    const handle = await env.client.workflow.start(cancelsWhileStarting, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [childId, type, key],
    });
    await waitFor(() => gates.started.has(key), 'the first task to hold');
    await handle.signal(cancelChild);
    gates.released.add(key);
    return { handle, childId, types: () => typesOf(handle) };
  }

  /** The parent's history: the cancel was delivered before the child had started. */
  function assertCancelledWhileStarting(types: string[]): void {
    const signalled = types.indexOf('WorkflowExecutionSignaled');
    const secondTask = types.indexOf('WorkflowTaskStarted', signalled);
    assert.ok(types.indexOf('StartChildWorkflowExecutionInitiated') < secondTask);
    assert.ok(secondTask < types.indexOf('ChildWorkflowExecutionStarted'), types.join(', '));
  }

  test('TRY_CANCEL: cancelled after the start was recorded, startChild rejects at once and the child is cancelled once started', async () => {
    const { handle, childId, types } = await cancelWhileStarting('TRY_CANCEL');
    await waitFor(async () => (await statusOf(childId)) === 'Canceled', 'the child cancelled');
    await handle.signal(finish);
    assert.equal(
      await handle.result(),
      'start rejected as cancelled (retryState NonRetryableFailure)',
    );
    const history = await types();
    assertCancelledWhileStarting(history);
    assert.ok(
      history.indexOf('ChildWorkflowExecutionStarted') <
        history.indexOf('RequestCancelExternalWorkflowExecutionInitiated'),
    );
    await assertReplays(handle);
  });

  test('WAIT_CANCELLATION_COMPLETED: cancelled after the start was recorded, startChild resolves once the child started and its result rejects when it closes cancelled', async () => {
    const { handle, childId, types } = await cancelWhileStarting('WAIT_CANCELLATION_COMPLETED');
    await waitFor(async () => (await statusOf(childId)) === 'Canceled', 'the child cancelled');
    await handle.signal(finish);
    assert.equal(
      await handle.result(),
      'start resolved; result cancelled (retryState NonRetryableFailure)',
    );
    const history = await types();
    assertCancelledWhileStarting(history);
    await assertReplays(handle);
  });
});

describe('histories recorded before a child could be cancelled before it started', () => {
  const historyOf = (name: string): { events: unknown[] } =>
    JSON.parse(readFileSync(new URL(`../replay/fixtures/${name}`, import.meta.url), 'utf8')) as {
      events: unknown[];
    };

  for (const name of [
    'child-cancel-legacy-same-activation.history.json',
    'child-cancel-legacy-while-starting.history.json',
  ]) {
    test(`${name} (TRY_CANCEL, startChild resolved) replays as it ran`, async () => {
      await Worker.runReplayHistory({ workflowsPath: fixturesPath(workflows) }, historyOf(name));
    });
  }

  // Recorded before a start issued by an earlier activation of the task was withdrawn: it was sent.
  for (const type of ['try-cancel', 'wait-cancellation-completed', 'abandon']) {
    const name = `child-cancel-legacy-after-local-activity-${type}.history.json`;
    test(`${name} (the start sent, after a local activity) replays as it ran`, async () => {
      const history = historyOf(name) as { events: { type: string }[] };
      assert.ok(history.events.some((e) => e.type === 'StartChildWorkflowExecutionInitiated'));
      await Worker.runReplayHistory({ workflowsPath: fixturesPath(workflows) }, history);
    });
  }
});
