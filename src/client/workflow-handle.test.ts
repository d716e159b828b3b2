// handle.result() as Temporal's client reports a run that did not complete: the error, its
// cause, and retryState, for a real engine on SQLite and a worker.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowFailedError,
} from './index.ts';
import { cancellable, sleeper } from '../../test/e2e/fixtures/workflows.ts';
import { startTestEnv, waitFor } from '../../test/helpers/test-env.ts';
import type { TestEnv } from '../../test/helpers/test-env.ts';

describe('handle.result() of a run that did not complete', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv();
  });
  after(async () => {
    await env.close();
  });

  test('a cancelled run: WorkflowFailedError, CancelledFailure, retryState NonRetryableFailure', async () => {
    const handle = await env.client.workflow.start(cancellable, {
      taskQueue: env.taskQueue,
      workflowId: id('cancel'),
    });
    await waitFor(async () => (await handle.describe()).pendingTimers.length === 1, 'the timer');
    await handle.cancel();
    const err = await handle.result().then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.equal(err.message, 'Workflow execution cancelled');
    assert.ok(err.cause instanceof CancelledFailure);
    // Temporal's client's words, spelt as it spells them.
    assert.equal(err.cause.message, 'Workflow canceled');
    assert.equal(err.retryState, 'NonRetryableFailure');
  });

  test('a terminated run: the reason is the message of the error and of its TerminatedFailure', async () => {
    const handle = await env.client.workflow.start(cancellable, {
      taskQueue: env.taskQueue,
      workflowId: id('terminate'),
    });
    await handle.terminate('operator said so');
    const err = await handle.result().then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.equal(err.message, 'operator said so');
    assert.ok(err.cause instanceof TerminatedFailure);
    assert.equal(err.cause.message, 'operator said so');
    assert.equal(err.retryState, 'NonRetryableFailure');
  });

  test('a run terminated without a reason: Workflow execution terminated, as in Temporal', async () => {
    const handle = await env.client.workflow.start(cancellable, {
      taskQueue: env.taskQueue,
      workflowId: id('terminate-no-reason'),
    });
    await handle.terminate();
    const err = await handle.result().then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.equal(err.message, 'Workflow execution terminated');
    assert.ok(err.cause instanceof TerminatedFailure);
    assert.equal(err.cause.message, 'Workflow execution terminated');
    const last = (await handle.fetchHistory()).events.at(-1);
    assert.ok(last?.type === 'WorkflowExecutionTerminated');
    assert.equal(last.reason, '');
  });

  test('a run past its run timeout without a retry policy: retryState RetryPolicyNotSet', async () => {
    const handle = await env.client.workflow.start(sleeper, {
      taskQueue: env.taskQueue,
      workflowId: id('run-timeout'),
      args: [86_400_000],
      workflowRunTimeout: 50,
    });
    const err = await handle.result().then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.equal(err.message, 'Workflow execution timed out');
    assert.ok(err.cause instanceof TimeoutFailure);
    assert.equal(err.cause.timeoutType, 'StartToClose');
    assert.equal(err.retryState, 'RetryPolicyNotSet');
  });

  test('a run past its execution timeout: retryState Timeout', async () => {
    const handle = await env.client.workflow.start(sleeper, {
      taskQueue: env.taskQueue,
      workflowId: id('execution-timeout'),
      args: [86_400_000],
      workflowExecutionTimeout: 50,
    });
    const err = await handle.result().then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof TimeoutFailure);
    assert.equal(err.retryState, 'Timeout');
  });
});
