import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EventOf } from '../protocol/history-events.ts';
import { CrossRunTracker } from './cross-run-events.ts';

const ref = { namespace: 'default', workflowId: 'other' };

describe('CrossRunTracker', () => {
  test('forgets a child once it closed, a signal or cancel request once it was answered', () => {
    const tracker = new CrossRunTracker('run-1');
    let eventId = 10;
    for (let seq = 1; seq <= 50; seq++) {
      const child: EventOf<'StartChildWorkflowExecutionInitiated'> = {
        ...ref,
        type: 'StartChildWorkflowExecutionInitiated',
        eventId: ++eventId,
        timeMs: 0,
        workflowType: 'kid',
        taskQueue: 'q',
        input: [],
        parentClosePolicy: 'TERMINATE',
        workflowTaskCompletedEventId: 1,
      };
      tracker.recordMatch(
        {
          type: 'StartChildWorkflowExecution',
          seq,
          workflowId: 'other',
          workflowType: 'kid',
          taskQueue: 'q',
          args: [],
          parentClosePolicy: 'TERMINATE',
        },
        child,
      );
      const signal: EventOf<'SignalExternalWorkflowExecutionInitiated'> = {
        ...ref,
        type: 'SignalExternalWorkflowExecutionInitiated',
        eventId: ++eventId,
        timeMs: 0,
        signalName: 'go',
        input: [],
        childWorkflowOnly: false,
        workflowTaskCompletedEventId: 1,
      };
      tracker.recordMatch(
        {
          type: 'SignalExternalWorkflowExecution',
          seq,
          workflowId: 'other',
          signalName: 'go',
          args: [],
          childWorkflowOnly: false,
        },
        signal,
      );
      const cancel: EventOf<'RequestCancelExternalWorkflowExecutionInitiated'> = {
        ...ref,
        type: 'RequestCancelExternalWorkflowExecutionInitiated',
        eventId: ++eventId,
        timeMs: 0,
        childWorkflowOnly: false,
        workflowTaskCompletedEventId: 1,
      };
      tracker.recordMatch(
        {
          type: 'RequestCancelExternalWorkflowExecution',
          seq,
          workflowId: 'other',
          childWorkflowOnly: false,
        },
        cancel,
      );
      const at = { ...ref, timeMs: 0 };
      const started = tracker.jobFor({
        ...at,
        type: 'ChildWorkflowExecutionStarted',
        eventId: ++eventId,
        workflowType: 'kid',
        runId: `kid-${seq}`,
        initiatedEventId: child.eventId,
      });
      assert.deepEqual(started, {
        type: 'resolveChildWorkflowExecutionStart',
        seq,
        resolution: { status: 'started', runId: `kid-${seq}` },
      });
      assert.equal(tracker.size, 3, 'the started child until it closes, the signal, the cancel');
      const jobs = [
        tracker.jobFor({
          ...at,
          type: 'ChildWorkflowExecutionCompleted',
          eventId: ++eventId,
          workflowType: 'kid',
          runId: `kid-${seq}`,
          initiatedEventId: child.eventId,
          startedEventId: eventId - 1,
          result: seq,
        }),
        tracker.jobFor({
          ...at,
          type: 'ExternalWorkflowExecutionSignaled',
          eventId: ++eventId,
          initiatedEventId: signal.eventId,
        }),
        tracker.jobFor({
          ...at,
          type: 'RequestCancelExternalWorkflowExecutionFailed',
          eventId: ++eventId,
          initiatedEventId: cancel.eventId,
          cause: 'ExternalWorkflowExecutionNotFound',
        }),
      ];
      assert.deepEqual(
        jobs.map((j) => [j.type, 'seq' in j ? j.seq : undefined]),
        [
          ['resolveChildWorkflowExecution', seq],
          ['resolveSignalExternalWorkflow', seq],
          ['resolveRequestCancelExternalWorkflow', seq],
        ],
      );
      assert.equal(tracker.size, 0);
    }
  });

  test("a child terminated without a reason (the client's default) fails with 'Workflow terminated'", () => {
    const tracker = new CrossRunTracker('run-1');
    const child: EventOf<'StartChildWorkflowExecutionInitiated'> = {
      ...ref,
      type: 'StartChildWorkflowExecutionInitiated',
      eventId: 5,
      timeMs: 0,
      workflowType: 'kid',
      taskQueue: 'q',
      input: [],
      parentClosePolicy: 'TERMINATE',
      workflowTaskCompletedEventId: 4,
    };
    tracker.recordMatch(
      {
        type: 'StartChildWorkflowExecution',
        seq: 1,
        workflowId: 'other',
        workflowType: 'kid',
        taskQueue: 'q',
        args: [],
        parentClosePolicy: 'TERMINATE',
      },
      child,
    );
    const at = { ...ref, timeMs: 0, workflowType: 'kid', runId: 'kid-1', initiatedEventId: 5 };
    tracker.jobFor({ ...at, type: 'ChildWorkflowExecutionStarted', eventId: 6 });
    const job = tracker.jobFor({
      ...at,
      type: 'ChildWorkflowExecutionTerminated',
      eventId: 8,
      startedEventId: 6,
      reason: '',
    });
    assert.ok(job.type === 'resolveChildWorkflowExecution');
    assert.ok(job.resolution.status === 'failed');
    assert.equal(job.resolution.failure.cause?.message, 'Workflow terminated');
  });
});
