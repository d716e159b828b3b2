import type { Command, CommandOf } from '../protocol/commands.ts';
import { compilePriority, priorityProblem } from '../protocol/priority.ts';
import { resolveRetryPolicy } from '../protocol/retry-policy.ts';
import { normaliseSearchAttributes } from '../protocol/search-attribute-checks.ts';
import { userMetadataProblem } from './payload-limits.ts';
import { activityTimerKey, dropPendingTimers, userTimerKey } from './timer-keys.ts';
import type { RunTx } from './update-run.ts';
import {
  continueAsNew,
  requestCancelExternalWorkflow,
  signalExternalWorkflow,
  startChildWorkflow,
} from './cross-run-commands.ts';
import { acceptUpdate, completeUpdate, rejectUpdate } from './workflow-updates.ts';
import { failWorkflowExecution } from './workflow-retry.ts';
import { completeWorkflowExecution } from './cron-runs.ts';
import { parseCronSchedule } from './cron-schedule.ts';
import type { WorkflowStartedEvent } from './workflow-retry.ts';

/** A command the engine cannot carry out; the workflow task fails with cause BadCommand. */
export class BadCommandError extends Error {}

/** Temporal's BadSearchAttributes: a child or continue-as-new command's search attributes. */
export class BadSearchAttributesError extends BadCommandError {}

/** Activity timeouts after Temporal's normalisation. */
export interface ActivityTimeouts {
  scheduleToCloseTimeoutMs: number | undefined;
  scheduleToStartTimeoutMs: number | undefined;
  startToCloseTimeoutMs: number;
  heartbeatTimeoutMs: number | undefined;
}

/**
 * Temporal's rules: startToClose defaults to scheduleToClose (one of them is required);
 * scheduleToStart and startToClose are capped by scheduleToClose; heartbeat by startToClose.
 */
export function normaliseActivityTimeouts(
  c: CommandOf<'ScheduleActivityTask'>,
  runTimeoutMs: number | undefined,
): ActivityTimeouts {
  const scheduleToClose = c.scheduleToCloseTimeoutMs ?? runTimeoutMs;
  let startToClose = c.startToCloseTimeoutMs ?? scheduleToClose;
  if (startToClose === undefined) {
    throw new BadCommandError(
      `Activity '${c.activityType}' (activityId ${c.activityId}) has neither startToCloseTimeout nor scheduleToCloseTimeout: set one in proxyActivities options.`,
    );
  }
  let scheduleToStart = c.scheduleToStartTimeoutMs;
  if (scheduleToClose !== undefined) {
    startToClose = Math.min(startToClose, scheduleToClose);
    scheduleToStart =
      scheduleToStart === undefined ? undefined : Math.min(scheduleToStart, scheduleToClose);
  }
  const heartbeat =
    c.heartbeatTimeoutMs === undefined ? undefined : Math.min(c.heartbeatTimeoutMs, startToClose);
  return {
    scheduleToCloseTimeoutMs: scheduleToClose,
    scheduleToStartTimeoutMs: scheduleToStart,
    startToCloseTimeoutMs: startToClose,
    heartbeatTimeoutMs: heartbeat,
  };
}

/** Checks what can be checked before anything is written. Throws BadCommandError. */
export function validateCommands(commands: readonly Command[]): void {
  const seqs = new Set<string>();
  for (const c of commands) {
    if (c.type === 'ScheduleActivityTask' || c.type === 'StartTimer') {
      const k = `${c.type}:${c.seq}`;
      if (seqs.has(k)) throw new BadCommandError(`Duplicate ${c.type} seq ${c.seq} in one task.`);
      seqs.add(k);
    }
    if (c.type === 'ScheduleActivityTask') normaliseActivityTimeouts(c, undefined);
    checkCommandMetadata(c);
    if (c.type === 'ScheduleActivityTask' || c.type === 'StartChildWorkflowExecution') {
      try {
        resolveRetryPolicy(c.retry);
      } catch (e) {
        throw new BadCommandError((e as Error).message);
      }
      const problem = priorityProblem(
        c.priority,
        c.type === 'ScheduleActivityTask'
          ? `activity '${c.activityType}' (seq ${c.seq})`
          : `child workflow '${c.workflowId}' (${c.workflowType})`,
      );
      if (problem !== undefined) {
        throw new BadCommandError(
          `${problem} Fix it in the workflow code: this task fails until then.`,
        );
      }
    }
    // Temporal's: a child's cron schedule it cannot read fails the task (BadCommand).
    if (c.type === 'StartChildWorkflowExecution' && c.cronSchedule !== undefined) {
      try {
        parseCronSchedule(c.cronSchedule);
      } catch (e) {
        throw new BadCommandError((e as Error).message);
      }
    }
    if (
      (c.type === 'StartChildWorkflowExecution' || c.type === 'ContinueAsNewWorkflowExecution') &&
      c.searchAttributes !== undefined
    ) {
      // As a client start checks them: reserved names, and values a search attribute cannot hold.
      const checked = normaliseSearchAttributes(c.searchAttributes);
      if (!checked.ok) {
        const what =
          c.type === 'StartChildWorkflowExecution'
            ? `child workflow '${c.workflowId}' (${c.workflowType})`
            : 'continue-as-new';
        throw new BadSearchAttributesError(
          `${checked.message} (the searchAttributes option of ${what}; fix them in the workflow code: this task fails until then)`,
        );
      }
    }
  }
}

/**
 * Temporal's size limits on a command's summary and details (a too-long one fails the task with
 * cause BadCommand, as Temporal's server fails it, until the code shortens it).
 */
function checkCommandMetadata(c: Command): void {
  let problem: string | undefined;
  if (c.type === 'StartChildWorkflowExecution') {
    problem = userMetadataProblem(
      c.userMetadata,
      `child workflow '${c.workflowId}' (${c.workflowType})`,
      { summary: 'staticSummary', details: 'staticDetails' },
    );
  } else if (c.type === 'ScheduleActivityTask') {
    problem = userMetadataProblem(c.userMetadata, `activity '${c.activityType}' (seq ${c.seq})`, {
      summary: 'summary',
    });
  } else if (c.type === 'StartTimer') {
    problem = userMetadataProblem(c.userMetadata, `timer ${c.seq}`, { summary: 'summary' });
  } else if (c.type === 'RecordMarker') {
    const { activityType, seq } = c.details;
    problem = userMetadataProblem(
      c.userMetadata,
      `local activity '${String(activityType)}' (seq ${String(seq)})`,
      { summary: 'summary' },
    );
  }
  if (problem !== undefined) {
    throw new BadCommandError(
      `${problem} Fix it in the workflow code: this task fails until then.`,
    );
  }
}

/**
 * Turns a completed workflow task's commands into events, tasks and timers. Commands after a
 * close command are ignored (the run is closed). `started` (the run's WorkflowExecutionStarted)
 * is needed when a FailWorkflowExecution may be retried (engine/workflow-retry.ts), and when a
 * cron run closes (engine/cron-runs.ts).
 */
export function applyCommands(
  tx: RunTx,
  commands: readonly Command[],
  completedEventId: number,
  started?: WorkflowStartedEvent,
): void {
  for (const c of commands) {
    if (!tx.isRunning) return;
    switch (c.type) {
      case 'ScheduleActivityTask':
        scheduleActivity(tx, c, completedEventId);
        break;
      case 'RequestCancelActivityTask':
        requestCancelActivity(tx, c.seq, completedEventId);
        break;
      case 'StartTimer': {
        const timerId = String(c.seq);
        const e = tx.append({
          type: 'TimerStarted',
          timerId,
          startToFireTimeoutMs: c.durationMs,
          ...(c.userMetadata !== undefined && { userMetadata: c.userMetadata }),
          workflowTaskCompletedEventId: completedEventId,
        });
        tx.setTimer(userTimerKey(timerId), tx.nowMs + c.durationMs, {
          kind: 'userTimer',
          timerId,
          startedEventId: e.eventId,
        });
        break;
      }
      case 'CancelTimer': {
        const timer = tx.state.pendingTimers[String(c.seq)];
        if (!timer) break; // fired in the meantime: nothing to cancel
        tx.append({
          type: 'TimerCanceled',
          timerId: timer.timerId,
          startedEventId: timer.startedEventId,
          workflowTaskCompletedEventId: completedEventId,
        });
        tx.deleteTimer(userTimerKey(timer.timerId));
        break;
      }
      case 'RecordMarker':
        tx.append({
          type: 'MarkerRecorded',
          markerName: c.markerName,
          details: c.details,
          ...(c.userMetadata !== undefined && { userMetadata: c.userMetadata }),
          workflowTaskCompletedEventId: completedEventId,
        });
        break;
      case 'CompleteWorkflowExecution':
        completeWorkflowExecution(tx, c.result, completedEventId, started);
        break;
      case 'FailWorkflowExecution':
        failWorkflowExecution(tx, c.failure, completedEventId, started);
        break;
      case 'CancelWorkflowExecution':
        dropPendingTimers(tx);
        tx.append({
          type: 'WorkflowExecutionCanceled',
          ...(c.details !== undefined && { details: c.details }),
          workflowTaskCompletedEventId: completedEventId,
        });
        break;
      case 'AcceptWorkflowUpdate':
        acceptUpdate(tx, c, completedEventId);
        break;
      case 'RejectWorkflowUpdate':
        rejectUpdate(tx, c);
        break;
      case 'CompleteWorkflowUpdate':
        completeUpdate(tx, c, completedEventId);
        break;
      case 'ContinueAsNewWorkflowExecution':
        continueAsNew(tx, c, completedEventId);
        break;
      case 'StartChildWorkflowExecution':
        startChildWorkflow(tx, c, completedEventId);
        break;
      case 'SignalExternalWorkflowExecution':
        signalExternalWorkflow(tx, c, completedEventId);
        break;
      case 'RequestCancelExternalWorkflowExecution':
        requestCancelExternalWorkflow(tx, c, completedEventId);
        break;
      case 'UpsertWorkflowSearchAttributes':
        tx.append({
          type: 'UpsertWorkflowSearchAttributes',
          searchAttributes: c.searchAttributes,
          workflowTaskCompletedEventId: completedEventId,
        });
        break;
      case 'ModifyWorkflowProperties':
        tx.append({
          type: 'WorkflowPropertiesModified',
          upsertedMemo: c.upsertedMemo,
          workflowTaskCompletedEventId: completedEventId,
        });
        break;
      default: {
        const never: never = c;
        throw new BadCommandError(`Unknown command ${JSON.stringify(never)}`);
      }
    }
  }
}

function scheduleActivity(
  tx: RunTx,
  c: CommandOf<'ScheduleActivityTask'>,
  completedEventId: number,
): void {
  const t = normaliseActivityTimeouts(c, undefined);
  const priority = compilePriority(c.priority);
  const e = tx.append({
    type: 'ActivityTaskScheduled',
    seq: c.seq,
    activityId: c.activityId,
    activityType: c.activityType,
    taskQueue: c.taskQueue,
    input: c.args,
    ...(c.header !== undefined && { header: c.header }),
    ...(t.scheduleToCloseTimeoutMs !== undefined && {
      scheduleToCloseTimeoutMs: t.scheduleToCloseTimeoutMs,
    }),
    ...(t.scheduleToStartTimeoutMs !== undefined && {
      scheduleToStartTimeoutMs: t.scheduleToStartTimeoutMs,
    }),
    startToCloseTimeoutMs: t.startToCloseTimeoutMs,
    ...(t.heartbeatTimeoutMs !== undefined && { heartbeatTimeoutMs: t.heartbeatTimeoutMs }),
    retryPolicy: resolveRetryPolicy(c.retry),
    ...(c.userMetadata !== undefined && { userMetadata: c.userMetadata }),
    ...(priority !== undefined && { priority }),
    workflowTaskCompletedEventId: completedEventId,
  });
  // Queued by its own priority over the workflow's (the pending activity's, applyEvent).
  tx.enqueue(
    'activity',
    c.taskQueue,
    e.eventId,
    1,
    tx.state.pendingActivities[String(e.eventId)]?.priority,
  );
  if (t.scheduleToCloseTimeoutMs !== undefined) {
    tx.setTimer(
      activityTimerKey(e.eventId, 'ScheduleToClose'),
      tx.nowMs + t.scheduleToCloseTimeoutMs,
      {
        kind: 'activityTimeout',
        scheduledEventId: e.eventId,
        attempt: 1,
        timeoutType: 'ScheduleToClose',
      },
    );
  }
  if (t.scheduleToStartTimeoutMs !== undefined) {
    tx.setTimer(
      activityTimerKey(e.eventId, 'ScheduleToStart'),
      tx.nowMs + t.scheduleToStartTimeoutMs,
      {
        kind: 'activityTimeout',
        scheduledEventId: e.eventId,
        attempt: 1,
        timeoutType: 'ScheduleToStart',
      },
    );
  }
}

function requestCancelActivity(tx: RunTx, seq: number, completedEventId: number): void {
  const pa = Object.values(tx.state.pendingActivities).find((a) => a.seq === seq);
  if (!pa || pa.cancelRequestedEventId !== undefined) return;
  const req = tx.append({
    type: 'ActivityTaskCancelRequested',
    scheduledEventId: pa.scheduledEventId,
    workflowTaskCompletedEventId: completedEventId,
  });
  if (pa.phase === 'started') return; // the worker learns it on its next heartbeat
  for (const k of ['ScheduleToStart', 'ScheduleToClose', 'Retry'] as const) {
    tx.deleteTimer(activityTimerKey(pa.scheduledEventId, k));
  }
  tx.append({
    type: 'ActivityTaskCanceled',
    scheduledEventId: pa.scheduledEventId,
    latestCancelRequestedEventId: req.eventId,
  });
}
