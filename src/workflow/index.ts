// The public `reprise/workflow` API: Temporal's TypeScript SDK names and meaning. Runs inside the
// deterministic sandbox: never imports node:* or host modules.
import { msFromTimerDuration, msOptionalFromDuration } from '../protocol/duration.ts';
import type { Duration } from '../protocol/duration.ts';
import { checkedPriority } from '../protocol/priority.ts';
import type { Priority } from '../protocol/priority.ts';
import { compileRetryPolicy } from '../protocol/retry-options.ts';
import { ActivityCancellationType } from './activator.ts';
import type { HandlerUnfinishedPolicy, ResolvedActivityOptions } from './activator.ts';
import { CancellationScope, offCancelRequested, onCancelRequested } from './cancellation-scope.ts';
import type { CancelListener } from './cancellation-scope.ts';
import { DEFAULT_LOCAL_RETRY_THRESHOLD_MS } from './local-activity.ts';
import type { ResolvedLocalActivityOptions } from './local-activity.ts';
import { getActivator, maybeGetActivator } from './context.ts';
import type {
  QueryDefinition,
  SignalDefinition,
  UpdateDefinition,
} from '../protocol/definitions.ts';
import type { WorkflowInfo } from './workflow-info.ts';
import type { WorkflowLogEntry } from '../protocol/activation.ts';
import { InvalidArgumentError } from '../errors.ts';
import { normaliseSearchAttributes } from '../protocol/search-attribute-checks.ts';
import { typedKeyTypes, unifySearchAttributes } from '../protocol/typed-search-attributes.ts';
import type { SearchAttributeUpdatePair } from '../protocol/typed-search-attributes.ts';

export {
  ActivityFailure,
  ApplicationFailure,
  ApplicationFailureCategory,
  CancelledFailure,
  ChildWorkflowFailure,
  TemporalFailure,
  TerminatedFailure,
  TimeoutFailure,
  TimeoutType,
  RetryState,
  isCancellation,
} from '../failures.ts';
export type { ApplicationFailureOptions } from '../failures.ts';
export type {
  QueryDefinition,
  SignalDefinition,
  UpdateDefinition,
  Workflow,
} from '../protocol/definitions.ts';
export type { Duration } from '../protocol/duration.ts';
export type { Priority } from '../protocol/priority.ts';
export { ActivityCancellationType, HandlerUnfinishedPolicy } from './activator.ts';
export { CancellationScope, currentUpdateInfo } from './cancellation-scope.ts';
export { ContinueAsNew, continueAsNew, makeContinueAsNewFunc } from './continue-as-new.ts';
export type { ContinueAsNewOptions } from './continue-as-new.ts';
export { executeChild, getExternalWorkflowHandle, startChild } from './child-workflow.ts';
export type {
  ChildWorkflowHandle,
  ChildWorkflowOptions,
  ChildWorkflowOptionsWithDefaults,
  ExternalWorkflowHandle,
} from './child-workflow.ts';
export { ChildWorkflowCancellationType, ParentClosePolicy } from './cross-run-calls.ts';
export { WorkflowIdReusePolicy } from '../protocol/workflow-id-policy.ts';
export { WorkflowExecutionAlreadyStartedError } from '../errors.ts';
export type { CancellationScopeOptions, UpdateInfo } from './cancellation-scope.ts';
export type { ParentWorkflowInfo, RootWorkflowInfo, WorkflowInfo } from './workflow-info.ts';
export { proxySinks } from './sinks.ts';
export { metricMeter } from './metrics.ts';
export { noopMetricMeter } from '../common/metrics.ts';
export type {
  Metric,
  MetricCounter,
  MetricGauge,
  MetricUpDownCounter,
  MetricHistogram,
  MetricKind,
  MetricMeter,
  MetricTags,
  NumericMetricValueType,
} from '../common/metrics.ts';
export type { Sink, SinkCall, SinkFunction, Sinks } from './sinks.ts';
export {
  SearchAttributeType,
  TypedSearchAttributes,
  defineSearchAttributeKey,
} from '../protocol/typed-search-attributes.ts';
export type {
  SearchAttributeKey,
  SearchAttributePair,
  SearchAttributeUpdatePair,
  SearchAttributeValueOfType,
} from '../protocol/typed-search-attributes.ts';
import type { TimerOptions } from './interceptors.ts';
export type {
  ActivityInput,
  ContinueAsNewInput,
  ContinueAsNewInputOptions,
  GetLogAttributesInput,
  GetMetricTagsInput,
  Headers,
  LocalActivityInput,
  Next,
  QueryInput,
  SignalInput,
  SignalWorkflowInput,
  StartChildWorkflowExecutionInput,
  TimerInput,
  TimerOptions,
  UpdateInput,
  WorkflowExecuteInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowInterceptorsFactory,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from './interceptors.ts';
export { METADATA_ENCODING_KEY, defaultPayloadConverter } from '../protocol/payload-converter.ts';
export type { PayloadConverter } from '../protocol/payload-converter.ts';
export type { Payload } from '../protocol/headers.ts';

// ── activities ──────────────────────────────────────────────────────────────────────────────

/** A retry policy with durations as ms or strings. Temporal's `RetryPolicy`. */
export interface RetryPolicy {
  /** Delay before the first retry. Default 1 s. */
  readonly initialInterval?: Duration | undefined;
  /** Multiplier of the delay after each failed attempt, 1 or more. Default 2. */
  readonly backoffCoefficient?: number | undefined;
  /** Cap on the delay. Default 100 × initialInterval. */
  readonly maximumInterval?: Duration | undefined;
  /** Attempts in all, 0 or Infinity meaning unlimited. Default unlimited. */
  readonly maximumAttempts?: number | undefined;
  /** `ApplicationFailure` types that are never retried. */
  readonly nonRetryableErrorTypes?: readonly string[] | undefined;
}

/** Options of `proxyActivities`. One of `startToCloseTimeout` / `scheduleToCloseTimeout` is required. */
export interface ActivityOptions {
  /** Longest time one attempt may run. */
  readonly startToCloseTimeout?: Duration | undefined;
  /** Longest time the activity may take, retries included. */
  readonly scheduleToCloseTimeout?: Duration | undefined;
  /** Longest time a task may wait in its queue before a worker takes it. */
  readonly scheduleToStartTimeout?: Duration | undefined;
  /** Longest gap between heartbeats before the attempt counts as failed. */
  readonly heartbeatTimeout?: Duration | undefined;
  /** Retry policy of the activity; default: Temporal's (unlimited attempts, 1 s × 2). */
  readonly retry?: RetryPolicy | undefined;
  /** Task queue of the activity; default: the workflow's. */
  readonly taskQueue?: string | undefined;
  /** Activity id; default: the call's sequence number. Use only with one call per proxy. */
  readonly activityId?: string | undefined;
  /** What cancellation of the calling scope does. Default WAIT_CANCELLATION_COMPLETED. */
  readonly cancellationType?: ActivityCancellationType | undefined;
  /**
   * Default true: when the worker that runs this workflow serves the activity's task queue and
   * has a free slot, the activity comes back started in the workflow task's answer (eager
   * dispatch, docs/performance.md). False sends it through its task queue.
   */
  readonly allowEagerDispatch?: boolean | undefined;
  /**
   * One line that UIs show for the activity: recorded on its ActivityTaskScheduled (through the
   * data converter), never matched on replay. At most 400 bytes as stored. Temporal's.
   */
  readonly summary?: string | undefined;
  /**
   * Temporal's task priority of the activity: each field set here wins over the workflow's
   * (`workflowInfo().priority`), the others are inherited. `priorityKey` orders its tasks in a
   * backlog of its task queue (lower first); recorded on its ActivityTaskScheduled and shown by
   * `activityInfo().priority`; never matched on replay. A bad value throws `TypeError` at the call.
   */
  readonly priority?: Priority | undefined;
}

type AnyFunction = (...args: never[]) => unknown;

/** Turns a module of activity functions into the type `proxyActivities` returns. */
export type ActivityInterfaceFor<T> = {
  [K in keyof T]: T[K] extends AnyFunction
    ? (...args: Parameters<T[K]>) => Promise<Awaited<ReturnType<T[K]>>>
    : never;
};

/** Activities called by name, when no module type is given. */
export type UntypedActivities = Record<string, (...args: unknown[]) => Promise<unknown>>;

/**
 * Returns an object whose methods schedule activities by their property name and resolve with
 * their results. Temporal's `proxyActivities`.
 *
 * Throws `TypeError` unless `startToCloseTimeout` or `scheduleToCloseTimeout` is set. A failed
 * activity rejects with an `ActivityFailure` whose `cause` is the `ApplicationFailure`,
 * `TimeoutFailure` or `CancelledFailure` that ended it.
 *
 * @example
 * ```ts
 * import type * as activities from './activities';
 * const { charge } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });
 * const receipt = await charge(order);
 * ```
 */
export function proxyActivities<A = UntypedActivities>(
  options: ActivityOptions,
): ActivityInterfaceFor<A> {
  const resolved = resolveActivityOptions(options);
  return new Proxy(
    {},
    {
      get(_target, property) {
        if (typeof property !== 'string') return undefined;
        return (...args: unknown[]) => {
          const activator = getActivator();
          // Options an interceptor replaced are resolved (and checked) again.
          return activator.outboundWithSeq(
            'scheduleActivity',
            { activityType: property, args, options, headers: {} },
            (input, seq) =>
              activator.scheduleActivity(
                input.activityType,
                input.args,
                input.options === options ? resolved : resolveActivityOptions(input.options),
                input.headers,
                seq,
              ),
          );
        };
      },
    },
  ) as ActivityInterfaceFor<A>;
}

/**
 * Options of `proxyLocalActivities`. One of `startToCloseTimeout` / `scheduleToCloseTimeout` is
 * required. Temporal's `LocalActivityOptions`.
 */
export interface LocalActivityOptions {
  /** Longest time one attempt may run. */
  readonly startToCloseTimeout?: Duration | undefined;
  /** Longest time the activity may take, retries and durable backoffs included. */
  readonly scheduleToCloseTimeout?: Duration | undefined;
  /**
   * Longest time an attempt may wait for one of the worker's local activity slots
   * (`maxConcurrentLocalActivityExecutions`) before it starts; past it, the activity fails with
   * a `TimeoutFailure` (`ScheduleToStart`) and is not retried. Default: no limit.
   */
  readonly scheduleToStartTimeout?: Duration | undefined;
  /** Retry policy; default: Temporal's (unlimited attempts, 1 s × 2). */
  readonly retry?: RetryPolicy | undefined;
  /**
   * Backoffs up to this long are waited out in the worker, within the workflow task; longer ones
   * become a durable timer and the next attempt runs in a later task. Default 1 minute.
   */
  readonly localRetryThreshold?: Duration | undefined;
  /**
   * Activity id; default: the call's sequence number as a string, as in Temporal (whose local
   * activities take no id), counted with activities' (`local-` and the number in a run recorded
   * before that rule). It stays the same for attempts after a durable backoff.
   */
  readonly activityId?: string | undefined;
  /** What cancellation of the calling scope does. Default WAIT_CANCELLATION_COMPLETED. */
  readonly cancellationType?: ActivityCancellationType | undefined;
  /**
   * One line that UIs show for the activity: recorded on its marker (through the data
   * converter), never matched on replay. At most 400 bytes as stored. Temporal's.
   */
  readonly summary?: string | undefined;
  /**
   * The activity's priority over the workflow's, as for `proxyActivities`: a local activity is
   * not queued, so it orders nothing; `activityInfo().priority` shows it. Not recorded. A bad
   * value throws `TypeError` at the call.
   */
  readonly priority?: Priority | undefined;
}

/**
 * Returns an object whose methods run local activities: the worker that runs the workflow task
 * runs the activity itself, in the same process and the same workflow task, with no activity
 * task and no round trip through the engine, and records the outcome as a `core_local_activity`
 * marker. Replay reads the marker and never runs the activity again. Temporal's
 * `proxyLocalActivities`.
 *
 * Keep local activities short: they run while the workflow task is out, and the task must be
 * answered within its timeout (an attempt is cut at 80 % of it and retried in a later task).
 * Throws `TypeError` unless `startToCloseTimeout` or `scheduleToCloseTimeout` is set. An
 * activity that fails for good rejects with an `ActivityFailure`.
 *
 * @example
 * ```ts
 * import type * as activities from './activities';
 * const { lookupRate } = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '5s' });
 * const rate = await lookupRate('EUR');
 * ```
 */
export function proxyLocalActivities<A = UntypedActivities>(
  options: LocalActivityOptions,
): ActivityInterfaceFor<A> {
  const resolved = resolveLocalActivityOptions(options);
  return new Proxy(
    {},
    {
      get(_target, property) {
        if (typeof property !== 'string') return undefined;
        return (...args: unknown[]) => {
          const activator = getActivator();
          return activator.outboundWithSeq(
            'scheduleLocalActivity',
            { activityType: property, args, options, headers: {} },
            (input, seq) =>
              activator.localActivities.execute(
                input.activityType,
                input.args,
                input.options === options ? resolved : resolveLocalActivityOptions(input.options),
                input.headers,
                seq,
              ),
          );
        };
      },
    },
  ) as ActivityInterfaceFor<A>;
}

function resolveLocalActivityOptions(options: LocalActivityOptions): ResolvedLocalActivityOptions {
  if (options.startToCloseTimeout === undefined && options.scheduleToCloseTimeout === undefined) {
    throw new TypeError(
      'proxyLocalActivities needs startToCloseTimeout or scheduleToCloseTimeout: set at least one.',
    );
  }
  return {
    activityId: options.activityId,
    startToCloseTimeoutMs: positiveMs(options.startToCloseTimeout),
    scheduleToCloseTimeoutMs: positiveMs(options.scheduleToCloseTimeout),
    scheduleToStartTimeoutMs: positiveMs(options.scheduleToStartTimeout),
    retry: options.retry === undefined ? undefined : compileRetryPolicy(options.retry),
    localRetryThresholdMs: Math.max(
      0,
      msOptionalFromDuration(options.localRetryThreshold) ?? DEFAULT_LOCAL_RETRY_THRESHOLD_MS,
    ),
    cancellationType:
      options.cancellationType ?? ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    summary: options.summary,
    priority: checkedPriority(options.priority, 'a local activity'),
  };
}

function resolveActivityOptions(options: ActivityOptions): ResolvedActivityOptions {
  if (options.startToCloseTimeout === undefined && options.scheduleToCloseTimeout === undefined) {
    throw new TypeError(
      'proxyActivities needs startToCloseTimeout or scheduleToCloseTimeout: set at least one.',
    );
  }
  return {
    taskQueue: options.taskQueue,
    activityId: options.activityId,
    startToCloseTimeoutMs: positiveMs(options.startToCloseTimeout),
    scheduleToCloseTimeoutMs: positiveMs(options.scheduleToCloseTimeout),
    scheduleToStartTimeoutMs: positiveMs(options.scheduleToStartTimeout),
    heartbeatTimeoutMs: positiveMs(options.heartbeatTimeout),
    retry: options.retry === undefined ? undefined : compileRetryPolicy(options.retry),
    cancellationType:
      options.cancellationType ?? ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    allowEagerDispatch: options.allowEagerDispatch ?? true,
    summary: options.summary,
    priority: checkedPriority(options.priority, 'an activity'),
  };
}

function positiveMs(duration: Duration | undefined): number | undefined {
  const ms = msOptionalFromDuration(duration);
  return ms === undefined ? undefined : Math.max(1, ms);
}

// ── time ────────────────────────────────────────────────────────────────────────────────────

/**
 * Sleeps for `duration` on a durable timer: the run may be evicted and resumed meanwhile.
 * Rejects with `CancelledFailure` if the current scope is cancelled first. A duration of 0 or
 * less (a deadline already past) sleeps 1 ms, as in Temporal. `options.summary` is recorded on
 * the timer's TimerStarted for UIs (Temporal's `TimerOptions`).
 *
 * @example
 * ```ts
 * await sleep('2 hours', { summary: 'cool-down before retrying the payment' });
 * ```
 */
export function sleep(duration: Duration, options?: TimerOptions): Promise<void> {
  return getActivator().sleep(msFromTimerDuration(duration), options);
}

/**
 * Waits until `fn` returns true. With `timeout`, resolves `true` when `fn` became true and
 * `false` when the timeout elapsed first. `fn` is checked after each batch of events and must
 * only read workflow state. Rejects with `CancelledFailure` if the scope is cancelled. A
 * `timeout` of `undefined` or `null` is none, as in Temporal.
 *
 * @example
 * ```ts
 * const approved = await condition(() => state.approved, '1 day');
 * ```
 */
export function condition(fn: () => boolean, timeout: Duration): Promise<boolean>;
export function condition(fn: () => boolean): Promise<void>;
export function condition(fn: () => boolean, timeout?: Duration): Promise<boolean | void> {
  // As in Temporal: only a number or a string is a timeout (null, from untyped code, is none).
  if (typeof timeout !== 'number' && typeof timeout !== 'string')
    return getActivator()
      .condition(fn)
      .then(() => undefined);
  const ms = msFromTimerDuration(timeout);
  return CancellationScope.cancellable(async () => {
    try {
      return await Promise.race([
        getActivator()
          .sleep(ms)
          .then(() => false),
        getActivator()
          .condition(fn)
          .then(() => true),
      ]);
    } finally {
      CancellationScope.current().cancel();
    }
  });
}

// ── signals, queries, updates ───────────────────────────────────────────────────────────────

/**
 * Declares a signal. Declare signals at module level: the worker then knows the names the
 * workflow accepts.
 *
 * @example
 * ```ts
 * export const approve = defineSignal<[approver: string]>('approve');
 * ```
 */
export function defineSignal<Args extends unknown[] = [], Name extends string = string>(
  name: Name,
): SignalDefinition<Args, Name> {
  maybeGetActivator()?.declaredSignals.add(name);
  return { type: 'signal', name };
}

/**
 * Declares a query.
 *
 * @example
 * ```ts
 * export const status = defineQuery<string>('status');
 * ```
 */
export function defineQuery<Ret, Args extends unknown[] = [], Name extends string = string>(
  name: Name,
): QueryDefinition<Ret, Args, Name> {
  return { type: 'query', name };
}

/**
 * Declares an update: a request a client sends with `handle.executeUpdate` that the workflow
 * handles and answers, recorded in history once accepted.
 *
 * @example
 * ```ts
 * export const addItem = defineUpdate<number, [item: string]>('addItem');
 * ```
 */
export function defineUpdate<Ret, Args extends unknown[] = [], Name extends string = string>(
  name: Name,
): UpdateDefinition<Ret, Args, Name> {
  return { type: 'update', name };
}

/** Options of a query handler. */
export interface QueryHandlerOptions {
  /**
   * What the query is for. Kept with the handler (Temporal lists it in its
   * `__temporal_workflow_metadata` query, which Reprise does not answer yet).
   */
  readonly description?: string | undefined;
}

/** Options of a signal handler. */
export interface SignalHandlerOptions {
  /** What the signal is for; kept with the handler, as a query handler's. */
  readonly description?: string | undefined;
  /**
   * What happens to the handler if it is still running when the workflow completes, is
   * cancelled or continues as new: abandoned with a warning in the worker's log (the default,
   * `WARN_AND_ABANDON`) or silently (`ABANDON`).
   */
  readonly unfinishedPolicy?: HandlerUnfinishedPolicy | undefined;
}

/** Options of an update handler. */
export interface UpdateHandlerOptions<Args extends unknown[]> {
  /** What the update is for; kept with the handler, as a query handler's. */
  readonly description?: string | undefined;
  /**
   * Rejects an update before it is recorded, by throwing: the caller gets
   * `WorkflowUpdateFailedError` and history keeps no trace of it. Runs synchronously, must only
   * read workflow state, and does not run on replay.
   */
  readonly validator?: ((...args: Args) => void) | undefined;
  /**
   * What happens to the handler if it is still running when the workflow completes, is
   * cancelled or continues as new (its caller gets an error either way): abandoned with a
   * warning in the worker's log (the default, `WARN_AND_ABANDON`) or silently (`ABANDON`).
   */
  readonly unfinishedPolicy?: HandlerUnfinishedPolicy | undefined;
}

/**
 * Sets (or with `undefined`, removes) the handler of a signal, query or update. Signals that
 * arrived before their handler was set are delivered to it at once, in order. Query handlers run
 * synchronously and must not change state or call durable APIs.
 *
 * @example
 * ```ts
 * setHandler(approve, (approver) => { state.approvedBy = approver; });
 * setHandler(status, () => state.status);
 * ```
 */
export function setHandler<Args extends unknown[]>(
  def: SignalDefinition<Args>,
  handler: ((...args: NoInfer<Args>) => void | Promise<void>) | undefined,
  options?: SignalHandlerOptions,
): void;
export function setHandler<Ret, Args extends unknown[]>(
  def: QueryDefinition<Ret, Args>,
  handler: ((...args: NoInfer<Args>) => NoInfer<Ret>) | undefined,
  options?: QueryHandlerOptions,
): void;
export function setHandler<Ret, Args extends unknown[]>(
  def: UpdateDefinition<Ret, Args>,
  handler: ((...args: NoInfer<Args>) => NoInfer<Ret> | Promise<NoInfer<Ret>>) | undefined,
  options?: UpdateHandlerOptions<NoInfer<Args>>,
): void;
export function setHandler(
  def:
    | SignalDefinition<unknown[]>
    | QueryDefinition<unknown, unknown[]>
    | UpdateDefinition<unknown, unknown[]>,
  handler: ((...args: never[]) => unknown) | undefined,
  options?: UpdateHandlerOptions<never[]> | SignalHandlerOptions | QueryHandlerOptions,
): void {
  const activator = getActivator();
  const h = handler as ((...args: unknown[]) => unknown) | undefined;
  const description = h === undefined ? undefined : options?.description;
  if (description !== undefined && typeof description !== 'string') {
    throw new InvalidArgumentError(
      `The description of the ${def.type} handler '${def.name}' must be a string, got ${typeof description}.`,
    );
  }
  activator.describeHandler(def.type, def.name, description);
  const policy = (options as SignalHandlerOptions | undefined)?.unfinishedPolicy;
  switch (def.type) {
    case 'signal':
      activator.setSignalHandler(def.name, h, policy);
      return;
    case 'query':
      activator.setQueryHandler(def.name, h);
      return;
    case 'update':
      activator.setUpdateHandler(
        def.name,
        h,
        (options as UpdateHandlerOptions<never[]> | undefined)?.validator as
          ((...args: unknown[]) => void) | undefined,
        policy,
      );
      return;
    default: {
      const never: never = def;
      throw new TypeError(`Unknown handler definition ${JSON.stringify(never)}`);
    }
  }
}

/**
 * True when no signal or update handler is still running. Wait for it before the workflow
 * returns, so that every accepted update gets its answer.
 *
 * @example
 * ```ts
 * await condition(allHandlersFinished);
 * return state;
 * ```
 */
export function allHandlersFinished(): boolean {
  return getActivator().allHandlersFinished();
}

/**
 * Sets the run's current details: a description of what it is doing now, for people, that the
 * built-in `__temporal_workflow_metadata` query returns. Not recorded in history: a run rebuilt
 * by replay has what its code set again. Temporal's `setCurrentDetails`.
 */
export function setCurrentDetails(details: string): void {
  if (typeof details !== 'string') {
    throw new InvalidArgumentError(
      `setCurrentDetails takes a string, got ${typeof details}: describe what the workflow is doing in words.`,
    );
  }
  getActivator().currentDetails = details;
}

/** The run's current details, as `setCurrentDetails` last set them ('' until then). */
export function getCurrentDetails(): string {
  return getActivator().currentDetails;
}

/**
 * Sets a handler for every signal that has no handler of its own; it receives the signal name
 * first. Buffered signals without a handler are delivered to it at once.
 */
export function setDefaultSignalHandler(
  handler: ((signalName: string, ...args: unknown[]) => void | Promise<void>) | undefined,
): void {
  getActivator().setDefaultSignalHandler(handler);
}

/**
 * Sets a handler for every update that has no handler of its own; it receives the update name
 * first. It has no validator, and its unfinished policy is `WARN_AND_ABANDON`. Buffered updates
 * without a handler are delivered to it at once, in the order they arrived. Temporal's
 * `setDefaultUpdateHandler`.
 */
export function setDefaultUpdateHandler(
  handler: ((updateName: string, ...args: unknown[]) => unknown) | undefined,
): void {
  getActivator().setDefaultUpdateHandler(handler);
}

// ── info, versioning, determinism, logging ──────────────────────────────────────────────────

/**
 * Whether the caller runs as workflow code in a worker's sandbox (the workflows module, its
 * functions and handlers, workflow interceptors); false anywhere else that imports
 * `reprise/workflow`, such as an activity, a client or a test. Temporal's `inWorkflowContext`.
 */
export function inWorkflowContext(): boolean {
  return maybeGetActivator() !== undefined;
}

/** What the workflow knows about its own run: ids, type, task queue, history size, times. */
export function workflowInfo(): WorkflowInfo {
  return getActivator().workflowInfo();
}

/**
 * Adds, replaces or removes (with `null` or `[]`) search attributes of this run: the values
 * that `client.workflow.list({ query })` filters on. `workflowInfo().searchAttributes` and
 * `workflowInfo().typedSearchAttributes` show the change at once. Takes either a record, whose
 * value is a string, a finite number, a boolean, a `Date` (stored as its ISO string) or a string
 * array, or Temporal's typed pairs (`SearchAttributeUpdatePair[]`), each value of its key's type
 * and `null` to remove. Throws `InvalidArgumentError` for any other value, a typed value not of
 * its key's type, a name that is not an identifier, or a system attribute (WorkflowId, …).
 *
 * @example
 * ```ts
 * upsertSearchAttributes({ OrderStatus: 'paid', Amount: 120, Tags: ['vip'] });
 * upsertSearchAttributes({ Tags: null }); // removes Tags
 * const PaidAt = defineSearchAttributeKey('PaidAt', SearchAttributeType.DATETIME);
 * upsertSearchAttributes([{ key: PaidAt, value: new Date() }]);
 * ```
 */
export function upsertSearchAttributes(
  searchAttributes: Record<string, unknown> | readonly SearchAttributeUpdatePair[],
): void {
  if (Array.isArray(searchAttributes)) {
    const upsert = unifySearchAttributes(
      undefined,
      searchAttributes as readonly SearchAttributeUpdatePair[],
      'upsertSearchAttributes',
    );
    const keyTypes = typedKeyTypes(searchAttributes as readonly SearchAttributeUpdatePair[]);
    if (upsert !== undefined) getActivator().upsertSearchAttributes(upsert, keyTypes);
    return;
  }
  const result = normaliseSearchAttributes(searchAttributes as Record<string, unknown>);
  if (!result.ok) throw new InvalidArgumentError(result.message);
  getActivator().upsertSearchAttributes(result.value);
}

/**
 * Adds, replaces or removes (with `null`) memo keys of this run: values shown by `describe()`
 * and `list()`, not queryable. `workflowInfo().memo` shows the change at once.
 * @example upsertMemo({ note: 'waiting for the warehouse' });
 */
export function upsertMemo(memo: Record<string, unknown>): void {
  // `undefined` removes a key too, and must survive JSON on its way to the engine as null.
  const upserted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(memo)) upserted[key] = value ?? null;
  getActivator().upsertMemo(upserted);
}

/**
 * A random RFC 4122 v4 UUID that is the same on every replay (drawn from the run's seeded
 * random source).
 */
export function uuid4(): string {
  return getActivator().uuid4();
}

/**
 * Branches on a code change without breaking runs already in flight. Returns true for runs that
 * reach this call on new code (and records a marker in history, once per run), false while
 * replaying history written before the change; such a run takes the new branch from the first
 * call it runs live, and keeps it (Temporal's rule).
 *
 * @example
 * ```ts
 * if (patched('send-email-v2')) await sendEmailV2(); else await sendEmail();
 * ```
 */
export function patched(patchId: string): boolean {
  return getActivator().patched(patchId, false);
}

/**
 * Marks a patch as deprecated once no run without it is left: records the marker so that runs
 * started on the patched code still replay, and lets a later release remove the call.
 */
export function deprecatePatch(patchId: string): void {
  getActivator().patched(patchId, true);
}

/** Attributes attached to a log line. */
export type LogAttributes = Record<string, unknown>;

/** The workflow logger. Lines are returned to the worker with each task; none while replaying. */
export interface WorkflowLogger {
  /** Written at the worker logger's `trace` level (`debug` for a logger without one). */
  trace(message: string, attrs?: LogAttributes): void;
  debug(message: string, attrs?: LogAttributes): void;
  info(message: string, attrs?: LogAttributes): void;
  warn(message: string, attrs?: LogAttributes): void;
  error(message: string, attrs?: LogAttributes): void;
}

/**
 * Replay-safe logger: lines written while replaying are dropped, so each appears once.
 *
 * @example
 * ```ts
 * log.info('charged', { orderId });
 * ```
 */
export const log: WorkflowLogger = {
  trace: (message, attrs) => {
    writeLog('trace', message, attrs);
  },
  debug: (message, attrs) => {
    writeLog('debug', message, attrs);
  },
  info: (message, attrs) => {
    writeLog('info', message, attrs);
  },
  warn: (message, attrs) => {
    writeLog('warn', message, attrs);
  },
  error: (message, attrs) => {
    writeLog('error', message, attrs);
  },
};

/** A line of `log`, with the attributes of the `getLogAttributes` interceptors; none on replay. */
function writeLog(
  level: WorkflowLogEntry['level'],
  message: string,
  attrs: LogAttributes | undefined,
): void {
  const activator = getActivator();
  if (activator.replayingHistory) return;
  const withInterceptors = activator.interceptors.logAttributes(() => {
    const info = activator.workflowInfo();
    return {
      namespace: info.namespace,
      taskQueue: info.taskQueue,
      workflowId: info.workflowId,
      runId: info.runId,
      workflowType: info.workflowType,
    };
  }, attrs);
  activator.log(level, message, withInterceptors);
}

/**
 * A promise with its `resolve` and `reject` exposed; it rejects when the scope it was created
 * in is cancelled. Temporal's `Trigger`.
 *
 * @example
 * ```ts
 * const done = new Trigger<string>();
 * setHandler(finish, (value) => { done.resolve(value); });
 * const value = await done;
 * ```
 */
export class Trigger<T> implements PromiseLike<T> {
  readonly #promise: Promise<T>;
  /**
   * Resolves the trigger; later calls do nothing. A function of its own, as in Temporal: it may
   * be passed on (`setHandler(done, trigger.resolve)`, `.then(trigger.resolve)`).
   */
  readonly resolve: (value: T | PromiseLike<T>) => void;
  /** Rejects the trigger; later calls do nothing. A function of its own, as `resolve` is. */
  readonly reject: (reason?: unknown) => void;

  constructor() {
    let settle: { resolve: (value: T | PromiseLike<T>) => void; reject: (e: unknown) => void };
    this.#promise = new Promise<T>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // Its scope lets go of the listener once the trigger is settled (ADR 0018).
    const scope = CancellationScope.current();
    const onCancel: CancelListener = (reason) => {
      settle.reject(reason);
    };
    onCancelRequested(scope, onCancel);
    this.#promise.catch(() => undefined);
    this.resolve = (value) => {
      settle.resolve(value);
      offCancelRequested(scope, onCancel);
    };
    this.reject = (reason) => {
      settle.reject(reason);
      offCancelRequested(scope, onCancel);
    };
  }

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#promise.then(onfulfilled, onrejected);
  }
}
