import {
  CompleteAsyncError,
  base64TaskToken,
  Context,
  cancelAttempt,
  cancellationDetailsOf,
  runInActivityContext,
} from '../../activity/context.ts';
import type { ActivityInfo } from '../../activity/context.ts';
import { DataConverterError, ErrorCode, RepriseError, ensureError } from '../../errors.ts';
import { ApplicationFailure, encodeFailure, isCancelledFailure } from '../../failures.ts';
import type { CancelledFailure } from '../../failures.ts';
import type { Client } from '../../client/client.ts';
import type { Logger } from '../../logger.ts';
import type { ActivityTask, EngineApi, RunWorkflowTask } from '../../transport/engine-api.ts';
import { toPayload, toPayloads } from '../../protocol/payload.ts';
import { decompileRetryPolicy } from '../../protocol/retry-options.ts';
import {
  activityAttemptLogger,
  activityLogger,
  executeWithInterceptors,
  logActivityFailed,
} from '../interceptors.ts';
import type { ActivityInterceptorsFactory } from '../interceptors.ts';
import { promiseOf } from '../../util/promise-of.ts';
import type { WorkerMetrics } from '../worker-metrics.ts';
import type { HeldSlot } from '../task-slots.ts';
import { encodeActivityFailure } from './activity-failure.ts';

export type ActivityFunction = (...args: never[]) => unknown;
export type ActivityFunctions = Record<string, ActivityFunction>;

/** Default heartbeat throttle when the activity has no heartbeat timeout (Temporal's 30 s). */
const DEFAULT_HEARTBEAT_THROTTLE_MS = 30_000;
/** Longest heartbeat throttle, however long the heartbeat timeout (Temporal's 60 s). */
const MAX_HEARTBEAT_THROTTLE_MS = 60_000;
/**
 * How long past its heartbeat timeout an attempt with no heartbeat answered goes on in the
 * worker before the worker aborts it (Temporal's local timeout buffer, 5 s): by then the engine
 * has timed it out, so a heartbeat that was slow to be answered does not cut a live attempt.
 */
const LOCAL_HEARTBEAT_TIMEOUT_BUFFER_MS = 5_000;

/**
 * How long the worker holds an attempt's heartbeats back after sending one (the latest details
 * win): 80% of the heartbeat timeout, 30 s without one, never more than 60 s — Temporal's
 * `min(heartbeatTimeout × 0.8 or 30 s, 60 s)`, so a cancellation reaches an activity that
 * heartbeats within a minute even when its heartbeat timeout is long.
 */
export function heartbeatThrottleMs(heartbeatTimeoutMs: number | undefined): number {
  if (heartbeatTimeoutMs === undefined) return DEFAULT_HEARTBEAT_THROTTLE_MS;
  return Math.min(MAX_HEARTBEAT_THROTTLE_MS, Math.max(1, Math.floor(heartbeatTimeoutMs * 0.8)));
}

/**
 * Eager dispatch of the workflow task an activity result schedules: `reserve` takes a workflow
 * task slot when this worker has the run cached; the task returned then runs in that slot.
 */
export interface EagerWorkflowTasks {
  reserve(runId: string): HeldSlot | false;
  release(slot: HeldSlot): void;
  run(task: RunWorkflowTask, slot: HeldSlot): void;
}

/** Tries of {@link ActivityRunner}'s release of an attempt completed asynchronously. */
const RELEASE_TRIES = 7;

/**
 * Runs one activity attempt: in its own Context (AsyncLocalStorage), with an AbortSignal that
 * fires on cancellation (learned from heartbeats), on the attempt's start-to-close deadline, and
 * on worker shutdown; then reports the result, the failure, or the acknowledged cancellation —
 * except for an attempt cut at its deadline, which the engine's timeout ends, and one a heartbeat
 * found no longer current, which the engine has already ended.
 */
export class ActivityRunner {
  readonly #api: EngineApi;
  readonly #identity: string;
  readonly #logger: Logger;
  readonly #running = new Map<string, AbortController>();
  /** The task tokens of the running attempts that have heartbeated. */
  readonly #heartbeating = new Set<string>();
  readonly #eager: EagerWorkflowTasks | undefined;
  readonly #interceptors: readonly ActivityInterceptorsFactory[];
  readonly #client: () => Client;
  readonly #metrics: WorkerMetrics;

  constructor(opts: {
    api: EngineApi;
    identity: string;
    logger: Logger;
    eagerWorkflowTasks?: EagerWorkflowTasks | undefined;
    /** The worker's `interceptors.activity`. */
    interceptors?: readonly ActivityInterceptorsFactory[] | undefined;
    /** The worker's client, as `Context.current().client`. */
    client: () => Client;
    /** The worker's metrics: its `metricMeter` reaches activities through their Context. */
    metrics: WorkerMetrics;
  }) {
    this.#metrics = opts.metrics;
    this.#api = opts.api;
    this.#identity = opts.identity;
    this.#logger = opts.logger;
    this.#eager = opts.eagerWorkflowTasks;
    this.#interceptors = opts.interceptors ?? [];
    this.#client = opts.client;
  }

  get runningCount(): number {
    return this.#running.size;
  }

  /** Running attempts that have called `heartbeat()`: Temporal's `numHeartbeatingActivities`. */
  get heartbeatingCount(): number {
    return this.#heartbeating.size;
  }

  /**
   * Cancels every running attempt (worker shutdown: reason WORKER_SHUTDOWN, as in Temporal); they
   * report and the engine retries them.
   */
  cancelAll(): void {
    for (const c of this.#running.values()) cancelAttempt(c, 'WORKER_SHUTDOWN');
  }

  async run(task: ActivityTask, fn: ActivityFunction | undefined): Promise<void> {
    const controller = new AbortController();
    this.#running.set(task.taskToken, controller);
    const info = activityInfoOf(task);
    const log = activityAttemptLogger(this.#logger, info);
    const startedMs = Date.now();
    const metrics = this.#metrics;
    const startedAt = metrics.startTime();
    metrics.activityStarted(task);
    const heartbeater = new Heartbeater(this.#api, this.#identity, task, controller, log);
    // Set when this worker cut the attempt at its start-to-close deadline: the attempt is then
    // the engine's to time out (TimeoutFailure, StartToClose), and nothing is reported for it.
    let cut = false as boolean; // `as`: set in the timer, so not always false
    const deadline = setTimeout(() => {
      if (controller.signal.aborted) return;
      cut = true;
      cancelAttempt(controller, 'TIMED_OUT');
    }, task.startToCloseTimeoutMs);
    deadline.unref();
    // Nothing is reported for an attempt this worker cut at its deadline or at its heartbeat
    // timeout, or that a heartbeat found gone: the engine times the first two out, and would
    // refuse an answer for the other.
    const unreported = (): boolean => {
      if (cut) cutAtDeadline(log, task);
      else if (heartbeater.timedOut) cutAtHeartbeatTimeout(log, task);
      else if (heartbeater.gone) goneAtHeartbeat(log);
      else return false;
      return true;
    };
    try {
      if (!fn) {
        // Retryable, as with Temporal's worker: during a rolling deploy, a worker that registers
        // the type (a newer one on the same queue) runs the retry.
        throw ApplicationFailure.retryable(
          `Activity type '${task.activityType}' is not registered on this worker (task queue '${task.taskQueue}'); ` +
            `the attempt is retried by the activity's retry policy. Add it to the worker's activities, or fix the name in proxyActivities.`,
          'NotFoundError',
        );
      }
      const ctx = new Context({
        info,
        controller,
        heartbeat: (d) => {
          // Not once the attempt has ended: a heartbeat after that goes nowhere.
          if (this.#running.has(task.taskToken)) this.#heartbeating.add(task.taskToken);
          heartbeater.beat(d);
        },
        log: activityLogger(this.#interceptors, log),
        client: this.#client,
        metricMeter: metrics.base,
      });
      const result = await runInActivityContext(ctx, () =>
        executeWithInterceptors(this.#interceptors, ctx, task.args, task.header, fn as never),
      );
      const heartbeats = heartbeater.stop();
      if (heartbeats !== undefined) await heartbeats;
      if (unreported()) return;
      metrics.activityEnded(task, startedAt);
      try {
        await this.#complete(task, toPayload(result));
      } catch (e) {
        // A result the dataConverter cannot encode fails the attempt (the catch below), as in
        // Temporal. Contract 7: an oversized result is refused; the attempt fails for good.
        if (!(e instanceof RepriseError && e.code === ErrorCode.PayloadTooLarge)) throw e;
        await this.#report(() =>
          this.#api.failActivityTask({
            taskToken: task.taskToken,
            identity: this.#identity,
            failure: encodeFailure(ApplicationFailure.nonRetryable(e.message, 'PayloadTooLarge')),
          }),
        );
      }
    } catch (e) {
      const heartbeats = heartbeater.stop();
      if (heartbeats !== undefined) await heartbeats;
      if (e instanceof CompleteAsyncError) {
        await this.#release(task, log);
        return;
      }
      if (unreported()) return;
      // Heartbeat details the dataConverter could not encode end the attempt with that error,
      // whatever the activity threw when it was cancelled for it (Temporal's worker does so).
      const err = heartbeater.conversionError ?? ensureError(e);
      // As Temporal's worker decides it: the attempt ended as cancelled only when its signal
      // aborted and it threw a CancelledFailure or an AbortError; any other error fails it (the
      // engine, with the cancellation requested, records that failure and does not retry it).
      // The first reason the signal aborted with is the one kept, as by Temporal's core: an
      // attempt cut for shutdown before the request came ends as the shutdown's failure.
      const why = cancellationDetailsOf(controller);
      const cancelShaped = isCancelledFailure(err) || err.name === 'AbortError';
      if (why?.cancelRequested === true && cancelShaped) {
        // As in Temporal, the details of a CancelledFailure the activity threw are recorded: the
        // workflow's CancelledFailure carries them.
        const details =
          isCancelledFailure(err) && err.details.length > 0 ? cancelDetails(err, log) : undefined;
        await this.#report(() =>
          this.#api.reportActivityTaskCanceled({
            taskToken: task.taskToken,
            identity: this.#identity,
            ...(details !== undefined && { details }),
          }),
        );
        return;
      }
      let failure;
      if (why?.workerShutdown === true && cancelShaped) {
        // Temporal's: the attempt is retried (on another worker, or after the restart).
        failure = encodeFailure(
          ApplicationFailure.retryable(
            'Worker is shutting down and this activity did not complete in time',
            'WorkerShutdown',
          ),
        );
      } else if (isCancelledFailure(err)) {
        // Thrown with no cancellation: reported as Temporal's worker reports any error that is
        // not an ApplicationFailure (its type, the error's name).
        failure = encodeFailure(ApplicationFailure.retryable(err.message, err.name));
      } else {
        failure = encodeActivityFailure(err, task.activityType);
      }
      logActivityFailed(log, err, Date.now() - startedMs);
      metrics.activityEnded(task, startedAt, err);
      await this.#report(() =>
        this.#api.failActivityTask({
          taskToken: task.taskToken,
          identity: this.#identity,
          failure,
          ...(heartbeater.lastDetails !== undefined && {
            lastHeartbeatDetails: [heartbeater.lastDetails],
          }),
        }),
      );
    } finally {
      clearTimeout(deadline);
      this.#running.delete(task.taskToken);
      this.#heartbeating.delete(task.taskToken);
    }
  }

  /** Reports the result, asking for the next workflow task when this worker has the run cached. */
  async #complete(task: ActivityTask, result: unknown): Promise<void> {
    const sink = this.#eager;
    const slot = sink === undefined ? false : sink.reserve(task.runId);
    let next: RunWorkflowTask | undefined;
    try {
      await this.#report(() =>
        this.#api
          .completeActivityTask({
            taskToken: task.taskToken,
            identity: this.#identity,
            result,
            ...(slot !== false && { eagerWorkflowTask: true }),
          })
          .then((res) => {
            next = res.workflowTask;
          }),
      );
    } finally {
      if (slot !== false) {
        if (next === undefined) sink?.release(slot);
        else sink?.run(next, slot);
      }
    }
  }

  /**
   * The attempt goes on outside this worker: its process's exit must not time it out (ADR 0012).
   * Tried up to RELEASE_TRIES times with backoff (about 6 s in all) while the engine is busy or
   * unreachable; not needed once the attempt is no longer current (completed from outside).
   */
  async #release(task: ActivityTask, log: Logger): Promise<void> {
    for (let tried = 1, delayMs = 100; ; tried++, delayMs *= 2) {
      try {
        await this.#api.releaseActivityTask({
          taskToken: task.taskToken,
          identity: this.#identity,
        });
        return;
      } catch (e) {
        if (e instanceof RepriseError && e.code === ErrorCode.ActivityTaskNotFound) return;
        if (tried >= RELEASE_TRIES) {
          log.warn(
            { err: e },
            'releasing an activity completed asynchronously failed: if this process exits before it is completed, the attempt times out and runs again',
          );
          return;
        }
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }

  /** Sends the attempt's outcome. A promise chain, not an async function: two promises fewer. */
  #report(send: () => Promise<void>): Promise<void> {
    return promiseOf(send).catch((e: unknown) => {
      if (e instanceof RepriseError && e.code === ErrorCode.ActivityTaskNotFound) {
        this.#logger.warn(
          { err: e.message },
          'activity answer not recorded: the attempt is no longer current',
        );
        return;
      }
      if (e instanceof RepriseError && e.code === ErrorCode.PayloadTooLarge) throw e;
      if (e instanceof DataConverterError) throw e;
      this.#logger.error(
        { err: e },
        'reporting an activity result failed; the engine retries the attempt after its timeout',
      );
    });
  }
}

/** The details of the CancelledFailure an activity acknowledged with, as payloads; none if not JSON. */
function cancelDetails(err: CancelledFailure, log: Logger): unknown[] | undefined {
  try {
    return toPayloads(err.details);
  } catch (e) {
    log.warn(
      { err: ensureError(e).message },
      'the details of the CancelledFailure the activity threw cannot be encoded: the cancellation is recorded without them',
    );
    return undefined;
  }
}

/**
 * An attempt this worker cut at its start-to-close deadline ended (however it ended): nothing is
 * reported, as with Temporal's worker, so the engine's own timeout records it as a
 * `TimeoutFailure` (StartToClose) and retries by the policy, even when this worker's clock runs
 * ahead of the engine's.
 */
function cutAtDeadline(log: Logger, task: ActivityTask): void {
  log.debug(
    { startToCloseTimeoutMs: task.startToCloseTimeoutMs },
    'activity attempt cut at its start-to-close timeout: not reported; the engine times it out',
  );
}

/**
 * No heartbeat of the attempt was answered for its heartbeat timeout and 5 s more: the worker
 * aborted it, and reports nothing however it ends, as with Temporal's worker (which cancels it
 * with reason TIMED_OUT); the engine's own timeout records it (`TimeoutFailure`, Heartbeat).
 */
function cutAtHeartbeatTimeout(log: Logger, task: ActivityTask): void {
  log.debug(
    { heartbeatTimeoutMs: task.heartbeatTimeoutMs },
    'activity attempt cut at its heartbeat timeout: not reported; the engine times it out',
  );
}

/**
 * A heartbeat of the attempt was answered ActivityTaskNotFound (the attempt timed out, was
 * cancelled or retried, or its run closed): the attempt ended (however it ended) and nothing is
 * reported, as with Temporal's worker, since the engine would refuse any answer.
 */
function goneAtHeartbeat(log: Logger): void {
  log.debug(
    { reason: 'ActivityTaskNotFound' },
    'activity attempt found no longer current by a heartbeat: its outcome is not reported',
  );
}

function activityInfoOf(task: ActivityTask): ActivityInfo {
  const details = task.heartbeatDetails;
  return {
    taskToken: task.taskToken,
    base64TaskToken: base64TaskToken(task.taskToken),
    activityId: task.activityId,
    activityType: task.activityType,
    activityNamespace: task.workflowNamespace,
    taskQueue: task.taskQueue,
    attempt: task.attempt,
    isLocal: false,
    workflowNamespace: task.workflowNamespace,
    workflowType: task.workflowType,
    workflowExecution: { workflowId: task.workflowId, runId: task.runId },
    heartbeatDetails: details === undefined ? undefined : details[0],
    heartbeatTimeoutMs: task.heartbeatTimeoutMs,
    startToCloseTimeoutMs: task.startToCloseTimeoutMs,
    scheduleToCloseTimeoutMs: task.scheduleToCloseTimeoutMs,
    scheduledTimestampMs: task.scheduledTimeMs,
    currentAttemptScheduledTimestampMs: task.currentAttemptScheduledTimeMs,
    startedTimestampMs: task.startedTimeMs,
    retryPolicy: decompileRetryPolicy(task.retryPolicy),
    priority: { ...task.priority },
    idempotencyKey: `${task.runId}:${task.activityId}`,
  };
}

/**
 * Sends heartbeats at most every {@link heartbeatThrottleMs} (the first at once), the latest
 * details winning, and aborts the attempt when the engine says it was cancelled or is gone, or
 * when no heartbeat was answered for the heartbeat timeout (plus a buffer): an activity stuck
 * on something that honours its signal then stops, as under Temporal's worker, instead of
 * running on beside its retry until its start-to-close timeout.
 */
class Heartbeater {
  readonly #api: EngineApi;
  readonly #identity: string;
  readonly #task: ActivityTask;
  readonly #controller: AbortController;
  readonly #log: Logger;
  readonly #throttleMs: number;
  #pending = false;
  #timer: NodeJS.Timeout | undefined;
  #lastSentAt = 0;
  /** The heartbeats sent, one after another; none until the first (most attempts send none). */
  #inFlight: Promise<void> | undefined;
  #stopped = false;
  /** Fires when no heartbeat was answered for the heartbeat timeout and the buffer. */
  readonly #localTimeout: NodeJS.Timeout | undefined;
  /** Set when {@link #localTimeout} aborted the attempt: the engine's to time out. */
  timedOut = false;
  /** Set when a heartbeat was answered ActivityTaskNotFound: the engine ended the attempt. */
  gone = false;
  /** Set when the dataConverter could not encode a heartbeat's details: the attempt fails. */
  conversionError: DataConverterError | undefined;
  lastDetails: unknown;

  constructor(
    api: EngineApi,
    identity: string,
    task: ActivityTask,
    controller: AbortController,
    log: Logger,
  ) {
    this.#api = api;
    this.#identity = identity;
    this.#task = task;
    this.#controller = controller;
    this.#log = log;
    this.#throttleMs = heartbeatThrottleMs(task.heartbeatTimeoutMs);
    if (task.heartbeatTimeoutMs !== undefined) {
      this.#localTimeout = setTimeout(() => {
        if (controller.signal.aborted) return;
        this.timedOut = true;
        cancelAttempt(controller, 'TIMED_OUT');
      }, task.heartbeatTimeoutMs + LOCAL_HEARTBEAT_TIMEOUT_BUFFER_MS);
      this.#localTimeout.unref();
    }
  }

  beat(details: unknown): void {
    if (this.#stopped) return;
    this.lastDetails = toPayload(details);
    this.#pending = true;
    if (this.#timer) return;
    const wait = Math.max(0, this.#lastSentAt + this.#throttleMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, wait);
  }

  #flush(): void {
    if (!this.#pending || this.#stopped) return;
    this.#pending = false;
    this.#lastSentAt = Date.now();
    const details = this.lastDetails;
    this.#inFlight = (this.#inFlight ?? Promise.resolve()).then(async () => {
      try {
        const res = await this.#api.heartbeatActivityTask({
          taskToken: this.#task.taskToken,
          identity: this.#identity,
          details: [details],
        });
        this.#localTimeout?.refresh();
        // A no-op when the attempt was already cancelled (the first reason is kept).
        if (res.cancelRequested) cancelAttempt(this.#controller, 'CANCELLED');
      } catch (e) {
        const err = ensureError(e);
        if (err instanceof RepriseError && err.code === ErrorCode.ActivityTaskNotFound) {
          this.gone = true;
          cancelAttempt(this.#controller, 'NOT_FOUND');
          return;
        }
        if (err instanceof DataConverterError) {
          // As in Temporal: the attempt is cancelled, and fails with the converter's error.
          this.conversionError = err;
          this.#stopped = true;
          this.lastDetails = undefined;
          cancelAttempt(this.#controller, 'HEARTBEAT_DETAILS_CONVERSION_FAILED');
          return;
        }
        this.#log.warn({ err: err.message }, 'heartbeat failed');
      }
    });
  }

  /** Stops; the heartbeat in flight, if any, to await (no promise when none was sent). */
  stop(): Promise<void> | undefined {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#localTimeout);
    return this.#inFlight;
  }
}
