import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as activities from './fixtures/activities.ts';
import { sequence } from './fixtures/workflows.ts';
import { startTestEnv } from '../helpers/test-env.ts';

describe('sticky cache', () => {
  test('a cached workflow takes each new event without a replay', async () => {
    const env = await startTestEnv({ activities });
    try {
      const result = await env.client.workflow.execute(sequence, {
        taskQueue: env.taskQueue,
        workflowId: 'cached',
        args: [10],
      });
      assert.equal(result, 10);
      const status = env.worker.getStatus();
      assert.equal(status.workflowTasksReplayed, 1, 'only the first task builds the run');
      assert.equal(
        status.workflowTasksFromCache,
        10,
        'each activity result is one cached activation',
      );
      assert.equal(status.numCachedWorkflows, 0, 'a closed run leaves the cache');
    } finally {
      await env.close();
    }
  });

  test('with no cache every task replays the history, with the same result', async () => {
    const env = await startTestEnv({ activities, maxCachedWorkflows: 0 });
    try {
      const result = await env.client.workflow.execute(sequence, {
        taskQueue: env.taskQueue,
        workflowId: 'uncached',
        args: [4],
      });
      assert.equal(result, 4);
      const status = env.worker.getStatus();
      assert.equal(status.workflowTasksReplayed, 5);
      assert.equal(status.workflowTasksFromCache, 0);
    } finally {
      await env.close();
    }
  });
});
