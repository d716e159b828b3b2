import * as z from 'zod';
import { Failure } from '../protocol/failure.ts';
import type { HistoryEvent } from '../protocol/history-events.ts';
import {
  HistoryEvent as HistoryEventSchema,
  ParentClosePolicySchema,
  WorkflowTaskFailedCause,
} from '../protocol/history-events.ts';
import { ResolvedRetryPolicy } from '../protocol/retry-policy.ts';
import { RunStatus, RunStatusSchema } from '../protocol/run-status.ts';
import { TimerPayload } from '../protocol/tasks.ts';
import { UserMetadataSchema, WireHeadersSchema, payloadBytes } from '../protocol/payload.ts';
import { mergePriority } from '../protocol/priority.ts';
import type { Priority } from '../protocol/priority.ts';
import { PrioritySchema } from '../protocol/priority-schema.ts';
import { mergeMemo, mergeSearchAttributes } from '../protocol/search-attributes.ts';
import { IllegalStateError } from '../errors.ts';

/**
 * The engine's mutable state of one run (Temporal's "mutable state"): what history implies,
 * kept beside it so that a step costs one row read and not a history replay, plus what history
 * does not record (activity attempts, heartbeats). Stored as JSON in the run's row.
 */
const PendingActivity = z.object({
  scheduledEventId: z.number().int(),
  seq: z.number().int(),
  activityId: z.string(),
  activityType: z.string(),
  taskQueue: z.string(),
  scheduledTimeMs: z.number(),
  attempt: z.number().int().positive(),
  phase: z.enum(['scheduled', 'started', 'backoff']),
  currentAttemptScheduledTimeMs: z.number(),
  startedTimeMs: z.number().optional(),
  startedIdentity: z.string().optional(),
  /** The engine process whose worker got the started attempt (ADR 0012); see {@link holdersOf}. */
  heldBy: z.string().optional(),
  scheduleToCloseTimeoutMs: z.number().int().optional(),
  scheduleToStartTimeoutMs: z.number().int().optional(),
  startToCloseTimeoutMs: z.number().int(),
  heartbeatTimeoutMs: z.number().int().optional(),
  retryPolicy: ResolvedRetryPolicy,
  heartbeatDetails: z.array(z.unknown()).optional(),
  lastHeartbeatTimeMs: z.number().optional(),
  lastFailure: Failure.optional(),
  nextAttemptAtMs: z.number().optional(),
  cancelRequestedEventId: z.number().int().optional(),
  /**
   * The activity's priority as its tasks are queued and `activityInfo()` shows it: its own over
   * its workflow's, field by field. Absent: none set.
   */
  priority: PrioritySchema.optional(),
  /**
   * The activity's own priority, as its ActivityTaskScheduled records it: what `describe()`
   * shows of it, as Temporal's server does. Absent: it set none (or it was scheduled before the
   * engine kept this).
   */
  ownPriority: PrioritySchema.optional(),
});
export type PendingActivity = z.infer<typeof PendingActivity>;

const PendingTimer = z.object({
  timerId: z.string(),
  startedEventId: z.number().int(),
  firesAtMs: z.number(),
});

const WorkflowTaskState = z.object({
  scheduledEventId: z.number().int(),
  startedEventId: z.number().int().optional(),
  attempt: z.number().int().positive(),
  startedIdentity: z.string().optional(),
  /**
   * Tells one start of the task from another (in its task token): two engine processes that
   * start the same queued task before either commits both hand it out, and only the answer to
   * the start that committed counts.
   */
  startId: z.string().optional(),
  /**
   * The engine process whose worker got the started task (ADR 0012), or, for a task queued on a
   * sticky queue, whose worker polls that queue.
   */
  heldBy: z.string().optional(),
  /**
   * The sticky queue the scheduled task is queued on, not the run's own (engine/sticky.ts);
   * absent once it starts.
   */
  stickyQueue: z.string().optional(),
  /**
   * A speculative task (one scheduled only to deliver updates, Temporal's rule): its
   * WorkflowTaskScheduled/Started events wait here, with the ids the worker saw, instead of in
   * history. The next event appended writes them first; a task that only rejects updates drops
   * them, so a rejected update leaves no trace (engine/speculative-task.ts).
   */
  speculative: z
    .object({ scheduled: HistoryEventSchema, started: HistoryEventSchema.optional() })
    .optional(),
});

/**
 * One update of the run, by updateId. `admitted` and `rejected` are state only (a rejected
 * update leaves no event); `accepted` and `completed` mirror the events that record them.
 */
const UpdateEntry = z.object({
  updateId: z.string(),
  name: z.string(),
  stage: z.enum(['admitted', 'rejected', 'accepted', 'completed']),
  /** Admission order: updates reach the workflow in this order. */
  order: z.number().int(),
  /** The run's last event at admission: where it falls among signals (UpdateRequest). */
  sequencingEventId: z.number().int().nonnegative().optional(),
  /** Kept only while admitted: once accepted, the request is in the Accepted event. */
  args: z.array(z.unknown()).optional(),
  /** Kept only while admitted, as `args`. */
  header: WireHeadersSchema.optional(),
  identity: z.string().optional(),
  rejection: Failure.optional(),
  acceptedEventId: z.number().int().optional(),
  completedEventId: z.number().int().optional(),
});
export type UpdateEntry = z.infer<typeof UpdateEntry>;

/** A child workflow this run started and has not yet heard the end of. */
const PendingChild = z.object({
  initiatedEventId: z.number().int(),
  namespace: z.string(),
  workflowId: z.string(),
  workflowType: z.string(),
  parentClosePolicy: ParentClosePolicySchema,
  /** Set by ChildWorkflowExecutionStarted: the child's first run. */
  runId: z.string().optional(),
  startedEventId: z.number().int().optional(),
});
export type PendingChild = z.infer<typeof PendingChild>;

export const RunState = z.object({
  namespace: z.string(),
  workflowId: z.string(),
  runId: z.string(),
  workflowType: z.string(),
  taskQueue: z.string(),
  status: RunStatusSchema,
  startTimeMs: z.number(),
  closeTimeMs: z.number().optional(),
  nextEventId: z.number().int().positive(),
  historySizeBytes: z.number().int().nonnegative(),
  workflowTaskTimeoutMs: z.number().int().positive(),
  memo: z.record(z.string(), z.unknown()),
  searchAttributes: z.record(z.string(), z.unknown()),
  workflowTask: WorkflowTaskState.optional(),
  /**
   * The sticky queue of the worker that answered the run's last workflow task and keeps the run
   * in memory, and how long a task queued there waits for it (engine/sticky.ts). Absent: the
   * run's tasks go to its own queue.
   */
  sticky: z
    .object({
      taskQueue: z.string(),
      scheduleToStartTimeoutMs: z.number().int().positive(),
    })
    .optional(),
  /** A WT retry is waiting on a backoff timer (after a worker-reported failure). */
  workflowTaskBackoffAttempt: z.number().int().optional(),
  /** The WorkflowTaskStarted of the last completed workflow task; 0 before the first. */
  previousStartedEventId: z.number().int().nonnegative(),
  /** Events the workflow must see arrived while its task was out: schedule another. */
  eventsWhileTaskStarted: z.boolean(),
  /** Consecutive workflow-task failures; reset by a completed task. */
  workflowTaskFailures: z.number().int().nonnegative(),
  lastWorkflowTaskFailure: z
    .object({
      cause: WorkflowTaskFailedCause,
      failure: Failure,
      attempt: z.number().int(),
      timeMs: z.number(),
    })
    .optional(),
  pendingActivities: z.record(z.string(), PendingActivity),
  pendingTimers: z.record(z.string(), PendingTimer),
  cancelRequested: z.boolean(),
  /** From WorkflowExecutionStarted (absent in runs written before continue-as-new existed). */
  firstExecutionRunId: z.string().optional(),
  workflowRunTimeoutMs: z.number().int().optional(),
  workflowExecutionTimeoutMs: z.number().int().optional(),
  /** From WorkflowExecutionStarted: when the whole execution times out (retries stop before it). */
  workflowExecutionExpirationTimeMs: z.number().int().optional(),
  /** From WorkflowExecutionStarted: the workflow retry policy and this run's attempt under it. */
  retryPolicy: ResolvedRetryPolicy.optional(),
  attempt: z.number().int().positive().optional(),
  /**
   * From WorkflowExecutionStarted of a cron run: the schedule, and when the run was due to start
   * (its start plus its first workflow task's backoff), from which the next run is timed.
   */
  cron: z.object({ schedule: z.string(), scheduledTimeMs: z.number() }).optional(),
  /** The parent that started this run as a child: told when the run closes. */
  parent: z
    .object({
      namespace: z.string(),
      workflowId: z.string(),
      runId: z.string(),
      initiatedEventId: z.number().int(),
    })
    .optional(),
  /** From WorkflowExecutionStarted of a child: the run at the top of its chain of parents. */
  root: z.object({ workflowId: z.string(), runId: z.string() }).optional(),
  /** Children by their StartChildWorkflowExecutionInitiated event id. */
  pendingChildren: z.record(z.string(), PendingChild).optional(),
  /** Recent request ids of signals sent by other workflows: a redelivery is dropped. */
  externalSignalRequestIds: z.array(z.string()).optional(),
  /** Updates by updateId (absent in runs written before updates existed). */
  updates: z.record(z.string(), UpdateEntry).optional(),
  /** The last admission order given to an update. */
  updateSeq: z.number().int().optional(),
  /** The buildId of the worker that completed the last workflow task (WorkflowTaskCompleted). */
  mostRecentWorkerBuildId: z.string().optional(),
  /** Initiated events of signals to other workflows not yet resolved (for maxPendingSignals). */
  pendingExternalSignals: z.array(z.number().int()).optional(),
  /** Initiated events of cancel requests to other workflows not yet resolved. */
  pendingExternalCancels: z.array(z.number().int()).optional(),
  /** The limit warnings already logged for this run (each is logged once). */
  limitWarnings: z.array(z.string()).optional(),
  /**
   * The run's own timers (workflow task and activity timeouts and retries, user timers) by key,
   * kept here instead of one row each; one timer row (`timerRowDueAtMs`) wakes the run at or
   * before the earliest (RunTx.setTimer). Absent in runs written before: their timers are rows.
   */
  timers: z.record(z.string(), z.object({ dueAtMs: z.number(), payload: TimerPayload })).optional(),
  /** When the row of `timers` is due; undefined when there is no row. */
  timerRowDueAtMs: z.number().optional(),
  /** From WorkflowExecutionStarted: the start's summary and details, for describe(). */
  userMetadata: UserMetadataSchema.optional(),
  /**
   * From WorkflowExecutionStarted: the run's priority, by which its workflow tasks are queued and
   * which its activities and children inherit. Absent: none set (key 3).
   */
  priority: PrioritySchema.optional(),
});
export type RunState = z.infer<typeof RunState>;

/**
 * A run's state as stored, checked against {@link RunState}. Not compiled (see `compiled`): it
 * is parsed only when the engine's run cache misses, and its fast path takes ~90 ms to make.
 */
export function parseRunState(value: unknown): RunState {
  return RunState.parse(value);
}

const RunPriority = RunState.pick({ priority: true });

/**
 * The run's priority from its state (a list item's), without parsing the rest of it; `{}` when
 * it sets none, as `describe()` gives it.
 */
export function runPriorityOf(state: unknown): Priority {
  return { ...RunPriority.parse(state).priority };
}

/**
 * The engine processes holding one of the run's started tasks (ADR 0012), or its workflow task
 * queued for a worker of theirs (a sticky queue): what the store's `held_by` copy says, so that a
 * dead process's tasks can be found and given out again.
 */
export function holdersOf(state: RunState): string[] {
  const out: string[] = [];
  const wt = state.workflowTask;
  if (wt?.heldBy !== undefined && (wt.startedEventId !== undefined || wt.stickyQueue !== undefined))
    out.push(wt.heldBy);
  for (const a of Object.values(state.pendingActivities)) {
    if (a.phase === 'started' && a.heldBy !== undefined && !out.includes(a.heldBy))
      out.push(a.heldBy);
  }
  return out;
}

/** History events that the workflow code must see: each one needs a workflow task. */
export function isWorkflowVisible(type: HistoryEvent['type']): boolean {
  switch (type) {
    case 'WorkflowExecutionStarted':
    case 'WorkflowExecutionSignaled':
    case 'WorkflowExecutionCancelRequested':
    case 'ActivityTaskCompleted':
    case 'ActivityTaskFailed':
    case 'ActivityTaskTimedOut':
    case 'ActivityTaskCanceled':
    case 'TimerFired':
    case 'StartChildWorkflowExecutionFailed':
    case 'ChildWorkflowExecutionStarted':
    case 'ChildWorkflowExecutionCompleted':
    case 'ChildWorkflowExecutionFailed':
    case 'ChildWorkflowExecutionCanceled':
    case 'ChildWorkflowExecutionTerminated':
    case 'ChildWorkflowExecutionTimedOut':
    case 'ExternalWorkflowExecutionSignaled':
    case 'SignalExternalWorkflowExecutionFailed':
    case 'ExternalWorkflowExecutionCancelRequested':
    case 'RequestCancelExternalWorkflowExecutionFailed':
      return true;
    case 'WorkflowExecutionCompleted':
    case 'WorkflowExecutionFailed':
    case 'WorkflowExecutionCanceled':
    case 'WorkflowExecutionTerminated':
    case 'WorkflowExecutionTimedOut':
    case 'WorkflowTaskScheduled':
    case 'WorkflowTaskStarted':
    case 'WorkflowTaskCompleted':
    case 'WorkflowTaskFailed':
    case 'WorkflowTaskTimedOut':
    case 'ActivityTaskScheduled':
    case 'ActivityTaskStarted':
    case 'ActivityTaskCancelRequested':
    case 'TimerStarted':
    case 'TimerCanceled':
    case 'MarkerRecorded':
    case 'WorkflowExecutionContinuedAsNew':
    case 'StartChildWorkflowExecutionInitiated':
    case 'SignalExternalWorkflowExecutionInitiated':
    case 'RequestCancelExternalWorkflowExecutionInitiated':
    case 'WorkflowExecutionUpdateAccepted':
    case 'WorkflowExecutionUpdateCompleted':
    case 'UpsertWorkflowSearchAttributes':
    case 'WorkflowPropertiesModified':
      return false;
    default: {
      const never: never = type;
      throw new IllegalStateError(`Unknown event type ${String(never)}`);
    }
  }
}

/**
 * Applies what one event implies to the state, in place. Pure with respect to everything but
 * `state`: the same events give the same state.
 */
export function applyEvent(state: RunState, e: HistoryEvent): void {
  if (e.eventId !== state.nextEventId) {
    throw new IllegalStateError(
      `Run ${state.runId}: event id ${e.eventId} appended where ${state.nextEventId} was next.`,
    );
  }
  state.nextEventId = e.eventId + 1;
  state.historySizeBytes += payloadBytes(e);
  switch (e.type) {
    case 'WorkflowExecutionStarted':
      state.memo = e.memo ?? {};
      state.searchAttributes = e.searchAttributes ?? {};
      state.firstExecutionRunId = e.firstExecutionRunId;
      if (e.workflowRunTimeoutMs !== undefined) state.workflowRunTimeoutMs = e.workflowRunTimeoutMs;
      if (e.workflowExecutionTimeoutMs !== undefined) {
        state.workflowExecutionTimeoutMs = e.workflowExecutionTimeoutMs;
      }
      if (e.parent !== undefined) state.parent = e.parent;
      if (e.rootWorkflowExecution !== undefined) state.root = e.rootWorkflowExecution;
      if (e.userMetadata !== undefined) state.userMetadata = e.userMetadata;
      if (e.priority !== undefined) state.priority = e.priority;
      if (e.workflowExecutionExpirationTimeMs !== undefined) {
        state.workflowExecutionExpirationTimeMs = e.workflowExecutionExpirationTimeMs;
      }
      if (e.retryPolicy !== undefined) state.retryPolicy = e.retryPolicy;
      state.attempt = e.attempt;
      if (e.cronSchedule !== undefined) {
        state.cron = {
          schedule: e.cronSchedule,
          scheduledTimeMs: e.timeMs + (e.firstWorkflowTaskBackoffMs ?? 0),
        };
      }
      return;
    case 'WorkflowExecutionContinuedAsNew':
      close(state, RunStatus.ContinuedAsNew, e.timeMs);
      return;
    case 'StartChildWorkflowExecutionInitiated':
      (state.pendingChildren ??= {})[String(e.eventId)] = {
        initiatedEventId: e.eventId,
        namespace: e.namespace,
        workflowId: e.workflowId,
        workflowType: e.workflowType,
        parentClosePolicy: e.parentClosePolicy,
      };
      return;
    case 'ChildWorkflowExecutionStarted': {
      const child = state.pendingChildren?.[String(e.initiatedEventId)];
      if (child) {
        child.runId = e.runId;
        child.startedEventId = e.eventId;
      }
      return;
    }
    case 'StartChildWorkflowExecutionFailed':
    case 'ChildWorkflowExecutionCompleted':
    case 'ChildWorkflowExecutionFailed':
    case 'ChildWorkflowExecutionCanceled':
    case 'ChildWorkflowExecutionTerminated':
    case 'ChildWorkflowExecutionTimedOut':
      delete state.pendingChildren?.[String(e.initiatedEventId)];
      return;
    case 'SignalExternalWorkflowExecutionInitiated':
      (state.pendingExternalSignals ??= []).push(e.eventId);
      return;
    case 'ExternalWorkflowExecutionSignaled':
    case 'SignalExternalWorkflowExecutionFailed':
      state.pendingExternalSignals = state.pendingExternalSignals?.filter(
        (id) => id !== e.initiatedEventId,
      );
      return;
    case 'RequestCancelExternalWorkflowExecutionInitiated':
      (state.pendingExternalCancels ??= []).push(e.eventId);
      return;
    case 'ExternalWorkflowExecutionCancelRequested':
    case 'RequestCancelExternalWorkflowExecutionFailed':
      state.pendingExternalCancels = state.pendingExternalCancels?.filter(
        (id) => id !== e.initiatedEventId,
      );
      return;
    case 'WorkflowTaskScheduled':
      state.workflowTask = { scheduledEventId: e.eventId, attempt: e.attempt };
      delete state.workflowTaskBackoffAttempt;
      return;
    case 'WorkflowTaskStarted':
      if (state.workflowTask?.scheduledEventId !== e.scheduledEventId) {
        throw new IllegalStateError(
          `Run ${state.runId}: WorkflowTaskStarted for a task not scheduled.`,
        );
      }
      state.workflowTask.startedEventId = e.eventId;
      state.workflowTask.startedIdentity = e.identity;
      state.eventsWhileTaskStarted = false;
      return;
    case 'WorkflowTaskCompleted':
      state.workflowTask = undefined;
      state.previousStartedEventId = e.startedEventId;
      state.workflowTaskFailures = 0;
      delete state.lastWorkflowTaskFailure;
      if (e.buildId !== undefined) state.mostRecentWorkerBuildId = e.buildId;
      return;
    case 'WorkflowTaskFailed':
    case 'WorkflowTaskTimedOut':
      state.workflowTask = undefined;
      return;
    case 'ActivityTaskScheduled': {
      const priority = mergePriority(state.priority, e.priority);
      state.pendingActivities[String(e.eventId)] = {
        scheduledEventId: e.eventId,
        seq: e.seq,
        activityId: e.activityId,
        activityType: e.activityType,
        taskQueue: e.taskQueue,
        scheduledTimeMs: e.timeMs,
        attempt: 1,
        phase: 'scheduled',
        currentAttemptScheduledTimeMs: e.timeMs,
        ...(e.scheduleToCloseTimeoutMs !== undefined && {
          scheduleToCloseTimeoutMs: e.scheduleToCloseTimeoutMs,
        }),
        ...(e.scheduleToStartTimeoutMs !== undefined && {
          scheduleToStartTimeoutMs: e.scheduleToStartTimeoutMs,
        }),
        startToCloseTimeoutMs: e.startToCloseTimeoutMs,
        ...(e.heartbeatTimeoutMs !== undefined && { heartbeatTimeoutMs: e.heartbeatTimeoutMs }),
        retryPolicy: e.retryPolicy,
        ...(priority !== undefined && { priority }),
        ...(e.priority !== undefined && { ownPriority: e.priority }),
      };
      return;
    }
    case 'ActivityTaskCancelRequested': {
      const pa = state.pendingActivities[String(e.scheduledEventId)];
      if (pa) pa.cancelRequestedEventId = e.eventId;
      return;
    }
    case 'ActivityTaskCompleted':
    case 'ActivityTaskFailed':
    case 'ActivityTaskTimedOut':
    case 'ActivityTaskCanceled':
      delete state.pendingActivities[String(e.scheduledEventId)];
      return;
    case 'TimerStarted':
      state.pendingTimers[e.timerId] = {
        timerId: e.timerId,
        startedEventId: e.eventId,
        firesAtMs: e.timeMs + e.startToFireTimeoutMs,
      };
      return;
    case 'TimerFired':
    case 'TimerCanceled':
      delete state.pendingTimers[e.timerId];
      return;
    case 'WorkflowExecutionCancelRequested':
      state.cancelRequested = true;
      return;
    case 'WorkflowExecutionCompleted':
      close(state, RunStatus.Completed, e.timeMs);
      return;
    case 'WorkflowExecutionFailed':
      close(state, RunStatus.Failed, e.timeMs);
      return;
    case 'WorkflowExecutionCanceled':
      close(state, RunStatus.Canceled, e.timeMs);
      return;
    case 'WorkflowExecutionTerminated':
      close(state, RunStatus.Terminated, e.timeMs);
      return;
    case 'WorkflowExecutionTimedOut':
      close(state, RunStatus.TimedOut, e.timeMs);
      return;
    case 'WorkflowExecutionUpdateAccepted': {
      const updates = (state.updates ??= {});
      const order = updates[e.updateId]?.order ?? (state.updateSeq = (state.updateSeq ?? 0) + 1);
      updates[e.updateId] = {
        updateId: e.updateId,
        name: e.name,
        stage: 'accepted',
        order,
        acceptedEventId: e.eventId,
        ...(e.identity !== undefined && { identity: e.identity }),
      };
      return;
    }
    case 'WorkflowExecutionUpdateCompleted': {
      const u = state.updates?.[e.updateId];
      if (u) {
        u.stage = 'completed';
        u.completedEventId = e.eventId;
      }
      return;
    }
    case 'UpsertWorkflowSearchAttributes':
      state.searchAttributes = mergeSearchAttributes(state.searchAttributes, e.searchAttributes);
      return;
    case 'WorkflowPropertiesModified':
      state.memo = mergeMemo(state.memo, e.upsertedMemo);
      return;
    case 'WorkflowExecutionSignaled':
    case 'ActivityTaskStarted':
    case 'MarkerRecorded':
      return;
    default: {
      const never: never = e;
      throw new IllegalStateError(`Unknown event ${JSON.stringify(never)}`);
    }
  }
}

function close(state: RunState, status: RunStatus, timeMs: number): void {
  state.status = status;
  state.closeTimeMs = timeMs;
  state.workflowTask = undefined;
  // A closed run has no pending work: its timer rows are deleted with the close (dropPendingTimers).
  state.pendingTimers = {};
  state.pendingActivities = {};
}
