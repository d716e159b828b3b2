import assert from 'node:assert/strict';
// First: it takes the test runner's listeners before any sandbox adds its own.
import { hideSandboxRejectionsFromTestRunner } from '../helpers/sandbox-rejections.ts';
import { after, before, describe, test } from 'node:test';
import {
  finish,
  observed,
  rejectsInUpdate,
  leaveRejected,
  release,
  updateInfoWorkflow,
  whoAmI,
} from './fixtures/update-info-workflows.ts';
import { startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('currentUpdateInfo()', () => {
  hideSandboxRejectionsFromTestRunner();
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ workflows: 'update-info-workflows.ts', maxCachedWorkflows: 0 });
  });
  after(async () => {
    await env.close();
  });

  test('names the update a validator or handler runs for, through its awaits and scopes, and nothing elsewhere', async () => {
    const handle = await env.client.workflow.start(updateInfoWorkflow, {
      taskQueue: env.taskQueue,
      workflowId: 'update-info',
    });
    const first = await handle.startUpdate(whoAmI, {
      args: ['first'],
      updateId: 'first',
      waitForStage: 'ACCEPTED',
    });
    const second = await handle.startUpdate(whoAmI, {
      args: ['second'],
      updateId: 'second',
      waitForStage: 'ACCEPTED',
    });
    await handle.signal(release);
    for (const [u, id] of [
      [first, 'first'],
      [second, 'second'],
    ] as const) {
      const info = { id, name: 'whoAmI' };
      assert.deepEqual(await u.result(), { atStart: info, afterAwait: info, inScope: info });
    }
    assert.equal(
      await handle.executeUpdate('other', { args: [], updateId: 'third' }),
      'other: other',
    );
    // Rebuilt from history for the query (no cache): the same on replay.
    assert.deepEqual(await handle.query(observed), [null, null]);
    await handle.signal(finish);
    assert.equal(await handle.result(), 'done');
  });

  test("a rejection an update handler leaves unhandled is still its run's: the task fails", async () => {
    const handle = await env.client.workflow.start(rejectsInUpdate, {
      taskQueue: env.taskQueue,
      workflowId: 'rejects-in-update',
    });
    const update = handle.executeUpdate(leaveRejected, { updateId: 'u' });
    await waitFor(
      async () => (await handle.describe()).lastWorkflowTaskFailure !== undefined,
      'the workflow task to fail',
    );
    const failure = (await handle.describe()).lastWorkflowTaskFailure;
    assert.equal(
      failure?.failure.message,
      'Unhandled Promise rejection: Error: left by an update handler',
    );
    await handle.terminate('done');
    await assert.rejects(update);
  });
});
