// Cron workflows (Temporal's cronSchedule): a cron run that completes, fails or times out (and
// that the retry policy does not retry) closes with the next run's id, and that run, which waits
// for the schedule's next time, is created in the same transaction, as a retry's is. The next run
// sees the last completed run's result as `lastResult` and the failure, if the run failed, as
// `lastFailure`. Cancelled and terminated runs end the chain; so does the execution timeout.
// Test: test/e2e/cron-workflows.test.ts.
import { randomUUID } from 'node:crypto';
import { IllegalStateError } from '../errors.ts';
import type { Failure } from '../protocol/failure.ts';
import { ContinueAsNewInitiator } from '../protocol/history-events.ts';
import type { EventOf } from '../protocol/history-events.ts';
import type { CreateRunRequest } from '../store/store.ts';
import { cronBackoffMs, parseCronSchedule } from './cron-schedule.ts';
import { buildNewRun, keptLineage } from './new-run.ts';
import type { RunState } from './run-state.ts';
import { dropPendingTimers } from './timer-keys.ts';
import type { RunTx } from './update-run.ts';

type WorkflowStartedEvent = EventOf<'WorkflowExecutionStarted'>;

/**
 * The wait before the next run of a cron run closing now, or undefined for a run without a cron
 * schedule (or one whose schedule names no later time: the chain ends).
 */
export function cronBackoffOf(state: RunState, nowMs: number): number | undefined {
  const cron = state.cron;
  if (cron === undefined) return undefined;
  try {
    return cronBackoffMs(
      parseCronSchedule(cron.schedule, { running: true }),
      cron.scheduledTimeMs,
      nowMs,
    );
  } catch {
    return undefined; // checked at start; as Temporal's, a schedule that no longer parses ends it
  }
}

/** True when completing this run needs its WorkflowExecutionStarted: a cron run starts it again. */
export function completionNeedsStartEvent(state: RunState): boolean {
  return state.cron !== undefined;
}

/** CompleteWorkflowExecution: WorkflowExecutionCompleted, and a cron workflow's next run. */
export function completeWorkflowExecution(
  tx: RunTx,
  result: unknown,
  completedEventId: number,
  started: WorkflowStartedEvent | undefined,
): void {
  dropPendingTimers(tx);
  const backoffMs = cronBackoffOf(tx.state, tx.nowMs);
  const newRunId = backoffMs === undefined ? undefined : randomUUID();
  tx.append({
    type: 'WorkflowExecutionCompleted',
    result,
    ...(newRunId !== undefined && { newExecutionRunId: newRunId }),
    workflowTaskCompletedEventId: completedEventId,
  });
  if (backoffMs !== undefined && newRunId !== undefined) {
    tx.successor = buildCronRun(tx, started, newRunId, backoffMs, { lastCompletionResult: result });
  }
}

/**
 * The next run of a cron workflow: the run's start again (input, options, retry policy and
 * schedule), attempt 1, its first workflow task after `backoffMs`. `outcome` is what it carries:
 * the last completed run's result, and the failure when this run failed or timed out.
 */
export function buildCronRun(
  tx: RunTx,
  started: WorkflowStartedEvent | undefined,
  newRunId: string,
  backoffMs: number,
  outcome: { lastCompletionResult: unknown; continuedFailure?: Failure },
): { request: CreateRunRequest; tx: RunTx } {
  const s = tx.state;
  if (started === undefined) {
    throw new IllegalStateError(
      `Run ${s.runId}: starting its next cron run needs its WorkflowExecutionStarted event.`,
    );
  }
  return buildNewRun(
    {
      namespace: s.namespace,
      workflowId: s.workflowId,
      runId: newRunId,
      workflowType: started.workflowType,
      taskQueue: started.taskQueue,
      args: started.input,
      workflowTaskTimeoutMs: started.workflowTaskTimeoutMs,
      firstExecutionRunId: s.firstExecutionRunId ?? s.runId,
      memo: started.memo,
      searchAttributes: started.searchAttributes,
      workflowExecutionTimeoutMs: started.workflowExecutionTimeoutMs,
      workflowRunTimeoutMs: started.workflowRunTimeoutMs,
      // The execution timeout covers the whole chain: a next run due after it times out then.
      workflowExecutionExpirationTimeMs: s.workflowExecutionExpirationTimeMs,
      continuedExecutionRunId: s.runId,
      initiator: ContinueAsNewInitiator.CronSchedule,
      ...keptLineage(s),
      startDelayMs: backoffMs,
      retryPolicy: s.retryPolicy,
      cronSchedule: started.cronSchedule,
      lastCompletionResult: outcome.lastCompletionResult,
      continuedFailure: outcome.continuedFailure,
    },
    tx.nowMs,
    started.workflowTaskTimeoutMs,
  );
}
