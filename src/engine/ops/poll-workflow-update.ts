import * as z from 'zod';
import { IllegalStateError, UpdateNotFoundError, WorkflowNotFoundError } from '../../errors.ts';
import { RunStatus } from '../../protocol/run-status.ts';
import type { UpdateOutcome } from '../../protocol/update.ts';
import type {
  PollWorkflowUpdateRequest,
  UpdateWorkflowResponse,
} from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';
import { RECHECK_INTERVAL_MS, engineClosedError, runKey } from '../notifier.ts';
import { parseRunState } from '../run-state.ts';
import { findRunOrThrow } from './find-run.ts';
import { parseRequest } from './parse-request.ts';
import type { AbortSource } from '../../util/linked-signal.ts';

export const WaitForStageSchema = z.enum(['Accepted', 'Completed']);

export const PollUpdateSchema = z.object({
  namespace: z.string().min(1),
  workflowId: z.string().min(1),
  runId: z.string().optional(),
  updateId: z.string().min(1),
  waitForStage: WaitForStageSchema,
  waitMs: z.number().int().nonnegative().max(120_000),
});

/**
 * Waits (real time, up to `waitMs`) for an update sent earlier to reach `waitForStage`. `signal`
 * is the engine's close: a wait it cuts short fails with Unavailable.
 */
export async function pollWorkflowUpdate(
  deps: EngineDeps,
  input: PollWorkflowUpdateRequest,
  signal?: AbortSource,
): Promise<UpdateWorkflowResponse> {
  const req = parseRequest(PollUpdateSchema, input, 'poll workflow update');
  const run = await findRunOrThrow(deps, req);
  return waitForUpdate(deps, { ...req, runId: run.runId, signal });
}

/**
 * An update the workflow had not accepted when its run closed and handed on to a new run
 * (continue-as-new, a retry, the next cron run): Temporal's server aborts it with a retryable
 * error (ErrWorkflowClosing) and the call is sent again, to the new run. `updateWorkflow` does so
 * when the request names no run; anyone else sees a WorkflowNotFoundError.
 */
export class UpdateAbortedByNewRunError extends WorkflowNotFoundError {
  readonly newRunId: string;
  constructor(
    workflowId: string,
    runId: string,
    namespace: string,
    newRunId: string,
    detail: string,
  ) {
    super(workflowId, runId, namespace, detail);
    this.newRunId = newRunId;
  }
}

/** The run a closed run handed on to (its close event's newExecutionRunId), if any. */
async function successorOf(
  deps: EngineDeps,
  runId: string,
  closeEventId: number,
): Promise<string | undefined> {
  const [e] = await deps.store.readHistory({ runId, fromEventId: closeEventId });
  if (
    e?.type === 'WorkflowExecutionContinuedAsNew' ||
    e?.type === 'WorkflowExecutionCompleted' ||
    e?.type === 'WorkflowExecutionFailed' ||
    e?.type === 'WorkflowExecutionTimedOut'
  ) {
    return e.newExecutionRunId;
  }
  return undefined;
}

/** Temporal's failure for an update still running when its workflow closed. */
function closedBeforeCompletion(status: RunStatus): UpdateOutcome {
  return {
    status: 'failure',
    failure: {
      message: `Workflow Update failed because the Workflow completed before the Update completed (the run is ${status}).`,
      info: {
        type: 'application',
        errorType: 'AcceptedUpdateCompletedWorkflow',
        nonRetryable: true,
      },
    },
  };
}

/**
 * The long-poll behind `updateWorkflow` and `pollWorkflowUpdate`: re-reads the run's state on
 * each wake-up until the update reaches the stage asked, the run closes, or `waitMs` passes.
 */
export async function waitForUpdate(
  deps: EngineDeps,
  req: {
    namespace: string;
    workflowId: string;
    runId: string;
    updateId: string;
    waitForStage: 'Accepted' | 'Completed';
    waitMs: number;
    signal: AbortSource | undefined;
  },
): Promise<UpdateWorkflowResponse> {
  const deadline = Date.now() + req.waitMs;
  const base = { runId: req.runId, updateId: req.updateId };
  for (;;) {
    const run = await deps.store.getRun({ runId: req.runId });
    if (!run) throw new IllegalStateError(`Run ${req.runId} disappeared.`);
    const state = parseRunState(run.state);
    const u = state.updates?.[req.updateId];
    // The deprecated subclass, so that callers who catch it still do (it is a WorkflowNotFoundError).
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    if (!u) throw new UpdateNotFoundError(req.updateId, req.workflowId, req.runId, req.namespace);
    const closed = run.status !== RunStatus.Running;
    switch (u.stage) {
      case 'completed': {
        const [e] = await deps.store.readHistory({
          runId: req.runId,
          fromEventId: u.completedEventId,
        });
        if (e?.type !== 'WorkflowExecutionUpdateCompleted') {
          throw new IllegalStateError(
            `Run ${req.runId}: update '${req.updateId}' has no WorkflowExecutionUpdateCompleted at event ${String(u.completedEventId)}.`,
          );
        }
        return { ...base, stage: 'Completed', outcome: e.outcome };
      }
      case 'rejected':
        return {
          ...base,
          stage: 'Completed',
          outcome: {
            status: 'failure',
            failure: u.rejection ?? {
              message: 'Update rejected',
              info: { type: 'application', errorType: 'Error', nonRetryable: true },
            },
          },
        };
      case 'accepted':
        if (req.waitForStage === 'Accepted') return { ...base, stage: 'Accepted' };
        if (closed) {
          return { ...base, stage: 'Completed', outcome: closedBeforeCompletion(run.status) };
        }
        break;
      case 'admitted':
        if (closed) {
          const newRunId = await successorOf(deps, req.runId, state.nextEventId - 1);
          if (newRunId !== undefined) {
            throw new UpdateAbortedByNewRunError(
              req.workflowId,
              req.runId,
              req.namespace,
              newRunId,
              `The run closed (${run.status}) and handed on to run ${newRunId} before the workflow accepted update '${req.updateId}'. Send the update to the workflow id (no run id) to reach the new run.`,
            );
          }
          throw new WorkflowNotFoundError(
            req.workflowId,
            req.runId,
            req.namespace,
            `The run closed (${run.status}) before the workflow accepted update '${req.updateId}'; updates reach only running workflows.`,
          );
        }
        break;
      default: {
        const never: never = u.stage;
        throw new IllegalStateError(`Unknown update stage ${String(never)}`);
      }
    }
    if (req.signal?.aborted) throw engineClosedError();
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      return { ...base, stage: u.stage === 'accepted' ? 'Accepted' : 'Admitted' };
    }
    await deps.notifier.wait(
      runKey(req.runId),
      Math.min(remaining, RECHECK_INTERVAL_MS),
      req.signal,
    );
  }
}
