// What closing a run sets in motion on other runs: its parent hears how it ended, and its
// children get the parent close policy. Each is a timer row due at once, written in the closing
// transaction (so it survives a crash) and carried out by ops/child-workflows.ts.
import type { HistoryEvent } from '../protocol/history-events.ts';
import { childPolicyKey, reportToParentKey } from './timer-keys.ts';
import type { RunTx } from './update-run.ts';
import { SCHEDULED_BY_ID } from '../protocol/schedules.ts';

/** The timer key of a closed run's notice to the schedule that started it. */
const SCHEDULE_CLOSED_KEY = 'scheduleRunClosed';

/** Called by RunTx.append right after the event that closed the run. */
export function onRunClosed(tx: RunTx, closeEvent: HistoryEvent): void {
  const s = tx.state;
  // A child that continues as new, is retried, or runs again on its cron schedule, stays the
  // parent's child: the last run of the chain reports (the parent sees only the final outcome).
  if (s.parent !== undefined && !continuesInNewRun(closeEvent)) {
    tx.setTimer(reportToParentKey(), tx.nowMs, {
      kind: 'reportToParent',
      closeEventId: closeEvent.eventId,
    });
  }
  // A run a schedule started tells the schedule, so that a buffered action can start now. A user
  // may set TemporalScheduledById too (as Temporal's server allows): the notice only wakes the
  // schedule, which reads its running workflows' real states, so a wrong one changes nothing.
  const scheduleId = s.searchAttributes[SCHEDULED_BY_ID];
  if (typeof scheduleId === 'string') {
    tx.setTimer(SCHEDULE_CLOSED_KEY, tx.nowMs, {
      kind: 'scheduleRunClosed',
      namespace: s.namespace,
      scheduleId,
    });
  }
  for (const child of Object.values(s.pendingChildren ?? {})) {
    if (child.parentClosePolicy === 'ABANDON' || child.runId === undefined) continue;
    tx.setTimer(childPolicyKey(child.initiatedEventId), tx.nowMs, {
      kind: 'parentClosePolicy',
      initiatedEventId: child.initiatedEventId,
      namespace: child.namespace,
      workflowId: child.workflowId,
      runId: child.runId,
      policy: child.parentClosePolicy,
    });
  }
}

/** The close event hands the execution on to a new run: continue-as-new, a retry or cron. */
function continuesInNewRun(e: HistoryEvent): boolean {
  if (e.type === 'WorkflowExecutionContinuedAsNew') return true;
  return (
    (e.type === 'WorkflowExecutionFailed' ||
      e.type === 'WorkflowExecutionTimedOut' ||
      e.type === 'WorkflowExecutionCompleted') &&
    e.newExecutionRunId !== undefined
  );
}
