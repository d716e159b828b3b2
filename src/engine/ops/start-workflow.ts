import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { UnknownWorkflowTypeError } from '../../errors.ts';
import { RetryPolicyInput } from '../../protocol/retry-policy.ts';
import { RunStatus } from '../../protocol/run-status.ts';
import type { StartWorkflowRequest, StartWorkflowResponse } from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';
import { checkPayload } from '../payload-limits.ts';
import { workflowRunTimeoutKey } from '../timer-keys.ts';
import type { RunState } from '../run-state.ts';
import { RunTx, afterCommit } from '../update-run.ts';
import { assertNamespace } from './find-run.ts';
import { parseRequest } from './parse-request.ts';

const StartWorkflowSchema = z.object({
  namespace: z.string().min(1),
  workflowId: z.string().min(1).max(1000),
  workflowType: z.string().min(1),
  taskQueue: z.string().min(1),
  args: z.array(z.unknown()),
  identity: z.string().optional(),
  memo: z.record(z.string(), z.unknown()).optional(),
  searchAttributes: z.record(z.string(), z.unknown()).optional(),
  workflowExecutionTimeoutMs: z.number().int().positive().optional(),
  workflowRunTimeoutMs: z.number().int().positive().optional(),
  workflowTaskTimeoutMs: z.number().int().positive().optional(),
  retry: RetryPolicyInput.optional(),
});

/** Worker registrations older than this are not used to reject unknown workflow types. */
const REGISTRATION_FRESH_MS = 2 * 60_000;

/**
 * Starts a run: WorkflowExecutionStarted and the first workflow task, in one transaction.
 * Throws WorkflowExecutionAlreadyStartedError if the workflow id is running, and
 * UnknownWorkflowTypeError if the workers serving the task queue do not know the type; in both
 * cases nothing is written (contract 7).
 */
export async function startWorkflow(
  deps: EngineDeps,
  input: StartWorkflowRequest,
): Promise<StartWorkflowResponse> {
  const req = parseRequest(StartWorkflowSchema, input, 'start workflow');
  await assertNamespace(deps, req.namespace);
  checkPayload(deps, `The input of workflow '${req.workflowId}'`, req.args);
  if (req.memo) checkPayload(deps, `The memo of workflow '${req.workflowId}'`, req.memo);
  await assertKnownWorkflowType(deps, req.namespace, req.taskQueue, req.workflowType);

  const nowMs = deps.clock.now();
  const runId = randomUUID();
  const workflowTaskTimeoutMs = Math.min(
    req.workflowTaskTimeoutMs ?? deps.limits.defaultWorkflowTaskTimeoutMs,
    120_000,
  );
  const state: RunState = {
    namespace: req.namespace,
    workflowId: req.workflowId,
    runId,
    workflowType: req.workflowType,
    taskQueue: req.taskQueue,
    status: RunStatus.Running,
    startTimeMs: nowMs,
    nextEventId: 1,
    historySizeBytes: 0,
    workflowTaskTimeoutMs,
    memo: {},
    searchAttributes: {},
    previousStartedEventId: 0,
    eventsWhileTaskStarted: false,
    workflowTaskFailures: 0,
    pendingActivities: {},
    pendingTimers: {},
    cancelRequested: false,
  };
  const tx = new RunTx(
    {
      namespace: req.namespace,
      workflowId: req.workflowId,
      runId,
      workflowType: req.workflowType,
      taskQueue: req.taskQueue,
      status: RunStatus.Running,
      startTimeMs: nowMs,
      closeTimeMs: undefined,
      nextEventId: 1,
      version: 0,
      state,
    },
    nowMs,
  );
  tx.append({
    type: 'WorkflowExecutionStarted',
    workflowId: req.workflowId,
    workflowType: req.workflowType,
    taskQueue: req.taskQueue,
    input: req.args,
    attempt: 1,
    firstExecutionRunId: runId,
    workflowTaskTimeoutMs,
    ...(req.workflowExecutionTimeoutMs !== undefined && {
      workflowExecutionTimeoutMs: req.workflowExecutionTimeoutMs,
    }),
    ...(req.workflowRunTimeoutMs !== undefined && {
      workflowRunTimeoutMs: req.workflowRunTimeoutMs,
    }),
    ...(req.memo !== undefined && { memo: req.memo }),
    ...(req.searchAttributes !== undefined && { searchAttributes: req.searchAttributes }),
    ...(req.identity !== undefined && { identity: req.identity }),
  });
  const runTimeoutMs = minDefined(req.workflowRunTimeoutMs, req.workflowExecutionTimeoutMs);
  if (runTimeoutMs !== undefined) {
    tx.setTimer(workflowRunTimeoutKey(), nowMs + runTimeoutMs, { kind: 'workflowRunTimeout' });
  }
  tx.finish(deps.limits.defaultWorkflowTaskTimeoutMs);
  await deps.store.createRun({
    run: {
      namespace: req.namespace,
      workflowId: req.workflowId,
      runId,
      workflowType: req.workflowType,
      taskQueue: req.taskQueue,
      status: RunStatus.Running,
      startTimeMs: nowMs,
      closeTimeMs: undefined,
      nextEventId: tx.state.nextEventId,
      version: 0,
      state: tx.state,
    },
    events: tx.events,
    tasks: tx.tasks,
    timers: tx.timers,
  });
  afterCommit(deps, tx);
  return { runId };
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

async function assertKnownWorkflowType(
  deps: EngineDeps,
  namespace: string,
  taskQueue: string,
  workflowType: string,
): Promise<void> {
  const regs = await deps.store.listWorkerRegistrations({
    namespace,
    taskQueue,
    // Worker liveness is real time, whatever the engine clock (a ManualClock may jump days).
    sinceMs: Date.now() - REGISTRATION_FRESH_MS,
  });
  const withWorkflows = regs.filter((r) => r.workflowTypes.length > 0);
  if (withWorkflows.length === 0) return; // no worker seen yet: it may come later
  if (withWorkflows.some((r) => r.workflowTypes.includes(workflowType))) return;
  const known = [...new Set(withWorkflows.flatMap((r) => r.workflowTypes))].sort();
  throw new UnknownWorkflowTypeError(workflowType, taskQueue, known);
}
