import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HistoryEvent } from '../../protocol/history-events.ts';
import { eventTone, summarizeEvent } from './event-summary.ts';

const at = { eventId: 1, timeMs: 0 };

describe('summarizeEvent', () => {
  const cases: [HistoryEvent, string][] = [
    [
      {
        ...at,
        type: 'WorkflowExecutionStarted',
        workflowId: 'w',
        workflowType: 'order',
        taskQueue: 'q',
        input: [{ id: 7 }],
        attempt: 1,
        firstExecutionRunId: 'r',
        workflowTaskTimeoutMs: 10_000,
      },
      'order on q · input [{"id":7}]',
    ],
    [
      {
        ...at,
        type: 'ActivityTaskScheduled',
        seq: 1,
        activityId: '1',
        activityType: 'charge',
        taskQueue: 'q',
        input: [12],
        startToCloseTimeoutMs: 1000,
        retryPolicy: {
          initialIntervalMs: 1000,
          backoffCoefficient: 2,
          maximumIntervalMs: 100_000,
          maximumAttempts: 0,
          nonRetryableErrorTypes: [],
        },
        workflowTaskCompletedEventId: 4,
      },
      'charge (id 1) · input [12]',
    ],
    [
      {
        ...at,
        type: 'ActivityTaskStarted',
        scheduledEventId: 5,
        attempt: 3,
        identity: 'worker-1',
        lastFailure: {
          message: 'timeout',
          info: { type: 'application', errorType: 'E', nonRetryable: false },
        },
      },
      'attempt 3 · last failure: timeout',
    ],
    [
      {
        ...at,
        type: 'TimerStarted',
        timerId: '1',
        startToFireTimeoutMs: 90_000,
        workflowTaskCompletedEventId: 4,
      },
      'timer 1 for 1m 30s',
    ],
    [
      { ...at, type: 'WorkflowExecutionSignaled', signalName: 'approve', input: [{ by: 'ana' }] },
      'approve [{"by":"ana"}]',
    ],
    [
      {
        ...at,
        type: 'WorkflowExecutionFailed',
        failure: {
          message: 'claim rejected',
          info: { type: 'application', errorType: 'Rejected', nonRetryable: true },
        },
        retryState: 'NonRetryableFailure',
        workflowTaskCompletedEventId: 4,
      },
      'ApplicationFailure(Rejected, non-retryable): claim rejected · retry state NonRetryableFailure',
    ],
    [
      {
        ...at,
        type: 'WorkflowExecutionCompleted',
        result: 'done',
        workflowTaskCompletedEventId: 4,
      },
      'result "done"',
    ],
    [
      { ...at, type: 'WorkflowExecutionTerminated', reason: 'stuck', identity: 'ops' },
      'reason: stuck · by ops',
    ],
  ];
  for (const [event, summary] of cases) {
    test(`${event.type} reads "${summary}"`, () => {
      assert.equal(summarizeEvent(event), summary);
    });
  }
});

describe('eventTone', () => {
  test('failures stand out from the kind of event they are about', () => {
    assert.equal(eventTone('ActivityTaskFailed'), 'failure');
    assert.equal(eventTone('WorkflowTaskTimedOut'), 'failure');
    assert.equal(eventTone('ActivityTaskScheduled'), 'activity');
    assert.equal(eventTone('TimerFired'), 'timer');
    assert.equal(eventTone('WorkflowExecutionSignaled'), 'signal');
    assert.equal(eventTone('ChildWorkflowExecutionStarted'), 'child');
    assert.equal(eventTone('WorkflowExecutionStarted'), 'workflow');
  });
});
