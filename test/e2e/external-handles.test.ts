import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'reprise/worker';
import {
  cancelMissing,
  cancelOther,
  collectOne,
  signalMissing,
  signalOther,
  waitForever,
} from './fixtures/advanced-workflows.ts';
import { fixturesPath, startTestEnv } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const workflows = 'advanced-workflows.ts';

describe('external workflow handles', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({ workflows });
  });
  after(async () => {
    await env.close();
  });

  test('an external signal reaches the other workflow', async () => {
    const target = await env.client.workflow.start(collectOne, {
      taskQueue: env.taskQueue,
      workflowId: id('target'),
    });
    const sent = await env.client.workflow.execute(signalOther, {
      taskQueue: env.taskQueue,
      workflowId: id('sender'),
      args: [target.workflowId, 'hello'],
    });
    assert.equal(sent, 'sent');
    assert.deepEqual(await target.result(), ['hello']);
  });

  test('signalling a workflow that does not exist fails in the caller', async () => {
    const result = await env.client.workflow.execute(signalMissing, {
      taskQueue: env.taskQueue,
      workflowId: id('lonely'),
      args: [id('nobody')],
    });
    assert.equal(result['failed'], true);
    assert.equal(result['type'], 'ExternalWorkflowExecutionNotFound');
  });

  test('an external cancel request cancels the other workflow', async () => {
    const target = await env.client.workflow.start(waitForever, {
      taskQueue: env.taskQueue,
      workflowId: id('victim'),
    });
    const result = await env.client.workflow.execute(cancelOther, {
      taskQueue: env.taskQueue,
      workflowId: id('canceller'),
      args: [target.workflowId],
    });
    assert.equal(result, 'cancel requested');
    await assert.rejects(target.result());
    assert.equal((await target.describe()).status, 'Canceled');
  });

  test('cancelling a workflow that does not exist fails in the caller', async () => {
    const result = await env.client.workflow.execute(cancelMissing, {
      taskQueue: env.taskQueue,
      workflowId: id('cancel-nobody'),
      args: [id('nobody')],
    });
    assert.equal(result, 'failed: ExternalWorkflowExecutionNotFound');
  });

  test('a history with an external signal replays deterministically', async () => {
    const target = await env.client.workflow.start(collectOne, {
      taskQueue: env.taskQueue,
      workflowId: id('replay-target'),
    });
    const sender = await env.client.workflow.start(signalOther, {
      taskQueue: env.taskQueue,
      workflowId: id('replay-sender'),
      args: [target.workflowId, 'x'],
    });
    await sender.result();
    await target.result();
    const types = (await sender.fetchHistory()).events.map((e) => e.type);
    assert.ok(types.includes('SignalExternalWorkflowExecutionInitiated'));
    assert.ok(types.includes('ExternalWorkflowExecutionSignaled'));
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath(workflows) },
      await sender.fetchHistory(),
    );
  });
});
