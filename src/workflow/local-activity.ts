// Sandbox-safe: the local activities of one run (Temporal's model), owned by the run's Activator.
// A call is seq number → request to the worker → parked until a resolveLocalActivity job, whose
// marker the workflow records as a RecordMarker command, live and on replay alike.
import { headersToWire } from '../protocol/headers.ts';
import type { Headers, WireHeaders } from '../protocol/headers.ts';
import { ActivityFailure, CancelledFailure, decodeFailure, encodeFailure } from '../failures.ts';
import type { ActivationJob } from '../protocol/activation.ts';
import type { Command } from '../protocol/commands.ts';
import type {
  LocalActivityMarkerDetails,
  LocalActivityRequest,
  LocalActivityRequests,
} from '../protocol/local-activity.ts';
import type { Priority } from '../protocol/priority.ts';
import type { RetryPolicyInput } from '../protocol/retry-policy.ts';
import { userMetadataOf } from '../protocol/user-metadata.ts';
import { CancellationScope, onCancelRequested, takeParked } from './cancellation-scope.ts';
import type { InScope } from './cancellation-scope.ts';
import { CommandSeqs, argsAtCall, rejectedBy } from './runtime-helpers.ts';
import type { CapturedStack } from './runtime-helpers.ts';
import { LazyMap } from '../util/lazy-collections.ts';

/**
 * The marker name of a local activity's outcome; equal to `LOCAL_ACTIVITY_MARKER` in
 * protocol/local-activity.ts, which the sandbox cannot import (it loads zod). A test checks it.
 */
export const LOCAL_ACTIVITY_MARKER_NAME = 'core_local_activity';

/** Temporal's default `localRetryThreshold`: longer backoffs become durable timers. */
export const DEFAULT_LOCAL_RETRY_THRESHOLD_MS = 60_000;

/**
 * The internal patch under which a TRY_CANCEL or ABANDON call whose scope is cancelled settles at
 * once and records its own cancellation marker. Histories without it were recorded before that
 * rule: there the call rejects at once but the task waits for the activity, whose outcome the
 * worker records as its marker when it ends (possibly after later commands of the task).
 */
export const LOCAL_ACTIVITY_CANCEL_SETTLES_PATCH = 'reprise/local-activity-cancel-settles';

/**
 * The internal patch under which a WAIT_CANCELLATION_COMPLETED call cancelled in the activation
 * that made it is not started, as in Temporal, whose worker takes the request back before running
 * it: the call records its cancellation marker there, and rejects in the next activation.
 * Histories without it were recorded before: there the worker started the activity and aborted
 * it at once, and recorded its outcome (cancelled, or a result that raced) when it ended.
 */
export const LOCAL_ACTIVITY_CANCEL_UNSENT_PATCH = 'reprise/local-activity-cancel-unsent-not-run';

/**
 * The internal patch under which local activities take their seqs from the activities' counter,
 * and a call's default activity id is its seq as a string, as in Temporal (whose activities and
 * local activities share `nextSeqs.activity`). Histories without it were recorded before: there
 * local activities counted their seqs apart, and a call's default id was `local-<seq>`. Decided at
 * a run's first local activity call.
 */
export const LOCAL_ACTIVITY_SEQ_SHARED_PATCH = 'reprise/local-activity-seq-shared';

/**
 * The internal patch under which the attempt after a durable backoff, a new call with a new seq,
 * takes that seq as its default activity id, as in Temporal (which schedules it as a new local
 * activity); its `idempotencyKey` stays the call's. Histories without it were recorded before:
 * there that call kept the first call's activity id. Decided at a run's first such call.
 */
export const LOCAL_ACTIVITY_BACKOFF_NEW_ID_PATCH = 'reprise/local-activity-backoff-new-id';

/** How a local activity reacts to cancellation of its scope (Temporal's `ActivityCancellationType`). */
export type LocalActivityCancellationType =
  'TRY_CANCEL' | 'WAIT_CANCELLATION_COMPLETED' | 'ABANDON';

/** `proxyLocalActivities` options resolved to ms. */
export interface ResolvedLocalActivityOptions {
  activityId: string | undefined;
  startToCloseTimeoutMs: number | undefined;
  scheduleToCloseTimeoutMs: number | undefined;
  scheduleToStartTimeoutMs: number | undefined;
  retry: RetryPolicyInput | undefined;
  localRetryThresholdMs: number;
  cancellationType: LocalActivityCancellationType;
  summary: string | undefined;
  /** Compiled: only the fields set; undefined when none. */
  priority: Priority | undefined;
}

/** What the calls need of their Activator. */
export interface LocalActivityHost {
  pushCommand(command: Command): void;
  /** Throws in a query handler or an update validator, which must not start anything. */
  assertMayIssue(what: string): void;
  captureStack(): CapturedStack;
  /** A durable timer in the current scope: the backoff between attempts beyond the threshold. */
  sleep(ms: number): Promise<void>;
  /** Workflow time in ms. */
  now(): number;
  /**
   * Whether a cancelled TRY_CANCEL or ABANDON call settles itself (the
   * {@link LOCAL_ACTIVITY_CANCEL_SETTLES_PATCH} rule): decided once per run, and recorded as a
   * flag of the current workflow task (its WorkflowTaskCompleted) the first time it is taken.
   */
  cancelSettles(): boolean;
  /**
   * Whether a WAIT_CANCELLATION_COMPLETED call cancelled before it was started is settled
   * without running ({@link LOCAL_ACTIVITY_CANCEL_UNSENT_PATCH}): decided once per run.
   */
  cancelUnsentSettles(): boolean;
  /**
   * The activities' seq counter, if local activities take theirs from it
   * ({@link LOCAL_ACTIVITY_SEQ_SHARED_PATCH}); undefined in a history recorded before that rule.
   * Decided once per run, at its first local activity call.
   */
  sharedSeqs(): CommandSeqs | undefined;
  /**
   * Whether the call after a durable backoff takes its new seq's default activity id
   * ({@link LOCAL_ACTIVITY_BACKOFF_NEW_ID_PATCH}): decided once per run, at its first such call.
   */
  newIdAfterBackoff(): boolean;
  /** Runs `settle` in the next activation: once this one's microtasks and conditions ran. */
  inNextActivation(settle: () => void): void;
  /**
   * Runs `reject` for a call its scope's cancellation settled: in the next activation, or at once
   * in a history recorded before that rule (decided once per run).
   */
  rejectCancelled(reject: () => void): void;
}

interface ParkedLocalActivity extends InScope {
  resolve: (marker: LocalActivityMarkerDetails) => void;
  reject: (reason: unknown) => void;
  stack: CapturedStack;
  description: string;
  /** The call's `summary`, recorded on its marker. */
  summary: string | undefined;
}

interface RetryState {
  activityId: string | undefined;
  /** After a durable backoff, the first call's activity id: the idempotency key's. */
  callActivityId: string | undefined;
  attempt: number;
  originalScheduleTimeMs: number | undefined;
}

type ResolveJob = Extract<ActivationJob, { type: 'resolveLocalActivity' }>;

export class LocalActivityCalls {
  readonly #host: LocalActivityHost;
  /** Local activities' own seqs: the rule of histories without {@link LOCAL_ACTIVITY_SEQ_SHARED_PATCH}. */
  readonly #ownSeqs = new CommandSeqs();
  readonly #parked = new LazyMap<number, ParkedLocalActivity>();
  #schedule: LocalActivityRequest[] = [];
  #cancel: number[] = [];
  #settled: number[] = [];

  constructor(host: LocalActivityHost) {
    this.#host = host;
  }

  /**
   * The counter of local activity seqs (one per attempt the workflow issues): the activities' one,
   * or their own in a history recorded before they shared it. Read only by a call that may record.
   */
  get seqs(): CommandSeqs {
    return this.#host.sharedSeqs() ?? this.#ownSeqs;
  }

  /**
   * Runs a local activity to its end: attempts the worker retries locally, and attempts after a
   * backoff longer than `localRetryThreshold`, each of which waits on a durable timer and is a
   * new request with a new seq, and that seq's default activity id (Temporal's rule). The first attempt takes `firstSeq` when given
   * (taken before the interceptors ran). Resolves with the result; rejects with the
   * `ActivityFailure` that ended it.
   */
  async execute(
    activityType: string,
    args: unknown[],
    options: ResolvedLocalActivityOptions,
    headers?: Headers,
    firstSeq?: number,
  ): Promise<unknown> {
    const header = headersToWire(headers, `local activity '${activityType}'`);
    let retry: RetryState = {
      activityId: options.activityId,
      callActivityId: undefined,
      attempt: 1,
      originalScheduleTimeMs: undefined,
    };
    const input = argsAtCall(args); // every attempt gets the arguments of the call
    for (let seq = firstSeq; ; seq = undefined) {
      const outcome = await this.#scheduleOnce(activityType, input, options, retry, header, seq);
      if (outcome.failure === undefined) return outcome.result;
      if (outcome.backoffMs === undefined) throw decodeFailure(outcome.failure);
      await this.#host.sleep(Math.max(1, outcome.backoffMs));
      // Temporal's rule: the next call's default activity id is its own seq's; the idempotency
      // key stays the first call's. A history recorded before it kept the first call's id.
      const newId = this.#host.newIdAfterBackoff();
      retry = {
        activityId: newId ? options.activityId : outcome.activityId,
        callActivityId: newId ? (retry.callActivityId ?? outcome.activityId) : undefined,
        attempt: outcome.attempt + 1,
        originalScheduleTimeMs: outcome.originalScheduleTimeMs,
      };
    }
  }

  #scheduleOnce(
    activityType: string,
    args: unknown[],
    options: ResolvedLocalActivityOptions,
    retry: RetryState,
    header: WireHeaders | undefined,
    reservedSeq: number | undefined,
  ): Promise<LocalActivityMarkerDetails> {
    this.#host.assertMayIssue(`local activity '${activityType}'`);
    const scope = CancellationScope.current();
    if (scope.consideredCancelled) return rejectedBy(scope);
    const seq = reservedSeq ?? this.seqs.take();
    // Temporal's default id is the seq; `local-<seq>` in a history recorded before that rule.
    const activityId =
      retry.activityId ?? (this.#host.sharedSeqs() === undefined ? `local-${seq}` : String(seq));
    const request: LocalActivityRequest = {
      seq,
      activityId,
      activityType,
      args,
      attempt: retry.attempt,
      localRetryThresholdMs: options.localRetryThresholdMs,
    };
    if (header !== undefined) request.header = header;
    if (retry.callActivityId !== undefined && retry.callActivityId !== activityId)
      request.callActivityId = retry.callActivityId;
    if (retry.originalScheduleTimeMs !== undefined)
      request.originalScheduleTimeMs = retry.originalScheduleTimeMs;
    if (options.startToCloseTimeoutMs !== undefined)
      request.startToCloseTimeoutMs = options.startToCloseTimeoutMs;
    if (options.scheduleToCloseTimeoutMs !== undefined)
      request.scheduleToCloseTimeoutMs = options.scheduleToCloseTimeoutMs;
    if (options.scheduleToStartTimeoutMs !== undefined)
      request.scheduleToStartTimeoutMs = options.scheduleToStartTimeoutMs;
    if (options.retry !== undefined) request.retry = options.retry;
    if (options.priority !== undefined) request.priority = options.priority;
    this.#schedule.push(request);
    const stack = this.#host.captureStack();
    return new Promise<LocalActivityMarkerDetails>((resolve, reject) => {
      const onCancel = (): void => {
        if (!this.#parked.has(seq)) return;
        switch (options.cancellationType) {
          case 'ABANDON':
          case 'TRY_CANCEL': {
            takeParked(this.#parked, seq);
            const cancelled = this.#cancelledFailure(request);
            if (this.#host.cancelSettles()) {
              // Temporal's rule: the call settles and records its own cancellation marker at
              // once, and learns it in the next activation; the task does not wait for the
              // activity (TRY_CANCEL also aborts it).
              this.#settleCancelled(request, options, cancelled);
              this.#host.rejectCancelled(() => {
                reject(cancelled);
              });
              return;
            }
            // The rule of histories without the patch: the call rejects at once; the worker
            // aborts a TRY_CANCEL one, the task waits for it, and its outcome is recorded as its
            // marker when it ends.
            if (options.cancellationType === 'TRY_CANCEL') this.#cancel.push(seq);
            reject(cancelled);
            return;
          }
          case 'WAIT_CANCELLATION_COMPLETED':
            if (this.#schedule.includes(request) && this.#host.cancelUnsentSettles()) {
              // Not started yet: it never is, and its outcome is its cancellation, which the
              // call learns in the next activation (Temporal's worker resolves it so).
              takeParked(this.#parked, seq);
              const cancelled = this.#cancelledFailure(request);
              this.#settleCancelled(request, options, cancelled);
              this.#host.inNextActivation(() => {
                reject(cancelled);
              });
              return;
            }
            // The worker aborts it; its outcome (cancelled, or a result that raced) settles it.
            this.#cancel.push(seq);
            return;
          default: {
            const never: never = options.cancellationType;
            throw new TypeError(`Unknown cancellationType ${String(never)}`);
          }
        }
      };
      this.#parked.set(seq, {
        resolve,
        reject,
        stack,
        description: `local activity '${activityType}' (seq ${seq}, activityId '${activityId}')`,
        scope,
        onCancel,
        summary: options.summary,
      });
      onCancelRequested(scope, onCancel);
    });
  }

  /** What a cancelled call rejects with, and its marker records. */
  #cancelledFailure(request: LocalActivityRequest): ActivityFailure {
    return new ActivityFailure(
      'Local activity cancelled',
      request.activityType,
      request.activityId,
      'CancelRequested',
      0,
      new CancelledFailure('Local activity cancelled'),
    );
  }

  /**
   * Records the cancellation of a call as its marker, and tells the worker to stop waiting for it
   * (and, for TRY_CANCEL, to abort it). A call requested in this same activation is simply not
   * started.
   */
  #settleCancelled(
    request: LocalActivityRequest,
    options: ResolvedLocalActivityOptions,
    failure: ActivityFailure,
  ): void {
    const unsent = this.#schedule.indexOf(request);
    if (unsent !== -1) this.#schedule.splice(unsent, 1);
    else if (options.cancellationType === 'TRY_CANCEL') this.#cancel.push(request.seq);
    this.#settled.push(request.seq);
    const marker: LocalActivityMarkerDetails = {
      seq: request.seq,
      activityId: request.activityId,
      activityType: request.activityType,
      attempt: request.attempt,
      originalScheduleTimeMs: request.originalScheduleTimeMs ?? this.#host.now(),
      failure: encodeFailure(failure),
    };
    this.#pushMarker(marker, options.summary);
  }

  /** A local activity's marker, with its call's summary (Temporal's userMetadata). */
  #pushMarker(marker: LocalActivityMarkerDetails, summary: string | undefined): void {
    const command: Command = {
      type: 'RecordMarker',
      markerName: LOCAL_ACTIVITY_MARKER_NAME,
      details: { ...marker },
    };
    const userMetadata = userMetadataOf(summary);
    if (userMetadata !== undefined) command.userMetadata = userMetadata;
    this.#host.pushCommand(command);
  }

  /**
   * A local activity ended: records its marker (a command, matched against history on replay)
   * and settles the call, unless a cancellation already rejected it.
   */
  resolve(job: ResolveJob): void {
    // A call a cancellation already rejected is no longer parked: its marker has no summary.
    this.#pushMarker(job.marker, this.#parked.get(job.seq)?.summary);
    takeParked(this.#parked, job.seq)?.resolve(job.marker);
  }

  /** Whether a call waits for its outcome: the workflow task goes on until it comes. */
  get waiting(): boolean {
    return this.#parked.size > 0;
  }

  /** The requests of this activation, for the worker; undefined when there are none. */
  takeRequests(): LocalActivityRequests | undefined {
    if (this.#schedule.length === 0 && this.#cancel.length === 0 && this.#settled.length === 0) {
      return undefined;
    }
    const requests = { schedule: this.#schedule, cancel: this.#cancel, settled: this.#settled };
    this.#schedule = [];
    this.#cancel = [];
    this.#settled = [];
    return requests;
  }

  /** Calls still waiting: for the `__stack_trace` query. */
  pending(): Iterable<{ stack: CapturedStack; description: string }> {
    return this.#parked.values();
  }
}
