// Child workflows across runs: start the child a parent asked for, tell the parent how the child
// ended, and apply the parent close policy. Each is carried out from a timer row due at once
// (close-effects.ts, cross-run-commands.ts) and is idempotent: after a crash it runs again.
import {
  IllegalStateError,
  NamespaceNotFoundError,
  WorkflowExecutionAlreadyStartedError,
} from '../../errors.ts';
import type { HistoryEvent, NewHistoryEvent } from '../../protocol/history-events.ts';
import { RunStatus } from '../../protocol/run-status.ts';
import type { TimerPayload } from '../../protocol/tasks.ts';
import type { TimerRecord } from '../../store/store.ts';
import type { EngineDeps } from '../deps.ts';
import { createRunMatched } from '../sync-match.ts';
import { buildNewRun, childLineage } from '../new-run.ts';
import { parseRunState } from '../run-state.ts';
import { dropPendingTimers } from '../timer-keys.ts';
import { updateRun } from '../update-run.ts';
import { startUnderIdPolicies } from './workflow-id-policy.ts';

type Payload<K extends TimerPayload['kind']> = Extract<TimerPayload, { kind: K }>;

/** Starts the child run of a StartChildWorkflowExecutionInitiated and tells the parent. */
export async function startChildDue(
  deps: EngineDeps,
  timer: TimerRecord,
  p: Payload<'startChild'>,
): Promise<void> {
  const parent = await deps.store.getRun({ runId: timer.runId });
  if (parent?.status !== RunStatus.Running) {
    await deps.store.deleteTimer({ runId: timer.runId, key: timer.key });
    return;
  }
  const initiated = await readEvent(deps, parent.runId, p.initiatedEventId);
  if (initiated.type !== 'StartChildWorkflowExecutionInitiated') {
    throw new IllegalStateError(
      `Run ${parent.runId}: event ${p.initiatedEventId} is ${initiated.type}, not StartChildWorkflowExecutionInitiated.`,
    );
  }
  let failure: StartFailure | undefined;
  if (!(await deps.store.getRun({ runId: p.childRunId }))) {
    const { request, tx } = buildNewRun(
      {
        namespace: initiated.namespace,
        workflowId: initiated.workflowId,
        runId: p.childRunId,
        workflowType: initiated.workflowType,
        taskQueue: initiated.taskQueue,
        args: initiated.input,
        header: initiated.header,
        workflowTaskTimeoutMs:
          initiated.workflowTaskTimeoutMs ?? deps.limits.defaultWorkflowTaskTimeoutMs,
        firstExecutionRunId: p.childRunId,
        memo: initiated.memo,
        searchAttributes: initiated.searchAttributes,
        workflowExecutionTimeoutMs: initiated.workflowExecutionTimeoutMs,
        workflowRunTimeoutMs: initiated.workflowRunTimeoutMs,
        retryPolicy: initiated.retryPolicy,
        cronSchedule: initiated.cronSchedule,
        userMetadata: initiated.userMetadata,
        parent: {
          namespace: parent.namespace,
          workflowId: parent.workflowId,
          runId: parent.runId,
          initiatedEventId: initiated.eventId,
        },
        ...childLineage(parent, initiated.priority),
      },
      deps.clock.now(),
      deps.limits.defaultWorkflowTaskTimeoutMs,
    );
    try {
      // The default policies (ALLOW_DUPLICATE, and a running run refuses) need no read.
      await startUnderIdPolicies(
        deps,
        {
          namespace: initiated.namespace,
          workflowId: initiated.workflowId,
          workflowType: initiated.workflowType,
          workflowIdReusePolicy: initiated.workflowIdReusePolicy,
        },
        async () => {
          await createRunMatched(deps, { request, tx });
          return p.childRunId;
        },
      );
    } catch (e) {
      failure = await startFailure(deps, p.childRunId, e);
    }
  }
  const orphaned = await updateRun(deps, parent.runId, (tx) => {
    tx.deleteTimer(timer.key);
    if (!tx.isRunning) return failure === undefined;
    const child = tx.state.pendingChildren?.[String(initiated.eventId)];
    if (!child || child.runId !== undefined) return false;
    const ref = {
      namespace: initiated.namespace,
      workflowId: initiated.workflowId,
      workflowType: initiated.workflowType,
      initiatedEventId: initiated.eventId,
    };
    if (failure === undefined) {
      tx.append({ type: 'ChildWorkflowExecutionStarted', ...ref, runId: p.childRunId });
    } else {
      tx.append({
        type: 'StartChildWorkflowExecutionFailed',
        ...ref,
        cause: failure.cause,
        ...(failure.runId !== '' && { runningRunId: failure.runId }),
      });
    }
    return false;
  });
  // The parent closed while its child was being started: the close policy applies to it now.
  if (orphaned && initiated.parentClosePolicy !== 'ABANDON') {
    await applyPolicy(deps, {
      namespace: initiated.namespace,
      workflowId: initiated.workflowId,
      runId: p.childRunId,
      policy: initiated.parentClosePolicy,
    });
  }
}

type StartFailure = { cause: 'WorkflowAlreadyStarted' | 'NamespaceNotFound'; runId: string };

/**
 * Why creating the child failed, or undefined when the child was started after all. The timer may
 * fire twice at once (two engines: the first one's lease ran out while it worked), and then the
 * other firing can create the child between our lookup and our insert. A run holding the child's
 * planned run id is this very child (the id is chosen once, for this start, and runs are never
 * deleted), so it counts as started whatever the store said: AlreadyStarted naming it (it is
 * still Running), AlreadyStarted naming another run (it already closed and its workflow id was
 * taken again, e.g. by its continue-as-new successor), or a duplicate run id (it already closed).
 * Test: src/engine/ops/child-workflows.test.ts.
 */
async function startFailure(
  deps: EngineDeps,
  childRunId: string,
  e: unknown,
): Promise<StartFailure | undefined> {
  if (await deps.store.getRun({ runId: childRunId })) return undefined;
  if (e instanceof WorkflowExecutionAlreadyStartedError) {
    return { cause: 'WorkflowAlreadyStarted', runId: e.runId };
  }
  if (e instanceof NamespaceNotFoundError) return { cause: 'NamespaceNotFound', runId: '' };
  throw e;
}

/** A child closed: append the matching ChildWorkflowExecution* event to its parent. */
export async function reportToParentDue(
  deps: EngineDeps,
  timer: TimerRecord,
  p: Payload<'reportToParent'>,
): Promise<void> {
  const child = await deps.store.getRun({ runId: timer.runId });
  const parentRef = child ? parseRunState(child.state).parent : undefined;
  if (child && parentRef && (await deps.store.getRun({ runId: parentRef.runId }))) {
    const closed = await readEvent(deps, child.runId, p.closeEventId);
    const firstRunId = parseRunState(child.state).firstExecutionRunId ?? child.runId;
    await updateRun(deps, parentRef.runId, (tx) => {
      if (!tx.isRunning) return;
      const pc = tx.state.pendingChildren?.[String(parentRef.initiatedEventId)];
      if (!pc) return;
      const ref = {
        namespace: pc.namespace,
        workflowId: pc.workflowId,
        workflowType: pc.workflowType,
        initiatedEventId: pc.initiatedEventId,
      };
      // The start was not recorded yet (its own timer is late): record it first.
      const startedEventId =
        pc.startedEventId ??
        tx.append({ type: 'ChildWorkflowExecutionStarted', ...ref, runId: firstRunId }).eventId;
      const outcome = childOutcome(closed, { ...ref, runId: child.runId, startedEventId });
      if (outcome) tx.append(outcome);
    });
  }
  await deps.store.deleteTimer({ runId: timer.runId, key: timer.key });
}

interface ChildRef {
  namespace: string;
  workflowId: string;
  workflowType: string;
  initiatedEventId: number;
  runId: string;
  startedEventId: number;
}

/** The parent's event for how the child's run closed. */
function childOutcome(e: HistoryEvent, ref: ChildRef): NewHistoryEvent | undefined {
  if (e.type === 'WorkflowExecutionCompleted') {
    return { type: 'ChildWorkflowExecutionCompleted', ...ref, result: e.result };
  }
  if (e.type === 'WorkflowExecutionFailed') {
    return {
      type: 'ChildWorkflowExecutionFailed',
      ...ref,
      failure: e.failure,
      retryState: e.retryState,
    };
  }
  if (e.type === 'WorkflowExecutionCanceled') {
    return {
      type: 'ChildWorkflowExecutionCanceled',
      ...ref,
      ...(e.details !== undefined && { details: e.details }),
    };
  }
  if (e.type === 'WorkflowExecutionTerminated') {
    return { type: 'ChildWorkflowExecutionTerminated', ...ref, reason: e.reason };
  }
  if (e.type === 'WorkflowExecutionTimedOut') {
    return { type: 'ChildWorkflowExecutionTimedOut', ...ref, retryState: e.retryState };
  }
  return undefined; // continue-as-new: the chain goes on, and its last run reports
}

/** The parent closed: terminate or cancel a child that is still running. */
export async function parentClosePolicyDue(
  deps: EngineDeps,
  timer: TimerRecord,
  p: Payload<'parentClosePolicy'>,
): Promise<void> {
  await applyPolicy(deps, p);
  await deps.store.deleteTimer({ runId: timer.runId, key: timer.key });
}

async function applyPolicy(
  deps: EngineDeps,
  p: {
    namespace: string;
    workflowId: string;
    runId: string;
    policy: 'TERMINATE' | 'REQUEST_CANCEL';
  },
): Promise<void> {
  // The child may have continued as new: act on the latest run of its chain.
  const target = await deps.store.findRun({ namespace: p.namespace, workflowId: p.workflowId });
  if (target?.status !== RunStatus.Running) return;
  if ((parseRunState(target.state).firstExecutionRunId ?? target.runId) !== p.runId) return;
  await updateRun(deps, target.runId, (tx) => {
    if (!tx.isRunning) return;
    const reason = 'by parent close policy';
    if (p.policy === 'TERMINATE') {
      dropPendingTimers(tx);
      tx.append({ type: 'WorkflowExecutionTerminated', reason });
    } else if (!tx.state.cancelRequested) {
      tx.append({ type: 'WorkflowExecutionCancelRequested', reason });
    }
  });
}

/** One event of a run's history. */
export async function readEvent(
  deps: EngineDeps,
  runId: string,
  eventId: number,
): Promise<HistoryEvent> {
  const [e] = await deps.store.readHistory({ runId, fromEventId: eventId });
  if (e?.eventId !== eventId) {
    throw new IllegalStateError(`Run ${runId} has no event ${eventId}.`);
  }
  return e;
}
