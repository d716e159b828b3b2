import { hostname } from 'node:os';
import { clientApi } from '../common/data-converter-api.ts';
import { defaultConnection } from '../transport/connect.ts';
import type { DataConverter } from '../common/data-converter.ts';
import { InvalidArgumentError } from '../errors.ts';
import { msOptionalFromDuration } from '../protocol/duration.ts';
import type { Duration } from '../protocol/duration.ts';
import type { SignalDefinition, UpdateDefinition, Workflow } from '../protocol/definitions.ts';
import type { Headers } from '../protocol/headers.ts';
import { headersToWire } from '../protocol/headers.ts';
import { configureWithPluginsNow } from '../common/plugins.ts';
import { composeInterceptors } from '../protocol/interceptors.ts';
import { toPayloads } from '../protocol/payload.ts';
import { compileRetryPolicy } from '../protocol/retry-options.ts';
import type { RetryPolicy } from '../protocol/retry-options.ts';
import { typedKeyTypes } from '../protocol/typed-search-attributes.ts';
import type { TypedSearchAttributesInput } from '../protocol/typed-search-attributes.ts';
import { userMetadataOf } from '../protocol/user-metadata.ts';
import type { Priority } from '../protocol/priority.ts';
import type { EngineApi } from '../transport/engine-api.ts';
import { AsyncCompletionClient } from './async-completion-client.ts';
import type { ClientPlugin } from './plugin.ts';
import type {
  ClientInterceptors,
  CompiledWorkflowOptions,
  WorkflowClientInterceptor,
  WorkflowSignalWithStartInput,
  WorkflowStartInput,
} from './interceptors.ts';
import { ScheduleClient } from './schedule-client.ts';
import { adaptStartInterceptor } from './start-interceptor-adapter.ts';
import { WorkflowHandle } from './workflow-handle.ts';
import { workflowListIterable } from './list-histories.ts';
import type { AsyncWorkflowListIterable } from './list-histories.ts';
import type { CountWorkflowExecution, ListOptions } from './workflow-list.ts';
import { updateWithStart } from './update-with-start.ts';
import type { UpdateWithStartOptions } from './update-with-start.ts';
import { searchAttributesForStart } from './workflow-id-options.ts';
import type { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from './workflow-id-options.ts';
import type { WorkflowUpdateHandle, WorkflowUpdateStage } from './workflow-update-handle.ts';

/** A workflow started by its type name: any arguments, any result. */
export type UntypedWorkflow = (...args: unknown[]) => Promise<unknown>;

export interface ClientOptions {
  /**
   * `await Connection.connect({ address })`, or `engine.connection` in-process. Default: a
   * connection over HTTP to `127.0.0.1:7233` (`npx reprise dev`), as Temporal's client connects
   * to `localhost:7233`.
   */
  readonly connection?: EngineApi | undefined;
  readonly namespace?: string | undefined;
  readonly identity?: string | undefined;
  /**
   * Temporal's data converter: `payloadConverter` and `payloadCodecs` (e.g. encryption). Payloads
   * are encoded before they leave the client and decoded when they come back.
   */
  readonly dataConverter?: DataConverter | undefined;
  /**
   * Temporal's client interceptors: `workflow` wraps each call of `client.workflow` and of its
   * handles (the first listed is outermost); headers they set reach the workflow's interceptors.
   * `schedule` wraps `client.schedule.create`; headers it sets reach every run the schedule starts.
   */
  readonly interceptors?: ClientInterceptors | undefined;
  /**
   * Temporal's client plugins: each one's `configureClient` is given these options, in the order
   * listed, and what the last returns is what the client uses (docs/plugins.md). Workers take
   * their own (`Worker.create({ plugins })`): a client's plugins are not passed to them.
   */
  readonly plugins?: readonly ClientPlugin[] | undefined;
}

export interface WorkflowStartOptions<T extends Workflow = Workflow> {
  readonly workflowId: string;
  readonly taskQueue: string;
  readonly args?: Parameters<T> | undefined;
  readonly memo?: Record<string, unknown> | undefined;
  readonly searchAttributes?: Record<string, unknown> | undefined;
  /**
   * Search attributes as typed pairs (or a `TypedSearchAttributes`): each value must be of its
   * key's type. Where both are given, a typed one wins over an untyped one of the same name.
   */
  readonly typedSearchAttributes?: TypedSearchAttributesInput | undefined;
  /** Every run of the workflow id, retries and continue-as-new included (0 or unset: none). */
  readonly workflowExecutionTimeout?: Duration | undefined;
  /** One run (0 or unset: none). */
  readonly workflowRunTimeout?: Duration | undefined;
  /**
   * How long a worker may take on one workflow task before another gets it (0 or unset: the
   * default, 10 s; at most 120 s).
   */
  readonly workflowTaskTimeout?: Duration | undefined;
  readonly retry?: RetryPolicy | undefined;
  /**
   * What to do when the workflow id was used by a closed run (default `ALLOW_DUPLICATE`).
   * Temporal's `WorkflowIdReusePolicy`.
   */
  readonly workflowIdReusePolicy?: WorkflowIdReusePolicy | undefined;
  /**
   * What to do when the workflow id has a running run (default `FAIL`: throw
   * `WorkflowExecutionAlreadyStartedError`). Temporal's `WorkflowIdConflictPolicy`.
   */
  readonly workflowIdConflictPolicy?: WorkflowIdConflictPolicy | undefined;
  /**
   * Delays the first workflow task: the run exists (and is listed, described, signalled) at
   * once, and its code starts after the delay. Signals sent meanwhile wait for it.
   */
  readonly startDelay?: Duration | undefined;
  /**
   * Runs the workflow as a cron workflow (Temporal's `cronSchedule`): five fields (minute hour
   * day-of-month month day-of-week, in UTC), a descriptor such as `'@daily'`, or
   * `'@every 1h30m'`, optionally after `'CRON_TZ=America/New_York '`. The first run starts at
   * the schedule's next time; each run that completes, fails or times out is followed by one at
   * the next time after it closes; the chain ends when cancelled, terminated or out of
   * `workflowExecutionTimeout`. Not with `startDelay`. An unreadable schedule throws
   * `InvalidArgumentError`. Schedules (`client.schedule`) are the newer, more flexible way.
   */
  readonly cronSchedule?: string | undefined;
  /**
   * Whether the handle's `result()` follows the run's continue-as-new and retries to the chain's
   * last run (default true), or is the started run's own outcome. Temporal's `followRuns`.
   */
  readonly followRuns?: boolean | undefined;
  /**
   * One line that UIs show for the run (Temporal's `staticSummary`): recorded on its
   * WorkflowExecutionStarted through the data converter, and given back by
   * `handle.describe().staticSummary()`. At most 400 bytes as stored; longer is refused with
   * `InvalidArgumentError`. Not carried to retries, cron runs or continue-as-new, as in Temporal.
   */
  readonly staticSummary?: string | undefined;
  /** Longer text for the run, may span lines (Temporal's `staticDetails`): at most 20,000 bytes. */
  readonly staticDetails?: string | undefined;
  /**
   * Temporal's task priority of the run: `priorityKey` (a whole number from 1, lower first;
   * unset is 3) orders its workflow tasks in a backlog of the task queue, and its activities and
   * children inherit each field they leave unset; `fairnessKey` and `fairnessWeight` are recorded
   * and inherited. Carried to retries, cron runs and continue-as-new. A bad value is refused with
   * `InvalidArgumentError`. `workflowInfo().priority` and `describe().priority` give it back.
   */
  readonly priority?: Priority | undefined;
}

/** Options of `signalWithStart`: the start options, the signal and its arguments. */
export interface WorkflowSignalWithStartOptions<
  T extends Workflow = Workflow,
  SignalArgs extends unknown[] = [],
> extends WorkflowStartOptions<T> {
  readonly signal: SignalDefinition<SignalArgs> | string;
  readonly signalArgs?: SignalArgs | undefined;
}

/** `getHandle`'s options, as Temporal's. */
export interface GetWorkflowHandleOptions {
  /**
   * The first run of the chain the handle stands for: without a `runId`, `cancel()` and
   * `terminate()` act only within that chain (`WorkflowNotFoundError` once the id was started
   * again), and `result()` follows it from that run.
   */
  readonly firstExecutionRunId?: string | undefined;
  /**
   * Whether `result()` follows continue-as-new and retries to the chain's last run (default
   * true), or is the outcome of the run it starts from (the handle's run, the first execution
   * run, else the workflow's latest run when `result()` is called): a run that continued as new
   * then throws `WorkflowContinuedAsNewError`. Temporal's `followRuns`.
   */
  readonly followRuns?: boolean | undefined;
}

/** A workflow timeout in ms; 0, as in Temporal, is the same as unset (none, or the default). */
function workflowTimeoutMs(timeout: Duration | undefined): number | undefined {
  const ms = msOptionalFromDuration(timeout);
  return ms === 0 ? undefined : ms;
}

/** The workflow type a `start` names: the function's name, or the string given. */
function workflowTypeOf(workflow: Workflow | string): string {
  const workflowType = typeof workflow === 'string' ? workflow : workflow.name;
  if (!workflowType) {
    throw new InvalidArgumentError(
      'The workflow function has no name. Pass a named exported function, or the workflow type as a string.',
    );
  }
  return workflowType;
}

/** The options interceptors see: the caller's, with `args` always set. */
function compiledOptions<T extends Workflow>(
  options: WorkflowStartOptions<T>,
): CompiledWorkflowOptions {
  const { args, ...rest } = options;
  return { ...rest, args: args ?? [] };
}

/**
 * What `start` returns: the handle, with the run the start began (the first of its chain) and
 * whether it started eagerly (never, here). Temporal's `WorkflowHandleWithStartDetails`.
 */
export type WorkflowHandleWithStartDetails<T extends Workflow = Workflow> = WorkflowHandle<T> & {
  readonly firstExecutionRunId: string;
  readonly eagerlyStarted: boolean;
};

/** Starts and finds workflows. `client.workflow` of a {@link Client}. */
export class WorkflowClient {
  readonly #api: EngineApi;
  readonly #namespace: string;
  readonly #identity: string;
  readonly #interceptors: readonly WorkflowClientInterceptor[];

  constructor(
    api: EngineApi,
    namespace: string,
    identity: string,
    interceptors: readonly WorkflowClientInterceptor[] = [],
  ) {
    this.#api = api;
    this.#namespace = namespace;
    this.#identity = identity;
    this.#interceptors = interceptors.map(adaptStartInterceptor);
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
  ): Promise<WorkflowHandleWithStartDetails<T>>;
  async start(
    workflowType: string,
    options: WorkflowStartOptions<UntypedWorkflow>,
  ): Promise<WorkflowHandleWithStartDetails<UntypedWorkflow>>;
  async start<T extends Workflow>(
    workflow: T | string,
    options: WorkflowStartOptions<T>,
  ): Promise<WorkflowHandleWithStartDetails<T>> {
    const input: WorkflowStartInput = {
      workflowType: workflowTypeOf(workflow),
      headers: {},
      options: compiledOptions(options),
    };
    const started = await composeInterceptors(this.#interceptors, 'startWithDetails', async (i) => {
      const req = this.#startRequest(i.workflowType, i.options, i.headers, 'the start');
      return { runId: (await this.#api.startWorkflow(req)).runId, eagerlyStarted: false };
    })(input);
    // As in Temporal, the handle is not bound to the run it started (runId undefined): it acts on
    // the workflow's latest run, so it still reaches the workflow after a continue-as-new or a
    // retry; cancel and terminate only within the chain that this start began.
    const handle = new WorkflowHandle<T>({
      api: this.#api,
      namespace: this.#namespace,
      identity: this.#identity,
      interceptors: this.#interceptors,
      workflowId: options.workflowId,
      runId: undefined,
      firstExecutionRunId: started.runId,
      followRuns: options.followRuns,
    });
    return Object.assign(handle, {
      firstExecutionRunId: started.runId,
      eagerlyStarted: started.eagerlyStarted,
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

  /**
   * Sends a signal to the running workflow with this id, or, if none runs, starts it with the
   * signal as its first event after the start — in one engine operation, so the signal is
   * delivered once either way. Temporal's `signalWithStart`. The handle follows the workflow id;
   * `signaledRunId` is the run that got the signal, and `result()` follows that run's chain.
   * @example
   * const handle = await client.workflow.signalWithStart(cart, {
   *   workflowId: 'cart-ann', taskQueue: 'shop', args: ['ann'], signal: addToCart, signalArgs: ['apple'],
   * });
   */
  async signalWithStart<T extends Workflow, SignalArgs extends unknown[] = []>(
    workflow: T | string,
    options: WorkflowSignalWithStartOptions<T, SignalArgs>,
  ): Promise<WorkflowHandle<T> & { readonly signaledRunId: string }> {
    const { signal, signalArgs, ...startOptions } = options;
    const input: WorkflowSignalWithStartInput = {
      workflowType: workflowTypeOf(workflow),
      signalName: typeof signal === 'string' ? signal : signal.name,
      signalArgs: signalArgs ?? [],
      headers: {},
      options: compiledOptions(startOptions),
    };
    const runId = await composeInterceptors(this.#interceptors, 'signalWithStart', async (i) => {
      const req = this.#startRequest(i.workflowType, i.options, i.headers, 'the signalWithStart');
      const started = await this.#api.signalWithStartWorkflow({
        ...req,
        signalName: i.signalName,
        signalArgs: toPayloads(i.signalArgs),
      });
      return started.runId;
    })(input);
    const handle = new WorkflowHandle<T>({
      api: this.#api,
      namespace: this.#namespace,
      identity: this.#identity,
      interceptors: this.#interceptors,
      workflowId: options.workflowId,
      runId: undefined,
      firstExecutionRunId: undefined,
      // As in Temporal: result() follows the chain of the run that got the signal.
      runIdForResult: runId,
      followRuns: options.followRuns,
    });
    return Object.assign(handle, { signaledRunId: runId });
  }

  /**
   * Sends an update to the workflow of `startWorkflowOperation`, starting it first unless its
   * `workflowIdConflictPolicy` sends the update to a running run (`'USE_EXISTING'`) — start and
   * update in one engine transaction, so the workflow's first task carries the update — and waits
   * for the update's result. Temporal's `executeUpdateWithStart`. `await
   * op.workflowHandle()` gives the workflow's handle, whether or not the update succeeded.
   * @example
   * const op = new WithStartWorkflowOperation(cart, { workflowId: 'cart-ann', taskQueue: 'shop', args: ['ann'], workflowIdConflictPolicy: 'USE_EXISTING' });
   * const count = await client.workflow.executeUpdateWithStart(addItem, { args: ['apple'], startWorkflowOperation: op });
   */
  async executeUpdateWithStart<T extends Workflow, Ret, Args extends unknown[] = []>(
    update: UpdateDefinition<Ret, Args> | string,
    options: UpdateWithStartOptions<T, Args>,
  ): Promise<Ret> {
    const handle = await this.#updateWithStart(update, options, 'Completed');
    return handle.result();
  }

  /**
   * As {@link executeUpdateWithStart}, but returns once the workflow accepted the update, with a
   * handle whose `result()` waits for its handler. Temporal's `startUpdateWithStart`.
   */
  async startUpdateWithStart<T extends Workflow, Ret, Args extends unknown[] = []>(
    update: UpdateDefinition<Ret, Args> | string,
    options: UpdateWithStartOptions<T, Args> & {
      readonly waitForStage: typeof WorkflowUpdateStage.ACCEPTED;
    },
  ): Promise<WorkflowUpdateHandle<Ret>> {
    return this.#updateWithStart(update, options, 'Accepted');
  }

  #updateWithStart<T extends Workflow, Ret, Args extends unknown[]>(
    update: UpdateDefinition<Ret, Args> | string,
    options: UpdateWithStartOptions<T, Args>,
    waitForStage: 'Accepted' | 'Completed',
  ): Promise<WorkflowUpdateHandle<Ret>> {
    const ctx = {
      api: this.#api,
      namespace: this.#namespace,
      identity: this.#identity,
      interceptors: this.#interceptors,
      startInput: () => {
        const op = options.startWorkflowOperation;
        return {
          workflowType: workflowTypeOf(op.workflowTypeOrFunc),
          options: compiledOptions(op.options),
        };
      },
      startRequest: (workflowType: string, start: CompiledWorkflowOptions, headers: Headers) =>
        this.#startRequest(workflowType, start, headers, 'the update-with-start'),
    };
    return updateWithStart(ctx, update, options, waitForStage);
  }

  /** The start request `start`, `signalWithStart` and update-with-start send. */
  #startRequest(
    workflowType: string,
    options: CompiledWorkflowOptions,
    headers: Headers,
    what: string,
  ) {
    return {
      namespace: this.#namespace,
      workflowId: options.workflowId,
      workflowType,
      taskQueue: options.taskQueue,
      args: toPayloads(options.args),
      header: headersToWire(headers, what),
      identity: this.#identity,
      memo: options.memo,
      searchAttributes: searchAttributesForStart(
        options.searchAttributes,
        options.typedSearchAttributes,
      ),
      searchAttributeTypes: typedKeyTypes(options.typedSearchAttributes),
      workflowExecutionTimeoutMs: workflowTimeoutMs(options.workflowExecutionTimeout),
      workflowRunTimeoutMs: workflowTimeoutMs(options.workflowRunTimeout),
      workflowTaskTimeoutMs: workflowTimeoutMs(options.workflowTaskTimeout),
      retry: options.retry ? compileRetryPolicy(options.retry) : undefined,
      startDelayMs: msOptionalFromDuration(options.startDelay),
      cronSchedule: options.cronSchedule,
      workflowIdReusePolicy: options.workflowIdReusePolicy,
      workflowIdConflictPolicy: options.workflowIdConflictPolicy,
      userMetadata: userMetadataOf(options.staticSummary, options.staticDetails),
      priority: options.priority,
    };
  }

  /** A handle to an existing workflow; no request is made until you use it. */
  getHandle<T extends Workflow = Workflow>(
    workflowId: string,
    runId?: string,
    options?: GetWorkflowHandleOptions,
  ): WorkflowHandle<T> {
    return new WorkflowHandle<T>({
      api: this.#api,
      namespace: this.#namespace,
      identity: this.#identity,
      interceptors: this.#interceptors,
      workflowId,
      runId,
      firstExecutionRunId: options?.firstExecutionRunId,
      followRuns: options?.followRuns,
    });
  }

  /**
   * The runs of the namespace that a list filter matches (Temporal's language: `=`, `!=`, `<`,
   * `>`, `<=`, `>=`, `IN`, `BETWEEN … AND`, `STARTS_WITH`, `IS [NOT] NULL`, `AND`, `OR`,
   * parentheses, `ORDER BY`), fetched page by page as you iterate. Throws
   * `InvalidArgumentError` naming the position of a syntax error.
   * @example
   * for await (const wf of client.workflow.list({ query: "WorkflowType = 'order' AND Customer = 'acme'" })) {
   *   console.log(wf.workflowId, wf.status);
   * }
   */
  list(options: ListOptions = {}): AsyncWorkflowListIterable {
    return workflowListIterable(this.#api, this.#namespace, options);
  }

  /**
   * How many runs of the namespace a list filter matches (all runs without one); a query ending
   * with `GROUP BY ExecutionStatus` also gives how many have each status, in `groups`.
   * @example const { count } = await client.workflow.count("ExecutionStatus = 'Running'");
   * @example const { groups } = await client.workflow.count("WorkflowType = 'order' GROUP BY ExecutionStatus");
   */
  async count(query?: string): Promise<CountWorkflowExecution> {
    return this.#api.countWorkflows({ namespace: this.#namespace, query });
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
  /**
   * Completes, fails and heartbeats activities from outside the worker, by task token or by
   * `{ workflowId, runId?, activityId }`.
   */
  readonly activity: AsyncCompletionClient;
  /** Creates, finds and lists schedules (Temporal's `client.schedule`). */
  readonly schedule: ScheduleClient;

  constructor(options: ClientOptions = {}) {
    options = configureWithPluginsNow(options.plugins, 'configureClient', options, 'new Client');
    this.connection = options.connection ?? defaultConnection();
    this.namespace = options.namespace ?? 'default';
    const identity = options.identity ?? `${process.pid}@${hostname()}`;
    const api = clientApi(this.connection, options.dataConverter);
    this.workflow = new WorkflowClient(
      api,
      this.namespace,
      identity,
      options.interceptors?.workflow ?? [],
    );
    this.activity = new AsyncCompletionClient(api, identity, this.namespace);
    this.schedule = new ScheduleClient(api, this.namespace, options.interceptors?.schedule ?? []);
  }
}
