// DESIGN contract 5: replay is checked. A run started by version 1 of a workflow and resumed by an
// incompatible version 2 fails its *workflow task* with NonDeterminism (shown with what
// differed, retried), never the workflow; once version 1 serves the queue again, the run completes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as activities from './fixtures/contract-activities.ts';
import { attemptsOf } from './fixtures/contract-activities.ts';
import { contractFixture } from './fixtures/paths.ts';
import { checkout, go } from './fixtures/versioned-v1.ts';
import { startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('contract 5: replay is checked', () => {
  let env: TestEnv;

  before(async () => {
    env = await startTestEnv({
      workflows: '../../contract/fixtures/versioned-v1.ts',
      activities,
    });
  });
  after(async () => {
    await env.close();
  });

  test('changed workflow code fails the workflow task with NonDeterminism, never the workflow, and old code finishes the run', async () => {
    const handle = await env.client.workflow.start(checkout, {
      taskQueue: env.taskQueue,
      workflowId: 'checkout-1',
      args: ['order-1'],
    });
    // Version 1 charged and now waits for `go`.
    await waitFor(async () => {
      const events = (await handle.fetchHistory()).events;
      return (
        events.some((e) => e.type === 'ActivityTaskCompleted') &&
        events.at(-1)?.type === 'WorkflowTaskCompleted'
      );
    }, 'version 1 to wait for go');
    await env.worker.shutdown();

    const v2 = await env.startWorker({ workflowsPath: contractFixture('versioned-v2.ts') });
    await handle.signal(go);
    await waitFor(
      async () => (await handle.describe()).lastWorkflowTaskFailure !== undefined,
      'the workflow task to fail',
    );
    const d = await handle.describe();
    assert.equal(d.status, 'Running');
    const failure = d.lastWorkflowTaskFailure;
    assert.equal(failure?.cause, 'NonDeterminism');
    assert.match(failure.failure.message, /ActivityTaskScheduled/);
    assert.match(failure.failure.message, /'charge'/);
    assert.match(failure.failure.message, /StartTimer/);

    const events = (await handle.fetchHistory()).events;
    const failedTasks = events.filter((e) => e.type === 'WorkflowTaskFailed');
    assert.ok(failedTasks.length >= 1);
    for (const e of failedTasks) assert.equal(e.cause, 'NonDeterminism');
    assert.ok(!events.some((e) => e.type === 'WorkflowExecutionFailed'));
    assert.ok(!events.some((e) => e.type === 'TimerStarted'), "version 2's timer was not recorded");

    await v2.stop();
    await env.startWorker({ workflowsPath: contractFixture('versioned-v1.ts') });
    assert.equal(await handle.result(), 'v1: receipt-order-1');
    assert.equal(attemptsOf('order-1').length, 1, 'the charge ran once');
    assert.equal((await handle.describe()).lastWorkflowTaskFailure, undefined);
  });
});
