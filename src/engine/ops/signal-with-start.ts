import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import {
  IllegalStateError,
  InvalidArgumentError,
  WorkflowExecutionAlreadyStartedError,
} from '../../errors.ts';
import { WorkflowIdConflictPolicy } from '../../protocol/workflow-id-policy.ts';
import { RunStatus } from '../../protocol/run-status.ts';
import type {
  SignalWithStartWorkflowRequest,
  StartWorkflowResponse,
} from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';
import { createRunMatched } from '../sync-match.ts';
import { buildNewRun, skipStartDelay } from '../new-run.ts';
import { checkPayload } from '../payload-limits.ts';
import { updateRun } from '../update-run.ts';
import { assertNamespace } from './find-run.ts';
import { parseRequest } from './parse-request.ts';
import { assertKnownSignal } from './signal-workflow.ts';
import {
  refuseByReusePolicy,
  resolvePolicies,
  terminateForNewStart,
} from './workflow-id-policy.ts';
import {
  StartWorkflowSchema,
  checkStartMetadata,
  checkStartPriority,
  assertKnownWorkflowType,
  checkCronStart,
  workflowRetryPolicy,
  newRunSpecOf,
  startSearchAttributeTypes,
} from './start-workflow.ts';

export const SignalWithStartSchema = StartWorkflowSchema.extend({
  signalName: z.string().min(1),
  signalArgs: z.array(z.unknown()),
});

/** Rounds of "the run closed / another start won" before giving up (each is a real race). */
const MAX_ROUNDS = 10;

/**
 * Temporal's SignalWithStartWorkflowExecution: if the workflow id has a running run, appends
 * WorkflowExecutionSignaled to it; otherwise starts a new run whose second event is the signal,
 * right after WorkflowExecutionStarted. Either way one transaction: the signal is never lost and
 * never delivered twice. A race (the run closes meanwhile, or another start wins) is decided
 * again from the top. Returns the run that got the signal.
 *
 * The id policies apply as in Temporal: `workflowIdConflictPolicy` USE_EXISTING (the default)
 * signals the running run, TERMINATE_EXISTING terminates it and starts a new one, FAIL is
 * refused (a signal-with-start always reaches a run); `workflowIdReusePolicy` decides whether a
 * closed run's id may start again, and a refusal changes nothing.
 */
export async function signalWithStartWorkflow(
  deps: EngineDeps,
  input: SignalWithStartWorkflowRequest,
): Promise<StartWorkflowResponse> {
  const req = parseRequest(SignalWithStartSchema, input, 'signal with start');
  await assertNamespace(deps, req.namespace);
  checkPayload(deps, `The input of workflow '${req.workflowId}'`, req.args);
  checkPayload(deps, `The input of signal '${req.signalName}'`, req.signalArgs);
  if (req.header) checkPayload(deps, `The header of workflow '${req.workflowId}'`, req.header);
  if (req.memo) checkPayload(deps, `The memo of workflow '${req.workflowId}'`, req.memo);
  const retryPolicy = workflowRetryPolicy(req.retry);
  checkCronStart(req);
  checkStartMetadata(req);
  checkStartPriority(req);
  await assertKnownWorkflowType(deps, req.namespace, req.taskQueue, req.workflowType);
  await assertKnownSignal(deps, req.namespace, req.taskQueue, req.workflowType, req.signalName);
  const registration = await startSearchAttributeTypes(deps, req);
  if (req.workflowIdConflictPolicy === WorkflowIdConflictPolicy.FAIL) {
    throw new InvalidArgumentError(
      'signalWithStart does not take workflowIdConflictPolicy FAIL: it signals the running run ' +
        '(USE_EXISTING, the default) or replaces it (TERMINATE_EXISTING). Use start() to fail on a running run.',
    );
  }
  const { reuse, conflict } = resolvePolicies(req, WorkflowIdConflictPolicy.USE_EXISTING);
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const run = await deps.store.findRun({ namespace: req.namespace, workflowId: req.workflowId });
    if (
      run?.status === RunStatus.Running &&
      conflict === WorkflowIdConflictPolicy.TERMINATE_EXISTING
    ) {
      await terminateForNewStart(deps, run, req.identity);
    } else if (run?.status === RunStatus.Running) {
      const signalled = await updateRun(deps, run.runId, (tx) => {
        if (!tx.isRunning) return false; // closed meanwhile: start a new run instead
        tx.append({
          type: 'WorkflowExecutionSignaled',
          signalName: req.signalName,
          input: req.signalArgs,
          ...(req.header !== undefined && { header: req.header }),
          ...(req.identity !== undefined && { identity: req.identity }),
        });
        skipStartDelay(tx); // Temporal: only signalWithStart ends a start delay early
        return true;
      });
      if (signalled) return { runId: run.runId };
      continue;
    } else if (run !== undefined) {
      refuseByReusePolicy(req, run, reuse);
    }
    const runId = randomUUID();
    const { request, tx } = buildNewRun(
      {
        ...newRunSpecOf(deps, req, runId, retryPolicy, registration),
        signal: { signalName: req.signalName, input: req.signalArgs, header: req.header },
      },
      deps.clock.now(),
      deps.limits.defaultWorkflowTaskTimeoutMs,
    );
    try {
      await createRunMatched(deps, { request, tx });
    } catch (e) {
      if (e instanceof WorkflowExecutionAlreadyStartedError) continue; // another start won
      throw e;
    }
    return { runId };
  }
  throw new IllegalStateError(
    `signalWithStart of workflow '${req.workflowId}' kept racing with other starts and closes; try again.`,
  );
}
