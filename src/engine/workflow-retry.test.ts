import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Failure } from '../protocol/failure.ts';
import { resolveRetryPolicy } from '../protocol/retry-policy.ts';
import type { RetryPolicyInput } from '../protocol/retry-policy.ts';
import { RunStatus } from '../protocol/run-status.ts';
import type { RunState } from './run-state.ts';
import { workflowRetryDecision } from './workflow-retry.ts';

const NOW = 1_000_000;

function state(retry: RetryPolicyInput | undefined, extra: Partial<RunState> = {}): RunState {
  return {
    namespace: 'default',
    workflowId: 'w',
    runId: 'r',
    workflowType: 't',
    taskQueue: 'q',
    status: RunStatus.Running,
    startTimeMs: NOW - 10_000,
    nextEventId: 5,
    historySizeBytes: 0,
    workflowTaskTimeoutMs: 10_000,
    memo: {},
    searchAttributes: {},
    previousStartedEventId: 3,
    eventsWhileTaskStarted: false,
    workflowTaskFailures: 0,
    pendingActivities: {},
    pendingTimers: {},
    cancelRequested: false,
    attempt: 1,
    ...(retry !== undefined && { retryPolicy: resolveRetryPolicy(retry) }),
    ...extra,
  };
}

const app = (extra: Partial<{ errorType: string; nonRetryable: boolean }> = {}): Failure => ({
  message: 'boom',
  info: { type: 'application', errorType: 'Error', nonRetryable: false, ...extra },
});

describe('workflowRetryDecision (Temporal getBackoffInterval)', () => {
  test('no policy: RetryPolicyNotSet', () => {
    assert.deepEqual(workflowRetryDecision(state(undefined), app(), NOW), {
      retryState: 'RetryPolicyNotSet',
    });
  });

  test('a retryable failure backs off initialInterval × coefficient^(attempt − 1), capped', () => {
    const retry = { initialIntervalMs: 1000, backoffCoefficient: 3, maximumIntervalMs: 5000 };
    const backoffs = [1, 2, 3].map((attempt) => {
      const d = workflowRetryDecision(state(retry, { attempt }), app(), NOW);
      return d.retryState === 'InProgress' ? d.backoffMs : d.retryState;
    });
    assert.deepEqual(backoffs, [1000, 3000, 5000]);
  });

  test('nextRetryDelay on the failure sets the delay', () => {
    const failure: Failure = {
      message: 'later',
      info: { type: 'application', errorType: 'E', nonRetryable: false, nextRetryDelayMs: 7000 },
    };
    assert.deepEqual(workflowRetryDecision(state({}), failure, NOW), {
      retryState: 'InProgress',
      backoffMs: 7000,
    });
  });

  test('non-retryable: marked so, listed by type, cancelled or terminated', () => {
    const cases: [Failure, RetryPolicyInput][] = [
      [app({ nonRetryable: true }), {}],
      [app({ errorType: 'Fatal' }), { nonRetryableErrorTypes: ['Fatal'] }],
      [{ message: 'c', info: { type: 'cancelled' } }, {}],
      [{ message: 't', info: { type: 'terminated' } }, {}],
      [{ message: 's', info: { type: 'timeout', timeoutType: 'ScheduleToClose' } }, {}],
    ];
    for (const [failure, retry] of cases) {
      assert.equal(
        workflowRetryDecision(state(retry), failure, NOW).retryState,
        'NonRetryableFailure',
        failure.message,
      );
    }
  });

  test('maximumAttempts counts every run, the first included', () => {
    assert.equal(
      workflowRetryDecision(state({ maximumAttempts: 3 }, { attempt: 2 }), app(), NOW).retryState,
      'InProgress',
    );
    assert.equal(
      workflowRetryDecision(state({ maximumAttempts: 3 }, { attempt: 3 }), app(), NOW).retryState,
      'MaximumAttemptsReached',
    );
  });

  test('a next attempt that would start after the execution expiration: Timeout', () => {
    const retry = { initialIntervalMs: 5000 };
    const at = (expirationMs: number) =>
      workflowRetryDecision(
        state(retry, { workflowExecutionExpirationTimeMs: expirationMs }),
        app(),
        NOW,
      ).retryState;
    assert.equal(at(NOW + 5000), 'InProgress');
    assert.equal(at(NOW + 4999), 'Timeout');
  });
});
