import { hostname } from 'node:os';
import { InvalidArgumentError } from '../errors.ts';
import { msOptionalFromDuration } from '../protocol/duration.ts';
import type { Duration } from '../protocol/duration.ts';
import type { Workflow } from '../protocol/definitions.ts';
import { toPayloads } from '../protocol/payload.ts';
import { compileRetryPolicy } from '../protocol/retry-options.ts';
import type { RetryPolicy } from '../protocol/retry-options.ts';
import type { EngineApi } from '../transport/engine-api.ts';
import { WorkflowHandle } from './workflow-handle.ts';

/** A workflow started by its type name: any arguments, any result. */
export type UntypedWorkflow = (...args: unknown[]) => Promise<unknown>;

export interface ClientOptions {
  /** `engine.connection` in-process, or a `Connection`. */
  readonly connection: EngineApi;
  readonly namespace?: string | undefined;
  readonly identity?: string | undefined;
}

export interface WorkflowStartOptions<T extends Workflow = Workflow> {
  readonly workflowId: string;
  readonly taskQueue: string;
  readonly args?: Parameters<T> | undefined;
  readonly memo?: Record<string, unknown> | undefined;
  readonly searchAttributes?: Record<string, unknown> | undefined;
  readonly workflowExecutionTimeout?: Duration | undefined;
  readonly workflowRunTimeout?: Duration | undefined;
  /** How long a worker may take on one workflow task before another gets it (default 10 s). */
  readonly workflowTaskTimeout?: Duration | undefined;
  readonly retry?: RetryPolicy | undefined;
}

/** Starts and finds workflows. `client.workflow` of a {@link Client}. */
export class WorkflowClient {
  readonly #api: EngineApi;
  readonly #namespace: string;
  readonly #identity: string;

  constructor(api: EngineApi, namespace: string, identity: string) {
    this.#api = api;
    this.#namespace = namespace;
    this.#identity = identity;
  }

  /**
   * Starts a workflow and returns its handle once the start is durable. Throws
   * `WorkflowExecutionAlreadyStartedError` if the id is running, `UnknownWorkflowTypeError` if
   * the workers of the task queue do not know the type, `PayloadTooLargeError` for oversized args.
   * @example const handle = await client.workflow.start(processClaim, { taskQueue: 'claims', workflowId: 'claim-42', args: ['42'] });
   */
  async start<T extends Workflow>(
    workflow: T,
    options: WorkflowStartOptions<T>,
  ): Promise<WorkflowHandle<T>>;
  async start(
    workflowType: string,
    options: WorkflowStartOptions<UntypedWorkflow>,
  ): Promise<WorkflowHandle<UntypedWorkflow>>;
  async start<T extends Workflow>(
    workflow: T | string,
    options: WorkflowStartOptions<T>,
  ): Promise<WorkflowHandle<T>> {
    const workflowType = typeof workflow === 'string' ? workflow : workflow.name;
    if (!workflowType) {
      throw new InvalidArgumentError(
        'The workflow function has no name. Pass a named exported function, or the workflow type as a string.',
      );
    }
    const { runId } = await this.#api.startWorkflow({
      namespace: this.#namespace,
      workflowId: options.workflowId,
      workflowType,
      taskQueue: options.taskQueue,
      args: toPayloads(options.args ?? []),
      identity: this.#identity,
      memo: options.memo,
      searchAttributes: options.searchAttributes,
      workflowExecutionTimeoutMs: msOptionalFromDuration(options.workflowExecutionTimeout),
      workflowRunTimeoutMs: msOptionalFromDuration(options.workflowRunTimeout),
      workflowTaskTimeoutMs: msOptionalFromDuration(options.workflowTaskTimeout),
      retry: options.retry ? compileRetryPolicy(options.retry) : undefined,
    });
    return new WorkflowHandle<T>({
      api: this.#api,
      namespace: this.#namespace,
      identity: this.#identity,
      workflowId: options.workflowId,
      runId,
      firstExecutionRunId: runId,
    });
  }

  /** Starts a workflow and waits for its result. */
  async execute<T extends Workflow>(
    workflow: T,
    options: WorkflowStartOptions<T>,
  ): Promise<Awaited<ReturnType<T>>>;
  async execute(
    workflowType: string,
    options: WorkflowStartOptions<UntypedWorkflow>,
  ): Promise<unknown>;
  async execute<T extends Workflow>(
    workflow: T | string,
    options: WorkflowStartOptions<T>,
  ): Promise<Awaited<ReturnType<T>>> {
    const handle = await this.start(workflow as T, options);
    return handle.result();
  }

  /** A handle to an existing workflow; no request is made until you use it. */
  getHandle<T extends Workflow = Workflow>(workflowId: string, runId?: string): WorkflowHandle<T> {
    return new WorkflowHandle<T>({
      api: this.#api,
      namespace: this.#namespace,
      identity: this.#identity,
      workflowId,
      runId,
      firstExecutionRunId: runId,
    });
  }
}

/**
 * The client: start, signal, query, cancel, terminate, describe workflows.
 * @example const client = new Client({ connection: engine.connection });
 */
export class Client {
  readonly connection: EngineApi;
  readonly namespace: string;
  readonly workflow: WorkflowClient;

  constructor(options: ClientOptions) {
    this.connection = options.connection;
    this.namespace = options.namespace ?? 'default';
    const identity = options.identity ?? `${process.pid}@${hostname()}`;
    this.workflow = new WorkflowClient(options.connection, this.namespace, identity);
  }
}
