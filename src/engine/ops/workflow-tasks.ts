import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { IllegalStateError, InvalidArgumentError, TaskNotFoundError } from '../../errors.ts';
import { Command, isCloseCommand } from '../../protocol/commands.ts';
import { Failure } from '../../protocol/failure.ts';
import type { HistoryEvent, WorkflowTaskFailedCause } from '../../protocol/history-events.ts';
import type { UpdateRequest } from '../../protocol/update.ts';
import {
  WorkflowTaskFailedCause as CauseSchema,
  SdkFlagsSchema,
} from '../../protocol/history-events.ts';
import type { SearchAttributeRegistration, TaskRecord } from '../../store/store.ts';
import { checkSearchAttributeTypes } from '../search-attribute-registry.ts';
import type {
  CompleteWorkflowTaskRequest,
  CompleteWorkflowTaskResponse,
  FailWorkflowTaskRequest,
  PollRequest,
  RunWorkflowTask,
  WorkflowTask,
} from '../../transport/engine-api.ts';
import { MAX_STICKY_SCHEDULE_TO_START_MS } from '../../transport/engine-api.ts';
import {
  BadCommandError,
  BadSearchAttributesError,
  applyCommands,
  validateCommands,
} from '../apply-commands.ts';
import type { EngineDeps } from '../deps.ts';
import { pollTaskQueue } from '../task-queues/matcher.ts';
import { checkPayload, limitFailure } from '../payload-limits.ts';
import { pendingLimitViolation, suggestContinueAsNew } from '../run-limits.ts';
import type { QueryDispatcher } from '../task-queues/query-dispatcher.ts';
import { WorkflowTaskToken, decodeTaskToken, encodeTaskToken } from '../task-token.ts';
import { workflowTaskRetryKey, workflowTaskTimerKey } from '../timer-keys.ts';
import { updateRunIfExists, updateTaskRun } from '../update-run.ts';
import { admittedUpdates, hasAdmittedUpdates } from '../workflow-updates.ts';
import { startedEventIfRetrying } from '../workflow-retry.ts';
import type { WorkflowStartedEvent } from '../workflow-retry.ts';
import { completionNeedsStartEvent } from '../cron-runs.ts';
import type { RunTx } from '../update-run.ts';
import { parseRequest } from './parse-request.ts';
import { startActivitiesEagerly } from '../eager-dispatch.ts';
import { RunCache } from '../run-cache.ts';
import {
  dropSpeculativeWorkflowTask,
  scheduleSpeculativeWorkflowTask,
  speculativeEvents,
} from '../speculative-task.ts';
import { PayloadTooLargeError } from '../../errors.ts';

/**
 * Long-polls the workflow task queue: a queued query first, else the oldest workflow task,
 * which is started (WorkflowTaskStarted + its timeout timer, the task acknowledged) in one
 * write. While no other engine process shares the store, the task is handed out before that
 * write commits: the answer's write, which follows at once, commits both (RunTx.deferCommit), or
 * the start commits alone after the linger window.
 */
export async function pollWorkflowTask(
  deps: EngineDeps,
  queries: QueryDispatcher,
  input: PollRequest,
  signal?: AbortSignal,
): Promise<WorkflowTask | undefined> {
  return pollTaskQueue<WorkflowTask>(
    deps,
    input,
    'workflow',
    (task, identity) => startWorkflowTask(deps, task, identity),
    signal,
    (namespace, taskQueue) => {
      const q = queries.take(namespace, taskQueue);
      return q ? { kind: 'query', ...q } : undefined;
    },
  );
}

async function startWorkflowTask(
  deps: EngineDeps,
  task: TaskRecord,
  identity: string,
): Promise<WorkflowTask | undefined> {
  const started = await updateRunIfExists(deps, task.runId, (tx) => {
    tx.ackTask(task.taskId);
    const wt = tx.state.workflowTask;
    if (!tx.isRunning || wt?.scheduledEventId !== task.scheduledEventId) return undefined;
    if (wt.startedEventId !== undefined) return undefined;
    // The worker answers at once: the start may wait to share the answer's commit, as an
    // activity result does (RunTx.deferCommit). A crash first leaves the task in its queue.
    // Not while another engine shares the store: its polls would find the row and start the
    // task too (the start id below keeps the answer of the start that lost from counting).
    tx.deferCommit = wt.speculative === undefined && deps.peers.alone();
    return startScheduledWorkflowTask(deps, tx, identity);
  });
  if (started === 'missing') {
    await deps.store.deleteTask({ taskId: task.taskId });
    return undefined;
  }
  return started && workflowTaskFor(deps, task.runId, started);
}

/** What a started workflow task needs to be handed out, decided in its transaction. */
export interface StartedWorkflowTask {
  workflowId: string;
  workflowType: string;
  scheduledEventId: number;
  startedEventId: number;
  attempt: number;
  previousStartedEventId: number;
  updates: UpdateRequest[];
  /** A speculative task's events, not in the stored history (speculative-task.ts). */
  speculativeEvents: HistoryEvent[];
  /** This start of the task (RunState's workflowTask.startId), carried by its token. */
  startId: string;
}

/**
 * Starts the run's scheduled workflow task in `tx`: WorkflowTaskStarted and its timeout timer.
 * The caller checked that a task is scheduled and not started; the task row is acknowledged by
 * the caller (polled) or was never written (eager dispatch).
 */
export function startScheduledWorkflowTask(
  deps: EngineDeps,
  tx: RunTx,
  identity: string,
): StartedWorkflowTask {
  const wt = tx.state.workflowTask;
  if (wt === undefined || wt.startedEventId !== undefined) {
    throw new IllegalStateError(`Run ${tx.runId} has no scheduled workflow task to start.`);
  }
  // Recorded in the event, as Temporal does, so that a replay sees what the live run saw.
  const started = {
    type: 'WorkflowTaskStarted' as const,
    scheduledEventId: wt.scheduledEventId,
    identity,
    suggestContinueAsNew: suggestContinueAsNew(tx.state, deps.limits),
    historySizeBytes: tx.state.historySizeBytes,
  };
  let startedEventId: number;
  if (wt.speculative === undefined) {
    startedEventId = tx.append(started).eventId;
  } else {
    // Kept in state, not history, until something else is recorded (speculative-task.ts).
    startedEventId = wt.scheduledEventId + 1;
    wt.speculative.started = { ...started, eventId: startedEventId, timeMs: tx.nowMs };
    wt.startedEventId = startedEventId;
    wt.startedIdentity = identity;
    tx.state.eventsWhileTaskStarted = false;
    tx.touch();
  }
  const startedTask = tx.state.workflowTask ?? wt;
  delete startedTask.stickyQueue;
  if (tx.heldBy === undefined) delete startedTask.heldBy;
  else startedTask.heldBy = tx.heldBy;
  const startId = nextStartId();
  startedTask.startId = startId;
  tx.setTimer(workflowTaskTimerKey(), tx.nowMs + tx.state.workflowTaskTimeoutMs, {
    kind: 'workflowTaskTimeout',
    scheduledEventId: wt.scheduledEventId,
    startedEventId,
  });
  return {
    workflowId: tx.state.workflowId,
    workflowType: tx.state.workflowType,
    startedEventId,
    scheduledEventId: wt.scheduledEventId,
    attempt: wt.attempt,
    previousStartedEventId: tx.state.previousStartedEventId,
    updates: admittedUpdates(tx.state),
    speculativeEvents: speculativeEvents(tx),
    startId,
  };
}

/** Start ids: random per process, then counted (a random draw per start costs ~25 µs). */
const START_ID_PREFIX = randomBytes(6).toString('base64url');
let startCount = 0;

function nextStartId(): string {
  startCount += 1;
  return `${START_ID_PREFIX}${startCount.toString(36)}`;
}

/** The task a worker gets for a workflow task started (and committed) in `started`. */
export async function workflowTaskFor(
  deps: EngineDeps,
  runId: string,
  started: StartedWorkflowTask,
): Promise<RunWorkflowTask> {
  const from = started.previousStartedEventId + 1;
  // This process usually wrote them all (a cached run's tail): no read then.
  const stored =
    RunCache.of(deps.store).eventsFrom(runId, from) ??
    (await deps.store.readHistory({ runId, fromEventId: from }));
  const events = [...stored, ...started.speculativeEvents];
  return {
    kind: 'workflow',
    taskToken: encodeTaskToken({
      k: 'wt',
      runId,
      scheduledEventId: started.scheduledEventId,
      startedEventId: started.startedEventId,
      startId: started.startId,
    }),
    workflowId: started.workflowId,
    runId,
    workflowType: started.workflowType,
    attempt: started.attempt,
    events: events.filter((e) => e.eventId <= started.startedEventId),
    previousStartedEventId: started.previousStartedEventId,
    startedEventId: started.startedEventId,
    ...(started.updates.length > 0 && { updates: started.updates }),
  };
}

function assertCurrentTask(tx: RunTx, token: WorkflowTaskToken): void {
  const wt = tx.state.workflowTask;
  if (
    !tx.isRunning ||
    wt?.scheduledEventId !== token.scheduledEventId ||
    wt.startedEventId !== token.startedEventId ||
    (token.startId !== undefined && wt.startId !== token.startId)
  ) {
    throw new TaskNotFoundError(
      'WorkflowTaskNotFound',
      `Workflow task ${token.scheduledEventId}/${token.startedEventId} of run ${token.runId} is no longer current ` +
        `(it timed out, or the run closed); its answer was not applied. A newer task carries the run on.`,
    );
  }
}

/**
 * What a worker that keeps runs in memory sends with its answer (Temporal's
 * StickyExecutionAttributes): its sticky queue, and how long a task may wait there before it goes
 * to the run's own queue.
 */
export const StickyAttributesSchema = z.object({
  workerTaskQueue: z.string().min(1),
  scheduleToStartTimeoutMs: z.number().int().positive().max(MAX_STICKY_SCHEDULE_TO_START_MS),
});

export const CompleteSchema = z.object({
  taskToken: z.string().min(1),
  identity: z.string().min(1),
  commands: z.array(Command),
  buildId: z.string().optional(),
  sdkFlags: SdkFlagsSchema.optional(),
  stickyAttributes: StickyAttributesSchema.optional(),
});

/**
 * Appends WorkflowTaskCompleted and one event per command, with the tasks and timers they
 * imply, in one transaction. A close command while new events wait is refused (a pending
 * signal keeps the workflow open): the task fails with UnhandledCommand and a new one follows.
 */
export async function completeWorkflowTask(
  deps: EngineDeps,
  input: CompleteWorkflowTaskRequest,
): Promise<CompleteWorkflowTaskResponse> {
  const req = parseRequest(CompleteSchema, input, 'complete workflow task');
  const token = decodeTaskToken(WorkflowTaskToken, req.taskToken);
  let registration: SearchAttributeRegistration | undefined;
  try {
    validateCommands(req.commands);
    for (const c of req.commands) {
      if (c.type === 'ScheduleActivityTask') {
        checkPayload(deps, `The input of activity '${c.activityType}'`, c.args);
        if (c.header !== undefined) {
          checkPayload(deps, `The header of activity '${c.activityType}'`, c.header);
        }
      } else if (c.type === 'CompleteWorkflowExecution') {
        checkPayload(deps, 'The workflow result', c.result);
      } else if (c.type === 'CompleteWorkflowUpdate') {
        checkPayload(deps, `The result of update '${c.updateId}'`, c.outcome);
      } else if (c.type === 'RecordMarker') {
        // A local activity's result travels in its marker.
        checkPayload(deps, `The details of marker '${c.markerName}'`, c.details);
      } else if (c.type === 'ModifyWorkflowProperties') {
        checkPayload(deps, 'The memo upserted by the workflow', c.upsertedMemo);
      } else if (c.type === 'FailWorkflowExecution') {
        c.failure = limitFailure(deps, 'The workflow failure', c.failure);
      } else if (
        c.type === 'ContinueAsNewWorkflowExecution' ||
        c.type === 'StartChildWorkflowExecution' ||
        c.type === 'SignalExternalWorkflowExecution'
      ) {
        checkPayload(deps, `The input of ${c.type}`, c.args);
        if (c.header !== undefined) checkPayload(deps, `The header of ${c.type}`, c.header);
        if (c.type !== 'SignalExternalWorkflowExecution' && c.memo !== undefined) {
          checkPayload(deps, `The memo of ${c.type}`, c.memo);
        }
      }
    }
    registration = await commandSearchAttributeTypes(deps, token.runId, req.commands);
  } catch (e) {
    if (e instanceof BadCommandError || e instanceof PayloadTooLargeError) {
      await failWorkflowTask(deps, {
        taskToken: req.taskToken,
        identity: req.identity,
        cause:
          e instanceof BadSearchAttributesError
            ? 'BadSearchAttributes'
            : e instanceof BadCommandError
              ? 'BadCommand'
              : 'PayloadTooLarge',
        failure: { message: e.message, info: { type: 'server', nonRetryable: false } },
      });
      return { accepted: false };
    }
    throw e;
  }
  // A failure the workflow retry policy retries starts the run again: it needs the start event.
  let started = req.commands.some((c) => c.type === 'FailWorkflowExecution')
    ? await startedEventIfRetrying(deps, token.runId)
    : undefined;
  // So does a cron run's completion; only a cron run pays the read, once the state says it is one.
  if (!req.commands.some((c) => c.type === 'CompleteWorkflowExecution')) {
    return completeTask(
      deps,
      req,
      token,
      registration,
      started,
      false,
    ) as Promise<CompleteWorkflowTaskResponse>;
  }
  const first = await completeTask(deps, req, token, registration, started, true);
  if (first !== START_EVENT_NEEDED) return first;
  started = await startedEventIfRetrying(deps, token.runId);
  const second = await completeTask(deps, req, token, registration, started, false);
  if (second === START_EVENT_NEEDED) throw new IllegalStateError('Unreachable.');
  return second;
}

/**
 * The search attributes the commands set (upserts, children, continue-as-new), checked against
 * the run's namespace's registered types: the registration of the names they introduce, or
 * undefined. A value of another type fails the task with cause BadSearchAttributes.
 */
async function commandSearchAttributeTypes(
  deps: EngineDeps,
  runId: string,
  commands: readonly Command[],
): Promise<SearchAttributeRegistration | undefined> {
  const sets = commands.flatMap((c) =>
    (c.type === 'UpsertWorkflowSearchAttributes' ||
      c.type === 'StartChildWorkflowExecution' ||
      c.type === 'ContinueAsNewWorkflowExecution') &&
    c.searchAttributes !== undefined
      ? [{ values: c.searchAttributes, keyTypes: c.searchAttributeTypes }]
      : [],
  );
  if (sets.length === 0) return undefined;
  const namespace =
    RunCache.of(deps.store).get(runId)?.record.namespace ??
    (await deps.store.getRun({ runId }))?.namespace;
  if (namespace === undefined) return undefined; // the completion finds the run missing
  try {
    return await checkSearchAttributeTypes(deps.store, namespace, sets);
  } catch (e) {
    if (!(e instanceof InvalidArgumentError)) throw e;
    throw new BadSearchAttributesError(
      `${e.message} (fix them in the workflow code: this task fails until then)`,
    );
  }
}

/** What {@link completeTask} answers when it must be called again with the start event. */
const START_EVENT_NEEDED = Symbol('startEventNeeded');

/** The decision of completeWorkflowTask, once its commands are checked. */
function completeTask(
  deps: EngineDeps,
  req: z.infer<typeof CompleteSchema>,
  token: WorkflowTaskToken,
  registration: SearchAttributeRegistration | undefined,
  started: WorkflowStartedEvent | undefined,
  askForStartEvent: boolean,
): Promise<CompleteWorkflowTaskResponse | typeof START_EVENT_NEEDED> {
  return updateTaskRun(deps, 'workflow', token.runId, (tx) => {
    assertCurrentTask(tx, token);
    if (askForStartEvent && started === undefined && completionNeedsStartEvent(tx.state)) {
      return START_EVENT_NEEDED; // nothing written: decided again with the event
    }
    tx.deleteTimer(workflowTaskTimerKey());
    // The run's next task goes to the worker that keeps it in memory (engine/sticky.ts); a
    // refused answer below ends that, as the worker drops the run.
    setSticky(tx, req.stickyAttributes);
    // Only rejected updates: the speculative task leaves no trace (speculative-task.ts).
    // A task that took an internal rule is recorded, so that its flags are.
    const flagged = req.sdkFlags !== undefined && req.sdkFlags.length > 0;
    if (!flagged && dropSpeculativeWorkflowTask(tx, req.commands)) {
      // Updates that came while it was out get a speculative task of their own.
      if (hasAdmittedUpdates(tx.state)) scheduleSpeculativeWorkflowTask(tx);
      return { accepted: true };
    }
    if (tx.state.eventsWhileTaskStarted && req.commands.some(isCloseCommand)) {
      tx.append({
        type: 'WorkflowTaskFailed',
        scheduledEventId: token.scheduledEventId,
        startedEventId: token.startedEventId,
        cause: 'UnhandledCommand',
        failure: {
          message:
            'The workflow tried to close while new events (such as a signal) were waiting; it runs again to handle them.',
          info: { type: 'server', nonRetryable: false },
        },
        identity: req.identity,
      });
      delete tx.state.sticky;
      tx.scheduleWorkflowTask(1, tx.state.workflowTaskTimeoutMs);
      return { accepted: false };
    }
    const overLimit = pendingLimitViolation(tx.state, req.commands, deps.limits);
    if (overLimit !== undefined) {
      const attempt = tx.state.workflowTask?.attempt ?? 1;
      const failure: Failure = {
        message: overLimit.message,
        info: { type: 'server', nonRetryable: false },
      };
      tx.append({
        type: 'WorkflowTaskFailed',
        scheduledEventId: token.scheduledEventId,
        startedEventId: token.startedEventId,
        cause: overLimit.cause,
        failure,
        identity: req.identity,
      });
      delete tx.state.sticky;
      recordWorkflowTaskFailure(deps, tx, overLimit.cause, failure, attempt);
      return { accepted: false };
    }
    const eventsWaiting = tx.state.eventsWhileTaskStarted;
    const firstAnswer = tx.state.previousStartedEventId === 0;
    const completed = tx.append({
      type: 'WorkflowTaskCompleted',
      scheduledEventId: token.scheduledEventId,
      startedEventId: token.startedEventId,
      identity: req.identity,
      ...(req.buildId !== undefined && { buildId: req.buildId }),
      ...(flagged && { sdkFlags: req.sdkFlags }),
    });
    // Only commands applied register their names: the refusals above write too.
    tx.registerSearchAttributes = registration;
    applyCommands(tx, req.commands, completed.eventId, started);
    // Updates admitted while the task was out did not stop it closing the run (admitUpdate); if
    // it did not, the next task carries them: a speculative one when nothing else waits for the
    // workflow (a rejection then leaves no trace), as Temporal's server schedules it; a recorded
    // one when events came meanwhile or from these commands (an activity cancelled before it
    // started). Histories recorded before wrote that task: they replay the same
    // (test/e2e/speculative-tasks.test.ts).
    const updatesWaiting = tx.isRunning && hasAdmittedUpdates(tx.state);
    if (updatesWaiting && !eventsWaiting && !tx.wakesWorkflow) scheduleSpeculativeWorkflowTask(tx);
    else if (eventsWaiting || updatesWaiting) tx.wakeWorkflow();
    const activityTasks = startActivitiesEagerly(tx, req.commands, req.identity);
    // ADR 0013: a run's first answer, on a committed row, that only starts one activity for
    // this worker commits with its result (and the answer that result hands back). One, so that
    // no token of an activity whose schedule was lost can name an activity scheduled after it.
    tx.deferCommit =
      firstAnswer &&
      activityTasks.length === 1 &&
      req.commands.length === 1 &&
      !eventsWaiting &&
      !updatesWaiting &&
      tx.rowCommitted &&
      deps.peers.alone();
    if (tx.deferCommit) {
      // Lost to another engine's write: the task runs again at once, not after its timeout
      // (the activity handed out meanwhile finds its attempt gone, and is scheduled again).
      tx.decideAgainIfLost = () =>
        updateTaskRun(deps, 'workflow', token.runId, (again) => {
          assertCurrentTask(again, token);
          workflowTaskTimedOut(again, token.scheduledEventId, token.startedEventId);
        });
    }
    return activityTasks.length > 0 ? { accepted: true, activityTasks } : { accepted: true };
  });
}

export const FailSchema = z.object({
  taskToken: z.string().min(1),
  identity: z.string().min(1),
  cause: CauseSchema,
  failure: Failure,
  workerShutdown: z.boolean().optional(),
});

/**
 * Appends WorkflowTaskFailed; the workflow keeps running (contract 5). The task is retried at
 * once the first time, then with a backoff that doubles up to a cap; the failure stays visible
 * in describe() until a task completes. A task its worker handed back as it shut down
 * (`workerShutdown`) is scheduled again at once on the same attempt, counted as no failure: as a
 * Temporal worker's shutdown, it does not grow the backoff.
 */
export async function failWorkflowTask(
  deps: EngineDeps,
  input: FailWorkflowTaskRequest,
): Promise<void> {
  const req = parseRequest(FailSchema, input, 'fail workflow task');
  const token = decodeTaskToken(WorkflowTaskToken, req.taskToken);
  const failure = limitFailure(deps, 'The workflow task failure', req.failure);
  await updateTaskRun(deps, 'workflow', token.runId, (tx) => {
    assertCurrentTask(tx, token);
    const attempt = tx.state.workflowTask?.attempt ?? 1;
    tx.deleteTimer(workflowTaskTimerKey());
    // The worker dropped the run (or is stopping): the next attempt goes to the run's own queue.
    delete tx.state.sticky;
    tx.append({
      type: 'WorkflowTaskFailed',
      scheduledEventId: token.scheduledEventId,
      startedEventId: token.startedEventId,
      cause: req.cause,
      failure,
      identity: req.identity,
    });
    if (req.workerShutdown === true)
      tx.scheduleWorkflowTask(attempt, tx.state.workflowTaskTimeoutMs);
    else recordWorkflowTaskFailure(deps, tx, req.cause, failure, attempt);
  });
}

function recordWorkflowTaskFailure(
  deps: EngineDeps,
  tx: RunTx,
  cause: WorkflowTaskFailedCause,
  failure: Failure,
  attempt: number,
): void {
  const failures = tx.state.workflowTaskFailures + 1;
  tx.state.workflowTaskFailures = failures;
  tx.state.lastWorkflowTaskFailure = { cause, failure, attempt, timeMs: tx.nowMs };
  const delayMs =
    failures <= 1 ? 0 : Math.min(1000 * 2 ** (failures - 2), deps.limits.maxWorkflowTaskBackoffMs);
  if (delayMs === 0) {
    tx.scheduleWorkflowTask(failures + 1, tx.state.workflowTaskTimeoutMs);
    return;
  }
  tx.state.workflowTaskBackoffAttempt = failures + 1;
  tx.setTimer(workflowTaskRetryKey(), tx.nowMs + delayMs, {
    kind: 'workflowTaskRetry',
    attempt: failures + 1,
  });
}

/** Timer: the started task was not answered in time (its worker died): schedule it again. */
export function workflowTaskTimedOut(
  tx: RunTx,
  scheduledEventId: number,
  startedEventId: number,
): void {
  const wt = tx.state.workflowTask;
  if (!tx.isRunning || wt?.scheduledEventId !== scheduledEventId) return;
  if (wt.startedEventId !== startedEventId) return;
  // Its worker may be gone: the next attempt goes to the run's own queue (engine/sticky.ts).
  delete tx.state.sticky;
  tx.append({
    type: 'WorkflowTaskTimedOut',
    scheduledEventId,
    startedEventId,
    timeoutType: 'StartToClose',
  });
  tx.scheduleWorkflowTask(wt.attempt + 1, tx.state.workflowTaskTimeoutMs);
}

function setSticky(tx: RunTx, attrs: z.infer<typeof StickyAttributesSchema> | undefined): void {
  if (attrs === undefined) delete tx.state.sticky;
  else if (attrs.workerTaskQueue === tx.state.taskQueue) {
    throw new InvalidArgumentError(
      `stickyAttributes.workerTaskQueue '${attrs.workerTaskQueue}' is the run's own task queue; a worker's sticky queue must be a queue of its own (nothing was recorded).`,
    );
  } else {
    tx.state.sticky = {
      taskQueue: attrs.workerTaskQueue,
      scheduleToStartTimeoutMs: attrs.scheduleToStartTimeoutMs,
    };
  }
}

/** Timer: a failed task's backoff ended. */
export function workflowTaskRetryDue(tx: RunTx, attempt: number): void {
  if (!tx.isRunning || tx.state.workflowTaskBackoffAttempt !== attempt) return;
  tx.scheduleWorkflowTask(attempt, tx.state.workflowTaskTimeoutMs);
}
