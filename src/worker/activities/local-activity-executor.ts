// Runs one local activity for the workflow task that scheduled it: attempts in this process, with
// the activity's Context (`info.isLocal`), retried here while the backoff is short, and ended with
// the marker details the workflow records.
import {
  CompleteAsyncError,
  base64TaskToken,
  Context,
  cancelAttempt,
  runInActivityContext,
} from '../../activity/context.ts';
import type { ActivityInfo } from '../../activity/context.ts';
import type { LoadedDataConverter } from '../../common/data-converter.ts';
import { encodeLocalActivityMarker } from '../../common/payload-fields.ts';
import { IllegalStateError, ensureError } from '../../errors.ts';
import {
  ApplicationFailure,
  CancelledFailure,
  TimeoutFailure,
  encodeFailure,
} from '../../failures.ts';
import type { Client } from '../../client/client.ts';
import type { Logger } from '../../logger.ts';
import { RetryState } from '../../protocol/failure.ts';
import type { Failure, TimeoutType } from '../../protocol/failure.ts';
import type {
  LocalActivityMarkerDetails,
  LocalActivityRequest,
} from '../../protocol/local-activity.ts';
import { MAX_PAYLOAD_BYTES, payloadBytes, toPayload } from '../../protocol/payload.ts';
import { mergePriority } from '../../protocol/priority.ts';
import type { Priority } from '../../protocol/priority.ts';
import { decompileRetryPolicy } from '../../protocol/retry-options.ts';
import { resolveRetryPolicy, retryBackoffMs } from '../../protocol/retry-policy.ts';
import type { ResolvedRetryPolicy } from '../../protocol/retry-policy.ts';
import {
  activityAttemptLogger,
  activityLogger,
  executeWithInterceptors,
  logActivityFailed,
} from '../interceptors.ts';
import type { ActivityInterceptorsFactory } from '../interceptors.ts';
import type { WorkerMetrics } from '../worker-metrics.ts';
import type { HeldSlot, TaskSlots } from '../task-slots.ts';
import type { ActivityFunctions } from './activity-runner.ts';
import { encodeActivityFailure } from './activity-failure.ts';

/** The run a local activity belongs to. */
export interface LocalActivityRunContext {
  namespace: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  /**
   * Wall-clock time by which the workflow task must be answered: an attempt still running then
   * is cut (a start-to-close timeout), and a retry that would end after it waits on a durable
   * timer instead, in a later task.
   */
  taskDeadlineMs: number;
  /** The run's priority: what the activity's own (its request's) is merged over. */
  priority?: Priority | undefined;
}

type AttemptOutcome =
  | { status: 'completed'; result: unknown }
  | { status: 'failed'; failure: Failure; deadline: 'ScheduleToClose' | undefined }
  | { status: 'cancelled'; failure: Failure };

/** How much of an oversized failure's message the failure that replaces it keeps, at most. */
const KEPT_MESSAGE_CHARS = 1000;

/**
 * The reason `execute`'s signal aborts with when the workflow settled the call itself (an
 * ABANDON call whose scope was cancelled): no further attempt starts, but the running one is
 * not aborted. Any other reason is a cancellation that aborts the running attempt too.
 */
export const SETTLED_BY_WORKFLOW: unique symbol = Symbol('settled by the workflow');

/**
 * The reason `execute`'s signal aborts with when the worker shuts down and `shutdownGraceTime`
 * has passed: the running attempt is cancelled with Temporal's `WORKER_SHUTDOWN` reason, and no
 * further attempt starts. Its outcome is not recorded: the workflow task is given up.
 */
export const WORKER_SHUTDOWN: unique symbol = Symbol('worker shutdown');

export class LocalActivityExecutor {
  readonly #activities: ActivityFunctions;
  readonly #interceptors: readonly ActivityInterceptorsFactory[];
  readonly #taskQueue: string;
  readonly #logger: Logger;
  readonly #client: () => Client;
  readonly #metrics: WorkerMetrics;
  /** The slots, as a timeout's message names them. */
  readonly #slotsName: string;
  /** One per attempt running: an attempt waits for a slot before its code starts. */
  readonly #slots: TaskSlots<LocalActivityRequest>;
  /**
   * The worker's data converter, if it has one: a marker is measured as the engine receives it,
   * encoded (a codec may make it larger). Without one, the plain marker is what the engine gets.
   */
  readonly #dataConverter: LoadedDataConverter | undefined;
  /** The engine's payload limit, which its marker must keep to; the default until registered. */
  #maxPayloadBytes = MAX_PAYLOAD_BYTES;
  #running = 0;
  /** Set by `shutdown()`: no workflow task waits for local activities any more. */
  #shutDown = false;
  /** What each workflow task running local activities does when the worker shuts down. */
  readonly #onShutdown = new Set<() => void>();
  /**
   * The activity code of each attempt until it returns or throws, including attempts the task no
   * longer waits for (cancelled, timed out or abandoned ones whose code ignores its signal): the
   * worker's shutdown waits for them, as Temporal's waits for every activity it started.
   */
  readonly #userCode = new Set<Promise<void>>();
  /** Attempts in `#userCode` that an execution still waits for (counted in `#running` too). */
  #awaitedCode = 0;

  constructor(opts: {
    activities: ActivityFunctions;
    taskQueue: string;
    logger: Logger;
    /** The worker's `interceptors.activity`: local activities run through them too. */
    interceptors?: readonly ActivityInterceptorsFactory[] | undefined;
    /** The worker's loaded `dataConverter`. */
    dataConverter?: LoadedDataConverter | undefined;
    /** The worker's client, as `Context.current().client`. */
    client: () => Client;
    /**
     * The worker's metrics: its local activity metrics, and its `metricMeter` as
     * `Context.current().metricMeter` (with the activity's tags).
     */
    metrics: WorkerMetrics;
    /**
     * The slots attempts run in: the worker's `maxConcurrentLocalActivityExecutions`, or its
     * tuner's `localActivityTaskSlotSupplier`.
     */
    slots: TaskSlots<LocalActivityRequest>;
    /** The slots as a message names them: "the worker's 100 local activity slots (…)". */
    slotsName: string;
  }) {
    this.#client = opts.client;
    this.#metrics = opts.metrics;
    this.#slotsName = opts.slotsName;
    this.#slots = opts.slots;
    this.#dataConverter = opts.dataConverter;
    this.#interceptors = opts.interceptors ?? [];
    this.#activities = opts.activities;
    this.#taskQueue = opts.taskQueue;
    this.#logger = opts.logger;
  }

  /**
   * Local activities in flight, as Temporal's `numInFlightLocalActivities`: each one a workflow
   * task waits for (an attempt, or the backoff before the next), and each attempt whose code
   * still runs though no task waits for it any more (its task was handed back at shutdown, or
   * the attempt timed out or was abandoned): what the worker's shutdown waits for. Test:
   * src/worker/worker-shutdown.test.ts.
   */
  get runningCount(): number {
    return this.#running - this.#awaitedCode + this.#userCode.size;
  }

  /**
   * Calls `stop` when the worker shuts down (`shutdown()`), at once if it has; returns what
   * unregisters it. A workflow task running local activities registers while it waits for them.
   */
  onShutdown(stop: () => void): () => void {
    if (this.#shutDown) {
      stop();
      return () => undefined;
    }
    this.#onShutdown.add(stop);
    return () => {
      this.#onShutdown.delete(stop);
    };
  }

  /** Attempts whose activity code still runs, whether or not a workflow task waits for it. */
  get userCodeRunningCount(): number {
    return this.#userCode.size;
  }

  /** Resolves once no attempt's activity code runs (those started meanwhile included). */
  async userCodeSettled(): Promise<void> {
    while (this.#userCode.size > 0) await Promise.allSettled([...this.#userCode]);
  }

  /** Whether `shutdown()` was called: a workflow task no longer waits for local activities. */
  isShutDown(): boolean {
    return this.#shutDown;
  }

  /**
   * The worker shuts down and its `shutdownGraceTime` has passed: every workflow task still
   * waiting for local activities cancels them (WORKER_SHUTDOWN) and is given up, as is any that
   * asks for one from now on.
   */
  shutdown(): void {
    this.#shutDown = true;
    const stops = [...this.#onShutdown];
    this.#onShutdown.clear();
    for (const stop of stops) stop();
  }

  /** Whether this worker registers the activity type `activityType`. */
  registers(activityType: string): boolean {
    return Object.hasOwn(this.#activities, activityType);
  }

  /** The engine's limits, from its answer to the worker's registration. */
  useEngineLimits(limits: { maxPayloadBytes: number }): void {
    this.#maxPayloadBytes = limits.maxPayloadBytes;
  }

  /**
   * Runs attempts until one completes, the retry policy gives up, the backoff is too long to
   * wait here (over `localRetryThresholdMs`, or past the task deadline: the marker then carries
   * `backoffMs`), or `signal` aborts it: the workflow cancelled it (the running attempt is
   * aborted), or settled it itself (reason {@link SETTLED_BY_WORKFLOW}: the running attempt may
   * finish, but no further one starts). Never throws.
   */
  async execute(
    request: LocalActivityRequest,
    run: LocalActivityRunContext,
    signal: AbortSignal,
  ): Promise<LocalActivityMarkerDetails> {
    this.#running++;
    try {
      return await this.#execute(request, run, signal);
    } finally {
      this.#running--;
    }
  }

  async #execute(
    request: LocalActivityRequest,
    run: LocalActivityRunContext,
    signal: AbortSignal,
  ): Promise<LocalActivityMarkerDetails> {
    const originalScheduleTimeMs = request.originalScheduleTimeMs ?? Date.now();
    const marker = (
      attempt: number,
      outcome: Pick<LocalActivityMarkerDetails, 'result' | 'failure' | 'backoffMs'>,
    ): LocalActivityMarkerDetails | Promise<LocalActivityMarkerDetails> => {
      const details: LocalActivityMarkerDetails = {
        seq: request.seq,
        activityId: request.activityId,
        activityType: request.activityType,
        attempt,
        originalScheduleTimeMs,
        ...outcome,
      };
      if (details.failure === undefined) return details;
      return this.#failureWithinLimit(details);
    };
    const finalFailure = (attempt: number, retryState: RetryState, cause: Failure) =>
      marker(attempt, { failure: activityFailure(request, retryState, cause) });

    let policy: ResolvedRetryPolicy;
    try {
      policy = resolveRetryPolicy(request.retry);
    } catch (e) {
      const cause = encodeFailure(ApplicationFailure.nonRetryable(ensureError(e).message));
      return finalFailure(request.attempt, RetryState.NonRetryableFailure, cause);
    }
    const scheduleToCloseDeadlineMs =
      request.scheduleToCloseTimeoutMs === undefined
        ? undefined
        : originalScheduleTimeMs + request.scheduleToCloseTimeoutMs;

    for (let attempt = request.attempt; ; attempt++) {
      const slot = await this.#waitForSlot(request, signal, scheduleToCloseDeadlineMs);
      if (slot === 'cancelled') {
        return finalFailure(attempt, RetryState.CancelRequested, cancelledFailure());
      }
      if (slot !== true && 'timeout' in slot) {
        return finalFailure(attempt, RetryState.Timeout, slot.timeout);
      }
      this.#slots.markUsed(slot, request);
      const measured = signal.aborted
        ? undefined
        : this.#metrics.localActivityStarted(request.activityType, run.workflowType);
      let outcome: AttemptOutcome;
      try {
        outcome = await this.#attempt(request, run, signal, {
          attempt,
          originalScheduleTimeMs,
          scheduleToCloseDeadlineMs,
          policy,
        });
      } finally {
        this.#slots.release(slot);
      }
      this.#metrics.localActivityEnded(measured, outcome, originalScheduleTimeMs);
      if (outcome.status === 'completed') return marker(attempt, { result: outcome.result });
      if (outcome.status === 'cancelled') {
        return finalFailure(attempt, RetryState.CancelRequested, outcome.failure);
      }
      if (outcome.deadline === 'ScheduleToClose') {
        return finalFailure(attempt, RetryState.Timeout, outcome.failure);
      }
      if (signal.aborted && signal.reason === SETTLED_BY_WORKFLOW) {
        // Its outcome is no longer wanted: another attempt would be work for nothing.
        this.#logger.debug(
          {
            activityType: request.activityType,
            seq: request.seq,
            workflowId: run.workflowId,
            attempt,
          },
          `local activity '${request.activityType}' was abandoned by its workflow: attempt ${attempt} failed, and no further attempt starts`,
        );
        return finalFailure(attempt, RetryState.CancelRequested, cancelledFailure());
      }
      const info = outcome.failure.info;
      const delayMs =
        info.type === 'application' && info.nextRetryDelayMs !== undefined
          ? info.nextRetryDelayMs
          : retryBackoffMs(policy, attempt);
      const retryState = retryDecision(policy, attempt, outcome.failure, {
        delayMs,
        scheduleToCloseDeadlineMs,
      });
      if (retryState !== RetryState.InProgress) {
        return finalFailure(attempt, retryState, outcome.failure);
      }
      if (delayMs > request.localRetryThresholdMs || Date.now() + delayMs >= run.taskDeadlineMs) {
        // Temporal's rule: a long backoff is a durable timer; the next attempt is a new request.
        return marker(attempt, { failure: outcome.failure, backoffMs: delayMs });
      }
      if (!(await sleepUnlessAborted(delayMs, signal))) {
        return finalFailure(attempt, RetryState.CancelRequested, cancelledFailure());
      }
    }
  }

  /**
   * Takes one of the worker's local activity slots for an attempt, waiting for one if all are
   * taken: the slot, 'cancelled' (the call was cancelled, or the worker shut down, meanwhile), or
   * the timeout failure when `scheduleToStartTimeout`, or the activity's schedule-to-close
   * deadline, passed first (Temporal's local activity schedule-to-start timeout).
   */
  async #waitForSlot(
    request: LocalActivityRequest,
    signal: AbortSignal,
    scheduleToCloseDeadlineMs: number | undefined,
  ): Promise<HeldSlot | 'cancelled' | { timeout: Failure }> {
    if (signal.aborted) return 'cancelled';
    const free = this.#slots.takeFree();
    if (free !== false) return free;
    const waitedFromMs = Date.now();
    const limits: Deadline[] = [];
    if (request.scheduleToStartTimeoutMs !== undefined) {
      limits.push({
        atMs: waitedFromMs + request.scheduleToStartTimeoutMs,
        type: 'ScheduleToStart',
        why: `it waited scheduleToStartTimeout (${request.scheduleToStartTimeoutMs} ms) for ${this.#slotsName}`,
      });
    }
    if (scheduleToCloseDeadlineMs !== undefined) {
      limits.push({
        atMs: scheduleToCloseDeadlineMs,
        type: 'ScheduleToClose',
        why: `scheduleToCloseTimeout (${request.scheduleToCloseTimeoutMs ?? 0} ms) passed while it waited for a local activity slot`,
      });
    }
    const limit = nearest(limits);
    const stop = new AbortController();
    const timer =
      limit === undefined
        ? undefined
        : setTimeout(
            () => {
              stop.abort('timeout');
            },
            Math.max(0, limit.atMs - waitedFromMs),
          );
    const onCancel = (): void => {
      stop.abort('cancelled');
    };
    signal.addEventListener('abort', onCancel, { once: true });
    try {
      const slot = await this.#slots.acquireUntil(stop.signal);
      if (slot !== false) return slot;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onCancel);
    }
    if (stop.signal.reason !== 'timeout' || limit === undefined) return 'cancelled';
    return {
      timeout: encodeFailure(
        new TimeoutFailure(
          `Local activity '${request.activityType}' timed out: ${limit.why}.`,
          undefined,
          limit.type,
        ),
      ),
    };
  }

  async #attempt(
    request: LocalActivityRequest,
    run: LocalActivityRunContext,
    signal: AbortSignal,
    at: {
      attempt: number;
      originalScheduleTimeMs: number;
      scheduleToCloseDeadlineMs?: number | undefined;
      policy: ResolvedRetryPolicy;
    },
  ): Promise<AttemptOutcome> {
    if (signal.aborted) return { status: 'cancelled', failure: cancelledFailure() };
    const fn = this.#activities[request.activityType];
    if (!fn) {
      // runLocalActivities fails the workflow task before it asks for a type not registered.
      throw new IllegalStateError(
        `Local activity type '${request.activityType}' is not registered.`,
      );
    }
    const startedMs = Date.now();
    // The nearest of the attempt's deadlines ends it, as a timeout of that kind.
    const taskDeadline: Deadline = {
      atMs: run.taskDeadlineMs,
      type: 'StartToClose',
      why: 'it was still running at the workflow task deadline (80 % of the workflow task timeout); keep local activities short, or use proxyActivities',
    };
    const deadlines = [taskDeadline];
    if (request.startToCloseTimeoutMs !== undefined) {
      deadlines.push({
        atMs: startedMs + request.startToCloseTimeoutMs,
        type: 'StartToClose',
        why: `startToCloseTimeout (${request.startToCloseTimeoutMs} ms) passed`,
      });
    }
    if (at.scheduleToCloseDeadlineMs !== undefined) {
      deadlines.push({
        atMs: at.scheduleToCloseDeadlineMs,
        type: 'ScheduleToClose',
        why: `scheduleToCloseTimeout (${request.scheduleToCloseTimeoutMs ?? 0} ms) passed`,
      });
    }
    const deadline = nearest(deadlines) ?? taskDeadline;
    const controller = new AbortController();
    // Why the attempt was aborted, if it was (set from callbacks, so not a narrowed local).
    const ended: { by: 'cancel' | 'timeout' | undefined } = { by: undefined };
    let timedOut: TimeoutFailure | undefined;
    const onCancel = (): void => {
      // Abandoned (ABANDON): the attempt is left to finish, unaware.
      if (signal.reason === SETTLED_BY_WORKFLOW) return;
      ended.by ??= 'cancel';
      cancelAttempt(
        controller,
        signal.reason === WORKER_SHUTDOWN ? 'WORKER_SHUTDOWN' : 'CANCELLED',
      );
    };
    signal.addEventListener('abort', onCancel, { once: true });
    const timer = setTimeout(
      () => {
        ended.by ??= 'timeout';
        // As in Temporal, the activity sees CancelledFailure('TIMED_OUT'); the workflow, this.
        timedOut = new TimeoutFailure(
          `Local activity '${request.activityType}' timed out: ${deadline.why}.`,
          undefined,
          deadline.type,
        );
        cancelAttempt(controller, 'TIMED_OUT');
      },
      Math.max(0, deadline.atMs - startedMs),
    );
    timer.unref();
    const info = this.#info(request, run, at, startedMs);
    const log = activityAttemptLogger(this.#logger, info);
    const ctx = new Context({
      info,
      controller,
      // Temporal: heartbeats of a local activity are accepted and ignored.
      heartbeat: () => undefined,
      log: activityLogger(this.#interceptors, log),
      client: this.#client,
      metricMeter: this.#metrics.base,
    });
    // An activity that ignores its AbortSignal is abandoned at the deadline: the task goes on.
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener(
        'abort',
        () => {
          reject(ensureError(controller.signal.reason));
        },
        { once: true },
      );
    });
    aborted.catch(() => undefined);
    let awaited = false;
    try {
      const code = runInActivityContext(ctx, () =>
        executeWithInterceptors(this.#interceptors, ctx, request.args, request.header, fn as never),
      );
      const settled = code.then(
        () => undefined,
        () => undefined,
      );
      this.#userCode.add(settled);
      void settled.then(() => this.#userCode.delete(settled));
      awaited = true;
      this.#awaitedCode++;
      const result = toPayload(await Promise.race([code, aborted]));
      // The result travels in its marker, which the engine checks whole against its own limit:
      // over it, the engine would refuse the task's answer and the activity would run again.
      const max = this.#maxPayloadBytes;
      const dc = this.#dataConverter;
      const size = await this.#markerBytes({ ...markerOverhead(request), result });
      if (size > max) {
        // Contract 7: an oversized result fails the activity for good, saying why.
        const failure: Failure = {
          // No stack: it would only show the worker's code, and the marker must stay small.
          ...encodeFailure(
            ApplicationFailure.nonRetryable(
              `The result of local activity '${request.activityType}' is ${size} bytes with its marker${dc === undefined ? '' : ' (encoded by the dataConverter)'}, over the engine's ${max}-byte payload limit (maxPayloadBytes). ` +
                'Return less from it: store large data elsewhere and return a reference.',
              'PayloadTooLarge',
            ),
          ),
          stack: undefined,
        };
        return { status: 'failed', failure, deadline: undefined };
      }
      return { status: 'completed', result };
    } catch (e) {
      if (ended.by === 'cancel') return { status: 'cancelled', failure: cancelledFailure() };
      if (ended.by === 'timeout') {
        return {
          status: 'failed',
          failure: encodeFailure(timedOut),
          deadline: deadline.type === 'ScheduleToClose' ? 'ScheduleToClose' : undefined,
        };
      }
      const err =
        e instanceof CompleteAsyncError
          ? ApplicationFailure.nonRetryable(
              'A local activity cannot complete asynchronously: use proxyActivities for it.',
              'CompleteAsyncError',
            )
          : ensureError(e);
      logActivityFailed(log, err, Date.now() - startedMs);
      return {
        status: 'failed',
        failure: encodeActivityFailure(err, request.activityType),
        deadline: undefined,
      };
    } finally {
      if (awaited) this.#awaitedCode--;
      clearTimeout(timer);
      signal.removeEventListener('abort', onCancel);
    }
  }

  /**
   * A marker's size as the engine measures it: encoded by the data converter, if the worker has
   * one (a codec may make it larger). A codec that throws throws here.
   */
  async #markerBytes(details: LocalActivityMarkerDetails): Promise<number> {
    const dc = this.#dataConverter;
    return payloadBytes(dc === undefined ? details : await encodeLocalActivityMarker(dc, details));
  }

  /**
   * A failure marker the engine would refuse (over its payload limit: the task would fail, and
   * the activity run again, without end) gets a shorter failure, as the engine does for an
   * activity's: a non-retryable `ServerFailure` that says so and keeps the start of the message.
   * A final failure keeps its `ActivityFailure` (and `retryState`); its cause is replaced.
   */
  async #failureWithinLimit(
    details: LocalActivityMarkerDetails,
  ): Promise<LocalActivityMarkerDetails> {
    const max = this.#maxPayloadBytes;
    const failure = details.failure;
    if (failure === undefined) return details;
    let size: number;
    try {
      size = await this.#markerBytes(details);
    } catch {
      // The codec failed: sending the marker will fail the same way, and fail the task with it.
      return details;
    }
    if (size <= max) return details;
    const final = details.backoffMs === undefined && failure.info.type === 'activity';
    const original = (final ? failure.cause : undefined) ?? failure;
    this.#logger.warn(
      { activityType: details.activityType, sizeBytes: size, limitBytes: max },
      `the failure of local activity '${details.activityType}' is ${size} bytes with its marker, over the engine's ${max}-byte payload limit: recorded as a shorter failure`,
    );
    let kept = original.message.slice(0, KEPT_MESSAGE_CHARS);
    for (;;) {
      const shorter: Failure = {
        message:
          `The failure of local activity '${details.activityType}' was ${size} bytes with its marker, over the engine's ${max}-byte payload limit (maxPayloadBytes), and was replaced. ` +
          `Keep large data out of errors. Its message began: ${kept}`,
        info: { type: 'server', nonRetryable: true },
      };
      // It has no payloads, so a data converter leaves it as it is: its plain size is the one.
      const fitted = { ...details, failure: final ? { ...failure, cause: shorter } : shorter };
      const over = payloadBytes(fitted) - max;
      if (over <= 0 || kept === '') return fitted;
      kept = kept.slice(0, Math.max(0, kept.length - over));
    }
  }

  #info(
    request: LocalActivityRequest,
    run: LocalActivityRunContext,
    at: { attempt: number; originalScheduleTimeMs: number; policy: ResolvedRetryPolicy },
    startedMs: number,
  ): ActivityInfo {
    // A local activity has no task in the engine: this token completes nothing.
    const taskToken = `local:${run.runId}:${request.activityId}:${at.attempt}`;
    return {
      taskToken,
      base64TaskToken: base64TaskToken(taskToken),
      activityId: request.activityId,
      activityType: request.activityType,
      activityNamespace: run.namespace,
      taskQueue: this.#taskQueue,
      attempt: at.attempt,
      isLocal: true,
      workflowNamespace: run.namespace,
      workflowType: run.workflowType,
      workflowExecution: { workflowId: run.workflowId, runId: run.runId },
      heartbeatDetails: undefined,
      heartbeatTimeoutMs: undefined,
      startToCloseTimeoutMs: request.startToCloseTimeoutMs ?? request.scheduleToCloseTimeoutMs ?? 0,
      scheduleToCloseTimeoutMs: request.scheduleToCloseTimeoutMs,
      scheduledTimestampMs: at.originalScheduleTimeMs,
      currentAttemptScheduledTimestampMs: startedMs,
      startedTimestampMs: startedMs,
      retryPolicy: decompileRetryPolicy(at.policy),
      priority: { ...mergePriority(run.priority, request.priority) },
      // The call's, across durable backoffs (whose calls have activity ids of their own).
      idempotencyKey: `${run.runId}:${request.callActivityId ?? request.activityId}`,
    };
  }
}

/** Temporal's retry rules for one failed attempt; `InProgress` means "retry". */
function retryDecision(
  policy: ResolvedRetryPolicy,
  attempt: number,
  failure: Failure,
  next: { delayMs: number; scheduleToCloseDeadlineMs: number | undefined },
): RetryState {
  const info = failure.info;
  if (info.type === 'application') {
    if (info.nonRetryable) return RetryState.NonRetryableFailure;
    if (policy.nonRetryableErrorTypes.includes(info.errorType)) {
      return RetryState.NonRetryableFailure;
    }
  }
  if (info.type === 'cancelled') return RetryState.CancelRequested;
  if (policy.maximumAttempts > 0 && attempt >= policy.maximumAttempts) {
    return RetryState.MaximumAttemptsReached;
  }
  if (
    next.scheduleToCloseDeadlineMs !== undefined &&
    Date.now() + next.delayMs >= next.scheduleToCloseDeadlineMs
  ) {
    return RetryState.Timeout;
  }
  return RetryState.InProgress;
}

/** The `ActivityFailure` the workflow sees when a local activity ends in failure. */
function activityFailure(
  request: LocalActivityRequest,
  retryState: RetryState,
  cause: Failure,
): Failure {
  return {
    message:
      retryState === RetryState.CancelRequested
        ? 'Local activity cancelled'
        : 'Local activity failed',
    info: {
      type: 'activity',
      activityType: request.activityType,
      activityId: request.activityId,
      scheduledEventId: 0,
      retryState,
    },
    cause,
  };
}

function cancelledFailure(): Failure {
  return encodeFailure(new CancelledFailure('Local activity cancelled'));
}

/** Sleeps `ms`; false if `signal` aborted first. */
function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A `core_local_activity` marker with the largest numbers and a null result: its overhead. */
function markerOverhead(request: LocalActivityRequest): LocalActivityMarkerDetails {
  return {
    seq: request.seq,
    activityId: request.activityId,
    activityType: request.activityType,
    attempt: Number.MAX_SAFE_INTEGER,
    originalScheduleTimeMs: Number.MAX_SAFE_INTEGER,
    result: null,
  };
}

/** When a local activity attempt (or its wait for a slot) ends as a timeout, of which kind, and why. */
interface Deadline {
  atMs: number;
  type: TimeoutType;
  why: string;
}

/** The deadline that comes first; undefined for none. */
function nearest<T extends { atMs: number }>(deadlines: readonly T[]): T | undefined {
  return deadlines.reduce<T | undefined>(
    (a, b) => (a === undefined || b.atMs < a.atMs ? b : a),
    undefined,
  );
}
