// Non-cancellable scopes as in Temporal (their cancelRequested hears the parent's cancellation;
// their own cancel() reaches nothing inside them) and a scope timeout of 0 as no timeout, on the
// real engine. Histories recorded before these rules
// (fixtures/scope-shield-legacy-*.history.json) replay as they ran.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from 'reprise/client';
import { Worker } from 'reprise/worker';
import {
  cancelShieldByHand,
  shieldHearsWorkflowCancel,
  zeroTimeout,
} from './fixtures/scope-shield-workflows.ts';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';
import { fixturesPath, startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';
import { ruleFlags } from '../helpers/rule-flags.ts';

const workflows = 'scope-shield-workflows.ts';

/** The internal rules' flags, patch markers and timer events of a history, in order. */
function steps(events: HistoryEvent[]): string[] {
  return events.flatMap((e) => {
    if (e.type === 'WorkflowTaskCompleted') return ruleFlags(e.sdkFlags).map((f) => `flag ${f}`);
    if (e.type === 'MarkerRecorded') return [`marker ${String(e.details['patchId'])}`];
    return e.type.startsWith('Timer') ? [e.type] : [];
  });
}

describe('non-cancellable scopes and a scope timeout of 0', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({ workflows });
  });
  after(async () => {
    await env.close();
  });

  const replay = async (handle: WorkflowHandle): Promise<HistoryEvent[]> => {
    const { events } = await handle.fetchHistory();
    await Worker.runReplayHistory({ workflowsPath: fixturesPath(workflows) }, { events });
    return events;
  };

  test("cancelling a non-cancellable scope leaves its timer alone, and records the rule's flag", async () => {
    const handle = await env.client.workflow.start(cancelShieldByHand, {
      taskQueue: env.taskQueue,
      workflowId: id('by-hand'),
    });
    assert.equal(await handle.result(), 'slept');
    assert.deepEqual(steps(await replay(handle)), [
      'flag reprise/non-cancellable-scope-shields',
      'TimerStarted',
      'TimerFired',
    ]);
  });

  test("the workflow's cancellation rejects a non-cancellable scope's cancelRequested", async () => {
    const handle = await env.client.workflow.start(shieldHearsWorkflowCancel, {
      taskQueue: env.taskQueue,
      workflowId: id('parent-cancelled'),
    });
    await waitFor(
      async () => (await handle.describe()).pendingTimers.length === 1,
      'the workflow to sleep',
    );
    await handle.cancel();
    assert.equal(await handle.result(), true);
    assert.deepEqual(steps(await replay(handle)), [
      'TimerStarted',
      'flag reprise/non-cancellable-scope-shields',
      'TimerCanceled',
      'TimerStarted',
      'TimerFired',
    ]);
  });

  test('withTimeout(0, fn) starts no timer', async () => {
    const handle = await env.client.workflow.start(zeroTimeout, {
      taskQueue: env.taskQueue,
      workflowId: id('zero-timeout'),
    });
    assert.equal(await handle.result(), 'slept');
    assert.deepEqual(steps(await replay(handle)), [
      'flag reprise/scope-timeout-zero-is-none',
      'TimerStarted',
      'TimerFired',
    ]);
  });
});

describe('a rule taken live, then replayed by a worker that keeps no run cached', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ workflows, maxCachedWorkflows: 0 });
  });
  after(async () => {
    await env.close();
  });

  test('each task replays the rule from the flag on the WorkflowTaskCompleted of the task that took it', async () => {
    const handle = await env.client.workflow.start(shieldHearsWorkflowCancel, {
      taskQueue: env.taskQueue,
      workflowId: 'uncached-parent-cancelled',
    });
    await waitFor(
      async () => (await handle.describe()).pendingTimers.length === 1,
      'the workflow to sleep',
    );
    await handle.cancel();
    // The task after the cancellation's replays it: without the flag it would take the old rule
    // there (the shield hears nothing), complete instead of sleeping, and fail as non-determinism.
    const events = async (): Promise<HistoryEvent[]> => (await handle.fetchHistory()).events;
    await waitFor(async () => {
      const types = (await events()).map((e) => e.type);
      return types.includes('WorkflowExecutionCompleted') || types.includes('WorkflowTaskFailed');
    }, 'the run to complete or a task to fail');
    const history = await events();
    const types = history.map((e) => e.type);
    assert.ok(!types.includes('WorkflowTaskFailed'), types.join(', '));
    assert.ok(!types.includes('MarkerRecorded'), types.join(', '));
    assert.equal(await handle.result(), true);
    assert.deepEqual(steps(history), [
      'TimerStarted',
      'flag reprise/non-cancellable-scope-shields',
      'TimerCanceled',
      'TimerStarted',
      'TimerFired',
    ]);
    await Worker.runReplayHistory({ workflowsPath: fixturesPath(workflows) }, { events: history });
  });
});

describe('histories recorded before these rules', () => {
  const legacy = (name: string): { events: HistoryEvent[] } =>
    JSON.parse(
      readFileSync(
        new URL(`../replay/fixtures/scope-shield-legacy-${name}.history.json`, import.meta.url),
        'utf8',
      ),
    ) as { events: HistoryEvent[] };
  const replay = (history: { events: HistoryEvent[] }): Promise<void> =>
    Worker.runReplayHistory({ workflowsPath: fixturesPath(workflows) }, history);

  test("replay as they ran: a non-cancellable scope's cancel() cancelled its timer", async () => {
    const history = legacy('by-hand');
    assert.deepEqual(steps(history.events), ['TimerStarted', 'TimerCanceled']);
    await replay(history);
  });

  test("replay as they ran: a non-cancellable scope's cancelRequested never heard the workflow's cancellation", async () => {
    const history = legacy('parent-cancelled');
    assert.deepEqual(steps(history.events), ['TimerStarted', 'TimerCanceled']);
    await replay(history);
  });

  test('replay as they ran: a scope timeout of 0 was a 1 ms timer', async () => {
    const history = legacy('zero-timeout');
    assert.deepEqual(steps(history.events), [
      'TimerStarted',
      'TimerStarted',
      'TimerFired',
      'TimerCanceled',
    ]);
    await replay(history);
  });
});
