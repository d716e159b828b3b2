// The keys of a run's timer rows: one per thing that can come due, so a newer timer for the
// same thing replaces the older one, and a closed run can delete all it has.
import type { RunTx } from './update-run.ts';

/** Deletes every timer row the run's state knows of: a closed run needs none. */
export function dropPendingTimers(tx: RunTx): void {
  for (const t of Object.values(tx.state.pendingTimers)) tx.deleteTimer(userTimerKey(t.timerId));
  for (const a of Object.values(tx.state.pendingActivities)) {
    for (const k of activityTimerKeys(a.scheduledEventId)) tx.deleteTimer(k);
  }
  const wt = tx.state.workflowTask;
  if (wt) tx.deleteTimer(workflowTaskTimerKey());
  if (tx.state.workflowTaskBackoffAttempt !== undefined) tx.deleteTimer(workflowTaskRetryKey());
  tx.deleteTimer(workflowRunTimeoutKey());
}

/** The key of the row that wakes a run for the timers kept in its state (RunTx.setTimer). */
export const STATE_TIMERS_KEY = 'state:timers';

/**
 * Whether a timer is one of the run's own, kept in its state rather than a row of its own: user
 * timers, activity and workflow task timeouts and retries. The others (the run timeout, work on
 * other runs and schedules) are rows.
 */
export function isStateTimerKey(key: string): boolean {
  return key.startsWith('timer:') || key.startsWith('activity:') || key.startsWith('workflowTask:');
}

export const userTimerKey = (timerId: string): string => `timer:${timerId}`;
export const activityTimerKey = (
  scheduledEventId: number,
  kind: 'ScheduleToStart' | 'StartToClose' | 'ScheduleToClose' | 'Heartbeat' | 'Retry',
): string => `activity:${scheduledEventId}:${kind}`;
export const activityTimerKeys = (scheduledEventId: number): string[] =>
  (['ScheduleToStart', 'StartToClose', 'ScheduleToClose', 'Heartbeat', 'Retry'] as const).map((k) =>
    activityTimerKey(scheduledEventId, k),
  );
export const workflowTaskTimerKey = (): string => 'workflowTask:timeout';
export const workflowTaskRetryKey = (): string => 'workflowTask:retry';
export const workflowRunTimeoutKey = (): string => 'workflow:runTimeout';
export const startChildKey = (initiatedEventId: number): string =>
  `child:${initiatedEventId}:start`;
export const childPolicyKey = (initiatedEventId: number): string =>
  `child:${initiatedEventId}:parentClosePolicy`;
export const reportToParentKey = (): string => 'parent:report';
export const signalExternalKey = (initiatedEventId: number): string =>
  `external:${initiatedEventId}:signal`;
export const cancelExternalKey = (initiatedEventId: number): string =>
  `external:${initiatedEventId}:cancel`;
