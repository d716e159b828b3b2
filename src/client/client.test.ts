// client.workflow.start's options as Temporal's client takes them, against a real engine on
// SQLite and a worker.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  InvalidArgumentError,
  TimeoutFailure,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from './index.ts';
import { sleeper, waitForApproval } from '../../test/e2e/fixtures/workflows.ts';
import { startTestEnv } from '../../test/helpers/test-env.ts';
import type { TestEnv } from '../../test/helpers/test-env.ts';

describe('client.workflow.start options', () => {
  let env: TestEnv;

  before(async () => {
    env = await startTestEnv();
  });
  after(async () => {
    await env.close();
  });

  test('a workflow timeout of 0 is no timeout (the task timeout: the default), as in Temporal', async () => {
    const handle = await env.client.workflow.start(sleeper, {
      taskQueue: env.taskQueue,
      workflowId: 'zero-timeouts',
      args: [1],
      workflowExecutionTimeout: 0,
      workflowRunTimeout: '0s',
      workflowTaskTimeout: 0,
    });
    assert.equal(await handle.result(), 'awake');
    const started = (await handle.fetchHistory()).events[0];
    assert.ok(started?.type === 'WorkflowExecutionStarted');
    assert.equal(started.workflowExecutionTimeoutMs, undefined);
    assert.equal(started.workflowRunTimeoutMs, undefined);
    assert.equal(started.workflowExecutionExpirationTimeMs, undefined);
    assert.equal(started.workflowTaskTimeoutMs, 10_000);
  });

  test('the execution timeout counts from the start, start delay included, as in Temporal', async () => {
    const handle = await env.client.workflow.start(sleeper, {
      taskQueue: env.taskQueue,
      workflowId: 'delayed-past-its-deadline',
      args: [1],
      startDelay: '1 hour',
      workflowExecutionTimeout: 100,
    });
    const started = (await handle.fetchHistory()).events[0];
    assert.ok(started?.type === 'WorkflowExecutionStarted');
    assert.equal(started.workflowExecutionExpirationTimeMs, started.timeMs + 100);
    // It times out before its first workflow task is due: its code never runs.
    const err = await handle.result().then(
      () => assert.fail('expected a timeout'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof TimeoutFailure);
    assert.equal(err.retryState, 'Timeout');
    const { events } = await handle.fetchHistory();
    assert.deepEqual(
      events.map((e) => e.type),
      ['WorkflowExecutionStarted', 'WorkflowExecutionTimedOut'],
    );
  });

  test("the run timeout is at most the execution timeout, the task timeout at most the run's", async () => {
    const startedOf = async (workflowId: string, options: object) => {
      const handle = await env.client.workflow.start(sleeper, {
        taskQueue: env.taskQueue,
        workflowId,
        args: [1],
        ...options,
      });
      await handle.result();
      const started = (await handle.fetchHistory()).events[0];
      assert.ok(started?.type === 'WorkflowExecutionStarted');
      return started;
    };
    // As Temporal's server records them (workflowInfo() reads them).
    const executionOnly = await startedOf('execution-timeout-only', {
      workflowExecutionTimeout: '1 minute',
    });
    assert.equal(executionOnly.workflowRunTimeoutMs, 60_000);
    assert.equal(executionOnly.workflowTaskTimeoutMs, 10_000);
    const longerRun = await startedOf('run-longer-than-execution', {
      workflowExecutionTimeout: '1 minute',
      workflowRunTimeout: '1 hour',
    });
    assert.equal(longerRun.workflowRunTimeoutMs, 60_000);
    const shortRun = await startedOf('run-shorter-than-task', { workflowRunTimeout: '5s' });
    assert.equal(shortRun.workflowExecutionTimeoutMs, undefined);
    assert.equal(shortRun.workflowRunTimeoutMs, 5000);
    assert.equal(shortRun.workflowTaskTimeoutMs, 5000);
  });

  test('getHandle takes firstExecutionRunId as Temporal does: the chain cancel() acts within', async () => {
    const workflowId = 'handle-of-a-chain';
    const first = await env.client.workflow.start(waitForApproval, {
      taskQueue: env.taskQueue,
      workflowId,
    });
    const firstRunId = first.firstExecutionRunId;
    // A run id alone names a run, not the first of a chain.
    assert.equal(
      env.client.workflow.getHandle(workflowId, firstRunId).firstExecutionRunId,
      undefined,
    );
    const ofChain = env.client.workflow.getHandle(workflowId, undefined, {
      firstExecutionRunId: firstRunId,
    });
    assert.equal(ofChain.runId, undefined);
    assert.equal(ofChain.firstExecutionRunId, firstRunId);
    await first.terminate('replaced');
    const second = await env.client.workflow.start(waitForApproval, {
      taskQueue: env.taskQueue,
      workflowId,
    });
    // The id's latest run is another chain's: the handle refuses to cancel it.
    await assert.rejects(ofChain.cancel(), WorkflowNotFoundError);
    assert.equal((await second.describe()).status, 'Running');
    await second.terminate();
  });

  test('an argument JSON cannot hold is refused at start, and nothing starts', async () => {
    const workflowId = 'function-as-argument';
    await assert.rejects(
      env.client.workflow.start(sleeper, {
        taskQueue: env.taskQueue,
        workflowId,
        args: [(() => 1) as unknown as number],
      }),
      (e: unknown) => e instanceof InvalidArgumentError && /a function/.test(e.message),
    );
    await assert.rejects(
      env.client.workflow.getHandle(workflowId).describe(),
      WorkflowNotFoundError,
    );
  });
});
