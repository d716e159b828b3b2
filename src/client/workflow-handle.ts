import { randomUUID } from 'node:crypto';
import { CancelledFailure, TerminatedFailure, TimeoutFailure, decodeFailure } from '../failures.ts';
import { RetryState } from '../protocol/failure.ts';
import type { HistoryEvent } from '../protocol/history-events.ts';
import type {
  QueryDefinition,
  SignalDefinition,
  UpdateDefinition,
  Workflow,
} from '../protocol/definitions.ts';
import { headersToWire } from '../protocol/headers.ts';
import { composeInterceptors } from '../protocol/interceptors.ts';
import { toPayloads } from '../protocol/payload.ts';
import { typedSearchAttributesOf } from '../protocol/typed-search-attributes.ts';
import type { TypedSearchAttributes } from '../protocol/typed-search-attributes.ts';
import type {
  EngineApi,
  ExecutionRef,
  UpdateWorkflowResponse,
  WorkflowDescription,
} from '../transport/engine-api.ts';
import { WorkflowContinuedAsNewError, WorkflowFailedError, updateCallError } from './errors.ts';
import type {
  WorkflowClientInterceptor,
  WorkflowExecution,
  WorkflowStartUpdateInput,
  WorkflowStartUpdateOutput,
} from './interceptors.ts';
import { UPDATE_POLL_MS, WorkflowUpdateHandle, updateResult } from './workflow-update-handle.ts';
import type { WorkflowUpdateOptions, WorkflowUpdateStage } from './workflow-update-handle.ts';

/** How long one long-poll for a result waits before asking again. */
const RESULT_POLL_MS = 30_000;

/** The history of one run, as `fetchHistory()` returns it and `Worker.runReplayHistory` takes it. */
export interface History {
  workflowId: string;
  runId: string;
  events: HistoryEvent[];
}

/** What `handle.describe()` returns. */
export interface WorkflowExecutionDescription extends Omit<WorkflowDescription, 'userMetadata'> {
  /** `searchAttributes` as typed ones, with the types their values imply. */
  readonly typedSearchAttributes: TypedSearchAttributes;
  /** The start's `staticSummary`, decoded; undefined when it set none. Temporal's. */
  readonly staticSummary: () => Promise<string | undefined>;
  /** The start's `staticDetails`, decoded; undefined when it set none. Temporal's. */
  readonly staticDetails: () => Promise<string | undefined>;
}

/**
 * A handle to a workflow: its id, and the run it is bound to, if any. Operations on a handle
 * without a runId (from `start()`, `signalWithStart()` or `getHandle(workflowId)`) go to the
 * latest run of the workflow id; on one from `start()`, `cancel` and `terminate` only if that run
 * is of the chain the start began (continue-as-new and retries), as in Temporal.
 */
export class WorkflowHandle<T extends Workflow = Workflow> {
  readonly workflowId: string;
  /** The run this handle is bound to: `getHandle(workflowId, runId)`'s; undefined otherwise. */
  readonly runId: string | undefined;
  /** The run the chain started with (the one `start()` started): the chain `result()` follows. */
  readonly firstExecutionRunId: string | undefined;
  readonly #api: EngineApi;
  readonly #namespace: string;
  readonly #identity: string;
  readonly #interceptors: readonly WorkflowClientInterceptor[];
  /** The run `result()` starts from (Temporal's runIdForResult); the latest run if undefined. */
  readonly #runIdForResult: string | undefined;
  /** Temporal's followRuns: `result()` follows continue-as-new and retries (default true). */
  readonly #followRuns: boolean;
  declare readonly __type?: T;

  constructor(opts: {
    api: EngineApi;
    namespace: string;
    identity: string;
    interceptors: readonly WorkflowClientInterceptor[];
    workflowId: string;
    runId: string | undefined;
    firstExecutionRunId: string | undefined;
    /** `signalWithStart`: the signalled run, which need not be the first of its chain. */
    runIdForResult?: string | undefined;
    /** False: `result()` is the outcome of the run it starts from, not of its chain's last. */
    followRuns?: boolean | undefined;
  }) {
    this.#api = opts.api;
    this.#namespace = opts.namespace;
    this.#identity = opts.identity;
    this.#interceptors = opts.interceptors;
    this.workflowId = opts.workflowId;
    this.runId = opts.runId;
    this.firstExecutionRunId = opts.firstExecutionRunId;
    this.#runIdForResult = opts.runIdForResult ?? opts.runId ?? opts.firstExecutionRunId;
    this.#followRuns = opts.followRuns ?? true;
  }

  #ref(): { namespace: string; workflowId: string; runId: string | undefined } {
    return { namespace: this.#namespace, workflowId: this.workflowId, runId: this.runId };
  }

  /** What client interceptors see as the call's `workflowExecution`. */
  #execution(): WorkflowExecution {
    return { workflowId: this.workflowId, runId: this.runId };
  }

  /** The execution an interceptor's input names, as an engine request's ref. */
  #refOf(execution: WorkflowExecution): ExecutionRef {
    return {
      namespace: this.#namespace,
      workflowId: execution.workflowId,
      runId: execution.runId,
    };
  }

  /**
   * Waits for the workflow to close and returns its result. Throws `WorkflowFailedError` whose
   * `cause` is the failure (an `ApplicationFailure`, `ActivityFailure`, `CancelledFailure`,
   * `TerminatedFailure` or `TimeoutFailure`) if it did not complete. Follows continue-as-new
   * and the workflow retry policy: a run that continued as new, or failed or timed out and was
   * retried, is followed by its successor, up to the run that ends the chain. So are the runs of
   * a cron workflow (`cronSchedule`), whose chain ends only when it is cancelled, terminated or
   * out of execution time: as Temporal's, `result()` of a cron workflow waits for that. With
   * `followRuns: false` (on `getHandle` or `start`), the outcome of the run it starts from
   * instead: a run that continued as new throws `WorkflowContinuedAsNewError` (its
   * `newExecutionRunId` the next run), one that failed and was retried its failure, a cron run
   * that completed its result.
   */
  async result(): Promise<Awaited<ReturnType<T>>> {
    // Temporal's followRuns: start at the handle's run (the bound run, the run start() began or
    // signalWithStart signalled; else the workflow's latest) and follow continue-as-new and
    // retries to the run that ends the chain (unless followRuns is false).
    const follow = this.#followRuns;
    let runId = this.#runIdForResult;
    // Not following: the run is the latest when result() is called, and stays that run.
    if (!follow && runId === undefined)
      runId = (await this.#api.describeWorkflow(this.#ref())).runId;
    for (;;) {
      const outcome = await this.#api.getWorkflowOutcome({
        ...this.#ref(),
        runId,
        waitMs: RESULT_POLL_MS,
      });
      if (!outcome) continue;
      switch (outcome.status) {
        case 'Completed':
          // A cron workflow's run hands on to the next (Temporal's client follows it too).
          if (follow && outcome.newRunId !== undefined) {
            runId = outcome.newRunId;
            continue;
          }
          return outcome.result as Awaited<ReturnType<T>>;
        case 'Failed':
          if (follow && outcome.newRunId !== undefined) {
            runId = outcome.newRunId;
            continue;
          }
          throw new WorkflowFailedError(
            'Workflow execution failed',
            decodeFailure(outcome.failure),
            outcome.retryState,
          );
        // As Temporal's client: a cancelled or terminated run is never retried, and a
        // termination's reason is the message of the error as well as of its cause.
        case 'Canceled':
          throw new WorkflowFailedError(
            'Workflow execution cancelled',
            new CancelledFailure('Workflow canceled', outcome.details),
            RetryState.NonRetryableFailure,
          );
        case 'Terminated': {
          const reason = outcome.reason || 'Workflow execution terminated';
          throw new WorkflowFailedError(
            reason,
            new TerminatedFailure(reason),
            RetryState.NonRetryableFailure,
          );
        }
        case 'TimedOut':
          if (follow && outcome.newRunId !== undefined) {
            runId = outcome.newRunId;
            continue;
          }
          throw new WorkflowFailedError(
            'Workflow execution timed out',
            new TimeoutFailure('Workflow execution timed out', undefined, 'StartToClose'),
            outcome.retryState,
          );
        case 'ContinuedAsNew':
          if (!follow) {
            throw new WorkflowContinuedAsNewError(
              'Workflow execution continued as new',
              outcome.newRunId,
            );
          }
          runId = outcome.newRunId;
          continue;
        default: {
          const never: never = outcome;
          throw new TypeError(`Unknown outcome ${JSON.stringify(never)}`);
        }
      }
    }
  }

  /**
   * Sends a signal. Resolves once the engine has durably recorded it (it is then never lost).
   * Throws `UnknownSignalError` if the workflow defines no such signal.
   */
  async signal<Args extends unknown[] = []>(
    def: SignalDefinition<Args> | string,
    ...args: Args
  ): Promise<void> {
    await composeInterceptors(this.#interceptors, 'signal', async (input) => {
      await this.#api.signalWorkflow({
        ...this.#refOf(input.workflowExecution),
        signalName: input.signalName,
        args: toPayloads(input.args),
        header: headersToWire(input.headers, `signal '${input.signalName}'`),
        identity: this.#identity,
      });
    })({
      signalName: typeof def === 'string' ? def : def.name,
      args,
      workflowExecution: this.#execution(),
      headers: {},
    });
  }

  /**
   * Asks the workflow a question; a worker answers from its state. Throws
   * `QueryNotRegisteredError` if the workflow has no handler for it.
   */
  async query<Ret, Args extends unknown[] = []>(
    def: QueryDefinition<Ret, Args> | string,
    ...args: Args
  ): Promise<Ret> {
    return (await composeInterceptors(this.#interceptors, 'query', (input) =>
      this.#api.queryWorkflow({
        ...this.#refOf(input.workflowExecution),
        queryType: input.queryType,
        args: toPayloads(input.args),
        header: headersToWire(input.headers, `query '${input.queryType}'`),
      }),
    )({
      queryType: typeof def === 'string' ? def : def.name,
      args,
      workflowExecution: this.#execution(),
      headers: {},
    })) as Ret;
  }

  /**
   * Sends an update and waits for its result. Throws `WorkflowUpdateFailedError` (the failure
   * as `cause`) if the workflow's validator rejected it or its handler threw a failure, and
   * `WorkflowNotFoundError` if the workflow is closed. The same `updateId` twice is applied once.
   * @example const total = await handle.executeUpdate(addItem, { args: ['apple'] });
   */
  async executeUpdate<Ret, Args extends unknown[] = []>(
    def: UpdateDefinition<Ret, Args> | string,
    options?: WorkflowUpdateOptions & { readonly args?: Args | undefined },
  ): Promise<Ret> {
    const response = await this.#sendUpdate(def, options, 'Completed');
    return updateResult(response) as Ret;
  }

  /**
   * Sends an update and returns once the workflow accepted it (its validator passed) or rejected
   * it, with a handle whose `result()` waits for the handler. As in Temporal, a rejection (or a
   * handler that failed at once) does not throw here: the handle's `result()` throws
   * `WorkflowUpdateFailedError`.
   * @example const update = await handle.startUpdate(addItem, { args: ['pear'], waitForStage: 'ACCEPTED' });
   */
  async startUpdate<Ret, Args extends unknown[] = []>(
    def: UpdateDefinition<Ret, Args> | string,
    options: WorkflowUpdateOptions & {
      readonly args?: Args | undefined;
      readonly waitForStage: typeof WorkflowUpdateStage.ACCEPTED;
    },
  ): Promise<WorkflowUpdateHandle<Ret>> {
    const response = await this.#sendUpdate(def, options, 'Accepted');
    return new WorkflowUpdateHandle<Ret>({
      api: this.#api,
      namespace: this.#namespace,
      updateId: response.updateId,
      workflowId: this.workflowId,
      workflowRunId: response.runId,
      known: response.stage === 'Completed' ? response : undefined,
    });
  }

  /** A handle to an update sent earlier, by its id; no request is made until `result()`. */
  getUpdateHandle<Ret>(updateId: string): WorkflowUpdateHandle<Ret> {
    return new WorkflowUpdateHandle<Ret>({
      api: this.#api,
      namespace: this.#namespace,
      updateId,
      workflowId: this.workflowId,
      workflowRunId: this.runId,
    });
  }

  /** Sends an update through the `startUpdate` interceptors, and waits for `waitForStage`. */
  async #sendUpdate(
    def: { readonly name: string } | string,
    options: (WorkflowUpdateOptions & { readonly args?: unknown[] | undefined }) | undefined,
    waitForStage: 'Accepted' | 'Completed',
  ): Promise<UpdateWorkflowResponse> {
    const { args, ...updateOptions } = options ?? {};
    const output = await composeInterceptors(this.#interceptors, 'startUpdate', (input) =>
      this.#startUpdate(input, waitForStage),
    )({
      updateName: typeof def === 'string' ? def : def.name,
      args: args ?? [],
      workflowExecution: this.#execution(),
      firstExecutionRunId: this.firstExecutionRunId,
      headers: {},
      options: updateOptions,
    });
    return {
      runId: output.workflowRunId,
      updateId: output.updateId,
      stage: output.outcome === undefined ? 'Accepted' : 'Completed',
      outcome: output.outcome,
    };
  }

  async #startUpdate(
    input: WorkflowStartUpdateInput,
    waitForStage: 'Accepted' | 'Completed',
  ): Promise<WorkflowStartUpdateOutput> {
    const updateId = input.options.updateId ?? randomUUID();
    const request = {
      ...this.#chainRef(input.workflowExecution, input.firstExecutionRunId),
      updateId,
      name: input.updateName,
      args: toPayloads(input.args),
      header: headersToWire(input.headers, `update '${input.updateName}'`),
      identity: this.#identity,
      waitForStage,
      waitMs: UPDATE_POLL_MS,
    };
    let response: UpdateWorkflowResponse;
    try {
      // As Temporal's client: sent again (the updateId makes that safe) while only admitted, so
      // that each try is checked anew — a run whose workflow task keeps failing refuses it.
      do {
        response = await this.#api.updateWorkflow(request);
      } while (response.stage === 'Admitted');
    } catch (e) {
      throw updateCallError(e, 'Workflow Update failed');
    }
    while (waitForStage === 'Completed' && response.stage !== 'Completed') {
      response = await this.#api.pollWorkflowUpdate({
        namespace: this.#namespace,
        workflowId: input.workflowExecution.workflowId,
        runId: response.runId,
        updateId,
        waitForStage,
        waitMs: UPDATE_POLL_MS,
      });
    }
    return { updateId, workflowRunId: response.runId, outcome: response.outcome };
  }

  /** Requests cancellation; the workflow decides how to end (by default, as Canceled). */
  async cancel(): Promise<void> {
    await composeInterceptors(this.#interceptors, 'cancel', async (input) => {
      await this.#api.cancelWorkflow({
        ...this.#chainRef(input.workflowExecution, input.firstExecutionRunId),
        identity: this.#identity,
      });
    })({ workflowExecution: this.#execution(), firstExecutionRunId: this.firstExecutionRunId });
  }

  /**
   * Ends the workflow at once, without running any of its code. Without a reason, as in
   * Temporal, the run records an empty one and `result()` says 'Workflow execution terminated'.
   */
  async terminate(reason?: string): Promise<void> {
    await composeInterceptors(this.#interceptors, 'terminate', async (input) => {
      await this.#api.terminateWorkflow({
        ...this.#chainRef(input.workflowExecution, input.firstExecutionRunId),
        reason: input.reason ?? '',
        identity: this.#identity,
      });
    })({
      workflowExecution: this.#execution(),
      reason,
      firstExecutionRunId: this.firstExecutionRunId,
    });
  }

  /**
   * The run to cancel, terminate or update: the bound run, or the latest of the chain this handle
   * began.
   */
  #chainRef(
    execution: WorkflowExecution,
    firstExecutionRunId: string | undefined,
  ): ExecutionRef & { firstExecutionRunId?: string } {
    const ref = this.#refOf(execution);
    return ref.runId === undefined && firstExecutionRunId !== undefined
      ? { ...ref, firstExecutionRunId }
      : ref;
  }

  /** Status, times, search attributes, pending activities and the last workflow-task failure. */
  async describe(): Promise<WorkflowExecutionDescription> {
    const d = await composeInterceptors(this.#interceptors, 'describe', (input) =>
      this.#api.describeWorkflow(this.#refOf(input.workflowExecution)),
    )({ workflowExecution: this.#execution() });
    const { userMetadata, ...rest } = d;
    // Functions, as Temporal's: there they decode on demand; here the client decoded them already.
    const summary = userMetadata?.summary as string | undefined;
    const details = userMetadata?.details as string | undefined;
    return {
      ...rest,
      typedSearchAttributes: typedSearchAttributesOf(d.searchAttributes),
      staticSummary: () => Promise.resolve(summary),
      staticDetails: () => Promise.resolve(details),
    };
  }

  /** The run's full history, as `Worker.runReplayHistory` takes it. */
  async fetchHistory(): Promise<History> {
    const h = await this.#api.getHistory(this.#ref());
    return { workflowId: this.workflowId, runId: h.runId, events: h.events };
  }
}
