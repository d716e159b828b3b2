// How history's command events are matched against the commands workflow code issues, and how
// a mismatch is described: the pure helpers of WorkflowRun (workflow-run.ts).
import type { OutcomesInHistory } from '../protocol/activation.ts';
import type { Command } from '../protocol/commands.ts';
import type { EventOf, HistoryEvent } from '../protocol/history-events.ts';
import { PATCH_MARKER } from '../protocol/history-events.ts';
import type { UpdateRequest } from '../protocol/update.ts';
import {
  CROSS_RUN_COMMAND_EVENT_TYPES,
  describeCrossRunCommand,
  describeCrossRunEvent,
} from './cross-run-events.ts';
import type { CrossRunCommand, CrossRunCommandEvent } from './cross-run-events.ts';

export type CommandEvent = EventOf<
  | 'ActivityTaskScheduled'
  | 'TimerStarted'
  | 'TimerCanceled'
  | 'ActivityTaskCancelRequested'
  | 'MarkerRecorded'
  | 'WorkflowExecutionCompleted'
  | 'WorkflowExecutionFailed'
  | 'WorkflowExecutionCanceled'
  | 'WorkflowExecutionUpdateAccepted'
  | 'WorkflowExecutionUpdateCompleted'
  | 'UpsertWorkflowSearchAttributes'
  | 'WorkflowPropertiesModified'
  | CrossRunCommandEvent['type']
>;

const COMMAND_EVENT_TYPES: ReadonlySet<HistoryEvent['type']> = new Set([
  'ActivityTaskScheduled',
  'TimerStarted',
  'TimerCanceled',
  'ActivityTaskCancelRequested',
  'MarkerRecorded',
  'WorkflowExecutionCompleted',
  'WorkflowExecutionFailed',
  'WorkflowExecutionCanceled',
  'WorkflowExecutionUpdateAccepted',
  'WorkflowExecutionUpdateCompleted',
  'UpsertWorkflowSearchAttributes',
  'WorkflowPropertiesModified',
  ...CROSS_RUN_COMMAND_EVENT_TYPES,
]);

export function isCommandEvent(e: HistoryEvent): e is CommandEvent {
  return COMMAND_EVENT_TYPES.has(e.type);
}

export function isTaskOutcome(e: HistoryEvent): boolean {
  return (
    e.type === 'WorkflowTaskCompleted' ||
    e.type === 'WorkflowTaskFailed' ||
    e.type === 'WorkflowTaskTimedOut' ||
    e.type === 'WorkflowTaskScheduled' ||
    e.type === 'WorkflowTaskStarted'
  );
}

/** The WorkflowTaskCompleted/Failed/TimedOut of the task started at `events[index]`, if given. */
export function findTaskOutcome(
  events: readonly HistoryEvent[],
  index: number,
): EventOf<'WorkflowTaskCompleted' | 'WorkflowTaskFailed' | 'WorkflowTaskTimedOut'> | undefined {
  const startedEventId = (events[index] as HistoryEvent).eventId;
  for (let j = index + 1; j < events.length; j++) {
    const e = events[j] as HistoryEvent;
    if (
      (e.type === 'WorkflowTaskCompleted' ||
        e.type === 'WorkflowTaskFailed' ||
        e.type === 'WorkflowTaskTimedOut') &&
      e.startedEventId === startedEventId
    ) {
      return e;
    }
    if (e.type === 'WorkflowTaskStarted') return undefined;
  }
  return undefined;
}

/**
 * The events from a completed task's outcome up to the next WorkflowTaskStarted (the task
 * started at `events[startedIndex]`): all that the helpers below look at, so that each task
 * is searched on its own rather than the whole history once per task (quadratic in length).
 */
export function taskRecordedEvents(
  events: readonly HistoryEvent[],
  startedIndex: number,
  completed: EventOf<'WorkflowTaskCompleted'>,
): readonly HistoryEvent[] {
  let from = startedIndex + 1;
  while (from < events.length && events[from] !== completed) from++;
  let to = from + 1;
  while (to < events.length && events[to]?.type !== 'WorkflowTaskStarted') to++;
  return events.slice(from, to);
}

/**
 * The event ids of the ActivityTaskScheduled and TimerStarted events whose outcome (completed,
 * failed, timed out, cancelled; fired, cancelled) a feed of `events` delivers to the workflow:
 * the outcomes before the WorkflowTaskStarted of the last task the feed activates. That is the
 * last event when the feed answers a task; when it only replays, the start of the last completed
 * task (the events after it wait for a task not yet completed).
 */
export function settledCommandEventIds(
  events: readonly HistoryEvent[],
  answer: boolean,
): Set<number> {
  const end = answer ? events.length - 1 : lastCompletedTaskStart(events);
  const ids = new Set<number>();
  for (let i = 0; i < end; i++) {
    const e = events[i] as HistoryEvent;
    if (
      e.type === 'ActivityTaskCompleted' ||
      e.type === 'ActivityTaskFailed' ||
      e.type === 'ActivityTaskTimedOut' ||
      e.type === 'ActivityTaskCanceled'
    ) {
      ids.add(e.scheduledEventId);
    } else if (e.type === 'TimerFired' || e.type === 'TimerCanceled') {
      ids.add(e.startedEventId);
    }
  }
  return ids;
}

/** The index of the WorkflowTaskStarted of the last completed task in `events`; -1 if none. */
function lastCompletedTaskStart(events: readonly HistoryEvent[]): number {
  let startedEventId: number | undefined;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i] as HistoryEvent;
    if (startedEventId === undefined) {
      if (e.type === 'WorkflowTaskCompleted') startedEventId = e.startedEventId;
    } else if (e.eventId === startedEventId) {
      return i;
    }
  }
  return -1;
}

/**
 * The activities and timers a completed task recorded whose outcome is among `settled`
 * ({@link settledCommandEventIds}), by seq; undefined when there are none.
 */
export function outcomesInHistoryAfter(
  events: readonly HistoryEvent[],
  completed: EventOf<'WorkflowTaskCompleted'>,
  settled: ReadonlySet<number>,
): OutcomesInHistory | undefined {
  let outcomes: OutcomesInHistory | undefined;
  for (const e of events) {
    if (e.eventId <= completed.eventId) continue;
    if (e.type === 'WorkflowTaskStarted') break;
    if (!settled.has(e.eventId)) continue;
    if (
      e.type === 'ActivityTaskScheduled' &&
      e.workflowTaskCompletedEventId === completed.eventId
    ) {
      (outcomes ??= { activities: [], timerSeqs: [] }).activities.push({
        seq: e.seq,
        activityId: e.activityId,
      });
    } else if (e.type === 'TimerStarted' && e.workflowTaskCompletedEventId === completed.eventId) {
      // A timer's id is its seq (matchCommandEvent).
      (outcomes ??= { activities: [], timerSeqs: [] }).timerSeqs.push(Number(e.timerId));
    }
  }
  return outcomes;
}

/**
 * Patch ids a completed task recorded, sent first as notifyHasPatch jobs: the internal rules on
 * its WorkflowTaskCompleted (`sdkFlags`), then the ids of its patch markers (`patched()`,
 * and internal rules in histories recorded before flags).
 */
export function patchesRecordedAfter(
  events: readonly HistoryEvent[],
  completed: EventOf<'WorkflowTaskCompleted'>,
): string[] {
  const ids: string[] = completed.sdkFlags === undefined ? [] : [...completed.sdkFlags];
  for (const e of events) {
    if (e.eventId <= completed.eventId) continue;
    if (!isCommandEvent(e) || e.workflowTaskCompletedEventId !== completed.eventId) {
      if (e.eventId > completed.eventId + 1 && !isCommandEvent(e)) break;
      continue;
    }
    if (e.type === 'MarkerRecorded' && e.markerName === PATCH_MARKER) {
      const patchId = e.details['patchId'];
      if (typeof patchId === 'string') ids.push(patchId);
    }
  }
  return ids;
}

/**
 * The updates a completed task accepted, from its WorkflowExecutionUpdateAccepted events: on
 * replay they are that task's doUpdate jobs, without their validators (Temporal's rule).
 */
export function updatesAcceptedAfter(
  events: readonly HistoryEvent[],
  completed: EventOf<'WorkflowTaskCompleted'>,
): (UpdateRequest & { runValidator: boolean })[] {
  const updates: (UpdateRequest & { runValidator: boolean })[] = [];
  for (const e of events) {
    if (e.eventId <= completed.eventId) continue;
    if (e.type === 'WorkflowTaskStarted') break;
    if (
      e.type === 'WorkflowExecutionUpdateAccepted' &&
      e.workflowTaskCompletedEventId === completed.eventId
    ) {
      updates.push({
        updateId: e.updateId,
        name: e.name,
        args: e.input,
        ...(e.header !== undefined && { header: e.header }),
        runValidator: false,
        ...(e.acceptedRequestSequencingEventId !== undefined && {
          sequencingEventId: e.acceptedRequestSequencingEventId,
        }),
      });
    }
  }
  return updates;
}

export function nonDeterminismMessage(eventId: number, history: string, code: string): string {
  return (
    `Non-determinism at event ${eventId}: ${history} but the workflow code issued ${code}. ` +
    'Did the workflow code change while this run was in flight? Use patched() to branch, or deploy the old code.'
  );
}

export function describeEvent(e: CommandEvent): string {
  switch (e.type) {
    case 'ActivityTaskScheduled':
      return `ActivityTaskScheduled (activityType '${e.activityType}', activityId '${e.activityId}')`;
    case 'TimerStarted':
    case 'TimerCanceled':
      return `${e.type} (timerId '${e.timerId}')`;
    case 'ActivityTaskCancelRequested':
      return `ActivityTaskCancelRequested (scheduledEventId ${e.scheduledEventId})`;
    case 'MarkerRecorded':
      return `MarkerRecorded (${describeMarker(e.markerName, e.details)})`;
    case 'WorkflowExecutionCompleted':
    case 'WorkflowExecutionFailed':
    case 'WorkflowExecutionCanceled':
      return e.type;
    case 'WorkflowExecutionUpdateAccepted':
      return `WorkflowExecutionUpdateAccepted (update '${e.name}', updateId '${e.updateId}')`;
    case 'WorkflowExecutionUpdateCompleted':
      return `WorkflowExecutionUpdateCompleted (updateId '${e.updateId}')`;
    case 'UpsertWorkflowSearchAttributes':
      return `UpsertWorkflowSearchAttributes (${Object.keys(e.searchAttributes).join(', ')})`;
    case 'WorkflowPropertiesModified':
      return `WorkflowPropertiesModified (memo ${Object.keys(e.upsertedMemo).join(', ')})`;
    case 'WorkflowExecutionContinuedAsNew':
    case 'StartChildWorkflowExecutionInitiated':
    case 'SignalExternalWorkflowExecutionInitiated':
    case 'RequestCancelExternalWorkflowExecutionInitiated':
      return describeCrossRunEvent(e);
    default: {
      const never: never = e;
      return String(never);
    }
  }
}

export function describeCommand(c: Command): string {
  switch (c.type) {
    case 'ScheduleActivityTask':
      return `ScheduleActivityTask (activityType '${c.activityType}', activityId '${c.activityId}', seq ${c.seq})`;
    case 'StartTimer':
    case 'CancelTimer':
    case 'RequestCancelActivityTask':
      return `${c.type} (seq ${c.seq})`;
    case 'RecordMarker':
      return `RecordMarker (${describeMarker(c.markerName, c.details)})`;
    case 'CompleteWorkflowExecution':
    case 'FailWorkflowExecution':
    case 'CancelWorkflowExecution':
      return c.type;
    case 'AcceptWorkflowUpdate':
    case 'RejectWorkflowUpdate':
    case 'CompleteWorkflowUpdate':
      return `${c.type} (updateId '${c.updateId}')`;
    case 'UpsertWorkflowSearchAttributes':
      return `UpsertWorkflowSearchAttributes (${Object.keys(c.searchAttributes).join(', ')})`;
    case 'ModifyWorkflowProperties':
      return `ModifyWorkflowProperties (memo ${Object.keys(c.upsertedMemo).join(', ')})`;
    case 'ContinueAsNewWorkflowExecution':
    case 'StartChildWorkflowExecution':
    case 'SignalExternalWorkflowExecution':
    case 'RequestCancelExternalWorkflowExecution':
      return describeCrossRunCommand(c);
    default: {
      const never: never = c;
      return String(never);
    }
  }
}

export function describeMarker(markerName: string, details: Record<string, unknown>): string {
  return 'activityType' in details
    ? `markerName '${markerName}', activityType '${String(details['activityType'])}', seq ${String(details['seq'])}`
    : `markerName '${markerName}', patchId '${String(details['patchId'])}'`;
}

export function isCrossRunEvent(e: CommandEvent): e is CrossRunCommandEvent {
  return (CROSS_RUN_COMMAND_EVENT_TYPES as readonly string[]).includes(e.type);
}

export function isCrossRunCommand(c: Command): c is CrossRunCommand {
  return (
    c.type === 'ContinueAsNewWorkflowExecution' ||
    c.type === 'StartChildWorkflowExecution' ||
    c.type === 'SignalExternalWorkflowExecution' ||
    c.type === 'RequestCancelExternalWorkflowExecution'
  );
}
