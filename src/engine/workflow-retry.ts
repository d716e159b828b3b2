// The workflow retry policy (Temporal's): a run that fails or times out under a retry policy
// closes with retryState InProgress, and the next attempt — a new run of the same workflow id,
// with the same input, after the backoff — is created in the same transaction, as continue-as-new
// creates its successor. Retries stop at maximumAttempts, on a non-retryable failure, or when the
// next attempt would start after the execution's expiration; then the failure is final.
// Test: test/e2e/workflow-retry.test.ts.
import { randomUUID } from 'node:crypto';
import { IllegalStateError } from '../errors.ts';
import { RetryState } from '../protocol/failure.ts';
import type { Failure } from '../protocol/failure.ts';
import { ContinueAsNewInitiator } from '../protocol/history-events.ts';
import type { EventOf } from '../protocol/history-events.ts';
import { retryBackoffMs } from '../protocol/retry-policy.ts';
import type { ResolvedRetryPolicy } from '../protocol/retry-policy.ts';
import type { CreateRunRequest } from '../store/store.ts';
import type { EngineDeps } from './deps.ts';
import { buildCronRun, cronBackoffOf } from './cron-runs.ts';
import { buildNewRun, keptLineage } from './new-run.ts';
import type { RunState } from './run-state.ts';
import { dropPendingTimers } from './timer-keys.ts';
import type { RunTx } from './update-run.ts';

export type WorkflowStartedEvent = EventOf<'WorkflowExecutionStarted'>;

/** What the retry policy says about a failed run: retry after `backoffMs`, or stop and why. */
export type WorkflowRetryDecision =
  | { retryState: typeof RetryState.InProgress; backoffMs: number }
  | { retryState: Exclude<RetryState, typeof RetryState.InProgress> };

/** The failure a run timeout counts as: retryable, like Temporal's. */
const RUN_TIMEOUT_FAILURE: Failure = {
  message: 'Workflow run timed out',
  info: { type: 'timeout', timeoutType: 'StartToClose' },
};

/**
 * The run's WorkflowExecutionStarted if the run has a retry policy (a retry repeats that start),
 * else undefined. Read before `updateRun`: history never changes, so it cannot go stale.
 */
export async function startedEventIfRetrying(
  deps: EngineDeps,
  runId: string,
): Promise<WorkflowStartedEvent | undefined> {
  const run = await deps.store.getRun({ runId });
  const state = run?.state as { retryPolicy?: unknown; cron?: unknown } | undefined;
  // A cron run is started again too (cron-runs.ts).
  if (state?.retryPolicy === undefined && state?.cron === undefined) return undefined;
  const [first] = await deps.store.readHistory({ runId, fromEventId: 1 });
  if (first?.type !== 'WorkflowExecutionStarted') {
    throw new IllegalStateError(`Run ${runId} does not begin with WorkflowExecutionStarted.`);
  }
  return first;
}

/** Temporal's `getBackoffInterval` for a workflow run that ended in `failure` at `nowMs`. */
export function workflowRetryDecision(
  state: RunState,
  failure: Failure,
  nowMs: number,
): WorkflowRetryDecision {
  const policy = state.retryPolicy;
  if (policy === undefined) return { retryState: RetryState.RetryPolicyNotSet };
  if (!isRetryable(failure, policy)) return { retryState: RetryState.NonRetryableFailure };
  const attempt = state.attempt ?? 1;
  if (policy.maximumAttempts > 0 && attempt >= policy.maximumAttempts) {
    return { retryState: RetryState.MaximumAttemptsReached };
  }
  const info = failure.info;
  const backoffMs = Math.min(
    info.type === 'application' && info.nextRetryDelayMs !== undefined
      ? info.nextRetryDelayMs
      : retryBackoffMs(policy, attempt),
    policy.maximumIntervalMs,
  );
  const expirationMs = executionExpirationMs(state);
  if (expirationMs !== undefined && nowMs + backoffMs > expirationMs) {
    return { retryState: RetryState.Timeout };
  }
  return { retryState: RetryState.InProgress, backoffMs };
}

/** Temporal's `isRetryable`: cancellation and termination never are; a timeout only per attempt. */
function isRetryable(failure: Failure, policy: ResolvedRetryPolicy): boolean {
  const info = failure.info;
  switch (info.type) {
    case 'cancelled':
    case 'terminated':
      return false;
    case 'timeout':
      return (
        (info.timeoutType === 'StartToClose' || info.timeoutType === 'Heartbeat') &&
        !policy.nonRetryableErrorTypes.includes(`TemporalTimeout:${info.timeoutType}`)
      );
    case 'server':
      return !info.nonRetryable;
    case 'application':
      return !info.nonRetryable && !policy.nonRetryableErrorTypes.includes(info.errorType);
    case 'activity':
    case 'childWorkflow':
      return true;
    default: {
      const never: never = info;
      throw new IllegalStateError(`Unknown failure ${JSON.stringify(never)}`);
    }
  }
}

function executionExpirationMs(state: RunState): number | undefined {
  if (state.workflowExecutionExpirationTimeMs !== undefined) {
    return state.workflowExecutionExpirationTimeMs;
  }
  // Runs written before the expiration was recorded: count from this run's start.
  return state.workflowExecutionTimeoutMs === undefined
    ? undefined
    : state.startTimeMs + state.workflowExecutionTimeoutMs;
}

/**
 * FailWorkflowExecution: closes the run as WorkflowExecutionFailed, and when the retry policy
 * says so, creates the next attempt in the same transaction. `started` is the run's
 * WorkflowExecutionStarted (the next attempt's input and options); needed only with a policy.
 */
export function failWorkflowExecution(
  tx: RunTx,
  failure: Failure,
  completedEventId: number,
  started: WorkflowStartedEvent | undefined,
): void {
  const decision = workflowRetryDecision(tx.state, failure, tx.nowMs);
  dropPendingTimers(tx);
  if (decision.retryState !== RetryState.InProgress) {
    // Temporal's: the retry policy comes first; a failure it does not retry ends a cron run, and
    // the next one follows at the schedule's time.
    const cronBackoffMs = cronBackoffOf(tx.state, tx.nowMs);
    const cronRunId = cronBackoffMs === undefined ? undefined : randomUUID();
    tx.append({
      type: 'WorkflowExecutionFailed',
      failure,
      retryState: decision.retryState,
      ...(cronRunId !== undefined && { newExecutionRunId: cronRunId }),
      workflowTaskCompletedEventId: completedEventId,
    });
    if (cronBackoffMs !== undefined && cronRunId !== undefined) {
      tx.successor = buildCronRun(tx, started, cronRunId, cronBackoffMs, {
        lastCompletionResult: started?.lastCompletionResult,
        continuedFailure: failure,
      });
    }
    return;
  }
  const newRunId = randomUUID();
  tx.append({
    type: 'WorkflowExecutionFailed',
    failure,
    retryState: RetryState.InProgress,
    newExecutionRunId: newRunId,
    workflowTaskCompletedEventId: completedEventId,
  });
  tx.successor = buildRetryRun(tx.state, started, newRunId, decision.backoffMs, failure, tx.nowMs);
}

/** The run timeout fired: WorkflowExecutionTimedOut, and the next attempt if the policy allows. */
export function timeOutWorkflowRun(tx: RunTx, started: WorkflowStartedEvent | undefined): void {
  // Temporal's: once the whole execution has run out of time, the policy is not asked.
  const expirationMs = executionExpirationMs(tx.state);
  const decision: WorkflowRetryDecision =
    expirationMs !== undefined && tx.nowMs >= expirationMs
      ? { retryState: RetryState.Timeout }
      : workflowRetryDecision(tx.state, RUN_TIMEOUT_FAILURE, tx.nowMs);
  dropPendingTimers(tx);
  if (decision.retryState !== RetryState.InProgress) {
    // As Temporal's: a run timeout without a retry policy is RetryPolicyNotSet; Timeout is
    // for the execution's expiration (and a retry that would start after it). A cron run that
    // timed out within the execution's time is followed by the next one.
    const expired = expirationMs !== undefined && tx.nowMs >= expirationMs;
    const cronBackoffMs = expired ? undefined : cronBackoffOf(tx.state, tx.nowMs);
    const cronRunId = cronBackoffMs === undefined ? undefined : randomUUID();
    tx.append({
      type: 'WorkflowExecutionTimedOut',
      retryState: decision.retryState,
      ...(cronRunId !== undefined && { newExecutionRunId: cronRunId }),
    });
    if (cronBackoffMs !== undefined && cronRunId !== undefined) {
      tx.successor = buildCronRun(tx, started, cronRunId, cronBackoffMs, {
        lastCompletionResult: started?.lastCompletionResult,
        continuedFailure: RUN_TIMEOUT_FAILURE,
      });
    }
    return;
  }
  const newRunId = randomUUID();
  tx.append({
    type: 'WorkflowExecutionTimedOut',
    retryState: RetryState.InProgress,
    newExecutionRunId: newRunId,
  });
  tx.successor = buildRetryRun(
    tx.state,
    started,
    newRunId,
    decision.backoffMs,
    RUN_TIMEOUT_FAILURE,
    tx.nowMs,
  );
}

/** The next attempt: this run's start again, attempt + 1, its first task after the backoff. */
function buildRetryRun(
  s: RunState,
  started: WorkflowStartedEvent | undefined,
  newRunId: string,
  backoffMs: number,
  failure: Failure,
  nowMs: number,
): { request: CreateRunRequest; tx: RunTx } {
  if (started === undefined) {
    throw new IllegalStateError(
      `Run ${s.runId}: retrying it needs its WorkflowExecutionStarted event.`,
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
      // As Temporal's server: a retry gets the header of the run it retries.
      header: started.header,
      workflowTaskTimeoutMs: started.workflowTaskTimeoutMs,
      firstExecutionRunId: s.firstExecutionRunId ?? s.runId,
      memo: started.memo,
      searchAttributes: started.searchAttributes,
      workflowExecutionTimeoutMs: started.workflowExecutionTimeoutMs,
      workflowRunTimeoutMs: started.workflowRunTimeoutMs,
      workflowExecutionExpirationTimeMs: executionExpirationMs(s),
      continuedExecutionRunId: s.runId,
      initiator: ContinueAsNewInitiator.Retry,
      ...keptLineage(s),
      startDelayMs: backoffMs,
      retryPolicy: s.retryPolicy,
      attempt: (s.attempt ?? 1) + 1,
      continuedFailure: failure,
      // A retried cron run stays one: when the retry closes, the next cron run follows.
      cronSchedule: started.cronSchedule,
    },
    nowMs,
    started.workflowTaskTimeoutMs,
  );
}
