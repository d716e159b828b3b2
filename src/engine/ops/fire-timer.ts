import type { TimerPayload } from '../../protocol/tasks.ts';
import type { TimerRecord } from '../../store/store.ts';
import type { EngineDeps } from '../deps.ts';
import { updateRunIfExists } from '../update-run.ts';
import type { RunTx } from '../update-run.ts';
import { startedEventIfRetrying, timeOutWorkflowRun } from '../workflow-retry.ts';
import { parentClosePolicyDue, reportToParentDue, startChildDue } from './child-workflows.ts';
import { cancelExternalDue, signalExternalDue } from './external-workflows.ts';
import { scheduleTimerDue } from './schedules/process-schedule.ts';
import { activityRetryDue, activityTimeoutDue } from './activity-tasks.ts';
import { workflowTaskRetryDue, workflowTaskTimedOut } from './workflow-tasks.ts';
import { moveStickyTasksLater, stickyTaskTimedOut } from '../sticky.ts';

/**
 * Carries out a due timer and deletes its row in the same transaction. A stale timer (its
 * activity or task moved on, or the run closed) deletes its row and changes nothing else; a row
 * fired a second time after its first firing set it again (same key, a new due time) is kept.
 * Contract 3: the timer loop calls this only once `dueAtMs` has passed on the engine clock, so a
 * timer never fires early. Test: test/contract/3-timers-fire-once-never-early.test.ts.
 */
export async function fireTimer(deps: EngineDeps, timer: TimerRecord): Promise<void> {
  const p0 = timer.payload;
  if (p0.kind === 'startChild') return startChildDue(deps, timer, p0);
  if (p0.kind === 'reportToParent') return reportToParentDue(deps, timer, p0);
  if (p0.kind === 'parentClosePolicy') return parentClosePolicyDue(deps, timer, p0);
  if (p0.kind === 'signalExternal') return signalExternalDue(deps, timer, p0);
  if (p0.kind === 'cancelExternal') return cancelExternalDue(deps, timer, p0);
  if (p0.kind === 'scheduleDue' || p0.kind === 'scheduleRunClosed') {
    return scheduleTimerDue(deps, timer, p0);
  }
  // A run timeout under a workflow retry policy starts the run again: it needs the start event.
  const started =
    timer.payload.kind === 'workflowRunTimeout'
      ? await startedEventIfRetrying(deps, timer.runId)
      : undefined;
  const outcome = await updateRunIfExists(deps, timer.runId, (tx) => {
    tx.deleteFiredTimer(timer);
    if (!tx.isRunning) return undefined;
    let unstuck: string | undefined;
    const due = (p: TimerPayload): void => {
      unstuck = runTimerDue(tx, p, started) ?? unstuck;
    };
    if (timer.payload.kind === 'stateTimers') tx.fireStateTimers(due);
    else due(timer.payload);
    return unstuck === undefined ? undefined : { namespace: tx.state.namespace, queue: unstuck };
  });
  if (outcome === 'missing') await deps.store.deleteTimer({ runId: timer.runId, key: timer.key });
  // A task waited past its timeout for its worker: the others queued for it move now, not one
  // timeout after another (its worker is gone, or too busy for them).
  else if (outcome !== undefined) moveStickyTasksLater(deps, outcome.namespace, outcome.queue);
}

/** One of the run's own timers came due; returns the sticky queue a workflow task left, if one did. */
function runTimerDue(
  tx: RunTx,
  p: TimerPayload,
  started: Awaited<ReturnType<typeof startedEventIfRetrying>>,
): string | undefined {
  switch (p.kind) {
    case 'userTimer': {
      const t = tx.state.pendingTimers[p.timerId];
      if (t?.startedEventId !== p.startedEventId) return;
      tx.append({ type: 'TimerFired', timerId: p.timerId, startedEventId: p.startedEventId });
      return;
    }
    case 'activityTimeout':
      activityTimeoutDue(tx, p.scheduledEventId, p.attempt, p.timeoutType);
      return;
    case 'activityRetry':
      activityRetryDue(tx, p.scheduledEventId, p.attempt);
      return;
    case 'workflowTaskTimeout':
      workflowTaskTimedOut(tx, p.scheduledEventId, p.startedEventId);
      return;
    case 'workflowTaskRetry':
      workflowTaskRetryDue(tx, p.attempt);
      return;
    case 'workflowTaskStickyTimeout':
      return stickyTaskTimedOut(tx, p.scheduledEventId);
    case 'workflowRunTimeout':
      // The run (or the whole execution) ran out of time: TimedOut, then maybe a retry.
      timeOutWorkflowRun(tx, started);
      return;
    case 'startChild':
    case 'reportToParent':
    case 'parentClosePolicy':
    case 'signalExternal':
    case 'cancelExternal':
    case 'scheduleDue':
    case 'scheduleRunClosed':
    case 'stateTimers':
      return; // work on other runs or on schedules, done in fireTimer
    default: {
      const never: never = p;
      throw new TypeError(`Unknown timer ${JSON.stringify(never)}`);
    }
  }
}

/** Timers whose work is on other runs or on schedules (fired first thing in {@link fireTimer}). */
const CROSS_RUN_KINDS: ReadonlySet<TimerPayload['kind']> = new Set([
  'startChild',
  'reportToParent',
  'parentClosePolicy',
  'signalExternal',
  'cancelExternal',
  'scheduleDue',
  'scheduleRunClosed',
]);

/**
 * Timers that change only their own run: the timer loop fires these concurrently (their commits
 * share transactions through group commit); the others act on other runs or on schedules and
 * fire one after another, in due order.
 */
export function firesAlone(timer: TimerRecord): boolean {
  return !CROSS_RUN_KINDS.has(timer.payload.kind);
}
