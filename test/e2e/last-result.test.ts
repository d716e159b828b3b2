// workflowInfo().lastResult: the result of the last run a schedule started that completed is
// handed to the next run it starts (Temporal's lastCompletionResult), and recorded in history.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from 'reprise/client';
import type { ScheduleHandle, ScheduleOverlapPolicy } from 'reprise/client';
import { Worker } from 'reprise/worker';
import { countingJob, failingCountingJob } from './fixtures/last-result-workflows.ts';
import { fixturesPath, startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const TEN_YEARS = 10 * 365 * 24 * 60 * 60 * 1000;

describe('workflowInfo().lastResult', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ workflows: 'last-result-workflows.ts' });
  });
  after(async () => {
    await env.close();
  });

  /** A paused schedule (triggers still run) whose spec never comes due during the test. */
  const create = (scheduleId: string): Promise<ScheduleHandle> =>
    env.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: TEN_YEARS }] },
      state: { paused: true },
      action: {
        type: 'startWorkflow',
        workflowType: countingJob,
        taskQueue: env.taskQueue,
        args: [],
        workflowId: scheduleId,
      },
    });

  /**
   * Triggers one action (under SKIP: a run started under ALLOW_ALL, trigger()'s default, neither
   * gets nor sets lastResult) and returns the handle of the run it started, once it has closed.
   */
  const triggerAndWait = async (
    h: ScheduleHandle,
    count: number,
    overlap: ScheduleOverlapPolicy = 'SKIP',
  ) => {
    await h.trigger(overlap);
    await waitFor(
      async () => (await h.describe()).info.numActionsTaken >= count,
      `${h.scheduleId} to take ${count} action(s)`,
    );
    const action = (await h.describe()).info.recentActions.at(-1)!.action.workflow;
    const handle = env.client.workflow.getHandle(action.workflowId, action.firstExecutionRunId);
    await handle.result().catch(() => undefined);
    return handle;
  };

  const setType = (h: ScheduleHandle, workflowType: string): Promise<void> =>
    h.update((d) => ({ ...d, action: { ...d.action, workflowType } }));

  test('each run a schedule starts sees the result of the last run that completed', async () => {
    const h = await create('last-result-chain');
    assert.equal(await (await triggerAndWait(h, 1)).result(), 1);
    assert.equal(await (await triggerAndWait(h, 2)).result(), 2);
    assert.equal(await (await triggerAndWait(h, 3)).result(), 3);
  });

  test('a failed run leaves lastResult as the last completed run set it', async () => {
    const h = await create('last-result-failure');
    assert.equal(await (await triggerAndWait(h, 1)).result(), 1);
    await setType(h, failingCountingJob.name);
    const failed = await triggerAndWait(h, 2);
    await assert.rejects(failed.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.equal((e.cause as Error | undefined)?.message, 'failed after 1');
      return true;
    });
    await setType(h, countingJob.name);
    assert.equal(await (await triggerAndWait(h, 3)).result(), 2);
  });

  test('a run started under ALLOW_ALL neither gets lastResult nor sets it', async () => {
    const h = await create('last-result-allow-all');
    assert.equal(await (await triggerAndWait(h, 1)).result(), 1);
    // No previous run to speak of when runs may overlap (Temporal's): it counts from nothing.
    assert.equal(await (await triggerAndWait(h, 2, 'ALLOW_ALL')).result(), 1);
    assert.equal(await (await triggerAndWait(h, 3, 'ALLOW_ALL')).result(), 1);
    // The last run that was not ALLOW_ALL returned 1.
    assert.equal(await (await triggerAndWait(h, 4)).result(), 2);
  });

  test('lastResult is recorded in the started event, so replay sees the same value', async () => {
    const h = await create('last-result-replay');
    await triggerAndWait(h, 1);
    const second = await triggerAndWait(h, 2);
    assert.equal(await second.result(), 2);
    const history = await second.fetchHistory();
    const started = history.events.find((e) => e.type === 'WorkflowExecutionStarted');
    assert.equal(started?.lastCompletionResult, 1);
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath('last-result-workflows.ts') },
      history,
    );
  });

  test('a workflow started by a client has no lastResult', async () => {
    const result = await env.client.workflow.execute(countingJob, {
      workflowId: 'last-result-client',
      taskQueue: env.taskQueue,
    });
    assert.equal(result, 1);
  });
});
