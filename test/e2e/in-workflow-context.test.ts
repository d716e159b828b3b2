// `inWorkflowContext()` (Temporal's): true in workflow code running in the worker's sandbox, false
// in every other code that imports `reprise/workflow` (this test, an activity).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inWorkflowContext } from 'reprise/workflow';
import * as activities from './fixtures/in-workflow-context-activities.ts';
import { askedInQuery, whereInContext } from './fixtures/in-workflow-context-workflows.ts';
import { startTestEnv } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('inWorkflowContext', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ workflows: 'in-workflow-context-workflows.ts', activities });
  });
  after(async () => {
    await env.close();
  });

  test('is false in a plain Node process that imports reprise/workflow', () => {
    assert.equal(inWorkflowContext(), false);
  });

  test('is true in the workflows module, the workflow and its query handler; false in an activity', async () => {
    const handle = await env.client.workflow.start(whereInContext, {
      workflowId: 'wf-in-workflow-context',
      taskQueue: env.taskQueue,
    });
    assert.deepEqual(await handle.result(), {
      atModuleLoad: true,
      inWorkflow: true,
      inActivity: false,
    });
    assert.equal(await handle.query(askedInQuery), true);
  });
});
