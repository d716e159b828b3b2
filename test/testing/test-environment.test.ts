import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CancelledFailure,
  Context,
  activityInfo,
  cancellationSignal,
  heartbeat,
} from 'reprise/activity';
import { MockActivityEnvironment, TestWorkflowEnvironment } from 'reprise/testing';
import { Worker } from 'reprise/worker';
import * as activities from '../e2e/fixtures/activities.ts';
import { sleeper, approvalWithDeadline } from '../e2e/fixtures/workflows.ts';

const workflowsPath = new URL('../e2e/fixtures/workflows.ts', import.meta.url).pathname;

describe('TestWorkflowEnvironment', () => {
  test('a workflow that sleeps 30 days finishes at once on a time-skipping environment', async () => {
    const env = await TestWorkflowEnvironment.createTimeSkipping();
    try {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue: 'ts',
        workflowsPath,
        activities,
      });
      const startedAt = env.currentTimeMs();
      const realStart = Date.now();
      const result = await worker.runUntil(
        env.client.workflow.execute(sleeper, {
          taskQueue: 'ts',
          workflowId: 'thirty-days',
          args: [30 * 24 * 3600 * 1000],
        }),
      );
      assert.equal(result, 'awake');
      assert.ok(
        env.currentTimeMs() - startedAt >= 30 * 24 * 3600 * 1000,
        'virtual time moved 30 days',
      );
      assert.ok(Date.now() - realStart < 30_000, 'real time did not');
    } finally {
      await env.teardown();
    }
  });

  test('env.sleep moves virtual time so a deadline passes', async () => {
    const env = await TestWorkflowEnvironment.createTimeSkipping();
    try {
      const worker = await Worker.create({
        connection: env.connection,
        taskQueue: 'ts2',
        workflowsPath,
      });
      await worker.runUntil(async () => {
        const handle = await env.client.workflow.start(approvalWithDeadline, {
          taskQueue: 'ts2',
          workflowId: 'deadline',
          args: [3 * 24 * 3600 * 1000],
        });
        await env.sleep('3 days');
        assert.equal(await handle.result(), 'timed out');
      });
    } finally {
      await env.teardown();
    }
  });

  test('createLocal runs on real time', async () => {
    const env = await TestWorkflowEnvironment.createLocal();
    try {
      assert.equal(env.supportsTimeSkipping, false);
      const worker = await Worker.create({
        connection: env.connection,
        taskQueue: 'local',
        workflowsPath,
        activities,
      });
      const result = await worker.runUntil(
        env.client.workflow.execute('greet', { taskQueue: 'local', workflowId: 'g', args: ['Bo'] }),
      );
      assert.equal(result, 'Hello, Bo!');
    } finally {
      await env.teardown();
    }
  });
});

describe('MockActivityEnvironment', () => {
  test('runs an activity with its info and collects heartbeats', async () => {
    const env = new MockActivityEnvironment({ attempt: 3 });
    const result = await env.run(async (x: number) => {
      heartbeat({ progress: x });
      return Promise.resolve(activityInfo().attempt * x);
    }, 2);
    assert.equal(result, 6);
    assert.deepEqual(env.heartbeats, [{ progress: 2 }]);
  });

  test('cancel() aborts the activity cancellation signal', async () => {
    const env = new MockActivityEnvironment();
    const running = env.run(
      () =>
        new Promise<string>((resolve) => {
          cancellationSignal().addEventListener('abort', () => {
            resolve('aborted');
          });
        }),
    );
    env.cancel();
    assert.equal(await running, 'aborted');
  });

  test('an activity that first looks after its cancellation sees it: signal aborted, cancelled rejected', async () => {
    const env = new MockActivityEnvironment();
    env.cancel('stop now');
    const seen = await env.run(async () => {
      const ctx = Context.current();
      const rejection = await ctx.cancelled.then(
        () => 'resolved',
        (e: unknown) => e,
      );
      return { aborted: ctx.cancellationSignal.aborted, rejection };
    });
    assert.equal(seen.aborted, true);
    assert.ok(
      seen.rejection instanceof CancelledFailure,
      'cancelled rejects with a CancelledFailure',
    );
    assert.equal(seen.rejection.message, 'stop now');
  });
});
