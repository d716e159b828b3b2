// workflowInfo().currentBuildId, as Temporal's: the buildId of the worker that runs the current
// workflow task, and on replay of the worker that ran it (its WorkflowTaskCompleted), so the
// value a task saw is the same when another build replays it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildIdsSeen, proceed } from './fixtures/build-id-workflows.ts';
import { startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('workflowInfo().currentBuildId', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ workflows: 'build-id-workflows.ts', worker: { buildId: 'b1' } });
  });
  after(async () => {
    await env.close();
  });

  test('each task sees the build that ran it, also when a later build replays it', async () => {
    const handle = await env.client.workflow.start(buildIdsSeen, {
      workflowId: 'build-ids',
      taskQueue: env.taskQueue,
    });
    await waitFor(
      async () =>
        (await handle.fetchHistory()).events.some((e) => e.type === 'WorkflowTaskCompleted'),
      'the first workflow task to complete on b1',
    );
    await env.stopWorkers();
    // A new worker of another build replays the first task and runs the second live.
    await env.startWorker({ buildId: 'b2' });
    await handle.signal(proceed);
    assert.deepEqual(await handle.result(), ['b1', 'b2']);
  });

  test('a worker without a buildId gives undefined', async () => {
    await env.stopWorkers();
    await env.startWorker({ buildId: undefined });
    const handle = await env.client.workflow.start(buildIdsSeen, {
      workflowId: 'build-ids-none',
      taskQueue: env.taskQueue,
    });
    await handle.signal(proceed);
    assert.deepEqual(await handle.result(), ['none', 'none']);
  });
});
