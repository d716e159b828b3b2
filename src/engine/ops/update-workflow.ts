import * as z from 'zod';
import { WorkflowNotFoundError } from '../../errors.ts';
import type { UpdateWorkflowRequest, UpdateWorkflowResponse } from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';
import { skipFirstTaskBackoff } from '../new-run.ts';
import { checkPayload } from '../payload-limits.ts';
import { scheduleSpeculativeWorkflowTask } from '../speculative-task.ts';
import { updateRun } from '../update-run.ts';
import type { RunTx } from '../update-run.ts';
import { recordAdmittedUpdate, refuseIfWorkflowTaskFailing } from '../workflow-updates.ts';
import type { UpdateAdmission } from '../workflow-updates.ts';
import { findRunOrThrow } from './find-run.ts';
import { WireHeadersSchema } from '../../protocol/payload.ts';
import { parseRequest } from './parse-request.ts';
import {
  UpdateAbortedByNewRunError,
  WaitForStageSchema,
  waitForUpdate,
} from './poll-workflow-update.ts';
import type { AbortSource } from '../../util/linked-signal.ts';

/** Runs an update follows as they hand on to new runs before accepting it, in one call. */
const MAX_HAND_ONS = 10;

export const UpdateSchema = z.object({
  namespace: z.string().min(1),
  workflowId: z.string().min(1),
  runId: z.string().optional(),
  updateId: z.string().min(1).max(1000),
  name: z.string().min(1),
  args: z.array(z.unknown()),
  header: WireHeadersSchema.optional(),
  identity: z.string().optional(),
  waitForStage: WaitForStageSchema,
  waitMs: z.number().int().nonnegative().max(120_000),
  firstExecutionRunId: z.string().optional(),
});

/**
 * Admits an update to a running run: it is kept in the run's state (durable: an engine restart
 * does not lose it) and a workflow task is scheduled to deliver it, unless one is out (then the
 * next task carries it). The same updateId again changes nothing and waits on the first one —
 * unless that one was rejected, which leaves nothing behind (Temporal's rule). An update to a
 * run of another chain than `firstExecutionRunId`'s is refused with WorkflowNotFoundError; so is
 * one to a closed run, except one that run already completed, whose outcome is returned. One to
 * a run whose workflow task keeps failing is refused with WorkflowNotReadyError. An update the
 * run had not accepted when it closed and handed on to a new run (continue-as-new, a retry, a cron
 * run) is sent to that run, unless the request names the closed run (Temporal's server does so).
 */
export async function updateWorkflow(
  deps: EngineDeps,
  input: UpdateWorkflowRequest,
  signal?: AbortSource,
): Promise<UpdateWorkflowResponse> {
  const req = parseRequest(UpdateSchema, input, 'update workflow');
  checkPayload(deps, `The input of update '${req.name}'`, req.args);
  if (req.header) checkPayload(deps, `The header of update '${req.name}'`, req.header);
  for (let round = 1; ; round++) {
    const run = await findRunOrThrow(deps, req);
    await updateRun(deps, run.runId, (tx) => {
      // Temporal checks the chain first: a run of another chain is not found, even for an updateId
      // it knows.
      const chain = tx.state.firstExecutionRunId ?? tx.runId;
      if (req.firstExecutionRunId !== undefined && chain !== req.firstExecutionRunId) {
        throw new WorkflowNotFoundError(
          req.workflowId,
          run.runId,
          req.namespace,
          `The latest run of workflow '${req.workflowId}' (${run.runId}) is not of the chain that ` +
            `started with run ${req.firstExecutionRunId} (the id was started again since); the ` +
            'update was not sent. Use getHandle(workflowId) to update the latest run whatever its chain.',
        );
      }
      if (tx.isRunning) refuseIfWorkflowTaskFailing(tx);
      const existing = tx.state.updates?.[req.updateId];
      if (existing && existing.stage !== 'rejected') return;
      if (!tx.isRunning) {
        throw new WorkflowNotFoundError(
          req.workflowId,
          run.runId,
          req.namespace,
          `The run is closed (${tx.state.status}); updates reach only running workflows.`,
        );
      }
      admitUpdate(tx, req);
    });
    try {
      return await waitForUpdate(deps, { ...req, runId: run.runId, signal });
    } catch (e) {
      // Closed before accepting it, and handed on to a new run (continue-as-new, a retry, a cron
      // run): as Temporal's server, the call is made again, so the update reaches the new run —
      // when the request names no run (a named run is closed: WorkflowNotFoundError).
      if (!(e instanceof UpdateAbortedByNewRunError) || req.runId !== undefined) throw e;
      if (round >= MAX_HAND_ONS) throw e;
    }
  }
}

/**
 * Admits an update to a running run that does not have it: recorded in the run's state, and
 * delivered by a speculative workflow task when none is out (a rejection then leaves no trace),
 * else by the next task; a run waiting for its first task (start delay, retry backoff, cron time)
 * starts at once. Unlike a signal, an update that arrives while a task is started does not keep
 * the run open: as Temporal's server (whose check for admitted updates is left out), a task that
 * closes the run goes through, and the update is sent to the run it hands on to, if any
 * (`updateWorkflow`); a task that does not close it is followed by one that carries the update
 * (`completeWorkflowTask`, through `hasAdmittedUpdates`), speculative unless other events wait.
 */
export function admitUpdate(tx: RunTx, u: UpdateAdmission): void {
  recordAdmittedUpdate(tx, u);
  // Temporal dispatches the first workflow task to deliver an update to a run waiting out its
  // start delay, retry backoff or cron time: the wait ends here, the task carries the update.
  skipFirstTaskBackoff(tx);
  if (tx.state.workflowTask === undefined && tx.state.workflowTaskBackoffAttempt === undefined) {
    scheduleSpeculativeWorkflowTask(tx);
  } else {
    // A task scheduled, or backing off, carries it when it starts; a started one is followed by one.
    tx.touch();
  }
}
