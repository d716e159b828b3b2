// A child's workflowIdReusePolicy, as Temporal's: a child id used by a closed run is started
// again by default (ALLOW_DUPLICATE), and a policy that refuses it rejects startChild with
// WorkflowExecutionAlreadyStartedError (history: StartChildWorkflowExecutionFailed).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowIdReusePolicy } from 'reprise/workflow';
import { childEcho, reuseChildId } from './fixtures/child-reuse-workflows.ts';
import { startTestEnv } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe("a child's workflowIdReusePolicy", () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ workflows: 'child-reuse-workflows.ts' });
  });
  after(async () => {
    await env.close();
  });

  const parent = (workflowId: string, childId: string, policy?: WorkflowIdReusePolicy) =>
    env.client.workflow.execute(reuseChildId, {
      workflowId,
      taskQueue: env.taskQueue,
      args: policy === undefined ? [childId, workflowId] : [childId, workflowId, policy],
    });

  test('a closed child id runs again by default, and REJECT_DUPLICATE refuses it', async () => {
    await env.client.workflow.execute(childEcho, {
      workflowId: 'reuse-child',
      taskQueue: env.taskQueue,
      args: ['first'],
    });
    assert.equal(await parent('reuse-default', 'reuse-child'), 'reuse-default');
    assert.equal(
      await parent('reuse-reject', 'reuse-child', WorkflowIdReusePolicy.REJECT_DUPLICATE),
      'refused (reuse-child)',
    );
    const { events } = await env.client.workflow.getHandle('reuse-reject').fetchHistory();
    const failed = events.find((e) => e.type === 'StartChildWorkflowExecutionFailed');
    assert.ok(failed?.type === 'StartChildWorkflowExecutionFailed');
    assert.equal(failed.cause, 'WorkflowAlreadyStarted');
    const initiated = events.find((e) => e.type === 'StartChildWorkflowExecutionInitiated');
    assert.ok(initiated?.type === 'StartChildWorkflowExecutionInitiated');
    assert.equal(initiated.workflowIdReusePolicy, 'REJECT_DUPLICATE');
    // Two runs of the child id: the client's and the default policy's; none for the refusal.
    const runs = await env.client.workflow.count(`WorkflowId = 'reuse-child'`);
    assert.equal(runs.count, 2);
  });

  test('ALLOW_DUPLICATE_FAILED_ONLY refuses an id whose last run completed', async () => {
    await env.client.workflow.execute(childEcho, {
      workflowId: 'reuse-failed-only',
      taskQueue: env.taskQueue,
      args: ['first'],
    });
    assert.equal(
      await parent(
        'reuse-failed-only-parent',
        'reuse-failed-only',
        WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      ),
      'refused (reuse-failed-only)',
    );
  });
});
