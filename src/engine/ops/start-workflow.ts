import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { InvalidArgumentError, UnknownWorkflowTypeError } from '../../errors.ts';
import { RetryPolicyInput, resolveRetryPolicy } from '../../protocol/retry-policy.ts';
import type { ResolvedRetryPolicy } from '../../protocol/retry-policy.ts';
import {
  SearchAttributeKeyTypes,
  SearchAttributesUpsert,
} from '../../protocol/search-attributes.ts';
import type { SearchAttributeRegistration } from '../../store/store.ts';
import { checkSearchAttributeTypes } from '../search-attribute-registry.ts';
import { CONFLICT_POLICIES, REUSE_POLICIES } from '../../protocol/workflow-id-policy.ts';
import type { StartWorkflowRequest, StartWorkflowResponse } from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';
import { createRunMatched } from '../sync-match.ts';
import { checkPayload } from '../payload-limits.ts';
import { buildNewRun } from '../new-run.ts';
import { parseCronSchedule } from '../cron-schedule.ts';
import type { NewRunSpec } from '../new-run.ts';
import { assertNamespace } from './find-run.ts';
import { WireHeadersSchema } from '../../protocol/payload.ts';
import { parseRequest } from './parse-request.ts';
import { UserMetadataSchema } from '../../protocol/payload.ts';
import type { UserMetadata } from '../../protocol/user-metadata.ts';
import { userMetadataProblem } from '../payload-limits.ts';
import { startUnderIdPolicies } from './workflow-id-policy.ts';
import { compilePriority, priorityProblem } from '../../protocol/priority.ts';
import type { Priority } from '../../protocol/priority.ts';
import { PriorityInputSchema } from '../../protocol/priority-schema.ts';

export const StartWorkflowSchema = z.object({
  namespace: z.string().min(1),
  workflowId: z.string().min(1).max(1000),
  workflowType: z.string().min(1),
  taskQueue: z.string().min(1),
  args: z.array(z.unknown()),
  header: WireHeadersSchema.optional(),
  identity: z.string().optional(),
  memo: z.record(z.string(), z.unknown()).optional(),
  searchAttributes: SearchAttributesUpsert.optional(),
  searchAttributeTypes: SearchAttributeKeyTypes.optional(),
  workflowExecutionTimeoutMs: z.number().int().positive().optional(),
  workflowRunTimeoutMs: z.number().int().positive().optional(),
  workflowTaskTimeoutMs: z.number().int().positive().optional(),
  retry: RetryPolicyInput.optional(),
  workflowIdReusePolicy: z.enum(REUSE_POLICIES).optional(),
  workflowIdConflictPolicy: z.enum(CONFLICT_POLICIES).optional(),
  startDelayMs: z.number().int().nonnegative().optional(),
  lastCompletionResult: z.unknown().optional(),
  cronSchedule: z.string().optional(),
  /** `staticSummary` and `staticDetails`, as payloads. */
  userMetadata: UserMetadataSchema.optional(),
  /** Temporal's priority, checked by {@link checkStartPriority}. */
  priority: PriorityInputSchema.optional(),
});

/**
 * Starts a run: WorkflowExecutionStarted and the first workflow task (or, with a start delay,
 * the timer that schedules it), in one transaction, under the request's workflow id policies.
 * Throws WorkflowExecutionAlreadyStartedError if a policy refuses the id, and
 * UnknownWorkflowTypeError if the workers serving the task queue do not know the type; in both
 * cases nothing is written (contract 7). `own.systemSearchAttributes` are the engine's own (a
 * schedule's TemporalScheduledById, …), which the request's may not name: added to them unchecked;
 * `own.runId` is the id the new run takes, chosen by the engine beforehand (a schedule's action,
 * to know the run as its own), a random one if absent.
 */
export async function startWorkflow(
  deps: EngineDeps,
  input: StartWorkflowRequest,
  own: {
    systemSearchAttributes?: Readonly<Record<string, string>>;
    runId?: string | undefined;
  } = {},
): Promise<StartWorkflowResponse> {
  const { systemSearchAttributes } = own;
  const req = parseRequest(StartWorkflowSchema, input, 'start workflow');
  await assertNamespace(deps, req.namespace);
  checkPayload(deps, `The input of workflow '${req.workflowId}'`, req.args);
  if (req.header) checkPayload(deps, `The header of workflow '${req.workflowId}'`, req.header);
  if (req.lastCompletionResult !== undefined) {
    checkPayload(deps, `The last result of workflow '${req.workflowId}'`, req.lastCompletionResult);
  }
  if (req.memo) checkPayload(deps, `The memo of workflow '${req.workflowId}'`, req.memo);
  const retryPolicy = workflowRetryPolicy(req.retry);
  checkCronStart(req);
  checkStartMetadata(req);
  checkStartPriority(req);
  await assertKnownWorkflowType(deps, req.namespace, req.taskQueue, req.workflowType);
  const registration = await startSearchAttributeTypes(deps, req);
  const started =
    systemSearchAttributes === undefined
      ? req
      : { ...req, searchAttributes: { ...req.searchAttributes, ...systemSearchAttributes } };

  return startUnderIdPolicies(deps, req, async () => {
    const nowMs = deps.clock.now();
    const runId = own.runId ?? randomUUID();
    const { request, tx } = buildNewRun(
      newRunSpecOf(deps, started, runId, retryPolicy, registration),
      nowMs,
      deps.limits.defaultWorkflowTaskTimeoutMs,
    );
    await createRunMatched(deps, { request, tx });
    return runId;
  });
}

/**
 * A start's search attributes, checked against the namespace's registered types before anything
 * is written (InvalidArgumentError for a value of another type): the registration of the names
 * it introduces, made with the run.
 */
export function startSearchAttributeTypes(
  deps: EngineDeps,
  req: z.infer<typeof StartWorkflowSchema>,
): Promise<SearchAttributeRegistration | undefined> {
  return checkSearchAttributeTypes(deps.store, req.namespace, [
    { values: req.searchAttributes, keyTypes: req.searchAttributeTypes },
  ]);
}

/** The first run a start request describes (start and signalWithStart share it). */
export function newRunSpecOf(
  deps: EngineDeps,
  req: z.infer<typeof StartWorkflowSchema>,
  runId: string,
  retryPolicy: ResolvedRetryPolicy | undefined,
  registration: SearchAttributeRegistration | undefined,
): NewRunSpec {
  // buildNewRun keeps the run timeout within the execution timeout and the task timeout within
  // the run timeout, as for every new run.
  // As Temporal's, an empty schedule is none; a cron run's first task waits for its time.
  const cronSchedule = req.cronSchedule === '' ? undefined : req.cronSchedule;
  return {
    namespace: req.namespace,
    workflowId: req.workflowId,
    runId,
    workflowType: req.workflowType,
    taskQueue: req.taskQueue,
    args: req.args,
    header: req.header,
    workflowTaskTimeoutMs: req.workflowTaskTimeoutMs ?? deps.limits.defaultWorkflowTaskTimeoutMs,
    firstExecutionRunId: runId,
    identity: req.identity,
    memo: req.memo,
    searchAttributes: req.searchAttributes,
    registerSearchAttributes: registration,
    workflowExecutionTimeoutMs: req.workflowExecutionTimeoutMs,
    workflowRunTimeoutMs: req.workflowRunTimeoutMs,
    startDelayMs: cronSchedule === undefined ? req.startDelayMs : undefined,
    retryPolicy,
    lastCompletionResult: req.lastCompletionResult,
    cronSchedule,
    userMetadata: req.userMetadata,
    // Checked by checkStartPriority.
    priority: compilePriority(req.priority as Priority | undefined),
  };
}

/** A start's priority checked by {@link checkedRequestPriority}. */
export function checkStartPriority(req: { workflowId: string; priority?: unknown }): void {
  checkedRequestPriority(req.priority, `workflow '${req.workflowId}'`);
}

/**
 * A priority a request gives (a start's, a schedule action's), compiled, if Temporal's rules
 * allow it (a whole key from 1, a fairness key of at most 64 bytes, a weight not below 0);
 * otherwise InvalidArgumentError that names `what` it is the priority of and says what to pass,
 * whatever the value's type, and nothing is written (contract 7).
 */
export function checkedRequestPriority(p: unknown, what: string): Priority | undefined {
  const problem = priorityProblem(p, what);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
  return compilePriority(p as Priority | undefined);
}

/**
 * A start's `staticSummary` and `staticDetails` within Temporal's size limits; otherwise
 * InvalidArgumentError, and nothing is written (contract 7).
 */
export function checkStartMetadata(req: {
  workflowId: string;
  userMetadata?: UserMetadata | undefined;
}): void {
  const problem = userMetadataProblem(req.userMetadata, `workflow '${req.workflowId}'`, {
    summary: 'staticSummary',
    details: 'staticDetails',
  });
  if (problem !== undefined) throw new InvalidArgumentError(problem);
}

/**
 * A start's cronSchedule, checked as Temporal's server checks it: a schedule it cannot read, or
 * one given with a startDelay (the first run waits for the schedule's time instead), is refused
 * with InvalidArgumentError.
 */
export function checkCronStart(req: {
  workflowId: string;
  cronSchedule?: string | undefined;
  startDelayMs?: number | undefined;
}): void {
  if (req.cronSchedule === undefined || req.cronSchedule === '') return;
  if (req.startDelayMs !== undefined && req.startDelayMs > 0) {
    throw new InvalidArgumentError(
      `Workflow '${req.workflowId}': cronSchedule and startDelay may not be used together (as in ` +
        "Temporal): a cron workflow's first run already waits for the schedule's next time. " +
        'Drop startDelay.',
    );
  }
  parseCronSchedule(req.cronSchedule);
}

/**
 * The workflow retry policy of a start, resolved with Temporal's defaults; a policy that cannot
 * be (maximumInterval below initialInterval) is refused with InvalidArgumentError.
 */
export function workflowRetryPolicy(
  input: RetryPolicyInput | undefined,
): ResolvedRetryPolicy | undefined {
  if (input === undefined) return undefined;
  try {
    return resolveRetryPolicy(input);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

export async function assertKnownWorkflowType(
  deps: EngineDeps,
  namespace: string,
  taskQueue: string,
  workflowType: string,
): Promise<void> {
  await deps.registrations.check(namespace, taskQueue, (regs) => {
    const withWorkflows = regs.filter((r) => r.workflowTypes.length > 0);
    if (withWorkflows.length === 0) return undefined; // no worker seen yet: it may come later
    if (withWorkflows.some((r) => r.workflowTypes.includes(workflowType))) return undefined;
    const known = [...new Set(withWorkflows.flatMap((r) => r.workflowTypes))].sort();
    return new UnknownWorkflowTypeError(workflowType, taskQueue, known);
  });
}
