// How a start treats a workflow id already in use: Temporal's workflowIdConflictPolicy (a run
// is running) and workflowIdReusePolicy (the last run is closed).
import {
  IllegalStateError,
  InvalidArgumentError,
  WorkflowExecutionAlreadyStartedError,
} from '../../errors.ts';
import { RunStatus } from '../../protocol/run-status.ts';
import {
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
} from '../../protocol/workflow-id-policy.ts';
import type { RunRecord } from '../../store/store.ts';
import type { StartWorkflowResponse } from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';
import { dropPendingTimers } from '../timer-keys.ts';
import { updateRun } from '../update-run.ts';

export interface IdPolicyRequest {
  namespace: string;
  workflowId: string;
  workflowType: string;
  identity?: string | undefined;
  workflowIdReusePolicy?: WorkflowIdReusePolicy | undefined;
  workflowIdConflictPolicy?: WorkflowIdConflictPolicy | undefined;
}

/** Rounds of "another start or close raced with us" before giving up (each is a real race). */
const MAX_ROUNDS = 10;

/**
 * Starts a run under the request's id policies. `create` writes the new run (one transaction)
 * and throws `WorkflowExecutionAlreadyStartedError` if a run of the id is running by then; the
 * decision is then taken again from the top. Throws `WorkflowExecutionAlreadyStartedError` when
 * a policy refuses the start, and changes nothing then (contract 7).
 */
export async function startUnderIdPolicies(
  deps: EngineDeps,
  req: IdPolicyRequest,
  create: () => Promise<string>,
): Promise<StartWorkflowResponse> {
  const { reuse, conflict } = resolvePolicies(req);
  if (
    reuse === WorkflowIdReusePolicy.ALLOW_DUPLICATE &&
    conflict === WorkflowIdConflictPolicy.FAIL
  ) {
    // Temporal's defaults need no read: any closed run may be followed, and the create itself
    // fails, naming the running run, if the id is taken (the running-id index).
    return { runId: await create(), started: true };
  }
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const latest = await deps.store.findRun({
      namespace: req.namespace,
      workflowId: req.workflowId,
    });
    if (latest?.status === RunStatus.Running) {
      switch (conflict) {
        case WorkflowIdConflictPolicy.FAIL:
          throw new WorkflowExecutionAlreadyStartedError(
            req.workflowId,
            req.workflowType,
            latest.runId,
          );
        case WorkflowIdConflictPolicy.USE_EXISTING:
          return { runId: latest.runId, started: false };
        case WorkflowIdConflictPolicy.TERMINATE_EXISTING:
          await terminateForNewStart(deps, latest, req.identity);
          break;
      }
    } else if (latest !== undefined) {
      refuseByReusePolicy(req, latest, reuse);
    }
    try {
      return { runId: await create(), started: true };
    } catch (e) {
      if (e instanceof WorkflowExecutionAlreadyStartedError) continue; // another start won
      throw e;
    }
  }
  throw new IllegalStateError(
    `Start of workflow '${req.workflowId}' kept racing with other starts; try again.`,
  );
}

/**
 * The reuse and conflict policies a start applies. `defaultConflict` is the conflict policy when
 * none is given (start: FAIL; signalWithStart: USE_EXISTING); Temporal's reuse policy
 * TERMINATE_IF_RUNNING is conflict policy TERMINATE_EXISTING with reuse ALLOW_DUPLICATE.
 */
export function resolvePolicies(
  req: IdPolicyRequest,
  defaultConflict: WorkflowIdConflictPolicy = WorkflowIdConflictPolicy.FAIL,
): {
  reuse: WorkflowIdReusePolicy;
  conflict: WorkflowIdConflictPolicy;
} {
  if (req.workflowIdReusePolicy === WorkflowIdReusePolicy.TERMINATE_IF_RUNNING) {
    if (req.workflowIdConflictPolicy !== undefined) {
      throw new InvalidArgumentError(
        'workflowIdReusePolicy TERMINATE_IF_RUNNING cannot be combined with a ' +
          'workflowIdConflictPolicy: use workflowIdConflictPolicy TERMINATE_EXISTING alone.',
      );
    }
    return {
      reuse: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      conflict: WorkflowIdConflictPolicy.TERMINATE_EXISTING,
    };
  }
  return {
    reuse: req.workflowIdReusePolicy ?? WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    conflict: req.workflowIdConflictPolicy ?? defaultConflict,
  };
}

export function refuseByReusePolicy(
  req: IdPolicyRequest,
  closed: RunRecord,
  reuse: WorkflowIdReusePolicy,
): void {
  const refuse = (why: string): never => {
    throw new WorkflowExecutionAlreadyStartedError(
      req.workflowId,
      req.workflowType,
      closed.runId,
      `Workflow '${req.workflowId}' was already run (run ${closed.runId}, ${closed.status}), and ` +
        `workflowIdReusePolicy ${reuse} ${why}. Use another workflowId, or another policy.`,
    );
  };
  switch (reuse) {
    case WorkflowIdReusePolicy.ALLOW_DUPLICATE:
    case WorkflowIdReusePolicy.TERMINATE_IF_RUNNING:
      return;
    case WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY:
      if (closed.status === RunStatus.Completed || closed.status === RunStatus.ContinuedAsNew) {
        refuse(
          'allows a new run only after one that failed, was cancelled, terminated or timed out',
        );
      }
      return;
    case WorkflowIdReusePolicy.REJECT_DUPLICATE:
      refuse('allows no second run');
  }
}

/** Temporal's TERMINATE_EXISTING: the running run ends as Terminated before the new one starts. */
export async function terminateForNewStart(
  deps: EngineDeps,
  run: RunRecord,
  identity: string | undefined,
): Promise<void> {
  await updateRun(deps, run.runId, (tx) => {
    if (!tx.isRunning) return; // closed meanwhile: the start goes ahead
    dropPendingTimers(tx);
    tx.append({
      type: 'WorkflowExecutionTerminated',
      reason:
        'Terminated by a new start of the workflow id (workflowIdConflictPolicy TERMINATE_EXISTING)',
      ...(identity !== undefined && { identity }),
    });
  });
}
