// One line per history event for the run page's timeline. Pure, unit-tested.
import type { HistoryEvent } from '../../protocol/history-events.ts';
import { assertNever, failureLines, formatDuration, jsonLine } from './format.ts';

/** What sort of event it is, for its colour on the timeline. */
export type EventTone = 'workflow' | 'task' | 'activity' | 'timer' | 'signal' | 'child' | 'failure';

/** A short account of `event`: the activity type, the timer's duration, the signal's name… */
export function summarizeEvent(event: HistoryEvent): string {
  switch (event.type) {
    case 'WorkflowExecutionStarted':
      return join(
        `${event.workflowType} on ${event.taskQueue}`,
        `input ${jsonLine(event.input)}`,
        event.attempt > 1 && `attempt ${event.attempt}`,
        event.firstWorkflowTaskBackoffMs !== undefined &&
          `first task after ${formatDuration(event.firstWorkflowTaskBackoffMs)}`,
      );
    case 'WorkflowExecutionCompleted':
      return join(`result ${jsonLine(event.result) || 'none'}`, next(event.newExecutionRunId));
    case 'WorkflowExecutionFailed':
      return join(
        firstLine(event),
        `retry state ${event.retryState}`,
        next(event.newExecutionRunId),
      );
    case 'WorkflowExecutionCanceled':
      return event.details === undefined ? '' : `details ${jsonLine(event.details)}`;
    case 'WorkflowExecutionTerminated':
      return join(`reason: ${event.reason}`, event.identity && `by ${event.identity}`);
    case 'WorkflowExecutionTimedOut':
      return join(`retry state ${event.retryState}`, next(event.newExecutionRunId));
    case 'WorkflowExecutionCancelRequested':
      return join(
        event.reason && `reason: ${event.reason}`,
        event.identity && `by ${event.identity}`,
      );
    case 'WorkflowExecutionSignaled':
      return `${event.signalName} ${jsonLine(event.input)}`;
    case 'WorkflowTaskScheduled':
      return join(event.taskQueue, event.attempt > 1 && `attempt ${event.attempt}`);
    case 'WorkflowTaskStarted':
      return event.identity;
    case 'WorkflowTaskCompleted':
      return join(event.identity, event.buildId && `build ${event.buildId}`);
    case 'WorkflowTaskFailed':
      return join(event.cause, firstLine(event));
    case 'WorkflowTaskTimedOut':
      return event.timeoutType;
    case 'ActivityTaskScheduled':
      return join(
        `${event.activityType} (id ${event.activityId})`,
        `input ${jsonLine(event.input)}`,
      );
    case 'ActivityTaskStarted':
      return join(
        `attempt ${event.attempt}`,
        event.lastFailure && `last failure: ${event.lastFailure.message}`,
      );
    case 'ActivityTaskCompleted':
      return `result ${jsonLine(event.result) || 'none'}`;
    case 'ActivityTaskFailed':
    case 'ActivityTaskTimedOut':
      return join(firstLine(event), `retry state ${event.retryState}`);
    case 'ActivityTaskCancelRequested':
      return `activity of event ${event.scheduledEventId}`;
    case 'ActivityTaskCanceled':
      return join(
        `activity of event ${event.scheduledEventId}`,
        event.details && `details ${jsonLine(event.details)}`,
      );
    case 'TimerStarted':
      return `timer ${event.timerId} for ${formatDuration(event.startToFireTimeoutMs)}`;
    case 'TimerFired':
    case 'TimerCanceled':
      return `timer ${event.timerId}`;
    case 'MarkerRecorded':
      return event.markerName;
    case 'WorkflowExecutionUpdateAccepted':
      return join(`${event.name} ${jsonLine(event.input)}`, `update ${event.updateId}`);
    case 'WorkflowExecutionUpdateCompleted':
      return join(
        `update ${event.updateId}`,
        event.outcome.status === 'failure'
          ? `failed: ${event.outcome.failure.message}`
          : `result ${jsonLine(event.outcome.result) || 'none'}`,
      );
    case 'WorkflowExecutionContinuedAsNew':
      return join(
        `${event.workflowType} as run ${event.newExecutionRunId}`,
        `input ${jsonLine(event.input)}`,
      );
    case 'StartChildWorkflowExecutionInitiated':
      return join(`${event.workflowType} ${event.workflowId}`, `input ${jsonLine(event.input)}`);
    case 'StartChildWorkflowExecutionFailed':
      return join(`${event.workflowType} ${event.workflowId}`, event.cause);
    case 'ChildWorkflowExecutionStarted':
      return `${event.workflowType} ${event.workflowId} run ${event.runId}`;
    case 'ChildWorkflowExecutionCompleted':
      return join(event.workflowId, `result ${jsonLine(event.result) || 'none'}`);
    case 'ChildWorkflowExecutionFailed':
      return join(event.workflowId, firstLine(event));
    case 'ChildWorkflowExecutionCanceled':
      return event.workflowId;
    case 'ChildWorkflowExecutionTerminated':
      return join(event.workflowId, event.reason && `reason: ${event.reason}`);
    case 'ChildWorkflowExecutionTimedOut':
      return join(event.workflowId, `retry state ${event.retryState}`);
    case 'SignalExternalWorkflowExecutionInitiated':
      return `${event.signalName} to ${event.workflowId} ${jsonLine(event.input)}`;
    case 'ExternalWorkflowExecutionSignaled':
    case 'ExternalWorkflowExecutionCancelRequested':
    case 'RequestCancelExternalWorkflowExecutionInitiated':
      return event.workflowId;
    case 'SignalExternalWorkflowExecutionFailed':
    case 'RequestCancelExternalWorkflowExecutionFailed':
      return join(event.workflowId, event.cause);
    case 'UpsertWorkflowSearchAttributes':
      return jsonLine(event.searchAttributes);
    case 'WorkflowPropertiesModified':
      return `memo ${jsonLine(event.upsertedMemo)}`;
    default:
      return assertNever(event);
  }
}

/** The colour group of an event type. */
export function eventTone(type: HistoryEvent['type']): EventTone {
  if (/Failed|TimedOut|Terminated/.test(type)) return 'failure';
  if (type.startsWith('WorkflowTask')) return 'task';
  if (type.startsWith('ActivityTask')) return 'activity';
  if (type.startsWith('Timer')) return 'timer';
  if (/Signal|Update/.test(type)) return 'signal';
  if (/Child|External/.test(type)) return 'child';
  return 'workflow';
}

function join(...parts: (string | false | undefined)[]): string {
  return parts.filter((p): p is string => typeof p === 'string' && p !== '').join(' · ');
}

function next(runId: string | undefined): string | undefined {
  return runId === undefined ? undefined : `next run ${runId}`;
}

function firstLine(event: { failure: Parameters<typeof failureLines>[0] }): string {
  return failureLines(event.failure)[0] ?? '';
}
