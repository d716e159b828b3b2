import { test } from 'node:test';
import * as activities from './e2e/fixtures/activities.ts';
import { sequence } from './e2e/fixtures/workflows.ts';
import { startTestEnv } from './helpers/test-env.ts';
test('w1', async () => {
  const env = await startTestEnv({ activities });
  try {
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await env.client.workflow.execute(sequence, { taskQueue: env.taskQueue, workflowId: 'w' + i, args: [300] });
      console.log(i, (performance.now() - t0).toFixed(0), 'ms', JSON.stringify(env.worker.getStatus()));
    }
  } finally { await env.close(); }
});
