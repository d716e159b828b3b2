// The built-in __temporal_workflow_metadata query, as Temporal's: the workflow type, its query,
// signal and update handlers with their descriptions, and what setCurrentDetails last set, which
// a run rebuilt by replay sets again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WorkflowMetadata } from 'reprise/client';
import { approve, awaitingApproval, status } from './fixtures/metadata-workflows.ts';
import { startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('__temporal_workflow_metadata', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ workflows: 'metadata-workflows.ts', maxCachedWorkflows: 0 });
  });
  after(async () => {
    await env.close();
  });

  test('lists the handlers with their descriptions, and the current details', async () => {
    const handle = await env.client.workflow.start(awaitingApproval, {
      workflowId: 'metadata',
      taskQueue: env.taskQueue,
    });
    const metadata = await handle.query<WorkflowMetadata>('__temporal_workflow_metadata');
    assert.deepEqual(metadata.definition, {
      type: 'awaitingApproval',
      queryDefinitions: [
        {
          name: '__stack_trace',
          description: "Returns where each of the workflow's pending operations waits.",
        },
        {
          name: '__temporal_workflow_metadata',
          description: 'Returns metadata associated with this workflow.',
        },
        { name: 'status', description: 'What the claim waits for.' },
      ],
      signalDefinitions: [
        { name: 'approve', description: 'Approves the claim.' },
        { name: 'poke' },
      ],
      updateDefinitions: [{ name: 'rename' }],
    });
    assert.equal(metadata.currentDetails, 'waiting for an approver of claim');
    await handle.signal(approve, 'ann');
    // No run is cached (maxCachedWorkflows 0): each query replays the history, and the details
    // are what the code set again.
    await waitFor(
      async () => (await handle.query(status)) === 'approved by ann',
      'the details to say who approved',
    );
    const after = await handle.query<WorkflowMetadata>('__temporal_workflow_metadata');
    assert.equal(after.currentDetails, 'approved by ann');
    await handle.terminate();
  });

  test('an unknown query lists the built-in ones among the registered', async () => {
    const handle = await env.client.workflow.start(awaitingApproval, {
      workflowId: 'metadata-unknown',
      taskQueue: env.taskQueue,
    });
    await assert.rejects(
      handle.query('nope'),
      /Registered queries: \[__stack_trace, __temporal_workflow_metadata, status\]/,
    );
    await handle.terminate();
  });
});
