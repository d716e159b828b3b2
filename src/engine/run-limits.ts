// Per-run limits (EngineLimits), Temporal's: a warning logged once per run before each hard
// stop; past a history limit the run is terminated, past a pending-work limit the workflow task
// fails. Tests: test/e2e/limits.test.ts.
import type { Command } from '../protocol/commands.ts';
import type { WorkflowTaskFailedCause } from '../protocol/history-events.ts';
import { isContinueAsNewSuggested } from '../protocol/history-limits.ts';
import type { EngineLimits } from './deps.ts';
import type { RunState } from './run-state.ts';
import { dropPendingTimers } from './timer-keys.ts';
import type { RunTx } from './update-run.ts';

/** A warning to log once the transaction that crossed its threshold has committed. */
export interface LimitWarning {
  readonly message: string;
  readonly attrs: Record<string, unknown>;
}

/** Whether `workflowInfo().continueAsNewSuggested` is true for a run in this state. */
export function suggestContinueAsNew(state: RunState, limits: EngineLimits): boolean {
  return isContinueAsNewSuggested(state.nextEventId - 1, state.historySizeBytes, {
    suggestContinueAsNewEvents: limits.historyCountSuggestContinueAsNew,
    suggestContinueAsNewBytes: limits.historySizeSuggestContinueAsNewBytes,
    historyCountWarn: limits.historyCountWarn,
    historySizeWarnBytes: limits.historySizeWarnBytes,
  });
}

/**
 * Called by `updateRun` after each decision on a running run: terminates the run past a history
 * limit (Temporal does the same), and returns the warnings crossed for the first time.
 */
export function enforceHistoryLimits(tx: RunTx, limits: EngineLimits): LimitWarning[] {
  if (!tx.isRunning) return [];
  const s = tx.state;
  const count = s.nextEventId - 1;
  const size = s.historySizeBytes;
  // Messages are built only when a limit is crossed: this runs on every commit.
  const suggestion = (): string =>
    `workflowInfo().continueAsNewSuggested turns true at ${formatCount(
      Math.min(limits.historyCountSuggestContinueAsNew, limits.historyCountWarn),
    )} events or ${formatBytes(
      Math.min(limits.historySizeSuggestContinueAsNewBytes, limits.historySizeWarnBytes),
    )}.`;
  let reason: string | undefined;
  if (size > limits.historySizeLimitBytes) {
    reason =
      `History size exceeds the ${formatBytes(limits.historySizeLimitBytes)} limit (${formatCount(size)} bytes). ` +
      `Use continueAsNew before a run's history grows this large; ${suggestion()}`;
  } else if (count > limits.historyCountLimit) {
    reason =
      `History exceeds the ${formatCount(limits.historyCountLimit)}-event limit (${formatCount(count)} events). ` +
      `Use continueAsNew before a run's history grows this large; ${suggestion()}`;
  }
  if (reason !== undefined) {
    dropPendingTimers(tx);
    tx.append({ type: 'WorkflowExecutionTerminated', reason, identity: 'reprise-engine' });
    return [
      {
        message: `Run terminated: ${reason}`,
        attrs: {
          workflowId: s.workflowId,
          runId: s.runId,
          historyLength: count,
          historySize: size,
        },
      },
    ];
  }
  const warnings: LimitWarning[] = [];
  const warnOnce = (key: string, crossed: boolean, message: () => string): void => {
    if (!crossed || s.limitWarnings?.includes(key)) return;
    (s.limitWarnings ??= []).push(key);
    tx.touch();
    warnings.push({
      message: message(),
      attrs: { workflowId: s.workflowId, runId: s.runId, historyLength: count, historySize: size },
    });
  };
  warnOnce(
    'historyCount',
    count > limits.historyCountWarn,
    () =>
      `History has passed ${formatCount(limits.historyCountWarn)} events (${formatCount(count)}); ` +
      `the run is terminated past ${formatCount(limits.historyCountLimit)}. Use continueAsNew.`,
  );
  warnOnce(
    'historySize',
    size > limits.historySizeWarnBytes,
    () =>
      `History has passed ${formatBytes(limits.historySizeWarnBytes)} (${formatCount(size)} bytes); ` +
      `the run is terminated past ${formatBytes(limits.historySizeLimitBytes)}. Use continueAsNew.`,
  );
  return warnings;
}

/**
 * Checks that a workflow task's commands keep the run within its pending-work limits; the cause
 * and message to fail the task with if not. Temporal's numPending*Limit checks.
 */
export function pendingLimitViolation(
  state: RunState,
  commands: readonly Command[],
  limits: EngineLimits,
): { cause: WorkflowTaskFailedCause; message: string } | undefined {
  const added = (type: Command['type']): number => commands.filter((c) => c.type === type).length;
  const checks = [
    {
      cause: 'PendingActivitiesLimitExceeded',
      what: 'pending activities',
      pending: Object.keys(state.pendingActivities).length,
      adding: added('ScheduleActivityTask'),
      limit: limits.maxPendingActivities,
    },
    {
      cause: 'PendingChildWorkflowsLimitExceeded',
      what: 'pending child workflows',
      pending: Object.keys(state.pendingChildren ?? {}).length,
      adding: added('StartChildWorkflowExecution'),
      limit: limits.maxPendingChildWorkflows,
    },
    {
      cause: 'PendingSignalsLimitExceeded',
      what: 'pending signals to other workflows',
      pending: state.pendingExternalSignals?.length ?? 0,
      adding: added('SignalExternalWorkflowExecution'),
      limit: limits.maxPendingSignals,
    },
    {
      cause: 'PendingRequestCancelLimitExceeded',
      what: 'pending cancel requests to other workflows',
      pending: state.pendingExternalCancels?.length ?? 0,
      adding: added('RequestCancelExternalWorkflowExecution'),
      limit: limits.maxPendingCancelRequests,
    },
  ] as const;
  for (const c of checks) {
    if (c.adding === 0 || c.pending + c.adding <= c.limit) continue;
    return {
      cause: c.cause,
      message:
        `The workflow task would leave ${c.pending + c.adding} ${c.what} (${c.pending} pending + ${c.adding} new); ` +
        `a run may have at most ${c.limit}. Its commands were not applied; the task is retried, and succeeds once ` +
        `fewer are pending. Wait for some to finish before starting more (e.g. in batches).`,
    };
  }
  return undefined;
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** `50 MiB`, `512 KiB`, or `1,234 bytes`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${formatCount(n)} bytes`;
}
