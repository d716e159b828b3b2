import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import {
  IllegalStateError,
  InvalidArgumentError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '../../errors.ts';
import { RunStatus } from '../../protocol/run-status.ts';
import { WorkflowIdConflictPolicy } from '../../protocol/workflow-id-policy.ts';
import type {
  UpdateWithStartResponse,
  UpdateWithStartWorkflowRequest,
} from '../../transport/engine-api.ts';
import type { SearchAttributeRegistration } from '../../store/store.ts';
import type { EngineDeps } from '../deps.ts';
import { buildNewRun } from '../new-run.ts';
import { checkPayload } from '../payload-limits.ts';
import { parseRunState } from '../run-state.ts';
import { createRunMatched } from '../sync-match.ts';
import { updateRun } from '../update-run.ts';
import { refuseIfWorkflowTaskFailing } from '../workflow-updates.ts';
import { assertNamespace } from './find-run.ts';
import { parseRequest } from './parse-request.ts';
import { waitForUpdate } from './poll-workflow-update.ts';
import {
  StartWorkflowSchema,
  checkStartMetadata,
  checkStartPriority,
  assertKnownWorkflowType,
  newRunSpecOf,
  startSearchAttributeTypes,
  workflowRetryPolicy,
} from './start-workflow.ts';
import { UpdateSchema, admitUpdate } from './update-workflow.ts';
import {
  refuseByReusePolicy,
  resolvePolicies,
  terminateForNewStart,
} from './workflow-id-policy.ts';
import type { AbortSource } from '../../util/linked-signal.ts';

export const UpdateWithStartSchema = z.object({
  start: StartWorkflowSchema,
  update: UpdateSchema.omit({ namespace: true, workflowId: true, runId: true }),
});
type UpdateWithStart = z.infer<typeof UpdateWithStartSchema>;

/** Rounds of "the run closed / another start won" before giving up (each is a real race). */
const MAX_ROUNDS = 10;

/**
 * Temporal's update-with-start (ExecuteMultiOperation [Start, Update]). Decided against the
 * workflow id's latest run:
 * - it completed the updateId (running or closed): that outcome is returned, nothing is sent;
 * - it is running and has the updateId (admitted or accepted): the update is not sent again, the
 *   call waits on that one whatever the conflict policy — unless the run's workflow task keeps
 *   failing: then WorkflowNotReadyError, as for an update (the client sends an admitted one again);
 * - it is running: `workflowIdConflictPolicy` USE_EXISTING admits the update to it, FAIL throws
 *   WorkflowExecutionAlreadyStartedError, TERMINATE_EXISTING terminates it and starts a new run;
 * - it is closed: `workflowIdReusePolicy` decides whether the id may start again — also when the
 *   closed run had accepted the updateId and not completed it (Temporal's server returns only a
 *   completed update's outcome, `GetUpdateOutcome`, before it starts): the new run takes it;
 * - a new run is written with the update admitted in the same transaction (createRun), so the
 *   run never exists without it and its first workflow task carries it.
 * A refusal changes nothing (contract 7). Then waits, as `updateWorkflow`, for the update's stage.
 * An update admitted to a running run that closes before accepting it is tried once more from the
 * top (Temporal's server does the same), which may start a new run.
 */
export async function updateWithStartWorkflow(
  deps: EngineDeps,
  input: UpdateWithStartWorkflowRequest,
  signal?: AbortSource,
): Promise<UpdateWithStartResponse> {
  const req = parseRequest(UpdateWithStartSchema, input, 'update with start');
  const { start, update } = req;
  if (start.workflowIdConflictPolicy === undefined) {
    throw new InvalidArgumentError(
      `Update-with-start of workflow '${start.workflowId}' needs a workflowIdConflictPolicy: ` +
        "'USE_EXISTING' (send the update to the running run), 'FAIL' (throw if one is running) " +
        "or 'TERMINATE_EXISTING'.",
    );
  }
  if (start.startDelayMs !== undefined && start.startDelayMs > 0) {
    throw new InvalidArgumentError(
      `Update-with-start of workflow '${start.workflowId}' does not take a startDelay: the update ` +
        'is delivered by the first workflow task. Start with a delay, then send the update.',
    );
  }
  if (start.cronSchedule !== undefined && start.cronSchedule !== '') {
    throw new InvalidArgumentError(
      `Update-with-start of workflow '${start.workflowId}' does not take a cronSchedule (nor ` +
        "does Temporal's): start the cron workflow, then send the update.",
    );
  }
  await assertNamespace(deps, start.namespace);
  checkPayload(deps, `The input of workflow '${start.workflowId}'`, start.args);
  if (start.memo) checkPayload(deps, `The memo of workflow '${start.workflowId}'`, start.memo);
  checkPayload(deps, `The input of update '${update.name}'`, update.args);
  const retryPolicy = workflowRetryPolicy(start.retry);
  checkStartMetadata(start);
  checkStartPriority(start);
  await assertKnownWorkflowType(deps, start.namespace, start.taskQueue, start.workflowType);
  const registration = await startSearchAttributeTypes(deps, start);

  const admitted = await admitOrStart(deps, req, retryPolicy, registration);
  const wait = (runId: string) =>
    waitForUpdate(deps, {
      namespace: start.namespace,
      workflowId: start.workflowId,
      runId,
      updateId: update.updateId,
      waitForStage: update.waitForStage,
      waitMs: update.waitMs,
      signal,
    });
  try {
    return { ...admitted, update: await wait(admitted.runId) };
  } catch (e) {
    // Admitted to a running run that closed before the workflow accepted it: once more.
    if (admitted.started || !(e instanceof WorkflowNotFoundError)) throw e;
    const again = await admitOrStart(deps, req, retryPolicy, registration);
    return { ...again, update: await wait(again.runId) };
  }
}

/** The decision and its one transaction: the run that has the update, and whether it is new. */
async function admitOrStart(
  deps: EngineDeps,
  req: UpdateWithStart,
  retryPolicy: ReturnType<typeof workflowRetryPolicy>,
  registration: SearchAttributeRegistration | undefined,
): Promise<{ runId: string; started: boolean }> {
  const { start, update } = req;
  const { reuse, conflict } = resolvePolicies(start);
  const admission = {
    updateId: update.updateId,
    name: update.name,
    args: update.args,
    ...(update.header !== undefined && { header: update.header }),
    identity: update.identity,
  };
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const run = await deps.store.findRun({
      namespace: start.namespace,
      workflowId: start.workflowId,
    });
    if (run !== undefined) {
      const known = parseRunState(run.state).updates?.[update.updateId];
      if (known?.stage === 'completed') {
        // The latest run completed the updateId: as Temporal's, its outcome is returned as is.
        return { runId: run.runId, started: false };
      }
      const running = run.status === RunStatus.Running;
      const live = known !== undefined && known.stage !== 'rejected';
      if (running) {
        // A running run that has the updateId (admitted or accepted), whatever the conflict
        // policy, or any running run under USE_EXISTING: the update path's rules, in one
        // transaction — refused while the workflow task keeps failing (Temporal checks that
        // before it looks the updateId up), else admitted unless the run has it.
        if (live || conflict === WorkflowIdConflictPolicy.USE_EXISTING) {
          const sent = await updateRun(deps, run.runId, (tx) => {
            if (!tx.isRunning) return false; // closed meanwhile: decide again
            refuseIfWorkflowTaskFailing(tx);
            const existing = tx.state.updates?.[update.updateId];
            if (existing !== undefined && existing.stage !== 'rejected') return true;
            if (conflict !== WorkflowIdConflictPolicy.USE_EXISTING) return false; // rejected meanwhile
            admitUpdate(tx, admission);
            return true;
          });
          if (sent) return { runId: run.runId, started: false };
          continue;
        }
        if (conflict === WorkflowIdConflictPolicy.FAIL) {
          throw new WorkflowExecutionAlreadyStartedError(
            start.workflowId,
            start.workflowType,
            run.runId,
          );
        }
        await terminateForNewStart(deps, run, start.identity);
      } else {
        refuseByReusePolicy(start, run, reuse);
      }
    }
    const runId = randomUUID();
    const built = buildNewRun(
      { ...newRunSpecOf(deps, start, runId, retryPolicy, registration), update: admission },
      deps.clock.now(),
      deps.limits.defaultWorkflowTaskTimeoutMs,
    );
    try {
      await createRunMatched(deps, built);
    } catch (e) {
      if (e instanceof WorkflowExecutionAlreadyStartedError) continue; // another start won
      throw e;
    }
    return { runId, started: true };
  }
  throw new IllegalStateError(
    `Update-with-start of workflow '${start.workflowId}' kept racing with other starts and closes; try again.`,
  );
}
