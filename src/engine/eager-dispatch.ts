import type { Command } from '../protocol/commands.ts';
import type { ActivityTask } from '../transport/engine-api.ts';
import type { EngineDeps } from './deps.ts';
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
    const a = tx.state.pendingActivities[String(scheduled.eventId)];
    if (a?.phase !== 'scheduled' || !tx.dequeue('activity', scheduled.eventId)) continue;
    startActivityAttempt(tx, a, identity);
    out.push(activityTaskOf(tx.state, a, scheduled.input));
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
  const wt = tx.state.workflowTask;
  if (!tx.isRunning || wt === undefined || wt.startedEventId !== undefined) return undefined;
  if (!tx.dequeue('workflow', wt.scheduledEventId)) return undefined;
  return startScheduledWorkflowTask(deps, tx, identity);
}
