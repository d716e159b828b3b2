import { cloneData } from '../util/clone-data.ts';
import type { Command } from '../protocol/commands.ts';
import type { ActivityTask } from '../transport/engine-api.ts';
import type { EngineDeps } from './deps.ts';
import type { PendingActivity } from './run-state.ts';
import { activityTaskOf, startActivityAttempt } from './ops/activity-tasks.ts';
import { startScheduledWorkflowTask } from './ops/workflow-tasks.ts';
import type { StartedWorkflowTask } from './ops/workflow-tasks.ts';
import type { RunTx } from './update-run.ts';

/**
 * Eager dispatch (docs/performance.md): a task that this decision enqueued goes straight to the
 * worker that asked for it, started in the same transaction, instead of through the task queue
 * and a poll (two commits fewer per step). Only tasks enqueued in this decision qualify, so no
 * poller can hold them.
 */

/** Starts the activities `commands` scheduled with `requestEagerExecution`, for `identity`. */
export function startActivitiesEagerly(
  tx: RunTx,
  commands: readonly Command[],
  identity: string,
): ActivityTask[] {
  const out: ActivityTask[] = [];
  for (const c of commands) {
    if (c.type !== 'ScheduleActivityTask' || c.requestEagerExecution !== true) continue;
    const scheduled = tx.events.find((e) => e.type === 'ActivityTaskScheduled' && e.seq === c.seq);
    if (scheduled?.type !== 'ActivityTaskScheduled') continue;
    const a = queuedActivity(tx, scheduled.eventId);
    if (a === undefined) continue;
    const task = takeActivity(tx, a, identity);
    task.args = cloneData(scheduled.input); // the activity's own: history keeps the event's
    if (scheduled.header !== undefined) task.header = scheduled.header;
    out.push(task);
  }
  return out;
}

/**
 * Starts the workflow task this decision scheduled, for `identity`; undefined when none was
 * scheduled here (one is already out, backing off, or the run closed).
 */
export function startWorkflowTaskEagerly(
  deps: EngineDeps,
  tx: RunTx,
  identity: string,
): StartedWorkflowTask | undefined {
  return queuedWorkflowTask(tx) === undefined ? undefined : takeWorkflowTask(deps, tx, identity);
}

/** The scheduled event id of the workflow task this decision enqueued and nobody started. */
export function queuedWorkflowTask(tx: RunTx): number | undefined {
  const wt = tx.state.workflowTask;
  if (!tx.isRunning || wt === undefined || wt.startedEventId !== undefined) return undefined;
  const queued = tx.tasks.some(
    (t) => t.kind === 'workflow' && t.scheduledEventId === wt.scheduledEventId,
  );
  return queued ? wt.scheduledEventId : undefined;
}

/** Takes back the {@link queuedWorkflowTask} and starts it for `identity`. */
export function takeWorkflowTask(
  deps: EngineDeps,
  tx: RunTx,
  identity: string,
): StartedWorkflowTask {
  const wt = tx.state.workflowTask;
  if (wt !== undefined) tx.dequeue('workflow', wt.scheduledEventId);
  return startScheduledWorkflowTask(deps, tx, identity);
}

/** The attempt of activity `scheduledEventId` this decision enqueued, if it may still start. */
export function queuedActivity(tx: RunTx, scheduledEventId: number): PendingActivity | undefined {
  const a = tx.state.pendingActivities[String(scheduledEventId)];
  if (!tx.isRunning || a?.phase !== 'scheduled' || a.cancelRequestedEventId !== undefined) {
    return undefined;
  }
  const queued = tx.tasks.some(
    (t) =>
      t.kind === 'activity' && t.scheduledEventId === scheduledEventId && t.attempt === a.attempt,
  );
  return queued ? a : undefined;
}

/**
 * Takes back a {@link queuedActivity} and starts its attempt for `identity`; the task's `args`
 * are the caller's to fill (they are in the ActivityTaskScheduled event).
 */
export function takeActivity(tx: RunTx, a: PendingActivity, identity: string): ActivityTask {
  tx.dequeue('activity', a.scheduledEventId);
  startActivityAttempt(tx, a, identity);
  return activityTaskOf(tx.state, a, []);
}
