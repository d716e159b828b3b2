import { z } from 'zod';
import { Failure, RetryStateSchema, TimeoutTypeSchema } from './failure.ts';
import { Payloads } from './payload.ts';
import { ResolvedRetryPolicy } from './retry-policy.ts';

/**
 * The history of a run: an append-only list of events with Temporal's names. `eventId` starts
 * at 1 and has no gaps; `timeMs` is the engine clock when the event was appended.
 */
const base = { eventId: z.number().int().positive(), timeMs: z.number().int() };
const event = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ ...base, type: z.literal(type), ...shape });

export const WorkflowExecutionStarted = event('WorkflowExecutionStarted', {
  workflowId: z.string(),
  workflowType: z.string(),
  taskQueue: z.string(),
  input: Payloads,
  attempt: z.number().int().positive(),
  firstExecutionRunId: z.string(),
  workflowTaskTimeoutMs: z.number().int().positive(),
  workflowExecutionTimeoutMs: z.number().int().positive().optional(),
  workflowRunTimeoutMs: z.number().int().positive().optional(),
  memo: z.record(z.string(), z.unknown()).optional(),
  searchAttributes: z.record(z.string(), z.unknown()).optional(),
  identity: z.string().optional(),
});
export const WorkflowExecutionCompleted = event('WorkflowExecutionCompleted', {
  result: z.unknown().optional(),
  workflowTaskCompletedEventId: z.number().int(),
});
export const WorkflowExecutionFailed = event('WorkflowExecutionFailed', {
  failure: Failure,
  retryState: RetryStateSchema,
  workflowTaskCompletedEventId: z.number().int(),
});
export const WorkflowExecutionCanceled = event('WorkflowExecutionCanceled', {
  details: Payloads.optional(),
  workflowTaskCompletedEventId: z.number().int(),
});
export const WorkflowExecutionTerminated = event('WorkflowExecutionTerminated', {
  reason: z.string(),
  identity: z.string().optional(),
});
export const WorkflowExecutionTimedOut = event('WorkflowExecutionTimedOut', {
  retryState: RetryStateSchema,
});
export const WorkflowExecutionCancelRequested = event('WorkflowExecutionCancelRequested', {
  reason: z.string().optional(),
  identity: z.string().optional(),
});
export const WorkflowExecutionSignaled = event('WorkflowExecutionSignaled', {
  signalName: z.string(),
  input: Payloads,
  identity: z.string().optional(),
});
export const WorkflowTaskScheduled = event('WorkflowTaskScheduled', {
  taskQueue: z.string(),
  startToCloseTimeoutMs: z.number().int().positive(),
  attempt: z.number().int().positive(),
});
export const WorkflowTaskStarted = event('WorkflowTaskStarted', {
  scheduledEventId: z.number().int(),
  identity: z.string(),
});
export const WorkflowTaskCompleted = event('WorkflowTaskCompleted', {
  scheduledEventId: z.number().int(),
  startedEventId: z.number().int(),
  identity: z.string(),
  buildId: z.string().optional(),
});
export const WorkflowTaskFailedCause = z.enum([
  'NonDeterminism',
  'WorkflowError',
  'WorkflowTypeNotFound',
  'UnhandledCommand',
  'BadCommand',
  'PayloadTooLarge',
]);
export type WorkflowTaskFailedCause = z.infer<typeof WorkflowTaskFailedCause>;
export const WorkflowTaskFailed = event('WorkflowTaskFailed', {
  scheduledEventId: z.number().int(),
  startedEventId: z.number().int(),
  cause: WorkflowTaskFailedCause,
  failure: Failure,
  identity: z.string(),
});
export const WorkflowTaskTimedOut = event('WorkflowTaskTimedOut', {
  scheduledEventId: z.number().int(),
  startedEventId: z.number().int(),
  timeoutType: TimeoutTypeSchema,
});
export const ActivityTaskScheduled = event('ActivityTaskScheduled', {
  seq: z.number().int().positive(),
  activityId: z.string(),
  activityType: z.string(),
  taskQueue: z.string(),
  input: Payloads,
  scheduleToCloseTimeoutMs: z.number().int().positive().optional(),
  scheduleToStartTimeoutMs: z.number().int().positive().optional(),
  startToCloseTimeoutMs: z.number().int().positive(),
  heartbeatTimeoutMs: z.number().int().positive().optional(),
  retryPolicy: ResolvedRetryPolicy,
  workflowTaskCompletedEventId: z.number().int(),
});
export const ActivityTaskStarted = event('ActivityTaskStarted', {
  scheduledEventId: z.number().int(),
  attempt: z.number().int().positive(),
  identity: z.string(),
  lastFailure: Failure.optional(),
});
export const ActivityTaskCompleted = event('ActivityTaskCompleted', {
  scheduledEventId: z.number().int(),
  startedEventId: z.number().int(),
  result: z.unknown().optional(),
  identity: z.string(),
});
export const ActivityTaskFailed = event('ActivityTaskFailed', {
  scheduledEventId: z.number().int(),
  startedEventId: z.number().int(),
  failure: Failure,
  retryState: RetryStateSchema,
  identity: z.string(),
});
export const ActivityTaskTimedOut = event('ActivityTaskTimedOut', {
  scheduledEventId: z.number().int(),
  startedEventId: z.number().int(),
  failure: Failure,
  retryState: RetryStateSchema,
});
export const ActivityTaskCancelRequested = event('ActivityTaskCancelRequested', {
  scheduledEventId: z.number().int(),
  workflowTaskCompletedEventId: z.number().int(),
});
export const ActivityTaskCanceled = event('ActivityTaskCanceled', {
  scheduledEventId: z.number().int(),
  startedEventId: z.number().int().optional(),
  latestCancelRequestedEventId: z.number().int(),
  details: Payloads.optional(),
  identity: z.string().optional(),
});
export const TimerStarted = event('TimerStarted', {
  timerId: z.string(),
  startToFireTimeoutMs: z.number().int().nonnegative(),
  workflowTaskCompletedEventId: z.number().int(),
});
export const TimerFired = event('TimerFired', {
  timerId: z.string(),
  startedEventId: z.number().int(),
});
export const TimerCanceled = event('TimerCanceled', {
  timerId: z.string(),
  startedEventId: z.number().int(),
  workflowTaskCompletedEventId: z.number().int(),
});
export const MarkerRecorded = event('MarkerRecorded', {
  markerName: z.string(),
  details: z.record(z.string(), z.unknown()),
  workflowTaskCompletedEventId: z.number().int(),
});

export const HistoryEvent = z.discriminatedUnion('type', [
  WorkflowExecutionStarted,
  WorkflowExecutionCompleted,
  WorkflowExecutionFailed,
  WorkflowExecutionCanceled,
  WorkflowExecutionTerminated,
  WorkflowExecutionTimedOut,
  WorkflowExecutionCancelRequested,
  WorkflowExecutionSignaled,
  WorkflowTaskScheduled,
  WorkflowTaskStarted,
  WorkflowTaskCompleted,
  WorkflowTaskFailed,
  WorkflowTaskTimedOut,
  ActivityTaskScheduled,
  ActivityTaskStarted,
  ActivityTaskCompleted,
  ActivityTaskFailed,
  ActivityTaskTimedOut,
  ActivityTaskCancelRequested,
  ActivityTaskCanceled,
  TimerStarted,
  TimerFired,
  TimerCanceled,
  MarkerRecorded,
]);
export type HistoryEvent = z.infer<typeof HistoryEvent>;
export type HistoryEventType = HistoryEvent['type'];
export type EventOf<T extends HistoryEventType> = Extract<HistoryEvent, { type: T }>;

/** An event before the engine gives it an id and a time. */
export type NewHistoryEvent = HistoryEvent extends infer E
  ? E extends HistoryEvent
    ? Omit<E, 'eventId' | 'timeMs'>
    : never
  : never;

/** Marker name used by `patched()` / `deprecatePatch()`. */
export const PATCH_MARKER = 'core_patch';
