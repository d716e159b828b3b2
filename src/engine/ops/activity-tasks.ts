import * as z from 'zod';
import { InvalidArgumentError, TaskNotFoundError } from '../../errors.ts';
import { Failure, RetryState } from '../../protocol/failure.ts';
import type { TimeoutType } from '../../protocol/failure.ts';
import { retryBackoffMs } from '../../protocol/retry-policy.ts';
import type { TaskRecord } from '../../store/store.ts';
import type {
  ActivityRef,
  ActivityTask,
  ActivityTaskTarget,
  CompleteActivityTaskRequest,
  CompleteActivityTaskResponse,
  FailActivityTaskRequest,
  HeartbeatActivityTaskRequest,
  ReleaseActivityTaskRequest,
  HeartbeatResponse,
  PollRequest,
  ReportActivityCanceledRequest,
} from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';
import { pollTaskQueue } from '../task-queues/matcher.ts';
import { checkPayload, limitFailure } from '../payload-limits.ts';
import type { PendingActivity } from '../run-state.ts';
import { ActivityTaskToken, decodeTaskToken, encodeTaskToken } from '../task-token.ts';
import { activityTimerKey, activityTimerKeys } from '../timer-keys.ts';
import { updateRunIfExists, updateTaskRun } from '../update-run.ts';
import type { RunTx } from '../update-run.ts';
import { parseRequest } from './parse-request.ts';
import { assertNamespace } from './find-run.ts';
import { startWorkflowTaskEagerly } from '../eager-dispatch.ts';
import { workflowTaskFor } from './workflow-tasks.ts';
import type { StartedWorkflowTask } from './workflow-tasks.ts';
import { cloneData } from '../../util/clone-data.ts';

/**
 * Long-polls the activity task queue. A task handed out is marked started with its
 * start-to-close and heartbeat timers in one transaction; no history event is written until the
 * attempt ends (Temporal's rule: retries do not grow history).
 */
export async function pollActivityTask(
  deps: EngineDeps,
  input: PollRequest,
  signal?: AbortSignal,
): Promise<ActivityTask | undefined> {
  return pollTaskQueue(
    deps,
    input,
    'activity',
    (task, identity) => startActivityTask(deps, task, identity),
    signal,
  );
}

async function startActivityTask(
  deps: EngineDeps,
  task: TaskRecord,
  identity: string,
): Promise<ActivityTask | undefined> {
  const started = await updateRunIfExists(deps, task.runId, (tx) => {
    tx.ackTask(task.taskId);
    const a = tx.state.pendingActivities[String(task.scheduledEventId)];
    if (!tx.isRunning || !a || a.attempt !== task.attempt || a.phase !== 'scheduled') {
      return undefined;
    }
    if (a.cancelRequestedEventId !== undefined) return undefined;
    startActivityAttempt(tx, a, identity);
    return activityTaskOf(tx.state, a, []);
  });
  if (started === 'missing') {
    await deps.store.deleteTask({ taskId: task.taskId });
    return undefined;
  }
  if (!started) return undefined;
  const [scheduled] = await deps.store.readHistory({
    runId: task.runId,
    fromEventId: task.scheduledEventId,
  });
  if (scheduled?.type === 'ActivityTaskScheduled') {
    started.args = scheduled.input;
    if (scheduled.header !== undefined) started.header = scheduled.header;
  }
  return started;
}

/**
 * Marks a scheduled attempt started, with its start-to-close and heartbeat timers (no history
 * event until the attempt ends: Temporal's rule, so retries do not grow history).
 */
export function startActivityAttempt(tx: RunTx, a: PendingActivity, identity: string): void {
  a.phase = 'started';
  a.startedTimeMs = tx.nowMs;
  a.startedIdentity = identity;
  if (tx.heldBy === undefined) delete a.heldBy;
  else a.heldBy = tx.heldBy;
  delete a.lastHeartbeatTimeMs;
  tx.touch();
  tx.deleteTimer(activityTimerKey(a.scheduledEventId, 'ScheduleToStart'));
  setAttemptTimeout(tx, a, 'StartToClose', a.startToCloseTimeoutMs);
  if (a.heartbeatTimeoutMs !== undefined) {
    setAttemptTimeout(tx, a, 'Heartbeat', a.heartbeatTimeoutMs);
  }
}

/** (Re)arms the started attempt's start-to-close or heartbeat timeout, `afterMs` from now. */
function setAttemptTimeout(
  tx: RunTx,
  a: PendingActivity,
  timeoutType: 'StartToClose' | 'Heartbeat',
  afterMs: number,
): void {
  tx.setTimer(activityTimerKey(a.scheduledEventId, timeoutType), tx.nowMs + afterMs, {
    kind: 'activityTimeout',
    scheduledEventId: a.scheduledEventId,
    attempt: a.attempt,
    timeoutType,
  });
}

/** The task a worker gets for a started attempt (a copy: the run's state stays the engine's). */
export function activityTaskOf(
  run: { namespace: string; workflowId: string; runId: string; workflowType: string },
  a: PendingActivity,
  args: unknown[],
): ActivityTask {
  return {
    taskToken: encodeTaskToken({
      k: 'at',
      namespace: run.namespace,
      runId: run.runId,
      scheduledEventId: a.scheduledEventId,
      attempt: a.attempt,
    }),
    workflowNamespace: run.namespace,
    workflowId: run.workflowId,
    runId: run.runId,
    workflowType: run.workflowType,
    activityId: a.activityId,
    activityType: a.activityType,
    taskQueue: a.taskQueue,
    args,
    attempt: a.attempt,
    scheduledTimeMs: a.scheduledTimeMs,
    currentAttemptScheduledTimeMs: a.currentAttemptScheduledTimeMs,
    startedTimeMs: a.startedTimeMs ?? 0,
    scheduleToCloseTimeoutMs: a.scheduleToCloseTimeoutMs,
    startToCloseTimeoutMs: a.startToCloseTimeoutMs,
    heartbeatTimeoutMs: a.heartbeatTimeoutMs,
    heartbeatDetails:
      a.heartbeatDetails === undefined ? undefined : structuredClone(a.heartbeatDetails),
    retryPolicy: a.retryPolicy,
    ...(a.priority !== undefined && { priority: a.priority }),
  };
}

/** The started attempt the token names, or a clear error: the answer is then not recorded. */
function currentAttempt(tx: RunTx, token: ActivityTaskToken): PendingActivity {
  const a = tx.state.pendingActivities[String(token.scheduledEventId)];
  if (!tx.isRunning || a?.attempt !== token.attempt || a.phase !== 'started') {
    throw new TaskNotFoundError(
      'ActivityTaskNotFound',
      `Activity task ${token.scheduledEventId} attempt ${token.attempt} of run ${token.runId} is no longer current ` +
        `(it completed, timed out, was retried or cancelled, or the run closed); this answer was not recorded.`,
    );
  }
  return a;
}

/**
 * The task token, or (Temporal's FullActivityId) the run and id of the activity, that an
 * answer names: one and not both.
 */
const TargetSchema = {
  taskToken: z.string().min(1).optional(),
  activity: z
    .object({
      namespace: z.string().min(1),
      workflowId: z.string().min(1),
      runId: z.string().min(1).optional(),
      activityId: z.string().min(1),
    })
    .optional(),
};

/** The run an answer's target is in, and how to find its attempt in that run. */
interface ResolvedTarget {
  runId: string;
  /** The attempt the answer is for, or TaskNotFoundError (nothing recorded). */
  attempt(tx: RunTx): PendingActivity;
}

type TargetInput = { taskToken?: string | undefined; activity?: ActivityRef | undefined };

/**
 * Resolves an answer's target. By task token (synchronously: no extra await on the worker's
 * path): the attempt it names. By activity id, see {@link resolveRefTarget}.
 */
function resolveTarget(
  deps: EngineDeps,
  req: TargetInput,
  anyPhase: boolean,
): ResolvedTarget | Promise<ResolvedTarget> {
  if (req.taskToken !== undefined && req.activity === undefined) {
    const token = decodeTaskToken(ActivityTaskToken, req.taskToken);
    return { runId: token.runId, attempt: (tx) => currentAttempt(tx, token) };
  }
  const ref = req.activity;
  if (ref === undefined || req.taskToken !== undefined) {
    throw new InvalidArgumentError(
      'Name the activity by its taskToken or by { workflowId, runId?, activityId }, not both.',
    );
  }
  return resolveRefTarget(deps, ref, anyPhase);
}

/**
 * By activity id: the activity's current attempt in the run (the workflow id's latest run
 * without a run id), as Temporal's answers by id; `anyPhase` (completion) also takes an attempt
 * that is not started (scheduled, or waiting to retry), which Temporal completes as well.
 */
async function resolveRefTarget(
  deps: EngineDeps,
  ref: ActivityRef,
  anyPhase: boolean,
): Promise<ResolvedTarget> {
  const run = await deps.store.findRun({
    namespace: ref.namespace,
    workflowId: ref.workflowId,
    runId: ref.runId,
  });
  if (!run) {
    await assertNamespace(deps, ref.namespace);
    throw new TaskNotFoundError(
      'ActivityTaskNotFound',
      `No workflow '${ref.workflowId}'${ref.runId === undefined ? '' : ` with run ${ref.runId}`} in namespace ` +
        `'${ref.namespace}', so no activity '${ref.activityId}' of it; this answer was not recorded.`,
    );
  }
  return { runId: run.runId, attempt: (tx) => attemptById(tx, ref, anyPhase) };
}

/** A parsed request's target, as a request names it again. */
function targetOf(req: TargetInput): ActivityTaskTarget {
  return req.activity === undefined
    ? { taskToken: req.taskToken ?? '' }
    : { activity: req.activity };
}

/** The current attempt of the pending activity `ref` names, or a clear error. */
function attemptById(tx: RunTx, ref: ActivityRef, anyPhase: boolean): PendingActivity {
  const where = `workflow '${ref.workflowId}' (run ${tx.state.runId})`;
  if (!tx.isRunning) {
    throw new TaskNotFoundError(
      'ActivityTaskNotFound',
      `The run of ${where} is closed, so activity '${ref.activityId}' is not running; this answer was not recorded.`,
    );
  }
  let a: PendingActivity | undefined;
  for (const p of Object.values(tx.state.pendingActivities)) {
    if (p.activityId === ref.activityId) a = p;
  }
  if (!a) {
    throw new TaskNotFoundError(
      'ActivityTaskNotFound',
      `${where} has no pending activity '${ref.activityId}' (it completed, failed, timed out or was ` +
        'cancelled, or never was scheduled; see the history); this answer was not recorded.',
    );
  }
  if (!anyPhase && a.phase !== 'started') {
    throw new TaskNotFoundError(
      'ActivityTaskNotFound',
      `Activity '${ref.activityId}' of ${where} has no attempt running (it waits for a worker, or to ` +
        'be retried); only complete() takes it by id then. This answer was not recorded.',
    );
  }
  return a;
}

function endActivity(tx: RunTx, a: PendingActivity): number {
  for (const k of activityTimerKeys(a.scheduledEventId)) tx.deleteTimer(k);
  const started = tx.append({
    type: 'ActivityTaskStarted',
    scheduledEventId: a.scheduledEventId,
    attempt: a.attempt,
    identity: a.startedIdentity ?? 'unknown',
    ...(a.lastFailure !== undefined && { lastFailure: a.lastFailure }),
  });
  return started.eventId;
}

export const CompleteSchema = z.object({
  ...TargetSchema,
  identity: z.string().min(1),
  // Absent when the activity returned nothing (JSON has no undefined).
  result: z.unknown().optional(),
  eagerWorkflowTask: z.boolean().optional(),
});

/**
 * Records an attempt's result: ActivityTaskStarted + ActivityTaskCompleted and the next
 * workflow task in one transaction. Contract 2: a second completion of the same attempt, or a
 * late one, changes nothing and gets ActivityTaskNotFound. Test:
 * test/contract/2-activities-count-once.test.ts.
 */
export async function completeActivityTask(
  deps: EngineDeps,
  input: CompleteActivityTaskRequest,
): Promise<CompleteActivityTaskResponse> {
  const req = parseRequest(CompleteSchema, input, 'complete activity task');
  const resolved = resolveTarget(deps, req, true);
  const target = resolved instanceof Promise ? await resolved : resolved;
  let eager: StartedWorkflowTask | undefined;
  await updateTaskRun(deps, 'activity', target.runId, (tx) => {
    eager = undefined;
    const pa = target.attempt(tx);
    checkPayload(deps, `The result of activity '${pa.activityType}'`, req.result);
    // Completed by id before an attempt started: recorded as started by the completer, as
    // Temporal does.
    if (pa.phase !== 'started') pa.startedIdentity = req.identity;
    const startedEventId = endActivity(tx, pa);
    tx.append({
      type: 'ActivityTaskCompleted',
      scheduledEventId: pa.scheduledEventId,
      startedEventId,
      // A copy: held for the next answer (ADR 0007), the event is written only later, and the
      // worker in this process still holds the object it returned.
      result: cloneData(req.result),
      identity: req.identity,
    });
    if (req.eagerWorkflowTask === true) {
      tx.afterFinish = () => {
        eager = startWorkflowTaskEagerly(deps, tx, req.identity);
        // Its answer follows at once and commits this result with it (RunTx.deferCommit). If
        // another engine's write wins the run meanwhile, the result is recorded again, with
        // its workflow task left in the queue (the answer to the eager one fails).
        tx.deferCommit = eager !== undefined;
        if (tx.deferCommit) {
          tx.decideAgainIfLost = () =>
            completeActivityTask(deps, {
              ...targetOf(req),
              identity: req.identity,
              result: req.result,
            });
        }
      };
    }
  });
  return eager === undefined
    ? {}
    : { workflowTask: await workflowTaskFor(deps, target.runId, eager) };
}

export const FailSchema = z.object({
  ...TargetSchema,
  identity: z.string().min(1),
  failure: Failure,
  lastHeartbeatDetails: z.array(z.unknown()).optional(),
});

/** An attempt failed: retried per the activity's policy, or recorded as ActivityTaskFailed. */
export async function failActivityTask(
  deps: EngineDeps,
  input: FailActivityTaskRequest,
): Promise<void> {
  const req = parseRequest(FailSchema, input, 'fail activity task');
  const resolved = resolveTarget(deps, req, false);
  const target = resolved instanceof Promise ? await resolved : resolved;
  const failure = limitFailure(deps, 'The activity failure', req.failure);
  await updateTaskRun(deps, 'activity', target.runId, (tx) => {
    const pa = target.attempt(tx);
    if (req.lastHeartbeatDetails !== undefined) pa.heartbeatDetails = req.lastHeartbeatDetails;
    failAttempt(tx, pa, failure, req.identity, undefined);
  });
}

/**
 * One attempt ended in failure (reported, or a start-to-close/heartbeat timeout). Retries when
 * the policy allows and the schedule-to-close deadline leaves room; otherwise closes the
 * activity with ActivityTaskFailed / ActivityTaskTimedOut.
 */
function failAttempt(
  tx: RunTx,
  pa: PendingActivity,
  failure: Failure,
  identity: string,
  timeoutType: TimeoutType | undefined,
): void {
  const retryState = retryDecision(tx.nowMs, pa, failure);
  if (retryState === RetryState.InProgress) {
    const info = failure.info;
    const delayMs =
      info.type === 'application' && info.nextRetryDelayMs !== undefined
        ? info.nextRetryDelayMs
        : retryBackoffMs(pa.retryPolicy, pa.attempt);
    for (const k of ['StartToClose', 'Heartbeat'] as const) {
      tx.deleteTimer(activityTimerKey(pa.scheduledEventId, k));
    }
    pa.attempt += 1;
    pa.phase = 'backoff';
    pa.lastFailure = failure;
    pa.nextAttemptAtMs = tx.nowMs + delayMs;
    delete pa.startedTimeMs;
    tx.touch();
    tx.setTimer(activityTimerKey(pa.scheduledEventId, 'Retry'), tx.nowMs + delayMs, {
      kind: 'activityRetry',
      scheduledEventId: pa.scheduledEventId,
      attempt: pa.attempt,
    });
    return;
  }
  const startedEventId = endActivity(tx, pa);
  if (timeoutType === undefined) {
    tx.append({
      type: 'ActivityTaskFailed',
      scheduledEventId: pa.scheduledEventId,
      startedEventId,
      failure,
      retryState,
      identity,
    });
  } else {
    // A timeout whose retry would pass the schedule-to-close deadline is that deadline's
    // (Temporal records it as ScheduleToClose).
    const recorded: Failure =
      retryState === RetryState.Timeout && failure.info.type === 'timeout'
        ? {
            ...failure,
            message: `Activity task timed out (ScheduleToClose: the ${timeoutType} timeout left no time to retry)`,
            info: { ...failure.info, timeoutType: 'ScheduleToClose' },
          }
        : failure;
    tx.append({
      type: 'ActivityTaskTimedOut',
      scheduledEventId: pa.scheduledEventId,
      startedEventId,
      failure: recorded,
      retryState,
    });
  }
}

/** Temporal's retry rules; `InProgress` means "retry". */
export function retryDecision(nowMs: number, pa: PendingActivity, failure: Failure): RetryState {
  // The workflow asked for the activity's end: an attempt that fails or times out afterwards
  // ends it too (a retry would never start: a cancel-requested activity gets no task).
  if (pa.cancelRequestedEventId !== undefined) return RetryState.CancelRequested;
  const info = failure.info;
  if ((info.type === 'application' || info.type === 'server') && info.nonRetryable) {
    return RetryState.NonRetryableFailure;
  }
  // As Temporal: a failure's type, or a timeout's as `TemporalTimeout:StartToClose` or
  // `TemporalTimeout:Heartbeat`, named in nonRetryableErrorTypes is not retried.
  const type =
    info.type === 'application'
      ? info.errorType
      : info.type === 'timeout'
        ? `TemporalTimeout:${info.timeoutType}`
        : undefined;
  if (type !== undefined && pa.retryPolicy.nonRetryableErrorTypes.includes(type)) {
    return RetryState.NonRetryableFailure;
  }
  if (info.type === 'cancelled') return RetryState.CancelRequested;
  if (pa.retryPolicy.maximumAttempts > 0 && pa.attempt >= pa.retryPolicy.maximumAttempts) {
    return RetryState.MaximumAttemptsReached;
  }
  if (pa.scheduleToCloseTimeoutMs !== undefined) {
    const delayMs =
      info.type === 'application' && info.nextRetryDelayMs !== undefined
        ? info.nextRetryDelayMs
        : retryBackoffMs(pa.retryPolicy, pa.attempt);
    if (nowMs + delayMs >= pa.scheduledTimeMs + pa.scheduleToCloseTimeoutMs)
      return RetryState.Timeout;
  }
  return RetryState.InProgress;
}

export const HeartbeatSchema = z.object({
  ...TargetSchema,
  identity: z.string().min(1),
  details: z.array(z.unknown()),
});

/** Records heartbeat details and pushes the heartbeat deadline; answers whether to cancel. */
export async function heartbeatActivityTask(
  deps: EngineDeps,
  input: HeartbeatActivityTaskRequest,
): Promise<HeartbeatResponse> {
  const req = parseRequest(HeartbeatSchema, input, 'heartbeat');
  const resolved = resolveTarget(deps, req, false);
  const target = resolved instanceof Promise ? await resolved : resolved;
  checkPayload(deps, 'Heartbeat details', req.details);
  return updateTaskRun(deps, 'activity', target.runId, (tx) => {
    const pa = target.attempt(tx);
    pa.heartbeatDetails = req.details;
    pa.lastHeartbeatTimeMs = tx.nowMs;
    tx.touch();
    if (pa.heartbeatTimeoutMs !== undefined) {
      setAttemptTimeout(tx, pa, 'Heartbeat', pa.heartbeatTimeoutMs);
    }
    return { cancelRequested: pa.cancelRequestedEventId !== undefined };
  });
}

export const ReleaseSchema = z.object({
  taskToken: z.string().min(1),
  identity: z.string().min(1),
});

/**
 * The attempt is completed from outside its worker (CompleteAsyncError): the worker's process no
 * longer holds it, and its exit leaves the attempt to its timeouts (ADR 0012).
 */
export async function releaseActivityTask(
  deps: EngineDeps,
  input: ReleaseActivityTaskRequest,
): Promise<void> {
  const req = parseRequest(ReleaseSchema, input, 'release activity task');
  const token = decodeTaskToken(ActivityTaskToken, req.taskToken);
  await updateTaskRun(deps, 'activity', token.runId, (tx) => {
    const pa = currentAttempt(tx, token);
    if (pa.heldBy === undefined) return;
    delete pa.heldBy;
    tx.touch();
  });
}

export const CanceledSchema = z.object({
  ...TargetSchema,
  identity: z.string().min(1),
  details: z.array(z.unknown()).optional(),
});

/** The activity acknowledged a cancellation request: ActivityTaskCanceled. */
export async function reportActivityTaskCanceled(
  deps: EngineDeps,
  input: ReportActivityCanceledRequest,
): Promise<void> {
  const req = parseRequest(CanceledSchema, input, 'report activity canceled');
  const resolved = resolveTarget(deps, req, false);
  const target = resolved instanceof Promise ? await resolved : resolved;
  await updateTaskRun(deps, 'activity', target.runId, (tx) => {
    const pa = target.attempt(tx);
    if (pa.cancelRequestedEventId === undefined) {
      // As Temporal's server (ErrActivityTaskNotCancelRequested, InvalidArgument): refused,
      // nothing recorded; the attempt goes on.
      throw new InvalidArgumentError(
        `Unable to mark activity '${pa.activityId}' as canceled without activity being request canceled first: ` +
          'its workflow has not asked for its cancellation, so this answer was not recorded and the attempt goes on. ' +
          'Complete or fail it instead, or report the cancellation once heartbeat() says it was requested.',
      );
    }
    const startedEventId = endActivity(tx, pa);
    tx.append({
      type: 'ActivityTaskCanceled',
      scheduledEventId: pa.scheduledEventId,
      startedEventId,
      latestCancelRequestedEventId: pa.cancelRequestedEventId,
      ...(req.details !== undefined && { details: req.details }),
      identity: req.identity,
    });
  });
}

/**
 * Timer: an activity timeout came due. Stale timers (another attempt, or done) change nothing.
 * `cause`, when given, says why it came early (the attempt's process died: ADR 0012).
 */
export function activityTimeoutDue(
  tx: RunTx,
  scheduledEventId: number,
  attempt: number,
  timeoutType: TimeoutType,
  cause?: string,
): void {
  if (!tx.isRunning) return;
  const pa = tx.state.pendingActivities[String(scheduledEventId)];
  if (!pa) return;
  const failure: Failure = {
    message: `Activity task timed out (${timeoutType})${cause === undefined ? '' : `: ${cause}`}`,
    info: {
      type: 'timeout',
      timeoutType,
      ...(pa.heartbeatDetails !== undefined && { lastHeartbeatDetails: pa.heartbeatDetails }),
    },
  };
  switch (timeoutType) {
    case 'ScheduleToClose': {
      // Ends the activity whatever attempt it is on: no retry past this deadline. The last
      // failed attempt's failure is the cause (Temporal's RetryLastFailure): why it retried.
      for (const k of activityTimerKeys(scheduledEventId)) tx.deleteTimer(k);
      const startedEventId = pa.phase === 'started' ? endActivity(tx, pa) : pa.scheduledEventId;
      tx.append({
        type: 'ActivityTaskTimedOut',
        scheduledEventId,
        startedEventId,
        failure: pa.lastFailure === undefined ? failure : { ...failure, cause: pa.lastFailure },
        retryState: RetryState.Timeout,
      });
      return;
    }
    case 'ScheduleToStart': {
      if (pa.attempt !== attempt || pa.phase !== 'scheduled') return;
      for (const k of activityTimerKeys(scheduledEventId)) tx.deleteTimer(k);
      tx.append({
        type: 'ActivityTaskTimedOut',
        scheduledEventId,
        startedEventId: pa.scheduledEventId,
        failure,
        // Not retried, as in Temporal: no worker took the task in time.
        retryState: RetryState.NonRetryableFailure,
      });
      return;
    }
    case 'Heartbeat': {
      if (pa.attempt !== attempt || pa.phase !== 'started' || pa.heartbeatTimeoutMs === undefined)
        return;
      const last = pa.lastHeartbeatTimeMs ?? pa.startedTimeMs ?? 0;
      if (last + pa.heartbeatTimeoutMs > tx.nowMs) return;
      failAttempt(tx, pa, failure, pa.startedIdentity ?? 'unknown', timeoutType);
      return;
    }
    case 'StartToClose':
      if (pa.attempt !== attempt || pa.phase !== 'started') return;
      failAttempt(tx, pa, failure, pa.startedIdentity ?? 'unknown', timeoutType);
      return;
    default: {
      const never: never = timeoutType;
      throw new TypeError(`Unknown timeout type ${String(never)}`);
    }
  }
}

/** Timer: a retry's backoff ended; the next attempt is enqueued. */
export function activityRetryDue(tx: RunTx, scheduledEventId: number, attempt: number): void {
  if (!tx.isRunning) return;
  const pa = tx.state.pendingActivities[String(scheduledEventId)];
  if (pa?.attempt !== attempt || pa.phase !== 'backoff') return;
  pa.phase = 'scheduled';
  pa.currentAttemptScheduledTimeMs = tx.nowMs;
  delete pa.nextAttemptAtMs;
  tx.touch();
  tx.enqueue('activity', pa.taskQueue, pa.scheduledEventId, pa.attempt, pa.priority);
  if (pa.scheduleToStartTimeoutMs !== undefined) {
    tx.setTimer(
      activityTimerKey(scheduledEventId, 'ScheduleToStart'),
      tx.nowMs + pa.scheduleToStartTimeoutMs,
      {
        kind: 'activityTimeout',
        scheduledEventId,
        attempt: pa.attempt,
        timeoutType: 'ScheduleToStart',
      },
    );
  }
}
