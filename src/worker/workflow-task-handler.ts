import { ErrorCode, IllegalStateError, RepriseError } from '../errors.ts';
import { encodeFailure } from '../failures.ts';
import { writeTrace } from '../logger.ts';
import type { Logger } from '../logger.ts';
import { QUERY_NOT_REGISTERED } from '../protocol/activation.ts';
import type { QueryResult, SandboxSinkCalls, WorkflowLogEntry } from '../protocol/activation.ts';
import { isCloseCommand } from '../protocol/commands.ts';
import type { Command } from '../protocol/commands.ts';
import type { HistoryEvent } from '../protocol/history-events.ts';
import type {
  ActivityTask,
  EngineApi,
  StickyAttributes,
  WorkflowTask,
} from '../transport/engine-api.ts';
import { KeyedMutex } from '../util/semaphore.ts';
import type { LocalActivityExecutor } from './activities/local-activity-executor.ts';
import { runLocalActivities } from './local-activities.ts';
import { runSinkCalls } from './sinks.ts';
import type { InjectedSinks } from './sinks.ts';
import type { Sinks } from '../workflow/sinks.ts';
import { WorkflowCache } from './workflow-cache.ts';
import type { RunActivationResult, WorkflowRun } from './workflow-run.ts';
import { promiseOf } from '../util/promise-of.ts';
import { withWorkflowMetricsSink } from './worker-metrics.ts';
import type { WorkerMetrics } from './worker-metrics.ts';
import type { HeldSlot } from './task-slots.ts';

/**
 * Eager dispatch of the activities a workflow task schedules on this worker's own queue:
 * `reserve` takes an activity slot (false when none is free or the type is not registered here);
 * the tasks the engine returns run in the reserved slots, the unused ones are released.
 */
export interface EagerActivities {
  readonly taskQueue: string;
  reserve(activityType: string): HeldSlot | false;
  release(slot: HeldSlot): void;
  run(task: ActivityTask, slot: HeldSlot): void;
}

export interface RunIdentity {
  namespace: string;
  workflowId: string;
  runId: string;
  workflowType: string;
}

/**
 * Answers workflow tasks and queries: from the sticky cache when the cached run is exactly one
 * task behind, otherwise by replaying the full history into a fresh run. A run that fails a
 * task, or whose answer the engine refuses, is evicted, so the next task replays from history.
 */
export class WorkflowTaskHandler {
  readonly #api: EngineApi;
  readonly #namespace: string;
  readonly #identity: string;
  readonly #buildId: string | undefined;
  readonly #logger: Logger;
  readonly #createRun: (id: RunIdentity) => WorkflowRun;
  readonly #localActivities: LocalActivityExecutor;
  readonly #eagerActivities: EagerActivities | undefined;
  readonly #sinks: InjectedSinks<Sinks>;
  readonly #metrics: WorkerMetrics;
  readonly #sticky: (() => StickyAttributes | undefined) | undefined;
  readonly #locks = new KeyedMutex();
  readonly cache: WorkflowCache<WorkflowRun>;
  /** Workflow tasks answered from the cache, and by replaying the full history. */
  readonly stats = { cacheHits: 0, fullReplays: 0 };

  constructor(opts: {
    api: EngineApi;
    namespace: string;
    identity: string;
    buildId: string | undefined;
    logger: Logger;
    maxCachedWorkflows: number;
    createRun: (id: RunIdentity) => WorkflowRun;
    /** Runs the local activities a task requests, within the task. */
    localActivities: LocalActivityExecutor;
    eagerActivities?: EagerActivities | undefined;
    /** The `sinks` worker option: what workflow code's sink calls run. */
    sinks?: InjectedSinks<Sinks> | undefined;
    /** The worker's metrics; workflow code's metric values go to their meter through a sink. */
    metrics: WorkerMetrics;
    /** The worker's sticky queue, sent with each answer while the worker runs (engine/sticky.ts). */
    sticky?: (() => StickyAttributes | undefined) | undefined;
  }) {
    this.#api = opts.api;
    this.#namespace = opts.namespace;
    this.#identity = opts.identity;
    this.#buildId = opts.buildId;
    this.#logger = opts.logger;
    this.#createRun = opts.createRun;
    this.#localActivities = opts.localActivities;
    this.#eagerActivities = opts.eagerActivities;
    this.#metrics = opts.metrics;
    this.#sticky = opts.sticky;
    this.#sinks = withWorkflowMetricsSink(opts.sinks, opts.metrics.workflowMeter);
    this.cache = new WorkflowCache(opts.maxCachedWorkflows, (k) => this.#locks.isLocked(k));
  }

  /** Runs with a workflow or query task being answered now (one at a time per run). */
  get inFlight(): number {
    return this.#locks.heldCount;
  }

  handle(task: WorkflowTask): Promise<void> {
    return this.#locks.run(task.runId, () =>
      task.kind === 'query' ? this.#query(task) : this.#workflowTask(task),
    );
  }

  async #workflowTask(task: Extract<WorkflowTask, { kind: 'workflow' }>): Promise<void> {
    const id = { namespace: this.#namespace, ...pickId(task) };
    const receivedMs = Date.now();
    const startedAt = this.#metrics.startTime();
    this.#metrics.workflowTaskStarted(task.events);
    let run = this.#cachedAt(task.runId, task.previousStartedEventId);
    let events = task.events;
    if (!run || events[0]?.eventId !== task.previousStartedEventId + 1) {
      this.cache.evict(task.runId);
      events = await this.#historyFor(task);
      run = this.#createRun(id);
      this.cache.set(task.runId, run);
      this.stats.fullReplays++;
    } else {
      this.stats.cacheHits++;
    }
    let result: RunActivationResult;
    try {
      result = await run.activateShared(events, task.updates);
      if (result.status === 'success' && result.localActivities !== undefined) {
        // Local activities run within this task: its answer must leave before the task times
        // out, so they get 80 % of the workflow task timeout (docs/workflows.md).
        result = await runLocalActivities(run, result, this.#localActivities, {
          ...id,
          taskDeadlineMs: receivedMs + Math.floor(run.workflowTaskTimeoutMs * 0.8),
          priority: run.priority,
        });
      }
    } catch (e) {
      result = {
        status: 'failed',
        cause: 'WorkflowError',
        failure: encodeFailure(e),
        logs: [],
        evict: true,
      };
    }
    this.#emitLogs(id, result.logs);
    // As Temporal: once the activations are done, failed or not, before the task is answered.
    const sinkCalls = run.takeSinkCalls();
    const sinksRunning = sinkCalls === undefined ? undefined : this.#runSinkCalls(id, sinkCalls);
    if (sinksRunning !== undefined) await sinksRunning;
    if (result.status === 'failed') {
      this.cache.evict(task.runId);
      const attrs = {
        workflowId: task.workflowId,
        runId: task.runId,
        cause: result.cause,
        err: result.failure.message,
      };
      // Given up at shutdown, the task is handed back, not failed: the engine schedules it again
      // at once on the same attempt (test: test/e2e/local-activities.test.ts, shutdown).
      if (result.workerShutdown === true) {
        this.#logger.info(
          attrs,
          'workflow task handed back at shutdown; the engine schedules it again at once',
        );
      } else {
        this.#logger.warn(attrs, 'workflow task failed; the engine retries it');
      }
      await this.#answer(() =>
        this.#api.failWorkflowTask({
          taskToken: task.taskToken,
          identity: this.#identity,
          cause: result.cause,
          failure: result.failure,
          ...(result.workerShutdown === true && { workerShutdown: true }),
        }),
      );
      this.#taskDone(id, startedAt, result.workerShutdown !== true);
      return;
    }
    const { commands, reserved } = this.#reserveEagerActivities(result.commands);
    let activityTasks: ActivityTask[] = [];
    let accepted: boolean | undefined;
    try {
      accepted = await this.#answer(() =>
        this.#api
          .completeWorkflowTask({
            taskToken: task.taskToken,
            identity: this.#identity,
            commands,
            buildId: this.#buildId,
            sdkFlags: result.sdkFlags,
            // The run stays in memory unless it closes: its next task should come here.
            stickyAttributes: result.commands.some(isCloseCommand) ? undefined : this.#sticky?.(),
          })
          .then((res) => {
            activityTasks = res.activityTasks ?? [];
            return res.accepted;
          }),
      );
    } finally {
      if (reserved !== undefined) this.#dispatchEager(activityTasks, reserved);
    }
    if (accepted !== true || result.commands.some(isCloseCommand)) this.cache.evict(task.runId);
    // A run the cache did not keep (size 0, or trimmed) is done with.
    if (!this.cache.holds(task.runId, run)) run.dispose();
    if (this.#metrics.enabled) {
      this.#taskDone(id, startedAt, false);
      if (accepted === true) this.#metrics.workflowClosed(result.commands, id.workflowType);
    }
  }

  /**
   * Records a workflow task's latency from its receipt to its answer sent, whether it failed (a
   * task handed back at shutdown did not), and the cache's size after it.
   */
  #taskDone(id: RunIdentity, startedAt: number, failed: boolean): void {
    const metrics = this.#metrics;
    if (!metrics.enabled) return;
    const tags = { workflowType: id.workflowType };
    metrics.workflowTaskLatency.record(performance.now() - startedAt, tags);
    if (failed) metrics.workflowTaskFailed.add(1, tags);
    metrics.stickyCacheSize.set(this.cache.size);
  }

  /**
   * The cached run if it has seen exactly the events up to `eventId`, the WorkflowTaskStarted
   * of the run's last completed task. One behind it missed tasks that another worker answered;
   * one ahead of it holds a task whose answer history did not record (it timed out, or it was a
   * speculative task dropped after rejecting updates). Either is evicted by its next task, and
   * answers no query meanwhile. Test: test/e2e/sticky-cache.test.ts.
   */
  #cachedAt(runId: string, eventId: number): WorkflowRun | undefined {
    const run = this.cache.get(runId);
    return run?.lastEventId === eventId ? run : undefined;
  }

  /**
   * The whole history up to `task`'s WorkflowTaskStarted, for a fresh run: the stored events
   * before the task's first event, then the task's own. The task's events are not all stored
   * (yet): a speculative task's WorkflowTaskScheduled/Started are written only if something comes
   * of it (engine/speculative-task.ts), and an activity result handed back with its workflow
   * task commits with the task's answer (ADR 0007). Test: test/e2e/sticky-cache.test.ts.
   */
  async #historyFor(task: Extract<WorkflowTask, { kind: 'workflow' }>): Promise<HistoryEvent[]> {
    // A run's first task (or any while none completed) carries its whole history already.
    const first = task.events[0]?.eventId ?? 1;
    if (first === 1) return task.events;
    const full = await this.#api.getHistory({
      namespace: this.#namespace,
      workflowId: task.workflowId,
      runId: task.runId,
    });
    const stored = full.events.filter((e) => e.eventId < first);
    if (stored.at(-1)?.eventId !== first - 1) {
      throw new IllegalStateError(
        `Run ${task.runId}: its stored history ends at event ${String(stored.at(-1)?.eventId ?? 0)}, ` +
          `but workflow task ${task.startedEventId} carries events from ${first} on; the engine ` +
          `handed out events that do not follow its history.`,
      );
    }
    return [...stored, ...task.events];
  }

  /**
   * Marks the activities this worker has a free slot for to be started eagerly: the slots
   * reserved, undefined when none is.
   */
  #reserveEagerActivities(commands: Command[]): {
    commands: Command[];
    reserved: HeldSlot[] | undefined;
  } {
    const eager = this.#eagerActivities;
    if (eager === undefined) return { commands, reserved: undefined };
    let reserved: HeldSlot[] | undefined;
    const out = commands.map((c) => {
      if (c.type !== 'ScheduleActivityTask' || c.taskQueue !== eager.taskQueue) return c;
      if (c.requestEagerExecution === false) return c; // allowEagerDispatch: false
      const slot = eager.reserve(c.activityType);
      if (slot === false) return c;
      (reserved ??= []).push(slot);
      return { ...c, requestEagerExecution: true };
    });
    return { commands: out, reserved };
  }

  /** Runs the activity tasks the engine started eagerly in the slots reserved; frees the rest. */
  #dispatchEager(tasks: ActivityTask[], reserved: HeldSlot[]): void {
    const eager = this.#eagerActivities;
    if (eager === undefined) return;
    for (const [i, slot] of reserved.entries()) {
      const task = tasks[i];
      if (task === undefined) eager.release(slot);
      else eager.run(task, slot);
    }
  }

  async #query(task: Extract<WorkflowTask, { kind: 'query' }>): Promise<void> {
    const q = {
      queryType: task.queryType,
      args: task.args,
      ...(task.header !== undefined && { headers: task.header }),
    };
    const id = { namespace: this.#namespace, ...pickId(task) };
    let result: QueryResult;
    let sinkCalls: SandboxSinkCalls[] | undefined;
    let logs: WorkflowLogEntry[] | undefined;
    try {
      // Only a run at the last completed task answers: it is the state the query reads.
      const cached = this.#cachedAt(task.runId, task.previousStartedEventId);
      if (cached) {
        try {
          result = cached.query(q);
        } finally {
          logs = cached.takeQueryLogs();
          sinkCalls = cached.takeSinkCalls();
        }
        if (!cached.usable) this.cache.evict(task.runId); // a handler that never yielded
      } else {
        const full = await this.#api.getHistory({
          namespace: this.#namespace,
          workflowId: task.workflowId,
          runId: task.runId,
        });
        const run = this.#createRun(id);
        try {
          result = run.query(q, full.events);
        } finally {
          logs = run.takeQueryLogs();
          sinkCalls = run.takeSinkCalls();
          run.dispose();
        }
      }
    } catch (e) {
      result = { status: 'failed', failure: encodeFailure(e) };
    }
    // As Temporal's: the handler's lines (its logger is a sink) once the query is done.
    if (logs !== undefined) this.#emitLogs(id, logs);
    const sinksRunning = sinkCalls === undefined ? undefined : this.#runSinkCalls(id, sinkCalls);
    if (sinksRunning !== undefined) await sinksRunning;
    await this.#api.respondQueryTask({
      queryId: task.queryId,
      result:
        result.status === 'success'
          ? result
          : {
              status: 'failed',
              failure: result.failure,
              notRegistered:
                result.failure.info.type === 'application' &&
                result.failure.info.errorType === QUERY_NOT_REGISTERED,
            },
    });
  }

  /**
   * Sends an answer; a task that is no longer current is dropped (a newer one carries on). A
   * promise chain, not an async function: two promises fewer on every task.
   */
  #answer<T>(send: () => Promise<T>): Promise<T | undefined> {
    return promiseOf(send).catch((e: unknown) => {
      if (e instanceof RepriseError && e.code === ErrorCode.WorkflowTaskNotFound) {
        this.#logger.info({ err: e.message }, 'workflow task answer dropped');
        return undefined;
      }
      throw e;
    });
  }

  /** Runs the sink calls (sinks.ts); a promise only when a sink function returned one. */
  #runSinkCalls(id: RunIdentity, calls: SandboxSinkCalls[]): Promise<void> | undefined {
    return runSinkCalls(this.#sinks, calls, {
      replayWorker: false,
      logger: this.#logger,
      source: id,
    });
  }

  #emitLogs(id: RunIdentity, logs: WorkflowLogEntry[]): void {
    for (const l of logs) {
      const attrs = {
        ...l.attrs,
        workflowId: id.workflowId,
        runId: id.runId,
        workflowType: id.workflowType,
      };
      if (l.level === 'trace') writeTrace(this.#logger, attrs, l.message);
      else this.#logger[l.level](attrs, l.message);
    }
  }
}

function pickId(t: { workflowId: string; runId: string; workflowType: string }): {
  workflowId: string;
  runId: string;
  workflowType: string;
} {
  return { workflowId: t.workflowId, runId: t.runId, workflowType: t.workflowType };
}
