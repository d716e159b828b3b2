// The tests of docs/testing.md, on the workflow and activities beside this file, and the
// example's main.ts, which runs the same flow.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MockActivityEnvironment, TestWorkflowEnvironment } from 'reprise/testing';
import { Worker } from 'reprise/worker';
import * as activities from './activities.ts';
import { run } from './main.ts';
import { monthlyReport } from './workflows.ts';

test('the report is sent after thirty days', async () => {
  const env = await TestWorkflowEnvironment.createTimeSkipping();
  try {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'test',
      workflowsPath: new URL('./workflows.ts', import.meta.url).pathname,
      activities,
    });
    const startedAt = env.currentTimeMs();
    const result = await worker.runUntil(
      env.client.workflow.execute(monthlyReport, { taskQueue: 'test', workflowId: 'report-1' }),
    );
    assert.equal(result, 'sent');
    assert.ok(env.currentTimeMs() - startedAt >= 30 * 86_400_000, 'thirty virtual days passed');
  } finally {
    await env.teardown();
  }
});

test('uploadFile heartbeats, and sees its attempt and its cancellation, without an engine', async () => {
  const env = new MockActivityEnvironment({ attempt: 2 });
  const result = await env.run(activities.uploadFile, 'report.pdf');
  assert.equal(result, 'uploaded report.pdf on attempt 2');
  assert.deepEqual(env.heartbeats, [{ offset: 0 }]);
  env.cancel(); // aborts the activity's cancellationSignal()
  assert.equal(await env.run(activities.uploadFile, 'late.pdf'), 'cancelled late.pdf');
});

test('the testing example runs', async () => {
  assert.deepEqual(await run(), {
    result: 'sent',
    days: 30,
    upload: { result: 'uploaded report.pdf on attempt 2', heartbeats: [{ offset: 0 }] },
  });
});
