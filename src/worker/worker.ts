import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { Client } from '../client/client.ts';
import { defaultConnection } from '../transport/connect.ts';
import { withDataConverter } from '../common/data-converter-api.ts';
import { loadDataConverter } from '../common/data-converter.ts';
import type { DataConverter, LoadedDataConverter } from '../common/data-converter.ts';
import {
  CombinedWorkerRunError,
  EngineClosedError,
  GracefulShutdownPeriodExpiredError,
  IllegalStateError,
  InvalidArgumentError,
  PromiseCompletionTimeoutError,
  ensureError,
} from '../errors.ts';
import type { WorkerInterceptors } from './interceptors.ts';
import type { Logger } from '../logger.ts';
import { msFromDuration } from '../protocol/duration.ts';
import type { Duration } from '../protocol/duration.ts';
import type {
  ActivityTask,
  EngineApi,
  StickyAttributes,
  WorkflowTask,
} from '../transport/engine-api.ts';
import { MAX_STICKY_SCHEDULE_TO_START_MS } from '../transport/engine-api.ts';
import { ActivityRunner } from './activities/activity-runner.ts';
import type { ActivityFunctions } from './activities/activity-runner.ts';
import { LocalActivityExecutor } from './activities/local-activity-executor.ts';
import { POLL_WAIT_MS, runInSlot, runPollLoops } from './poll-loop.ts';
import type { PollerState, PollerStatus } from './poll-loop.ts';
import { taskSlots } from './task-slots.ts';
import type { TaskSlots } from './task-slots.ts';
import { resolveTuner } from './worker-tuner.ts';
import type { ResolvedTuner, WorkerTuner } from './worker-tuner.ts';
import type { LocalActivityRequest } from '../protocol/local-activity.ts';
import { loadWorkflows } from './workflow-loader.ts';
import { nativeWatchdogUnavailable } from './sandbox/native-watchdog.ts';
import { pluggedWorkflowSourceOf } from './workflow-bundle.ts';
import { configureWithPlugins } from '../common/plugins.ts';
import type { WorkerPlugin } from './plugin.ts';
import type { BundlerOptions, WorkflowBundleOption } from './workflow-bundle.ts';
import type { LoadedWorkflows } from './workflow-loader.ts';
import { WorkflowTaskHandler } from './workflow-task-handler.ts';
import { defaultMaxCachedWorkflows } from './workflow-cache.ts';
import { runReplayHistories, runReplayHistory } from './replay.ts';
import { assertSinks } from './sinks.ts';
import type { InjectedSinks } from './sinks.ts';
import type { Sinks } from '../workflow/sinks.ts';
import type { MetricMeter } from '../common/metrics.ts';
import { WorkerMetrics } from './worker-metrics.ts';
import { Runtime } from './runtime.ts';

export interface WorkerOptions {
  /**
   * `await NativeConnection.connect({ address })`, or `engine.connection` in-process. Default: a
   * connection over HTTP to `127.0.0.1:7233` (`npx reprise dev`), as Temporal's worker connects
   * to `localhost:7233`.
   */
  readonly connection?: EngineApi | undefined;
  readonly namespace?: string | undefined;
  readonly taskQueue: string;
  /** The module exporting the workflow functions: `.ts` or `.js`, ESM or CommonJS. */
  readonly workflowsPath?: string | undefined;
  /**
   * The workflows bundled ahead of time by `bundleWorkflowCode` (instead of `workflowsPath`):
   * `{ code }`, or `{ codePath }` of a file holding it. The worker then starts without bundling.
   */
  readonly workflowBundle?: WorkflowBundleOption | undefined;
  /**
   * How `workflowsPath` is bundled: `ignoreModules`, modules left out of the bundle (using one
   * in workflow code throws, naming it). Temporal's; with `workflowBundle`, give them to
   * `bundleWorkflowCode` instead.
   */
  readonly bundlerOptions?: BundlerOptions | undefined;
  readonly activities?: object | undefined;
  /** Workflow tasks (and queries) run at once, at most. Default 40. */
  readonly maxConcurrentWorkflowTaskExecutions?: number | undefined;
  /** Activities run at once, at most. Default 100. */
  readonly maxConcurrentActivityTaskExecutions?: number | undefined;
  /**
   * Local activity attempts run at once, at most. Default 100, as Temporal's. An attempt past it
   * waits for a slot, for at most its `scheduleToStartTimeout`.
   */
  readonly maxConcurrentLocalActivityExecutions?: number | undefined;
  /**
   * Workflow-task long-polls kept open at once. Default: half of
   * maxConcurrentWorkflowTaskExecutions, rounded up, at most 20, and never fewer than min(10,
   * maxConcurrentWorkflowTaskExecutions): 20 of the default 40.
   */
  readonly maxConcurrentWorkflowTaskPolls?: number | undefined;
  /** Activity-task long-polls kept open at once. Default min(10, maxConcurrentActivityTaskExecutions). */
  readonly maxConcurrentActivityTaskPolls?: number | undefined;
  /**
   * Temporal's worker tuner: how the slots of each kind of task are handed out, instead of the
   * three `maxConcurrent…Executions` options (refused beside it). A supplier per kind, each
   * `{ type: 'fixed-size', numSlots }`, `{ type: 'resource-based', tunerOptions, minimumSlots?,
   * maximumSlots?, rampThrottle? }` or your `{ type: 'custom', reserveSlot, tryReserveSlot,
   * markSlotUsed, releaseSlot }`; or `{ tunerOptions: { targetMemoryUsage, targetCpuUsage } }`
   * for resource-based slots of every kind. Without a count of slots (custom, resource-based),
   * each kind's polls default to 10 (docs/workflows.md#worker-tuner).
   */
  readonly tuner?: WorkerTuner | undefined;
  /**
   * Runs kept in memory between tasks (the sticky cache); 0 replays every task. Default: an
   * eighth of the V8 heap limit at 64 KiB a run, between 100 and 10,000 (8,288 under a 4 GiB
   * limit, node's default on a 64-bit machine with 16 GiB of memory or more).
   */
  readonly maxCachedWorkflows?: number | undefined;
  /**
   * How long a workflow task of a run this worker keeps in memory waits on the worker's sticky
   * queue for it, before it goes to the task queue, where any worker may take it and replay the
   * run (Temporal's option of the same name; docs/workflows.md#sticky-queues). Default `'10s'`.
   * Without a cache (`maxCachedWorkflows: 0`) the worker has no sticky queue.
   */
  readonly stickyQueueScheduleToStartTimeout?: Duration | undefined;
  /** How long running activities may finish after shutdown begins before they are cancelled. */
  readonly shutdownGraceTime?: Duration | undefined;
  /**
   * How long after shutdown begins the worker may take to stop before it gives up: `run()` then
   * rejects with `GracefulShutdownPeriodExpiredError` (state `FAILED`), abandoning the tasks and
   * activity code still running; exit the process. Unset (the default), the worker waits for
   * them however long they take, as Temporal's does.
   */
  readonly shutdownForceTime?: Duration | undefined;
  /** Recorded on each workflow task this worker completes. */
  readonly buildId?: string | undefined;
  readonly identity?: string | undefined;
  /**
   * Where the worker logs (pino's call shape, so a pino instance fits as is). Default: the child of
   * the logger given to `Runtime.install`, else pino to stderr at `REPRISE_LOG_LEVEL` (default
   * `warn`).
   */
  readonly logger?: Logger | undefined;
  /**
   * Temporal's data converter: `payloadConverter` (or `payloadConverterPath`) and
   * `payloadCodecs`. Payloads are encoded before they reach the engine and decoded after, outside
   * the sandbox (docs/data-converter.md).
   */
  readonly dataConverter?: DataConverter | undefined;
  /**
   * Temporal's worker interceptors: `activity` factories wrap every activity and local activity
   * attempt; `workflowModules` (needs `workflowsPath`) are bundled with the workflows, and the
   * `interceptors` factory each exports is called once per run, inside the sandbox.
   */
  readonly interceptors?: WorkerInterceptors | undefined;
  /**
   * Temporal's sinks: the functions workflow code calls through `proxySinks()`, by sink and
   * function name, each `{ fn(info, ...args), callDuringReplay? }` (docs/workflows.md#sinks-sending-data-out-of-workflow-code).
   */
  readonly sinks?: InjectedSinks<Sinks> | undefined;
  /**
   * Where metrics go: the values workflow code (`metricMeter` from `reprise/workflow`) and
   * activities (`Context.current().metricMeter`) record, and the worker's own (`reprise_*`,
   * docs/metrics.md), all tagged `namespace` and `taskQueue`. `prometheusMeter(registry)`
   * (`reprise/prometheus`) sends them to a `prom-client` registry. Replaces Temporal's
   * `Runtime.install({ telemetryOptions })`, which Reprise's `Runtime` refuses. Default: the no-op
   * meter, and the worker measures nothing.
   */
  readonly metricMeter?: MetricMeter | undefined;
  /**
   * Turns off deadlock detection, so that a debugger can stop in workflow code (Temporal's
   * `debugMode`): no call into workflow code is interrupted, and an endless loop in it hangs the
   * worker. Default: false, or true when the environment sets `REPRISE_DEBUG=1`.
   */
  readonly debugMode?: boolean | undefined;
  /**
   * Temporal's worker plugins: each one's `configureWorker` is given these options, in the order
   * listed, and the worker uses what the last returns; their `runWorker` wrap `run()`, the first
   * listed outermost; those with `configureBundler` configure the bundling of `workflowsPath`
   * (docs/plugins.md).
   */
  readonly plugins?: readonly WorkerPlugin[] | undefined;
}

export interface WorkerStatus {
  runState: WorkerState;
  /**
   * The workflow-task polls: `POLLING` (also before `run()`, as Temporal's), `SHUTDOWN` once
   * they stopped for `shutdown()` (from `run()` on without workflows), `FAILED` once they
   * stopped because the engine closed.
   */
  workflowPollerState: PollerState;
  /** The activity-task polls, as `workflowPollerState` (`SHUTDOWN` from `run()` on without activities). */
  activityPollerState: PollerState;
  /** Whether a workflow-task poll is waiting for the engine's answer now. */
  hasOutstandingWorkflowPoll: boolean;
  /** Whether an activity-task poll is waiting for the engine's answer now. */
  hasOutstandingActivityPoll: boolean;
  /**
   * Running activities that have called `heartbeat()`, until they end (local activities do not
   * heartbeat).
   */
  numHeartbeatingActivities: number;
  numCachedWorkflows: number;
  /** Runs with a workflow (or query) task being answered now, local activities included. */
  numInFlightWorkflowActivations: number;
  /** Activities and local activities running now. */
  numInFlightActivities: number;
  numInFlightNonLocalActivities: number;
  /**
   * Local activities running now, counting the backoffs between their attempts and the code of
   * attempts no workflow task waits for any more (handed back at shutdown, timed out,
   * abandoned), which `shutdown()` waits for.
   */
  numInFlightLocalActivities: number;
  /** Workflow tasks answered by a cached run, one activation each. */
  workflowTasksFromCache: number;
  /** Workflow tasks that replayed the run's full history (cache miss, eviction, stale cache). */
  workflowTasksReplayed: number;
  /** As numInFlightNonLocalActivities. */
  numRunningActivities: number;
}

/**
 * `FAILED`: the worker stopped on an error that will not pass (its engine closed); `run()`
 * rejected with it. As Temporal's, without `DRAINING` and `DRAINED`.
 */
export type WorkerState = 'INITIALIZED' | 'RUNNING' | 'STOPPING' | 'STOPPED' | 'FAILED';

export interface RunUntilOptions {
  /**
   * How long `runUntil` still waits for its promise once the worker has stopped without it (a
   * `shutdown()` from elsewhere), before it rejects with `PromiseCompletionTimeoutError`.
   * Default 0: it does not wait, as in Temporal.
   */
  readonly promiseCompletionTimeout?: Duration | undefined;
}

/**
 * Activity long-polls unless set (Temporal's default), and the fewest workflow ones. In-process a
 * waiting poll costs a promise; the more there are, the more tasks are handed straight to this
 * worker in the transaction that schedules them (sync match) instead of through a task row.
 */
const DEFAULT_POLLS = 10;

/** Temporal's default for `stickyQueueScheduleToStartTimeout`. */
const DEFAULT_STICKY_TIMEOUT = '10s';

/**
 * The worker's `stickyQueueScheduleToStartTimeout` in milliseconds (default 10 s), which the
 * engine takes from 1 ms to 1 day: anything else is refused here, not on every answer.
 */
function stickyTimeoutMsOf(options: WorkerOptions): number {
  const given = options.stickyQueueScheduleToStartTimeout;
  let ms: number;
  try {
    ms = msFromDuration(given ?? DEFAULT_STICKY_TIMEOUT);
  } catch (e) {
    throw new InvalidArgumentError(
      `Worker option stickyQueueScheduleToStartTimeout: ${ensureError(e).message} It is how long a workflow task waits on the worker’s sticky queue before any worker may take it.`,
    );
  }
  if (!(Number.isInteger(ms) && ms >= 1 && ms <= MAX_STICKY_SCHEDULE_TO_START_MS)) {
    throw new InvalidArgumentError(
      `Worker option stickyQueueScheduleToStartTimeout must be a whole number of milliseconds from 1 ms to 1 day (got ${String(given)}).`,
    );
  }
  return ms;
}

/**
 * The default workflow-task polls: half the slots, at most 20, never fewer than
 * min(DEFAULT_POLLS, slots). A poll holds its slot, so under a backlog the split decides the
 * worker's share of queued tasks (runs waiting for a worker, as after a restart) against the runs
 * it holds, whose next tasks come back eagerly into the other slots: with 10 of 40, the last of
 * 200 runs left by a dead worker moved again 1.1 s after the kill, with 20 after 0.93 s; more
 * steps then go through the queue (W2: 10–25 % fewer steps/s). docs/performance.md and
 * bench/RESULTS.md (eighth pass) have the figures.
 */
function defaultWorkflowPolls(slots: number): number {
  return Math.max(Math.min(DEFAULT_POLLS, slots), Math.min(20, Math.ceil(slots / 2)));
}

const COUNT_OPTIONS = [
  'maxConcurrentWorkflowTaskExecutions',
  'maxConcurrentActivityTaskExecutions',
  'maxConcurrentLocalActivityExecutions',
  'maxConcurrentWorkflowTaskPolls',
  'maxConcurrentActivityTaskPolls',
] as const;

/** How often a running worker re-announces what it serves. */
const REGISTER_EVERY_MS = 30_000;

/**
 * Polls a task queue for workflow and activity tasks and runs them: workflows in the
 * deterministic sandbox (with a sticky cache), activities with their context, heartbeats and
 * cancellation.
 * @example
 * const worker = await Worker.create({ connection: engine.connection, taskQueue: 'claims',
 *   workflowsPath: new URL('./workflows.ts', import.meta.url).pathname, activities });
 * await worker.runUntil(client.workflow.execute(processClaim, { … }));
 */
export class Worker {
  readonly options: WorkerOptions;
  readonly #api: EngineApi;
  readonly #namespace: string;
  readonly #identity: string;
  /** The worker's sticky queue (engine/sticky.ts); undefined without workflows or a cache. */
  readonly #stickyQueue: StickyAttributes | undefined;
  readonly #logger: Logger;
  readonly #activities: ActivityFunctions;
  readonly #workflows: LoadedWorkflows | undefined;
  readonly #workflowHandler: WorkflowTaskHandler | undefined;
  /** Runs the local activities of workflow tasks (unused without workflows). */
  readonly #localActivities: LocalActivityExecutor;
  readonly #activityRunner: ActivityRunner;
  readonly #stop = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  /** Execution slots, shared by polled tasks and tasks dispatched eagerly. */
  readonly #workflowSlots: TaskSlots<WorkflowTask>;
  readonly #activitySlots: TaskSlots<ActivityTask>;
  readonly #metrics: WorkerMetrics;
  #state: WorkerState = 'INITIALIZED';
  readonly #workflowPolls: PollerStatus = { state: 'POLLING', outstanding: 0 };
  readonly #activityPolls: PollerStatus = { state: 'POLLING', outstanding: 0 };
  #running: Promise<void> | undefined;
  /** The error that stopped the worker (its engine closed): run() rejects with it. */
  #fatal: Error | undefined;
  /** Fails run() when shutdownForceTime passes before the worker stopped (set by run()). */
  #forceFail: ((e: Error) => void) | undefined;
  #forceTimer: NodeJS.Timeout | undefined;
  /** Set by runUntil when its promise settles before a plugin's runWorker started the worker. */
  #stopOnStart = false;

  private constructor(
    options: WorkerOptions & { readonly connection: EngineApi },
    workflows: LoadedWorkflows | undefined,
    api: EngineApi,
    dataConverter: LoadedDataConverter | undefined,
    logger: Logger,
    tuner: ResolvedTuner | undefined,
    stickyTimeoutMs: number,
  ) {
    this.options = options;
    this.#api = api;
    this.#namespace = options.namespace ?? 'default';
    this.#identity = options.identity ?? `${process.pid}@${hostname()}`;
    this.#logger = logger;
    this.#activities = collectActivities(options.activities);
    this.#workflows = workflows;
    // Every open poll listens for the stop (maxConcurrent*TaskPolls of each kind).
    setMaxListeners(0, this.#stop.signal);
    const slotsContext = {
      taskQueue: options.taskQueue,
      workerIdentity: this.#identity,
      workerBuildId: options.buildId ?? '',
      logger,
    };
    this.#workflowSlots = taskSlots(
      'workflow',
      tuner?.workflow,
      options.maxConcurrentWorkflowTaskExecutions ?? 40,
      slotsContext,
      (task: WorkflowTask, eager) => ({
        type: 'workflow',
        workflowType: task.workflowType,
        isSticky: eager,
      }),
    );
    this.#activitySlots = taskSlots(
      'activity',
      tuner?.activity,
      options.maxConcurrentActivityTaskExecutions ?? 100,
      slotsContext,
      (task: ActivityTask) => ({ type: 'activity', activityType: task.activityType }),
    );
    const localSupplier = tuner?.['local-activity'];
    const localSlots = options.maxConcurrentLocalActivityExecutions ?? 100;
    this.#metrics = new WorkerMetrics(
      options.metricMeter,
      { namespace: this.#namespace, taskQueue: options.taskQueue },
      this.#logger,
    );
    // Temporal's Context.client: one client per worker, made when an activity first asks.
    let client: Client | undefined;
    const activityClient = (): Client =>
      (client ??= new Client({
        connection: options.connection,
        namespace: this.#namespace,
        identity: this.#identity,
        dataConverter: options.dataConverter,
      }));
    this.#localActivities = new LocalActivityExecutor({
      activities: this.#activities,
      taskQueue: options.taskQueue,
      logger: this.#logger,
      interceptors: options.interceptors?.activity,
      dataConverter,
      client: activityClient,
      metrics: this.#metrics,
      slots: taskSlots(
        'local-activity',
        localSupplier,
        localSlots,
        slotsContext,
        (request: LocalActivityRequest) => ({
          type: 'local-activity',
          activityType: request.activityType,
        }),
      ),
      slotsName:
        localSupplier === undefined
          ? `one of the worker's ${localSlots} local activity slots (maxConcurrentLocalActivityExecutions)`
          : localSupplier.type === 'fixed-size'
            ? `one of the worker's ${localSupplier.numSlots} local activity slots (its tuner's localActivityTaskSlotSupplier)`
            : "a local activity slot from the worker's tuner (its localActivityTaskSlotSupplier)",
    });
    const cacheSize = options.maxCachedWorkflows ?? defaultMaxCachedWorkflows();
    // The worker's own queue, for the runs it keeps in memory: a name no other worker has.
    this.#stickyQueue =
      workflows !== undefined && cacheSize > 0
        ? {
            workerTaskQueue: `${options.taskQueue}/sticky/${this.#identity}/${randomUUID()}`,
            scheduleToStartTimeoutMs: stickyTimeoutMs,
          }
        : undefined;
    this.#workflowHandler = workflows
      ? new WorkflowTaskHandler({
          api: this.#api,
          namespace: this.#namespace,
          identity: this.#identity,
          buildId: options.buildId,
          logger: this.#logger,
          maxCachedWorkflows: cacheSize,
          // Not once the worker stops: its sticky queue is polled no more.
          sticky: () => (this.#state === 'RUNNING' ? this.#stickyQueue : undefined),
          createRun: (id) => workflows.createRun(id),
          localActivities: this.#localActivities,
          sinks: options.sinks,
          metrics: this.#metrics,
          eagerActivities: {
            taskQueue: options.taskQueue,
            reserve: (type) =>
              this.#state === 'RUNNING' &&
              this.#activityFor(type) !== undefined &&
              this.#activitySlots.tryAcquire(),
            release: (slot) => {
              this.#activitySlots.release(slot);
            },
            run: (task, slot) => {
              runInSlot(this.#activityLoop(), task, slot);
            },
          },
        })
      : undefined;
    this.#activityRunner = new ActivityRunner({
      api: this.#api,
      identity: this.#identity,
      logger: this.#logger,
      interceptors: options.interceptors?.activity,
      client: activityClient,
      metrics: this.#metrics,
      eagerWorkflowTasks: {
        reserve: (runId) =>
          this.#state === 'RUNNING' &&
          this.#workflowHandler?.cache.get(runId) !== undefined &&
          this.#workflowSlots.tryAcquire(),
        release: (slot) => {
          this.#workflowSlots.release(slot);
        },
        run: (task, slot) => {
          runInSlot(this.#workflowLoop(), task, slot);
        },
      },
    });
  }

  /**
   * Bundles the workflows (esbuild; no configuration), prepares the sandbox and registers with
   * the engine. Throws if the workflow code imports a Node built-in (move such calls into an
   * activity, or leave the module out with `bundlerOptions.ignoreModules` if they never run in a
   * workflow) or if neither workflows nor activities are given.
   */
  static async create(given: WorkerOptions): Promise<Worker> {
    const configured = await configureWithPlugins(
      given.plugins,
      'configureWorker',
      given,
      'Worker.create',
    );
    const options = { ...configured, connection: configured.connection ?? defaultConnection() };
    if (!options.taskQueue) throw new InvalidArgumentError('Worker needs a taskQueue.');
    if (!options.workflowsPath && !options.workflowBundle && !options.activities) {
      throw new InvalidArgumentError(
        'Worker needs workflowsPath (or workflowBundle), activities, or both: it has nothing to run otherwise.',
      );
    }
    for (const name of COUNT_OPTIONS) {
      const v = options[name];
      if (v !== undefined && !(Number.isInteger(v) && v >= 1)) {
        throw new InvalidArgumentError(
          `Worker option ${name} must be a whole number of at least 1 (got ${String(v)}).`,
        );
      }
    }
    const durations = {
      shutdownGraceTime: 'how long running activities may go on after shutdown()',
      shutdownForceTime: 'how long the worker may take to stop after shutdown() before run() fails',
    } as const;
    for (const [name, what] of Object.entries(durations)) {
      const v = options[name as keyof typeof durations];
      if (v === undefined) continue;
      try {
        msFromDuration(v);
      } catch (e) {
        throw new InvalidArgumentError(
          `Worker option ${name}: ${ensureError(e).message} It is ${what}.`,
        );
      }
    }
    const stickyTimeoutMs = stickyTimeoutMsOf(options);
    const tuner = resolveTuner(options);
    assertSinks(options.sinks);
    const cached = options.maxCachedWorkflows;
    if (cached !== undefined && !(Number.isInteger(cached) && cached >= 0)) {
      throw new InvalidArgumentError(
        `Worker option maxCachedWorkflows must be a whole number of at least 0 (got ${String(cached)}); 0 keeps no run in memory.`,
      );
    }
    // As Temporal's, creating a worker makes the runtime if Runtime.install has not.
    const runtime = Runtime.instance();
    const logger =
      options.logger ?? runtime.childLogger({ component: 'worker', taskQueue: options.taskQueue });
    const source = await pluggedWorkflowSourceOf(options, 'Worker.create');
    const workflows =
      source === undefined
        ? undefined
        : await loadWorkflows(source, {
            debugMode: options.debugMode,
            logger,
            buildId: options.buildId,
          });
    // Payloads leave the worker encoded, through the api; local activities measure their markers
    // encoded too (the engine checks them against its limit as it receives them).
    const dataConverter = await loadDataConverter(options.dataConverter);
    const api = withDataConverter(options.connection, dataConverter);
    const worker = new Worker(
      options,
      workflows,
      api,
      dataConverter,
      logger,
      tuner,
      stickyTimeoutMs,
    );
    if (workflows?.watchdog === 'node-vm') {
      worker.#logger.warn(
        { reason: nativeWatchdogUnavailable() },
        "workflow code is timed by node:vm's deadlock watchdog, a thread per workflow task " +
          '(~0.1–0.3 ms each): the native one is not built; run `npm run build:native`',
      );
    }
    await worker.#register();
    return worker;
  }

  /** Replays a history against workflow code; throws DeterminismViolationError on a mismatch. */
  static readonly runReplayHistory = runReplayHistory;
  /** Replays many histories against one bundle of the code, yielding one result each. */
  static readonly runReplayHistories = runReplayHistories;

  get state(): WorkerState {
    return this.#state;
  }

  /** The worker's state, as `state` gives it: Temporal's `worker.getState()`. */
  getState(): WorkerState {
    return this.#state;
  }

  /** Runs in memory (the sticky cache). */
  get cachedWorkflowCount(): number {
    return this.#workflowHandler?.cache.size ?? 0;
  }

  /** What the worker is doing: its state, cache and task counters. */
  getStatus(): WorkerStatus {
    const nonLocal = this.#activityRunner.runningCount;
    const local = this.#localActivities.runningCount;
    return {
      runState: this.#state,
      workflowPollerState: this.#workflowPolls.state,
      activityPollerState: this.#activityPolls.state,
      hasOutstandingWorkflowPoll: this.#workflowPolls.outstanding > 0,
      hasOutstandingActivityPoll: this.#activityPolls.outstanding > 0,
      numHeartbeatingActivities: this.#activityRunner.heartbeatingCount,
      numCachedWorkflows: this.cachedWorkflowCount,
      numInFlightWorkflowActivations: this.#workflowHandler?.inFlight ?? 0,
      numInFlightActivities: nonLocal + local,
      numInFlightNonLocalActivities: nonLocal,
      numInFlightLocalActivities: local,
      workflowTasksFromCache: this.#workflowHandler?.stats.cacheHits ?? 0,
      workflowTasksReplayed: this.#workflowHandler?.stats.fullReplays ?? 0,
      numRunningActivities: this.#activityRunner.runningCount,
    };
  }

  async #register(): Promise<void> {
    const engine = await this.#api.registerWorker({
      namespace: this.#namespace,
      taskQueue: this.options.taskQueue,
      identity: this.#identity,
      buildId: this.options.buildId,
      workflowTypes: this.#workflows?.workflowTypes ?? [],
      activityTypes: Object.keys(this.#activities),
      signalNames: this.#workflows ? this.#workflows.signalNames : [],
    });
    // Its local activities' markers must keep to the engine's payload limit.
    this.#localActivities.useEngineLimits(engine);
  }

  /**
   * Polls and runs tasks until `shutdown()`, or until one of the runtime's `shutdownSignals`
   * (`Runtime.install`; by default SIGINT, SIGTERM, SIGQUIT and SIGUSR2) shuts it down; resolves
   * once every task in flight is done. Through the `runWorker` of the worker's plugins, the first
   * listed outermost.
   */
  run(): Promise<void> {
    this.#assertNotStarted();
    let run = (worker: Worker): Promise<void> => worker.#start();
    const plugins = this.options.plugins ?? [];
    for (let i = plugins.length - 1; i >= 0; i -= 1) {
      const plugin = plugins[i];
      const runWorker = plugin?.runWorker?.bind(plugin);
      if (runWorker === undefined) continue;
      const next = run;
      run = (worker) => runWorker(worker, next);
    }
    return run(this);
  }

  #assertNotStarted(): void {
    if (this.#state !== 'INITIALIZED') {
      throw new IllegalStateError(
        `Poller was already started: run() was called on a worker that is ${this.#state}. Call run() once; to run again, create a new Worker.`,
      );
    }
  }

  #start(): Promise<void> {
    this.#assertNotStarted();
    this.#state = 'RUNNING';
    const runtime = Runtime.instance();
    const onSignal = (): void => {
      if (this.#state === 'RUNNING') this.#stopping();
    };
    runtime.registerShutdownSignalCallback(onSignal);
    this.#running = new Promise<void>((resolve, reject) => {
      this.#forceFail = reject;
      this.#runLoops().then(resolve, reject);
    }).finally(() => {
      runtime.deregisterShutdownSignalCallback(onSignal);
    });
    // runUntil's promise settled while a plugin's runWorker had not yet started the worker.
    if (this.#stopOnStart) this.#stopping();
    return this.#running;
  }

  /**
   * The worker begins to stop (shutdown(), or its engine closed): with `shutdownForceTime`, run()
   * fails once that has passed unless the worker has stopped by then, as Temporal's worker does.
   */
  #stopping(): void {
    this.#state = 'STOPPING';
    this.#stop.abort();
    const force = this.options.shutdownForceTime;
    if (force === undefined || this.#forceTimer !== undefined) return;
    const forceMs = msFromDuration(force);
    this.#forceTimer = setTimeout(() => {
      if (this.#state !== 'STOPPING') return;
      this.#state = 'FAILED';
      const activities = this.#activityRunner.runningCount;
      const localActivities = this.#localActivities.userCodeRunningCount;
      this.#logger.error(
        { activities, localActivities, tasks: this.#inFlight.size, shutdownForceTimeMs: forceMs },
        'shutdownForceTime passed before the worker stopped: what still runs is abandoned',
      );
      this.#forceFail?.(
        new GracefulShutdownPeriodExpiredError(
          `Timed out while waiting for worker to shutdown gracefully: it had not stopped ${forceMs} ms (shutdownForceTime) after shutdown began, ` +
            `with ${activities} activities, ${localActivities} local activities and ${this.#inFlight.size} tasks still running (their code ignored its cancellation). ` +
            'They are abandoned and their attempts time out in the engine; exit the process, and make the activities honour their cancellationSignal.',
        ),
      );
    }, forceMs);
  }

  async #runLoops(): Promise<void> {
    const signal = this.#stop.signal;
    const registerTimer = setInterval(() => {
      this.#register().catch((e: unknown) => {
        this.#logger.warn({ err: e }, 're-registering failed');
      });
    }, REGISTER_EVERY_MS);
    registerTimer.unref();
    const common = {
      namespace: this.#namespace,
      taskQueue: this.options.taskQueue,
      identity: this.#identity,
    };
    // A closed engine answers no more polls: the worker stops, as Temporal's does on a fatal
    // error, instead of polling it again without end.
    const fatal = (e: unknown): boolean => {
      if (!(e instanceof EngineClosedError)) return false;
      if (this.#fatal === undefined) {
        this.#fatal = e;
        this.#logger.error({ err: e }, 'the engine closed: the worker stops polling and fails');
      }
      if (this.#state === 'RUNNING') this.#stopping();
      this.#stop.abort();
      return true;
    };
    // A kind's polls end SHUTDOWN, or FAILED when the engine closed under them (`fatal` has
    // set #fatal before it stops any loop); a kind with nothing to run is SHUTDOWN at once.
    const stopped = (status: PollerStatus) => (): void => {
      status.state = this.#fatal === undefined ? 'SHUTDOWN' : 'FAILED';
    };
    const loops: Promise<void>[] = [];
    if (this.#workflowHandler) {
      const slots = this.#workflowSlots.size;
      loops.push(
        runPollLoops({
          ...this.#workflowLoop(),
          pollers:
            this.options.maxConcurrentWorkflowTaskPolls ??
            (slots === undefined ? DEFAULT_POLLS : defaultWorkflowPolls(slots)),
          signal,
          fatal,
          status: this.#workflowPolls,
          poll: (s) =>
            this.#api.pollWorkflowTask(
              {
                ...common,
                waitMs: POLL_WAIT_MS,
                stickyTaskQueue: this.#stickyQueue?.workerTaskQueue,
              },
              s,
            ),
        })
          .finally(stopped(this.#workflowPolls))
          // Its polls ended: the engine hands what waits on its sticky queue to other workers
          // now, while the tasks in flight (and activities) finish.
          .then(() => this.#releaseStickyQueue()),
      );
    } else {
      stopped(this.#workflowPolls)();
    }
    if (Object.keys(this.#activities).length > 0) {
      const slots = this.#activitySlots.size;
      loops.push(
        runPollLoops({
          ...this.#activityLoop(),
          pollers:
            this.options.maxConcurrentActivityTaskPolls ??
            Math.min(slots ?? DEFAULT_POLLS, DEFAULT_POLLS),
          signal,
          fatal,
          status: this.#activityPolls,
          poll: (s) => this.#api.pollActivityTask({ ...common, waitMs: POLL_WAIT_MS }, s),
        }).finally(stopped(this.#activityPolls)),
      );
    } else {
      stopped(this.#activityPolls)();
    }
    try {
      await Promise.all(loops);
      await this.#drain();
    } finally {
      clearInterval(registerTimer);
      clearTimeout(this.#forceTimer);
      this.#workflowHandler?.cache.clear();
      if (this.#workflowHandler) this.#metrics.stickyCacheSize.set(0);
      this.#workflows?.dispose();
      // Failed already if shutdownForceTime passed first.
      if (this.#state !== 'FAILED') this.#state = this.#fatal === undefined ? 'STOPPED' : 'FAILED';
    }
    if (this.#fatal !== undefined) throw this.#fatal;
  }

  /**
   * The worker stopped polling its sticky queue: the engine moves the tasks (and queries) queued
   * there to their runs' own queues now, for the other workers, instead of at their
   * schedule-to-start timeout.
   */
  async #releaseStickyQueue(): Promise<void> {
    const sticky = this.#stickyQueue;
    if (sticky === undefined || this.#fatal !== undefined) return;
    try {
      await this.#api.shutdownWorker({
        namespace: this.#namespace,
        stickyTaskQueue: sticky.workerTaskQueue,
        identity: this.#identity,
      });
    } catch (e) {
      this.#logger.warn(
        { err: e },
        'handing back the sticky queue failed; its workflow tasks go to the task queue at their schedule-to-start timeout',
      );
    }
  }

  /** How workflow tasks run: in a workflow slot, through the handler. */
  #workflowLoop() {
    const handler = this.#workflowHandler;
    const counted = this.#metrics.enabled && this.#workflowSlots.free !== undefined;
    return {
      slots: this.#workflowSlots,
      slotsAvailable: counted ? this.#metrics.workflowSlotsAvailable : undefined,
      logger: this.#logger,
      inFlight: this.#inFlight,
      handle: (task: WorkflowTask) => handler?.handle(task) ?? Promise.resolve(),
    };
  }

  /**
   * The function that runs activity type `type`: the one registered under that name, else the
   * `default` one if registered (Temporal's: `export default` from the activities module).
   */
  #activityFor(type: string): ActivityFunctions[string] | undefined {
    const acts = this.#activities;
    return Object.hasOwn(acts, type) ? acts[type] : acts['default'];
  }

  /** How activity tasks run: in an activity slot, through the runner. */
  #activityLoop() {
    const counted = this.#metrics.enabled && this.#activitySlots.free !== undefined;
    return {
      slots: this.#activitySlots,
      slotsAvailable: counted ? this.#metrics.activitySlotsAvailable : undefined,
      logger: this.#logger,
      inFlight: this.#inFlight,
      handle: (task: ActivityTask) =>
        this.#activityRunner.run(task, this.#activityFor(task.activityType)),
    };
  }

  /**
   * Waits for the tasks in flight. Activities and local activities still running after
   * `shutdownGraceTime` are cancelled (WORKER_SHUTDOWN); a workflow task that waited for local
   * activities is then failed, recording nothing for them, so that the engine hands it to
   * another worker at once (as in Temporal) instead of holding the shutdown until its deadline.
   */
  async #drain(): Promise<void> {
    const graceMs = msFromDuration(this.options.shutdownGraceTime ?? 0);
    const activities = this.#activityRunner.runningCount;
    const localActivities = this.#localActivities.runningCount;
    // A workflow task in flight may still call local activities: they get the grace time too.
    if (this.#inFlight.size > 0) {
      if (activities > 0 || localActivities > 0) {
        this.#logger.info(
          { activities, localActivities, shutdownGraceTimeMs: graceMs },
          'shutting down: running activities and local activities get shutdownGraceTime to finish before they are cancelled',
        );
      }
      // Not unref'd: a process with nothing else to do must still reach the cancellation.
      let graceTimer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((r) => (graceTimer = setTimeout(r, graceMs)));
      await Promise.race([Promise.allSettled([...this.#inFlight]), grace]);
      clearTimeout(graceTimer);
    }
    // A workflow task that calls a local activity from now on is given up at once.
    this.#activityRunner.cancelAll();
    this.#localActivities.shutdown();
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    // The task no longer waits for a local activity it cancelled, timed out or abandoned, but its
    // code may still run: as Temporal's, the worker stops only once every activity has ended.
    const leftRunning = this.#localActivities.userCodeRunningCount;
    if (leftRunning > 0) {
      this.#logger.warn(
        { localActivities: leftRunning },
        'shutting down: waiting for local activities whose code ignored its cancellation to end (shutdownForceTime bounds the wait)',
      );
      await this.#localActivities.userCodeSettled();
    }
  }

  /**
   * Stops polling; running activities and local activities get `shutdownGraceTime` to finish,
   * then see cancellation (`WORKER_SHUTDOWN`) through their AbortSignal, and a workflow task that
   * waited for local activities is handed back, to be retried elsewhere; resolves when every task
   * in flight is done and every activity's code has ended (rejects with
   * GracefulShutdownPeriodExpiredError if `shutdownForceTime` passes first). As in Temporal, only a
   * RUNNING worker can be shut down: otherwise (before `run()`, or a second call) it throws
   * `IllegalStateError` at once, not through the promise.
   */
  shutdown(): Promise<void> {
    if (this.#state !== 'RUNNING') {
      throw new IllegalStateError(
        `Not running. Current state: ${this.#state}. Call shutdown() once, on a worker that run() started; await run() to know when it has stopped.`,
      );
    }
    this.#stopping();
    return this.#running ?? Promise.resolve();
  }

  /**
   * Runs until `fnOrPromise` settles, then shuts down and returns (or throws) what it did. As in
   * Temporal, a worker that stops first (a `shutdown()` from elsewhere) does not leave it waiting:
   * unless the promise settles within `promiseCompletionTimeout` (default 0) after the worker
   * stopped, it rejects with `PromiseCompletionTimeoutError`.
   * @example const result = await worker.runUntil(client.workflow.execute(wf, opts));
   */
  async runUntil<R>(
    fnOrPromise: Promise<R> | (() => Promise<R>),
    options?: RunUntilOptions,
  ): Promise<R> {
    const waitMs = msFromDuration(options?.promiseCompletionTimeout ?? 0);
    const running = this.run();
    let outcome: PromiseSettledResult<R> | undefined;
    const inner = (async () => {
      try {
        // Called inside the try: a function that throws at once still shuts the worker down.
        const value = await (typeof fnOrPromise === 'function' ? fnOrPromise() : fnOrPromise);
        outcome = { status: 'fulfilled', value };
      } catch (reason) {
        outcome = { status: 'rejected', reason };
      } finally {
        // Not if shut down meanwhile (shutdown() throws unless RUNNING); the run ends either way.
        if (this.#state === 'RUNNING') void this.shutdown();
        else if (this.#state === 'INITIALIZED') this.#stopOnStart = true;
      }
    })();
    let workerError: { error: unknown } | undefined;
    try {
      await running;
    } catch (error) {
      workerError = { error };
    }
    if (outcome === undefined) {
      // At least one turn: a function that awaited shutdown() itself returns just after the stop.
      let cancel: () => void = () => undefined;
      const grace = new Promise<void>((r) => {
        if (waitMs > 0) {
          const t = setTimeout(r, waitMs);
          cancel = () => {
            clearTimeout(t);
          };
        } else {
          const t = setImmediate(r);
          cancel = () => {
            clearImmediate(t);
          };
        }
      });
      await Promise.race([inner, grace]);
      cancel();
    }
    const settled: PromiseSettledResult<R> = outcome ?? {
      status: 'rejected',
      reason: new PromiseCompletionTimeoutError(
        `The worker stopped and the promise given to runUntil did not settle within ${waitMs} ms after. ` +
          'Something else shut the worker down first; pass { promiseCompletionTimeout } to wait longer for the promise.',
      ),
    };
    if (workerError !== undefined) {
      if (settled.status === 'fulfilled') throw workerError.error;
      throw new CombinedWorkerRunError(
        'The worker failed in runUntil, and so did the promise it was given: see cause.workerError and cause.innerError.',
        { workerError: workerError.error, innerError: settled.reason },
      );
    }
    if (settled.status === 'rejected') throw settled.reason;
    return settled.value;
  }
}

function collectActivities(activities: object | undefined): ActivityFunctions {
  const out: ActivityFunctions = {};
  if (!activities) return out;
  for (const [name, fn] of Object.entries(activities)) {
    if (typeof fn === 'function') out[name] = fn as ActivityFunctions[string];
  }
  return out;
}
