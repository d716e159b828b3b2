import * as z from 'zod';
import { Failure, RetryStateSchema, TimeoutTypeSchema } from './failure.ts';
import { Payloads, UserMetadataSchema, WireHeadersSchema } from './payload.ts';
import { PrioritySchema } from './priority-schema.ts';
import { ResolvedRetryPolicy } from './retry-policy.ts';
import { UpdateOutcome } from './update.ts';
import { REUSE_POLICIES } from './workflow-id-policy.ts';

/**
 * Temporal's `ContinueAsNewInitiator` names: what started a run that continues its workflow id's
 * chain, recorded on its WorkflowExecutionStarted (and on WorkflowExecutionContinuedAsNew).
 */
export const ContinueAsNewInitiator = {
  /** The workflow continued as new. */
  Workflow: 'Workflow',
  /** The workflow retry policy retried a failed or timed-out run. */
  Retry: 'Retry',
  /** A cron workflow's next run, after the one before closed. */
  CronSchedule: 'CronSchedule',
} as const;
export type ContinueAsNewInitiator =
  (typeof ContinueAsNewInitiator)[keyof typeof ContinueAsNewInitiator];
export const ContinueAsNewInitiatorSchema = z.enum(ContinueAsNewInitiator);

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
  /** Temporal's header: what the starter's interceptors set (absent when none). */
  header: WireHeadersSchema.optional(),
  attempt: z.number().int().positive(),
  firstExecutionRunId: z.string(),
  /**
   * This run's own id, when it is not the first of its chain (a retry, or a run continued as new):
   * a history's events alone then still name the run, whose id seeds the workflow's random source.
   */
  originalExecutionRunId: z.string().optional(),
  workflowTaskTimeoutMs: z.number().int().positive(),
  workflowExecutionTimeoutMs: z.number().int().positive().optional(),
  workflowRunTimeoutMs: z.number().int().positive().optional(),
  memo: z.record(z.string(), z.unknown()).optional(),
  searchAttributes: z.record(z.string(), z.unknown()).optional(),
  identity: z.string().optional(),
  /** The run this one continues (continue-as-new, a retry or a cron workflow's next run). */
  continuedExecutionRunId: z.string().optional(),
  /** What started this run when it continues another (with continuedExecutionRunId). */
  initiator: ContinueAsNewInitiatorSchema.optional(),
  /** Temporal's firstWorkflowTaskBackoff: the start delay (or retry backoff) before the first task. */
  firstWorkflowTaskBackoffMs: z.number().int().positive().optional(),
  /** The workflow retry policy (client `start({ retry })` or a child's `retry`); kept by retries. */
  retryPolicy: ResolvedRetryPolicy.optional(),
  /** When the whole execution (every retry and continue-as-new) times out: start + execution timeout. */
  workflowExecutionExpirationTimeMs: z.number().int().optional(),
  /** The failure of the previous attempt, when this run is a retry. */
  continuedFailure: Failure.optional(),
  /**
   * Temporal's lastCompletionResult: the result of the last run that completed in the chain of a
   * schedule that started this one; the workflow sees it as `workflowInfo().lastResult`.
   */
  lastCompletionResult: z.unknown().optional(),
  /**
   * Temporal's cronSchedule: each run of the chain starts at the schedule's next time after the
   * one before closes (completed, failed or timed out); the chain runs until cancelled,
   * terminated or out of execution time.
   */
  cronSchedule: z.string().optional(),
  /** The parent that started this run as a child, and its StartChildWorkflowExecutionInitiated. */
  parent: z
    .object({
      namespace: z.string(),
      workflowId: z.string(),
      runId: z.string(),
      initiatedEventId: z.number().int(),
    })
    .optional(),
  /**
   * Temporal's rootWorkflowExecution: the run at the top of a child's chain of parents (its
   * parent's root, or the parent itself when the parent has none). Recorded for children only,
   * and carried by their retries, cron runs and continue-as-new.
   */
  rootWorkflowExecution: z.object({ workflowId: z.string(), runId: z.string() }).optional(),
  /**
   * Temporal's userMetadata: the start's `staticSummary` and `staticDetails` (a client's, a
   * schedule's or a parent's). Not carried to retries, cron runs or continue-as-new, as in Temporal.
   */
  userMetadata: UserMetadataSchema.optional(),
  /**
   * Temporal's priority of the run, the fields it sets: a start's, or a child's own merged over
   * its parent's, field by field. Carried to retries, cron runs and continue-as-new. Absent (as
   * in histories recorded before priorities): none.
   */
  priority: PrioritySchema.optional(),
});
export const WorkflowExecutionCompleted = event('WorkflowExecutionCompleted', {
  result: z.unknown().optional(),
  /** A cron workflow's next run, created in the same transaction. */
  newExecutionRunId: z.string().optional(),
  workflowTaskCompletedEventId: z.number().int(),
});
export const WorkflowExecutionFailed = event('WorkflowExecutionFailed', {
  failure: Failure,
  retryState: RetryStateSchema,
  /** The run that retries this one (retryState InProgress), created in the same transaction. */
  newExecutionRunId: z.string().optional(),
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
  /** The run that retries this one (retryState InProgress), created in the same transaction. */
  newExecutionRunId: z.string().optional(),
});
export const WorkflowExecutionCancelRequested = event('WorkflowExecutionCancelRequested', {
  reason: z.string().optional(),
  identity: z.string().optional(),
});
export const WorkflowExecutionSignaled = event('WorkflowExecutionSignaled', {
  signalName: z.string(),
  input: Payloads,
  header: WireHeadersSchema.optional(),
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
  /** Temporal's: the history passed the engine's continue-as-new thresholds (recorded for replay). */
  suggestContinueAsNew: z.boolean().optional(),
  /** The history's size in bytes before this event, as the engine counts it. */
  historySizeBytes: z.number().int().nonnegative().optional(),
});
/** The most SDK flags one workflow task may carry (Reprise's workers know a few dozen at most). */
export const MAX_SDK_FLAGS = 100;
/** The longest SDK flag id (Reprise's are `reprise/` and a few words). */
export const MAX_SDK_FLAG_LENGTH = 200;

/**
 * The SDK flags a worker sends with a workflow task's answer, as the engine accepts them: at most
 * {@link MAX_SDK_FLAGS} non-empty ids of at most {@link MAX_SDK_FLAG_LENGTH} characters. Ids the
 * engine does not know are accepted: a newer worker may take rules an older engine has not heard of.
 */
export const SdkFlagsSchema = z
  .array(
    z
      .string({ error: 'a flag id is a string, such as "reprise/…"' })
      .min(1, { error: 'a flag id is empty' })
      .max(MAX_SDK_FLAG_LENGTH, {
        error: (iss) =>
          `a flag id has at most ${String(MAX_SDK_FLAG_LENGTH)} characters; this one has ${String((iss.input as string).length)}`,
      }),
    { error: 'the flags are an array of flag ids (strings such as "reprise/…")' },
  )
  .max(MAX_SDK_FLAGS, {
    error: (iss) =>
      `a workflow task carries at most ${String(MAX_SDK_FLAGS)} flags; this one has ${String((iss.input as unknown[]).length)}`,
  });

export const WorkflowTaskCompleted = event('WorkflowTaskCompleted', {
  scheduledEventId: z.number().int(),
  startedEventId: z.number().int(),
  identity: z.string(),
  buildId: z.string().optional(),
  /**
   * Temporal's SDK flags (`sdkMetadata.langUsedFlags`): the ids of the engine's internal rules
   * (`reprise/...`) the worker took live in this task. A replay takes each as set from this task
   * on. Absent when none; histories recorded before flags show them as patch markers instead.
   */
  sdkFlags: z.array(z.string()).optional(),
});
export const WorkflowTaskFailedCause = z.enum([
  'NonDeterminism',
  'WorkflowError',
  'WorkflowTypeNotFound',
  'UnhandledCommand',
  'BadCommand',
  // Temporal's: a child start or continue-as-new with search attributes it refuses.
  'BadSearchAttributes',
  'PayloadTooLarge',
  // Temporal's causes for a task whose commands would pass a per-run limit (EngineLimits).
  'PendingActivitiesLimitExceeded',
  'PendingChildWorkflowsLimitExceeded',
  'PendingSignalsLimitExceeded',
  'PendingRequestCancelLimitExceeded',
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
  header: WireHeadersSchema.optional(),
  scheduleToCloseTimeoutMs: z.number().int().positive().optional(),
  scheduleToStartTimeoutMs: z.number().int().positive().optional(),
  startToCloseTimeoutMs: z.number().int().positive(),
  heartbeatTimeoutMs: z.number().int().positive().optional(),
  retryPolicy: ResolvedRetryPolicy,
  /** Temporal's userMetadata: the activity's `summary`. */
  userMetadata: UserMetadataSchema.optional(),
  /** The activity's own `priority` (its workflow's fills the fields it leaves unset). */
  priority: PrioritySchema.optional(),
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
  /** Temporal's userMetadata: `sleep(ms, { summary })`. */
  userMetadata: UserMetadataSchema.optional(),
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
  /** Temporal's userMetadata: a local activity's `summary`. */
  userMetadata: UserMetadataSchema.optional(),
  workflowTaskCompletedEventId: z.number().int(),
});

export const WorkflowExecutionContinuedAsNew = event('WorkflowExecutionContinuedAsNew', {
  newExecutionRunId: z.string(),
  workflowType: z.string(),
  taskQueue: z.string(),
  input: Payloads,
  header: WireHeadersSchema.optional(),
  workflowRunTimeoutMs: z.number().int().positive().optional(),
  workflowTaskTimeoutMs: z.number().int().positive(),
  memo: z.record(z.string(), z.unknown()).optional(),
  searchAttributes: z.record(z.string(), z.unknown()).optional(),
  /** Always Workflow: retries and cron runs close their run otherwise (newExecutionRunId). */
  initiator: ContinueAsNewInitiatorSchema.optional(),
  workflowTaskCompletedEventId: z.number().int(),
});
export const ParentClosePolicySchema = z.enum(['TERMINATE', 'REQUEST_CANCEL', 'ABANDON']);
export type ParentClosePolicy = z.infer<typeof ParentClosePolicySchema>;
const childRef = { namespace: z.string(), workflowId: z.string(), workflowType: z.string() };
export const StartChildWorkflowExecutionInitiated = event('StartChildWorkflowExecutionInitiated', {
  ...childRef,
  taskQueue: z.string(),
  input: Payloads,
  header: WireHeadersSchema.optional(),
  workflowExecutionTimeoutMs: z.number().int().positive().optional(),
  workflowRunTimeoutMs: z.number().int().positive().optional(),
  workflowTaskTimeoutMs: z.number().int().positive().optional(),
  parentClosePolicy: ParentClosePolicySchema,
  memo: z.record(z.string(), z.unknown()).optional(),
  searchAttributes: z.record(z.string(), z.unknown()).optional(),
  /** The child's workflow retry policy. */
  retryPolicy: ResolvedRetryPolicy.optional(),
  /** The child's cron schedule. */
  cronSchedule: z.string().optional(),
  /** The child's workflowIdReusePolicy, when one was given. */
  workflowIdReusePolicy: z.enum(REUSE_POLICIES).optional(),
  /** Temporal's userMetadata: the child's `staticSummary`, `staticDetails`. */
  userMetadata: UserMetadataSchema.optional(),
  /** The child's own `priority` (its start merges it over the parent's). */
  priority: PrioritySchema.optional(),
  workflowTaskCompletedEventId: z.number().int(),
});
export const StartChildWorkflowExecutionFailed = event('StartChildWorkflowExecutionFailed', {
  ...childRef,
  initiatedEventId: z.number().int(),
  cause: z.enum(['WorkflowAlreadyStarted', 'NamespaceNotFound']),
  /** The run that holds the workflow id, for WorkflowAlreadyStarted. */
  runningRunId: z.string().optional(),
});
const childEvent = { ...childRef, runId: z.string(), initiatedEventId: z.number().int() };
export const ChildWorkflowExecutionStarted = event('ChildWorkflowExecutionStarted', childEvent);
const childClosed = { ...childEvent, startedEventId: z.number().int() };
export const ChildWorkflowExecutionCompleted = event('ChildWorkflowExecutionCompleted', {
  ...childClosed,
  result: z.unknown().optional(),
});
export const ChildWorkflowExecutionFailed = event('ChildWorkflowExecutionFailed', {
  ...childClosed,
  failure: Failure,
  retryState: RetryStateSchema,
});
export const ChildWorkflowExecutionCanceled = event('ChildWorkflowExecutionCanceled', {
  ...childClosed,
  details: Payloads.optional(),
});
export const ChildWorkflowExecutionTerminated = event('ChildWorkflowExecutionTerminated', {
  ...childClosed,
  reason: z.string().optional(),
});
export const ChildWorkflowExecutionTimedOut = event('ChildWorkflowExecutionTimedOut', {
  ...childClosed,
  retryState: RetryStateSchema,
});
const externalRef = {
  namespace: z.string(),
  workflowId: z.string(),
  runId: z.string().optional(),
};
export const SignalExternalWorkflowExecutionInitiated = event(
  'SignalExternalWorkflowExecutionInitiated',
  {
    ...externalRef,
    signalName: z.string(),
    input: Payloads,
    header: WireHeadersSchema.optional(),
    childWorkflowOnly: z.boolean(),
    workflowTaskCompletedEventId: z.number().int(),
  },
);
export const ExternalWorkflowExecutionSignaled = event('ExternalWorkflowExecutionSignaled', {
  ...externalRef,
  initiatedEventId: z.number().int(),
});
export const ExternalWorkflowFailedCause = z.enum(['ExternalWorkflowExecutionNotFound']);
export const SignalExternalWorkflowExecutionFailed = event(
  'SignalExternalWorkflowExecutionFailed',
  { ...externalRef, initiatedEventId: z.number().int(), cause: ExternalWorkflowFailedCause },
);
export const RequestCancelExternalWorkflowExecutionInitiated = event(
  'RequestCancelExternalWorkflowExecutionInitiated',
  {
    ...externalRef,
    childWorkflowOnly: z.boolean(),
    reason: z.string().optional(),
    workflowTaskCompletedEventId: z.number().int(),
  },
);
export const ExternalWorkflowExecutionCancelRequested = event(
  'ExternalWorkflowExecutionCancelRequested',
  { ...externalRef, initiatedEventId: z.number().int() },
);
export const RequestCancelExternalWorkflowExecutionFailed = event(
  'RequestCancelExternalWorkflowExecutionFailed',
  { ...externalRef, initiatedEventId: z.number().int(), cause: ExternalWorkflowFailedCause },
);

/** The workflow accepted an update (its validator passed); the request is recorded here. */
export const WorkflowExecutionUpdateAccepted = event('WorkflowExecutionUpdateAccepted', {
  updateId: z.string(),
  name: z.string(),
  input: Payloads,
  header: WireHeadersSchema.optional(),
  identity: z.string().optional(),
  workflowTaskCompletedEventId: z.number().int(),
  /** Where the request arrived among the run's events (UpdateRequest.sequencingEventId). */
  acceptedRequestSequencingEventId: z.number().int().nonnegative().optional(),
});
/** An accepted update's handler returned or threw. */
export const WorkflowExecutionUpdateCompleted = event('WorkflowExecutionUpdateCompleted', {
  updateId: z.string(),
  acceptedEventId: z.number().int(),
  outcome: UpdateOutcome,
  workflowTaskCompletedEventId: z.number().int(),
});

/** The workflow upserted search attributes (a null or empty-array value removed one). */
export const UpsertWorkflowSearchAttributes = event('UpsertWorkflowSearchAttributes', {
  searchAttributes: z.record(z.string(), z.unknown()),
  workflowTaskCompletedEventId: z.number().int(),
});
/** The workflow upserted its memo (a null value removed a key). */
export const WorkflowPropertiesModified = event('WorkflowPropertiesModified', {
  upsertedMemo: z.record(z.string(), z.unknown()),
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
  WorkflowExecutionUpdateAccepted,
  WorkflowExecutionUpdateCompleted,
  WorkflowExecutionContinuedAsNew,
  StartChildWorkflowExecutionInitiated,
  StartChildWorkflowExecutionFailed,
  ChildWorkflowExecutionStarted,
  ChildWorkflowExecutionCompleted,
  ChildWorkflowExecutionFailed,
  ChildWorkflowExecutionCanceled,
  ChildWorkflowExecutionTerminated,
  ChildWorkflowExecutionTimedOut,
  SignalExternalWorkflowExecutionInitiated,
  ExternalWorkflowExecutionSignaled,
  SignalExternalWorkflowExecutionFailed,
  RequestCancelExternalWorkflowExecutionInitiated,
  ExternalWorkflowExecutionCancelRequested,
  RequestCancelExternalWorkflowExecutionFailed,
  UpsertWorkflowSearchAttributes,
  WorkflowPropertiesModified,
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
