import assert from 'node:assert/strict';
// First: it takes the test runner's listeners before any sandbox adds its own.
import { hideSandboxRejectionsFromTestRunner } from '../helpers/sandbox-rejections.ts';
import { after, before, describe, test } from 'node:test';
import * as activities from './fixtures/activities.ts';
import { awaitsAtOnce, awaitsTooLate } from './fixtures/rejection-workflows.ts';
import { recordingLogger, startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('a promise rejection workflow code leaves unhandled', () => {
  let env: TestEnv;
  const { logger, warnings } = recordingLogger();
  before(async () => {
    env = await startTestEnv({
      activities,
      workflows: 'rejection-workflows.ts',
      worker: { logger },
    });
  });
  after(async () => {
    await env.close();
  });
  // After env.close in hook order: a task the worker runs as it shuts down may leave a rejection
  // too.
  hideSandboxRejectionsFromTestRunner();

  test('fails the workflow task with UnhandledRejectionError, and the engine retries it', async () => {
    const late = await env.client.workflow.start(awaitsTooLate, {
      taskQueue: env.taskQueue,
      workflowId: 'too-late',
    });
    const atOnce = await env.client.workflow.start(awaitsAtOnce, {
      taskQueue: env.taskQueue,
      workflowId: 'at-once',
    });
    await waitFor(
      async () =>
        (await late.fetchHistory()).events.filter((e) => e.type === 'WorkflowTaskFailed').length >=
        2,
      'the task to fail, and its retry too',
    );
    const failure = (await late.describe()).lastWorkflowTaskFailure;
    assert.equal(failure?.cause, 'WorkflowError');
    assert.equal(
      failure.failure.message,
      'Unhandled Promise rejection: ActivityFailure: Activity task failed',
    );
    assert.ok(failure.failure.info.type === 'application');
    assert.equal(failure.failure.info.errorType, 'UnhandledRejectionError');
    assert.equal(await atOnce.result(), 'caught', 'the other run of the worker is not failed');
    assert.equal((await atOnce.describe()).lastWorkflowTaskFailure, undefined);
    assert.ok(warnings.includes('workflow task failed; the engine retries it'));
  });
});
