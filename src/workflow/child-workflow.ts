// Sandbox-safe: the public API for child workflows and handles to other workflows
// (`startChild`, `executeChild`, `getExternalWorkflowHandle`), re-exported by index.ts.
import { headersToWire } from '../protocol/headers.ts';
import type { Headers } from '../protocol/headers.ts';
import type { SignalDefinition, Workflow } from '../protocol/definitions.ts';
import { msOptionalFromDuration } from '../protocol/duration.ts';
import type { Duration } from '../protocol/duration.ts';
import { userMetadataOf } from '../protocol/user-metadata.ts';
import { checkedPriority } from '../protocol/priority.ts';
import type { Priority } from '../protocol/priority.ts';
import type { CommandOf } from '../protocol/commands.ts';
import { compileRetryPolicy } from '../protocol/retry-options.ts';
import type { RetryPolicy } from '../protocol/retry-options.ts';
import { typedKeyTypes, unifySearchAttributes } from '../protocol/typed-search-attributes.ts';
import type { TypedSearchAttributesInput } from '../protocol/typed-search-attributes.ts';
import type { WorkflowIdReusePolicy } from '../protocol/workflow-id-policy.ts';
import type { Activator } from './activator.ts';
import { getActivator } from './context.ts';
import { ChildWorkflowCancellationType, ParentClosePolicy } from './cross-run-calls.ts';
import type { SignalWorkflowInput } from './interceptors.ts';

/** Options of {@link startChild} and {@link executeChild}. Temporal's `ChildWorkflowOptions`. */
export interface ChildWorkflowOptions<T extends Workflow = Workflow> {
  /** The child's workflow id. Default: a uuid4() (deterministic). */
  readonly workflowId?: string | undefined;
  readonly args?: Parameters<T> | undefined;
  /** Default: the parent's task queue. */
  readonly taskQueue?: string | undefined;
  /** What happens to the child when the parent closes. Default TERMINATE. */
  readonly parentClosePolicy?: ParentClosePolicy | undefined;
  /** What cancelling the calling scope does. Default WAIT_CANCELLATION_COMPLETED. */
  readonly cancellationType?: ChildWorkflowCancellationType | undefined;
  /**
   * The child's workflow retry policy: a child that fails or times out runs again as a new run
   * of its workflow id, and the parent hears only the final outcome. Default: no retries.
   */
  readonly retry?: RetryPolicy | undefined;
  /**
   * Runs the child as a cron workflow (Temporal's `cronSchedule`, e.g. `'0 * * * *'` or
   * `'@every 1h'`): each run starts at the schedule's next time after the one before closes, and
   * the parent hears only how the chain ends (cancelled, terminated or out of execution time).
   * An unreadable schedule fails the workflow task.
   */
  readonly cronSchedule?: string | undefined;
  /**
   * What the start does when the child's workflow id was used by a run that is now closed
   * (Temporal's; default `ALLOW_DUPLICATE`). A refusal rejects `startChild` with
   * `WorkflowExecutionAlreadyStartedError`; `TERMINATE_IF_RUNNING` terminates a running run of
   * the id first.
   */
  readonly workflowIdReusePolicy?: WorkflowIdReusePolicy | undefined;
  readonly workflowExecutionTimeout?: Duration | undefined;
  readonly workflowRunTimeout?: Duration | undefined;
  readonly workflowTaskTimeout?: Duration | undefined;
  readonly memo?: Record<string, unknown> | undefined;
  readonly searchAttributes?: Record<string, unknown> | undefined;
  /**
   * The child's search attributes as typed pairs (or a `TypedSearchAttributes`); where both are
   * given, a typed one wins over an untyped one of the same name.
   */
  readonly typedSearchAttributes?: TypedSearchAttributesInput | undefined;
  /**
   * One line that UIs show for the child: recorded (through the data converter) on its
   * StartChildWorkflowExecutionInitiated and on the child's WorkflowExecutionStarted, so the
   * child's `describe()` gives it back; never matched on replay. At most 400 bytes as stored.
   */
  readonly staticSummary?: string | undefined;
  /** Longer text for the child, may span lines: at most 20,000 bytes as stored. */
  readonly staticDetails?: string | undefined;
  /**
   * Temporal's task priority of the child: each field set here wins over the parent's
   * (`workflowInfo().priority`), the others are inherited. Recorded on the initiated event (as
   * given) and on the child's start (merged); `priorityKey` orders the child's workflow tasks in
   * a backlog. A bad value throws `TypeError` at the call.
   */
  readonly priority?: Priority | undefined;
}

/**
 * Child workflow options with the defaults `startChild` fills in, as workflow interceptors see
 * them. Temporal's `ChildWorkflowOptionsWithDefaults`.
 */
export type ChildWorkflowOptionsWithDefaults = Omit<ChildWorkflowOptions, 'args'> & {
  readonly workflowId: string;
  readonly args: unknown[];
  readonly cancellationType: ChildWorkflowCancellationType;
};

/** A started child workflow. Temporal's `ChildWorkflowHandle`. */
export interface ChildWorkflowHandle<T extends Workflow = Workflow> {
  readonly workflowId: string;
  /** The child's first run: the chain its result follows. */
  readonly firstExecutionRunId: string;
  /**
   * Resolves with the child's result; rejects with a `ChildWorkflowFailure` whose `cause` says
   * why it did not complete (its failure, a `CancelledFailure`, `TerminatedFailure`, …).
   */
  result(): Promise<Awaited<ReturnType<T>>>;
  /** Signals the child; rejects if it is no longer running. */
  signal<Args extends unknown[]>(
    def: SignalDefinition<Args> | string,
    ...args: Args
  ): Promise<void>;
}

/**
 * Starts a child workflow and resolves once the engine started it. Rejects with
 * `WorkflowExecutionAlreadyStartedError` if a workflow with the id is already running.
 * Temporal's `startChild`.
 *
 * @example
 * ```ts
 * const child = await startChild(processItem, { workflowId: `item-${id}`, args: [id] });
 * const result = await child.result();
 * ```
 */
export async function startChild<T extends Workflow>(
  workflowTypeOrFunc: T | string,
  options: ChildWorkflowOptions<T> = {},
): Promise<ChildWorkflowHandle<T>> {
  const activator = getActivator();
  const workflowType =
    typeof workflowTypeOrFunc === 'string' ? workflowTypeOrFunc : workflowTypeOrFunc.name;
  if (!workflowType) {
    throw new TypeError('startChild needs a named workflow function or a workflow type name.');
  }
  const withDefaults: ChildWorkflowOptionsWithDefaults = {
    ...options,
    workflowId: options.workflowId ?? activator.uuid4(),
    args: [...(options.args ?? [])],
    cancellationType:
      options.cancellationType ?? ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
  };
  const [started, result] = await activator.outboundWithSeq(
    'startChildWorkflowExecution',
    { workflowType, options: withDefaults, headers: {} },
    (input, seq) =>
      Promise.resolve(
        issueStartChild(activator, input.workflowType, input.options, input.headers, seq),
      ),
  );
  const workflowId = withDefaults.workflowId;
  const firstExecutionRunId = await started;
  return {
    workflowId,
    firstExecutionRunId,
    result: () => result as Promise<Awaited<ReturnType<T>>>,
    signal: (def, ...args) =>
      signalWorkflow({ type: 'child', childWorkflowId: workflowId }, def, args),
  };
}

/** Issues the StartChildWorkflowExecution command; returns the started and result promises. */
function issueStartChild(
  activator: Activator,
  workflowType: string,
  options: ChildWorkflowOptionsWithDefaults,
  headers: Headers,
  seq: number | undefined,
): [Promise<string>, Promise<unknown>] {
  const header = headersToWire(headers, `child workflow '${workflowType}'`);
  const command: Omit<CommandOf<'StartChildWorkflowExecution'>, 'seq' | 'type'> = {
    workflowId: options.workflowId,
    workflowType,
    taskQueue: options.taskQueue ?? activator.workflowInfo().taskQueue,
    args: [...options.args],
    parentClosePolicy: options.parentClosePolicy ?? ParentClosePolicy.TERMINATE,
  };
  if (header !== undefined) command.header = header;
  const execMs = msOptionalFromDuration(options.workflowExecutionTimeout);
  const runMs = msOptionalFromDuration(options.workflowRunTimeout);
  const taskMs = msOptionalFromDuration(options.workflowTaskTimeout);
  if (execMs !== undefined) command.workflowExecutionTimeoutMs = execMs;
  if (runMs !== undefined) command.workflowRunTimeoutMs = runMs;
  if (taskMs !== undefined) command.workflowTaskTimeoutMs = taskMs;
  if (options.memo !== undefined) command.memo = options.memo;
  if (options.typedSearchAttributes !== undefined) {
    command.searchAttributes = unifySearchAttributes(
      options.searchAttributes,
      options.typedSearchAttributes,
      'the child workflow options',
    );
    const keyTypes = typedKeyTypes(options.typedSearchAttributes);
    if (keyTypes !== undefined) command.searchAttributeTypes = keyTypes;
  } else if (options.searchAttributes !== undefined) {
    command.searchAttributes = options.searchAttributes;
  }
  if (options.retry !== undefined) command.retry = compileRetryPolicy(options.retry);
  if (options.cronSchedule !== undefined && options.cronSchedule !== '') {
    command.cronSchedule = options.cronSchedule;
  }
  if (options.workflowIdReusePolicy !== undefined) {
    command.workflowIdReusePolicy = options.workflowIdReusePolicy;
  }
  const userMetadata = userMetadataOf(options.staticSummary, options.staticDetails);
  if (userMetadata !== undefined) command.userMetadata = userMetadata;
  const priority = checkedPriority(options.priority, `child workflow '${workflowType}'`);
  if (priority !== undefined) command.priority = priority;
  const { started, result } = activator.crossRun.startChild(command, options.cancellationType, seq);
  return [started, result];
}

/** Signals a child or another workflow, through the `signalWorkflow` interceptors. */
function signalWorkflow(
  target: SignalWorkflowInput['target'],
  def: SignalDefinition<unknown[]> | string,
  args: unknown[],
): Promise<void> {
  const activator = getActivator();
  const signalName = typeof def === 'string' ? def : def.name;
  return activator.outboundWithSeq(
    'signalWorkflow',
    { signalName, args, headers: {}, target },
    (input, seq) => {
      const to = input.target;
      return activator.crossRun.signalExternal(
        to.type === 'child'
          ? { workflowId: to.childWorkflowId, runId: undefined }
          : { workflowId: to.workflowExecution.workflowId, runId: to.workflowExecution.runId },
        input.signalName,
        input.args,
        to.type === 'child',
        input.headers,
        seq,
      );
    },
  );
}

/**
 * Starts a child workflow and waits for its result. Temporal's `executeChild`.
 *
 * @example
 * ```ts
 * const total = await executeChild(sumItems, { args: [items] });
 * ```
 */
export async function executeChild<T extends Workflow>(
  workflowTypeOrFunc: T | string,
  options: ChildWorkflowOptions<T> = {},
): Promise<Awaited<ReturnType<T>>> {
  const handle = await startChild(workflowTypeOrFunc, options);
  return handle.result();
}

/** A handle to another workflow, from workflow code. Temporal's `ExternalWorkflowHandle`. */
export interface ExternalWorkflowHandle {
  readonly workflowId: string;
  readonly runId: string | undefined;
  /**
   * Signals the workflow; resolves once the signal is in its history. Rejects with an
   * `ApplicationFailure` of type `ExternalWorkflowExecutionNotFound` if it is not running.
   */
  signal<Args extends unknown[]>(
    def: SignalDefinition<Args> | string,
    ...args: Args
  ): Promise<void>;
  /** Requests its cancellation; rejects like `signal` if it is not running. */
  cancel(): Promise<void>;
}

/**
 * A handle to signal or cancel another workflow (the latest run of `workflowId`, or `runId`).
 * Temporal's `getExternalWorkflowHandle`.
 *
 * @example
 * ```ts
 * await getExternalWorkflowHandle('order-42').signal(paymentReceived, { amount: 10 });
 * ```
 */
export function getExternalWorkflowHandle(
  workflowId: string,
  runId?: string,
): ExternalWorkflowHandle {
  return {
    workflowId,
    runId,
    signal: (def, ...args) =>
      signalWorkflow({ type: 'external', workflowExecution: { workflowId, runId } }, def, args),
    cancel: () => getActivator().crossRun.requestCancelExternal({ workflowId, runId }),
  };
}
