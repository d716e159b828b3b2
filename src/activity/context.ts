import { meterWithTags, meterWithTagsOf, noopMetricMeter } from '../common/metrics.ts';
import type { MetricMeter, MetricTags } from '../common/metrics.ts';
import { IllegalStateError } from '../errors.ts';
import { CancelledFailure } from '../failures.ts';
import type { Client } from '../client/client.ts';
import type { Logger } from '../logger.ts';
import { msFromDuration } from '../protocol/duration.ts';
import type { Duration } from '../protocol/duration.ts';
import type { RetryPolicy } from '../protocol/retry-options.ts';
import type { Priority } from '../protocol/priority.ts';
import { asyncStore } from '../util/async-store.ts';

/** What an activity knows about itself. Temporal's `ActivityInfo`, plus `idempotencyKey`. */
export interface ActivityInfo {
  readonly taskToken: string;
  /**
   * `taskToken` in base64, of its UTF-8 bytes: where Temporal's token is bytes, these are they.
   * `Buffer.from(base64TaskToken, 'base64')` gives them back, and `client.activity` takes them
   * (a `Uint8Array`) as it takes `taskToken`.
   */
  readonly base64TaskToken: string;
  readonly activityId: string;
  readonly activityType: string;
  readonly activityNamespace: string;
  readonly taskQueue: string;
  readonly attempt: number;
  readonly isLocal: boolean;
  readonly workflowNamespace: string;
  readonly workflowType: string;
  readonly workflowExecution: { readonly workflowId: string; readonly runId: string };
  /** Details from the last heartbeat of an earlier attempt, to resume from. */
  readonly heartbeatDetails: unknown;
  readonly heartbeatTimeoutMs: number | undefined;
  readonly startToCloseTimeoutMs: number;
  readonly scheduleToCloseTimeoutMs: number | undefined;
  readonly scheduledTimestampMs: number;
  readonly currentAttemptScheduledTimestampMs: number;
  readonly startedTimestampMs: number;
  /**
   * The activity's retry policy as the engine applies it (defaults filled in), durations in ms
   * and `maximumAttempts` 0 for unlimited; always set by a worker (`MockActivityEnvironment`
   * leaves it unset unless given). Temporal's `retryPolicy`.
   */
  readonly retryPolicy?: RetryPolicy | undefined;
  /**
   * The activity's priority: the fields its `proxyActivities` options set, over its workflow's
   * (`{}` when neither sets any: key 3). Always set by a worker (`MockActivityEnvironment` leaves
   * it unset unless given). Temporal's `priority`.
   */
  readonly priority?: Priority | undefined;
  /**
   * (+) Stable across retries of this activity in this run (run id + activity id): pass it to
   * the systems you call so that their side effect happens once.
   */
  readonly idempotencyKey: string;
}

/** `ActivityInfo.base64TaskToken` of `taskToken`: base64 of its UTF-8 bytes. */
export function base64TaskToken(taskToken: string): string {
  return Buffer.from(taskToken, 'utf8').toString('base64');
}

/**
 * Why an activity attempt was cancelled (`Context.current().cancellationDetails`): Temporal's
 * `ActivityCancellationDetails`. Set once, when the attempt is cancelled. `paused` and `reset`
 * are always false here (there is no activity pause or reset).
 */
export class ActivityCancellationDetails {
  /** A heartbeat found the attempt no longer current (timed out, retried, or its run closed). */
  readonly notFound: boolean;
  /** The workflow asked for the activity to be cancelled. */
  readonly cancelRequested: boolean;
  readonly paused: boolean;
  /** The worker cut the attempt at its start-to-close or heartbeat timeout. */
  readonly timedOut: boolean;
  /** The worker is shutting down. */
  readonly workerShutdown: boolean;
  readonly reset: boolean;

  constructor(options: ActivityCancellationDetailsOptions = {}) {
    this.notFound = options.notFound ?? false;
    this.cancelRequested = options.cancelRequested ?? false;
    this.paused = options.paused ?? false;
    this.timedOut = options.timedOut ?? false;
    this.workerShutdown = options.workerShutdown ?? false;
    this.reset = options.reset ?? false;
  }
}

export interface ActivityCancellationDetailsOptions {
  notFound?: boolean;
  cancelRequested?: boolean;
  paused?: boolean;
  timedOut?: boolean;
  workerShutdown?: boolean;
  reset?: boolean;
}

/**
 * Why an attempt was cancelled, as its `CancelledFailure`'s message (and its signal's reason's):
 * Temporal's `CancelReason`. `PAUSED` and `RESET` never come from the worker here.
 */
export type ActivityCancelReason =
  | 'CANCELLED'
  | 'NOT_FOUND'
  | 'TIMED_OUT'
  | 'WORKER_SHUTDOWN'
  | 'HEARTBEAT_DETAILS_CONVERSION_FAILED'
  | 'PAUSED'
  | 'RESET';

/** The details of each attempt cancelled so far, by its controller (set at cancellation only). */
const cancellationDetailsByController = new WeakMap<AbortController, ActivityCancellationDetails>();

function detailsForReason(reason: ActivityCancelReason): ActivityCancellationDetails {
  switch (reason) {
    case 'CANCELLED':
      return new ActivityCancellationDetails({ cancelRequested: true });
    case 'NOT_FOUND':
      return new ActivityCancellationDetails({ notFound: true });
    case 'TIMED_OUT':
      return new ActivityCancellationDetails({ timedOut: true });
    case 'WORKER_SHUTDOWN':
      return new ActivityCancellationDetails({ workerShutdown: true });
    case 'PAUSED':
      return new ActivityCancellationDetails({ paused: true });
    case 'RESET':
      return new ActivityCancellationDetails({ reset: true });
    case 'HEARTBEAT_DETAILS_CONVERSION_FAILED':
      return new ActivityCancellationDetails();
  }
}

/** Internal: why the attempt `controller` belongs to was cancelled; undefined if it was not. */
export function cancellationDetailsOf(
  controller: AbortController,
): ActivityCancellationDetails | undefined {
  return cancellationDetailsByController.get(controller);
}

/**
 * Internal: cancels the attempt `controller` belongs to, as Temporal's worker does: its signal
 * aborts with `CancelledFailure(reason)` and `cancellationDetails` says why. The first
 * cancellation wins; later ones change nothing.
 */
export function cancelAttempt(
  controller: AbortController,
  reason: ActivityCancelReason,
  details: ActivityCancellationDetails = detailsForReason(reason),
): void {
  if (controller.signal.aborted) return;
  cancellationDetailsByController.set(controller, details);
  controller.abort(new CancelledFailure(reason));
}

/** What the `getMetricTags` interceptors of each attempt make of its tags, by its Context. */
const metricTagsByContext = new WeakMap<Context, (tags: MetricTags) => MetricTags>();

/**
 * Internal: the activity interceptors' `getMetricTags` (composed), which from now on gives the
 * tags of each value `ctx.metricMeter` records, from `namespace`, `taskQueue` and `activityType`.
 */
export function useMetricTags(ctx: Context, getMetricTags: (tags: MetricTags) => MetricTags): void {
  metricTagsByContext.set(ctx, getMetricTags);
}

/**
 * The context of one activity attempt, reached with `Context.current()` anywhere in the
 * activity's async call tree.
 */
export class Context {
  readonly info: ActivityInfo;
  readonly log: Logger;
  readonly #controller: AbortController;
  readonly #heartbeat: (details: unknown) => void;
  readonly #client: (() => Client) | undefined;
  #cancelled: Promise<never> | undefined;
  /** The meter as given (untagged). */
  readonly #baseMeter: MetricMeter;
  /** `#baseMeter` with the activity's tags, once asked for, and the interceptors it was made for. */
  #metricMeter: MetricMeter | undefined;
  #metricMeterTags: ((tags: MetricTags) => MetricTags) | undefined;

  constructor(opts: {
    info: ActivityInfo;
    /** Aborted to cancel the attempt; its signal is made when the activity first asks for it. */
    controller: AbortController;
    heartbeat: (details: unknown) => void;
    log: Logger;
    /** The worker's client, made when an activity first asks for it. */
    client?: (() => Client) | undefined;
    /** The worker's `metricMeter`, untagged; the no-op meter by default. */
    metricMeter?: MetricMeter | undefined;
  }) {
    this.info = opts.info;
    this.#controller = opts.controller;
    this.#heartbeat = opts.heartbeat;
    this.log = opts.log;
    this.#client = opts.client;
    this.#baseMeter = opts.metricMeter ?? noopMetricMeter;
  }

  /**
   * The worker's `metricMeter` (a no-op unless set), with the tags `namespace`, `taskQueue` and
   * `activityType` of this activity, as the `getMetricTags` of the worker's activity
   * interceptors make them (asked at each value). Temporal's `Context.metricMeter`.
   * @example
   * Context.current().metricMeter.createCounter('emails_sent').add(1);
   */
  get metricMeter(): MetricMeter {
    const getMetricTags = metricTagsByContext.get(this);
    if (this.#metricMeter === undefined || this.#metricMeterTags !== getMetricTags) {
      this.#metricMeterTags = getMetricTags;
      const tags = {
        namespace: this.info.workflowNamespace,
        taskQueue: this.info.taskQueue,
        activityType: this.info.activityType,
      };
      this.#metricMeter =
        getMetricTags === undefined
          ? meterWithTags(this.#baseMeter, tags)
          : meterWithTagsOf(this.#baseMeter, () => getMetricTags({ ...tags }));
    }
    return this.#metricMeter;
  }

  /**
   * A client on the worker's connection and namespace, with its data converter: to start,
   * signal or query workflows from an activity. Temporal's `Context.client`. Throws
   * `IllegalStateError` in a `MockActivityEnvironment` created without a `client`.
   */
  get client(): Client {
    if (this.#client === undefined) {
      throw new IllegalStateError(
        'Context.client is not available: this activity runs in a MockActivityEnvironment created without one. Pass { client } as its second argument.',
      );
    }
    return this.#client();
  }

  /** Aborted when the activity is cancelled, times out, or the worker shuts down. */
  get cancellationSignal(): AbortSignal {
    return this.#controller.signal;
  }

  /**
   * Why the activity was cancelled; undefined until it is. The reason is also the message of the
   * `CancelledFailure` it sees: `'CANCELLED'`, `'TIMED_OUT'`, `'NOT_FOUND'`, `'WORKER_SHUTDOWN'`
   * or `'HEARTBEAT_DETAILS_CONVERSION_FAILED'`.
   */
  get cancellationDetails(): ActivityCancellationDetails | undefined {
    return cancellationDetailsByController.get(this.#controller);
  }

  /** Rejects with a CancelledFailure when the activity is cancelled; never resolves. */
  get cancelled(): Promise<never> {
    return (this.#cancelled ??= cancelledBy(this.cancellationSignal));
  }

  /** The context of the activity running now; throws outside an activity. */
  static current(): Context {
    const ctx = asyncStore.getStore();
    if (!(ctx instanceof Context)) {
      throw new IllegalStateError(
        'Context.current() was called outside an activity. Call it from an activity function that a Worker runs, or use MockActivityEnvironment in tests.',
      );
    }
    return ctx;
  }

  /**
   * Records progress; the details reach the next attempt as `info.heartbeatDetails`. Throttled:
   * sent at most every 80% of the heartbeat timeout (30 s without one), and at most 60 s apart.
   * Keeps the heartbeat timeout from firing and is how a running activity learns it was
   * cancelled.
   */
  heartbeat(details?: unknown): void {
    this.#heartbeat(details);
  }

  /** Sleeps, waking early with a CancelledFailure if the activity is cancelled. */
  sleep(duration: Duration): Promise<void> {
    const ms = msFromDuration(duration);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.cancellationSignal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(asCancelledFailure(this.cancellationSignal.reason));
      };
      if (this.cancellationSignal.aborted) onAbort();
      else this.cancellationSignal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function cancelledBy(signal: AbortSignal): Promise<never> {
  const cancelled = new Promise<never>((_, reject) => {
    const fire = (): void => {
      reject(asCancelledFailure(signal.reason));
    };
    if (signal.aborted) fire();
    else signal.addEventListener('abort', fire, { once: true });
  });
  // Unhandled until the activity awaits it, if ever.
  cancelled.catch(() => undefined);
  return cancelled;
}

function asCancelledFailure(reason: unknown): CancelledFailure {
  if (reason instanceof CancelledFailure) return reason;
  return new CancelledFailure(reason instanceof Error ? reason.message : 'CANCELLED');
}

/** Internal: runs `fn` with `ctx` as `Context.current()`; the worker runs each attempt inside. */
export function runInActivityContext<T>(ctx: Context, fn: () => T): T {
  return asyncStore.run(ctx, fn);
}

/**
 * Throw from an activity to say it will be completed later, from outside, by its task token
 * (`client.activity.complete(taskToken, result)`).
 */
export class CompleteAsyncError extends Error {
  constructor() {
    super('Activity will be completed asynchronously by its task token.');
    this.name = 'CompleteAsyncError';
  }
}
