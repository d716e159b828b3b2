// workflowInfo().root and .retryPolicy, and activityInfo().retryPolicy, as in Temporal: a child's
// root is the top of its chain of parents (undefined for a run without a parent) and carries
// across continue-as-new; retry policies show as the engine applies them, durations in ms.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { activityInfo } from 'reprise/activity';
import { startTestEnv } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';
import {
  activityRetryPolicies,
  lineageTree,
  ownRetryPolicy,
} from './fixtures/lineage-workflows.ts';

describe('workflowInfo().root and retry policies', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({
      workflows: 'lineage-workflows.ts',
      activities: { retryPolicyOf: () => Promise.resolve(activityInfo().retryPolicy) },
    });
  });
  after(async () => {
    await env.close();
  });

  test('a run without a parent has no root; its children and grandchildren have it as root', async () => {
    const [top, child, grandchild] = await env.client.workflow.execute(lineageTree, {
      args: [2],
      workflowId: 'lineage-top',
      taskQueue: env.taskQueue,
    });
    assert.equal(top!.root, undefined);
    assert.deepEqual(child!.root, { workflowId: 'lineage-top', runId: top!.runId });
    assert.equal(grandchild!.workflowId, 'lineage-top-child-child');
    assert.deepEqual(grandchild!.root, { workflowId: 'lineage-top', runId: top!.runId });
  });

  test('a child that continues as new keeps its root', async () => {
    const handle = await env.client.workflow.start(lineageTree, {
      args: [2, 1],
      workflowId: 'lineage-can',
      taskQueue: env.taskQueue,
    });
    const [top, child, grandchild] = await handle.result();
    // The child's report comes from the run it continued as new.
    const { runId, events } = await env.client.workflow
      .getHandle('lineage-can-child')
      .fetchHistory();
    const started = events.find((e) => e.type === 'WorkflowExecutionStarted');
    assert.ok(started?.type === 'WorkflowExecutionStarted');
    assert.ok(started.continuedExecutionRunId !== undefined);
    assert.equal(child!.runId, runId);
    assert.deepEqual(child!.root, { workflowId: 'lineage-can', runId: top!.runId });
    assert.deepEqual(grandchild!.root, { workflowId: 'lineage-can', runId: top!.runId });
  });

  test('a child sees the retry policy it was started with, defaults filled in', async () => {
    const [top, child] = await env.client.workflow.execute(lineageTree, {
      args: [1],
      workflowId: 'lineage-retry',
      taskQueue: env.taskQueue,
    });
    assert.equal(top!.retryPolicy, undefined);
    assert.deepEqual(child!.retryPolicy, {
      initialInterval: 3000,
      backoffCoefficient: 2,
      maximumInterval: 300_000,
      maximumAttempts: 4,
      nonRetryableErrorTypes: ['Fatal'],
    });
  });

  test("a client start's retry policy shows in workflowInfo()", async () => {
    const policy = await env.client.workflow.execute(ownRetryPolicy, {
      workflowId: 'lineage-client-retry',
      taskQueue: env.taskQueue,
      retry: { maximumAttempts: 2, maximumInterval: '1 minute' },
    });
    assert.deepEqual(policy, {
      initialInterval: 1000,
      backoffCoefficient: 2,
      maximumInterval: 60_000,
      maximumAttempts: 2,
      nonRetryableErrorTypes: [],
    });
  });

  test('activities and local activities see their retry policies in activityInfo()', async () => {
    const [remote, local] = await env.client.workflow.execute(activityRetryPolicies, {
      workflowId: 'lineage-activities',
      taskQueue: env.taskQueue,
    });
    assert.deepEqual(remote, {
      initialInterval: 2000,
      backoffCoefficient: 3,
      maximumInterval: 200_000,
      maximumAttempts: 5,
      nonRetryableErrorTypes: [],
    });
    assert.deepEqual(local, {
      initialInterval: 1000,
      backoffCoefficient: 2,
      maximumInterval: 7000,
      maximumAttempts: 0,
      nonRetryableErrorTypes: [],
    });
  });
});
