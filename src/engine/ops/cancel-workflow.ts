import * as z from 'zod';
import { WorkflowNotFoundError } from '../../errors.ts';
import type {
  CancelWorkflowRequest,
  TerminateWorkflowRequest,
} from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';
import { updateRun } from '../update-run.ts';
import type { RunTx } from '../update-run.ts';
import { dropPendingTimers } from '../timer-keys.ts';
import { findRunOrThrow } from './find-run.ts';
import { parseRequest } from './parse-request.ts';

export const CancelSchema = z.object({
  namespace: z.string().min(1),
  workflowId: z.string().min(1),
  runId: z.string().optional(),
  reason: z.string().optional(),
  identity: z.string().optional(),
  firstExecutionRunId: z.string().optional(),
});

/** The run is the one asked for (of the handle's chain, if given) and still running. */
function assertTarget(
  tx: RunTx,
  req: z.infer<typeof CancelSchema>,
  what: 'cancel' | 'terminate',
): void {
  const { workflowId, firstExecutionRunId } = req;
  const chain = tx.state.firstExecutionRunId ?? tx.runId;
  if (firstExecutionRunId !== undefined && chain !== firstExecutionRunId) {
    throw new WorkflowNotFoundError(
      workflowId,
      tx.runId,
      tx.state.namespace,
      `The latest run of workflow '${workflowId}' (${tx.runId}) is not of the chain that started ` +
        `with run ${firstExecutionRunId} (the id was started again since); nothing to ${what}. ` +
        'Use getHandle(workflowId) to act on the latest run whatever its chain.',
    );
  }
  if (!tx.isRunning) {
    throw new WorkflowNotFoundError(
      workflowId,
      tx.runId,
      tx.state.namespace,
      `The run is already closed (${tx.state.status}); there is nothing to ${what}.`,
    );
  }
}

/** Requests cancellation: the workflow sees it and decides how to end. A second request is a no-op. */
export async function cancelWorkflow(
  deps: EngineDeps,
  input: CancelWorkflowRequest,
): Promise<void> {
  const req = parseRequest(CancelSchema, input, 'cancel');
  const run = await findRunOrThrow(deps, req);
  await updateRun(deps, run.runId, (tx) => {
    assertTarget(tx, req, 'cancel');
    if (tx.state.cancelRequested) return;
    tx.append({
      type: 'WorkflowExecutionCancelRequested',
      ...(req.reason !== undefined && { reason: req.reason }),
      ...(req.identity !== undefined && { identity: req.identity }),
    });
  });
}

/** Ends the run at once: WorkflowExecutionTerminated; its pending work is dropped. */
export async function terminateWorkflow(
  deps: EngineDeps,
  input: TerminateWorkflowRequest,
): Promise<void> {
  const req = parseRequest(CancelSchema, input, 'terminate');
  const run = await findRunOrThrow(deps, req);
  await updateRun(deps, run.runId, (tx) => {
    assertTarget(tx, req, 'terminate');
    dropPendingTimers(tx);
    tx.append({
      type: 'WorkflowExecutionTerminated',
      reason: req.reason ?? 'Terminated',
      ...(req.identity !== undefined && { identity: req.identity }),
    });
  });
}
