import { CancelledFailure, TerminatedFailure, TimeoutFailure, decodeFailure } from '../failures.ts';
import type { HistoryEvent } from '../protocol/history-events.ts';
import type { QueryDefinition, SignalDefinition, Workflow } from '../protocol/definitions.ts';
import { toPayloads } from '../protocol/payload.ts';
import type { EngineApi, WorkflowDescription } from '../transport/engine-api.ts';
import { WorkflowFailedError } from './errors.ts';

/** How long one long-poll for a result waits before asking again. */
const RESULT_POLL_MS = 30_000;

/** The history of one run, as `fetchHistory()` returns it and `Worker.runReplayHistory` takes it. */
export interface History {
  workflowId: string;
  runId: string;
  events: HistoryEvent[];
}

/**
 * A handle to a workflow: its id, and the run it was started or fetched with. Operations on a
 * handle without a runId go to the latest run of the workflow id.
 */
export class WorkflowHandle<T extends Workflow = Workflow> {
  readonly workflowId: string;
  /** The run this handle is bound to, if any. */
  readonly runId: string | undefined;
  /** The run the workflow started with: the chain `result()` follows. */
  readonly firstExecutionRunId: string | undefined;
  readonly #api: EngineApi;
  readonly #namespace: string;
  readonly #identity: string;
  declare readonly __type?: T;

  constructor(opts: {
    api: EngineApi;
    namespace: string;
    identity: string;
    workflowId: string;
    runId: string | undefined;
    firstExecutionRunId: string | undefined;
  }) {
    this.#api = opts.api;
    this.#namespace = opts.namespace;
    this.#identity = opts.identity;
    this.workflowId = opts.workflowId;
    this.runId = opts.runId;
    this.firstExecutionRunId = opts.firstExecutionRunId;
  }

  #ref(): { namespace: string; workflowId: string; runId: string | undefined } {
    return { namespace: this.#namespace, workflowId: this.workflowId, runId: this.runId };
  }

  /**
   * Waits for the workflow to close and returns its result. Throws `WorkflowFailedError` whose
   * `cause` is the failure (an `ApplicationFailure`, `ActivityFailure`, `CancelledFailure`,
   * `TerminatedFailure` or `TimeoutFailure`) if it did not complete.
   */
  async result(): Promise<Awaited<ReturnType<T>>> {
    for (;;) {
      const outcome = await this.#api.getWorkflowOutcome({
        ...this.#ref(),
        waitMs: RESULT_POLL_MS,
      });
      if (!outcome) continue;
      switch (outcome.status) {
        case 'Completed':
          return outcome.result as Awaited<ReturnType<T>>;
        case 'Failed':
          throw new WorkflowFailedError(
            'Workflow execution failed',
            decodeFailure(outcome.failure),
          );
        case 'Canceled':
          throw new WorkflowFailedError(
            'Workflow execution cancelled',
            new CancelledFailure('Workflow cancelled', outcome.details),
          );
        case 'Terminated':
          throw new WorkflowFailedError(
            'Workflow execution terminated',
            new TerminatedFailure(outcome.reason),
          );
        case 'TimedOut':
          throw new WorkflowFailedError(
            'Workflow execution timed out',
            new TimeoutFailure('Workflow execution timed out', undefined, 'StartToClose'),
          );
        case 'ContinuedAsNew':
          throw new WorkflowFailedError(
            `Workflow continued as new in run ${outcome.newRunId}`,
            new Error('ContinuedAsNew'),
          );
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
    await this.#api.signalWorkflow({
      ...this.#ref(),
      signalName: typeof def === 'string' ? def : def.name,
      args: toPayloads(args),
      identity: this.#identity,
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
    return (await this.#api.queryWorkflow({
      ...this.#ref(),
      queryType: typeof def === 'string' ? def : def.name,
      args: toPayloads(args),
    })) as Ret;
  }

  /** Requests cancellation; the workflow decides how to end (by default, as Canceled). */
  async cancel(): Promise<void> {
    await this.#api.cancelWorkflow({ ...this.#ref(), identity: this.#identity });
  }

  /** Ends the workflow at once, without running any of its code. */
  async terminate(reason?: string): Promise<void> {
    await this.#api.terminateWorkflow({
      ...this.#ref(),
      reason: reason ?? 'Terminated by client',
      identity: this.#identity,
    });
  }

  /** Status, times, pending activities and the last workflow-task failure. */
  async describe(): Promise<WorkflowDescription> {
    return this.#api.describeWorkflow(this.#ref());
  }

  /** The run's full history, as `Worker.runReplayHistory` takes it. */
  async fetchHistory(): Promise<History> {
    const h = await this.#api.getHistory(this.#ref());
    return { workflowId: this.workflowId, runId: h.runId, events: h.events };
  }
}
