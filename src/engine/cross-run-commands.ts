// Commands whose effect reaches another run: continue-as-new (the successor is created in the
// same transaction), start a child, signal or cancel another workflow (a timer row due at once,
// carried out by ops/child-workflows.ts and ops/external-workflows.ts).
import { randomUUID } from 'node:crypto';
import type { CommandOf } from '../protocol/commands.ts';
import { ContinueAsNewInitiator } from '../protocol/history-events.ts';
import { compilePriority } from '../protocol/priority.ts';
import { resolveRetryPolicy } from '../protocol/retry-policy.ts';
import { buildNewRun, keptLineage, recordedTimeouts } from './new-run.ts';
import {
  cancelExternalKey,
  dropPendingTimers,
  signalExternalKey,
  startChildKey,
} from './timer-keys.ts';
import type { RunTx } from './update-run.ts';

/**
 * Closes the run as ContinuedAsNew and creates its successor in the same store transaction:
 * same workflow id, first execution run id and parent, a fresh history and state.
 */
export function continueAsNew(
  tx: RunTx,
  c: CommandOf<'ContinueAsNewWorkflowExecution'>,
  completedEventId: number,
): void {
  const s = tx.state;
  const newRunId = randomUUID();
  // Capped as at start: a longer one asked of continue-as-new gets Temporal's maximum, and the
  // event records what the new run will (recordedTimeouts), as Temporal's server does.
  const { runTimeoutMs: workflowRunTimeoutMs, taskTimeoutMs: workflowTaskTimeoutMs } =
    recordedTimeouts({
      workflowTaskTimeoutMs: c.workflowTaskTimeoutMs ?? s.workflowTaskTimeoutMs,
      workflowRunTimeoutMs: c.workflowRunTimeoutMs ?? s.workflowRunTimeoutMs,
      workflowExecutionTimeoutMs: s.workflowExecutionTimeoutMs,
    });
  const memo = c.memo ?? s.memo;
  const searchAttributes = c.searchAttributes ?? s.searchAttributes;
  dropPendingTimers(tx);
  tx.append({
    type: 'WorkflowExecutionContinuedAsNew',
    newExecutionRunId: newRunId,
    workflowType: c.workflowType,
    taskQueue: c.taskQueue,
    input: c.args,
    ...(c.header !== undefined && { header: c.header }),
    ...(workflowRunTimeoutMs !== undefined && { workflowRunTimeoutMs }),
    workflowTaskTimeoutMs,
    memo,
    searchAttributes,
    initiator: ContinueAsNewInitiator.Workflow,
    workflowTaskCompletedEventId: completedEventId,
  });
  tx.successor = buildNewRun(
    {
      namespace: s.namespace,
      workflowId: s.workflowId,
      runId: newRunId,
      workflowType: c.workflowType,
      taskQueue: c.taskQueue,
      args: c.args,
      header: c.header,
      workflowTaskTimeoutMs,
      firstExecutionRunId: s.firstExecutionRunId ?? s.runId,
      memo,
      searchAttributes,
      workflowRunTimeoutMs,
      workflowExecutionTimeoutMs: s.workflowExecutionTimeoutMs,
      // The execution's deadline holds across the chain (Temporal's); a retry policy carries on.
      workflowExecutionExpirationTimeMs: s.workflowExecutionExpirationTimeMs,
      retryPolicy: s.retryPolicy,
      continuedExecutionRunId: s.runId,
      initiator: ContinueAsNewInitiator.Workflow,
      ...keptLineage(s),
    },
    tx.nowMs,
    workflowTaskTimeoutMs,
  );
}

/** StartChildWorkflowExecutionInitiated, and a timer row that starts the child at once. */
export function startChildWorkflow(
  tx: RunTx,
  c: CommandOf<'StartChildWorkflowExecution'>,
  completedEventId: number,
): void {
  const priority = compilePriority(c.priority);
  const e = tx.append({
    type: 'StartChildWorkflowExecutionInitiated',
    namespace: tx.state.namespace,
    workflowId: c.workflowId,
    workflowType: c.workflowType,
    taskQueue: c.taskQueue,
    input: c.args,
    ...(c.header !== undefined && { header: c.header }),
    ...(c.workflowExecutionTimeoutMs !== undefined && {
      workflowExecutionTimeoutMs: c.workflowExecutionTimeoutMs,
    }),
    ...(c.workflowRunTimeoutMs !== undefined && { workflowRunTimeoutMs: c.workflowRunTimeoutMs }),
    ...(c.workflowTaskTimeoutMs !== undefined && {
      workflowTaskTimeoutMs: c.workflowTaskTimeoutMs,
    }),
    parentClosePolicy: c.parentClosePolicy,
    ...(c.memo !== undefined && { memo: c.memo }),
    ...(c.searchAttributes !== undefined && { searchAttributes: c.searchAttributes }),
    ...(c.retry !== undefined && { retryPolicy: resolveRetryPolicy(c.retry) }),
    ...(c.cronSchedule !== undefined && { cronSchedule: c.cronSchedule }),
    ...(c.workflowIdReusePolicy !== undefined && {
      workflowIdReusePolicy: c.workflowIdReusePolicy,
    }),
    ...(c.userMetadata !== undefined && { userMetadata: c.userMetadata }),
    ...(priority !== undefined && { priority }),
    workflowTaskCompletedEventId: completedEventId,
  });
  // The child's run id is chosen now, so that starting it again after a crash is a no-op.
  tx.setTimer(startChildKey(e.eventId), tx.nowMs, {
    kind: 'startChild',
    initiatedEventId: e.eventId,
    childRunId: randomUUID(),
  });
}

/** SignalExternalWorkflowExecutionInitiated, and a timer row that delivers the signal. */
export function signalExternalWorkflow(
  tx: RunTx,
  c: CommandOf<'SignalExternalWorkflowExecution'>,
  completedEventId: number,
): void {
  const e = tx.append({
    type: 'SignalExternalWorkflowExecutionInitiated',
    namespace: tx.state.namespace,
    workflowId: c.workflowId,
    ...(c.runId !== undefined && { runId: c.runId }),
    signalName: c.signalName,
    input: c.args,
    ...(c.header !== undefined && { header: c.header }),
    childWorkflowOnly: c.childWorkflowOnly,
    workflowTaskCompletedEventId: completedEventId,
  });
  tx.setTimer(signalExternalKey(e.eventId), tx.nowMs, {
    kind: 'signalExternal',
    initiatedEventId: e.eventId,
    requestId: `${tx.runId}:${e.eventId}`,
  });
}

/** RequestCancelExternalWorkflowExecutionInitiated, and a timer row that delivers it. */
export function requestCancelExternalWorkflow(
  tx: RunTx,
  c: CommandOf<'RequestCancelExternalWorkflowExecution'>,
  completedEventId: number,
): void {
  const e = tx.append({
    type: 'RequestCancelExternalWorkflowExecutionInitiated',
    namespace: tx.state.namespace,
    workflowId: c.workflowId,
    ...(c.runId !== undefined && { runId: c.runId }),
    childWorkflowOnly: c.childWorkflowOnly,
    workflowTaskCompletedEventId: completedEventId,
  });
  tx.setTimer(cancelExternalKey(e.eventId), tx.nowMs, {
    kind: 'cancelExternal',
    initiatedEventId: e.eventId,
  });
}
