// Sandbox-safe: the failure classes that cross the sandbox, the history and the wire, with
// Temporal's names and meaning. `instanceof` does not cross node:vm realms, so each class is
// branded with a Symbol.for key and has a guard (STYLE.md §5.5).
import { msOptionalFromDuration } from './protocol/duration.ts';
import type { Duration } from './protocol/duration.ts';
import type {
  Failure,
  RetryState as RetryStateValue,
  TimeoutType as TimeoutTypeValue,
} from './protocol/failure.ts';

/**
 * The values of `TimeoutFailure.timeoutType`, by Temporal's `TimeoutType` keys (and their
 * deprecated `TIMEOUT_TYPE_…` aliases), so that `e.timeoutType === TimeoutType.HEARTBEAT` ports
 * unchanged. The values are Reprise's (`'Heartbeat'`), not Temporal's (`'HEARTBEAT'`).
 */
export const TimeoutType = {
  START_TO_CLOSE: 'StartToClose',
  SCHEDULE_TO_START: 'ScheduleToStart',
  SCHEDULE_TO_CLOSE: 'ScheduleToClose',
  HEARTBEAT: 'Heartbeat',
  /** @deprecated Use `TimeoutType.START_TO_CLOSE` (Temporal's alias). */
  TIMEOUT_TYPE_START_TO_CLOSE: 'StartToClose',
  /** @deprecated Use `TimeoutType.SCHEDULE_TO_START` (Temporal's alias). */
  TIMEOUT_TYPE_SCHEDULE_TO_START: 'ScheduleToStart',
  /** @deprecated Use `TimeoutType.SCHEDULE_TO_CLOSE` (Temporal's alias). */
  TIMEOUT_TYPE_SCHEDULE_TO_CLOSE: 'ScheduleToClose',
  /** @deprecated Use `TimeoutType.HEARTBEAT` (Temporal's alias). */
  TIMEOUT_TYPE_HEARTBEAT: 'Heartbeat',
  /** @deprecated No failure has it (Temporal's alias). */
  TIMEOUT_TYPE_UNSPECIFIED: undefined,
} as const satisfies Record<string, TimeoutTypeValue | undefined>;
/** Why a `TimeoutFailure` timed out: `'StartToClose'`, `'ScheduleToStart'`, … */
export type TimeoutType = TimeoutTypeValue;

/**
 * The values of `retryState` on `ActivityFailure`, `ChildWorkflowFailure` and
 * `WorkflowFailedError`, by Temporal's `RetryState` keys (and their deprecated `RETRY_STATE_…`
 * aliases). The values are Reprise's (`'MaximumAttemptsReached'`), not Temporal's; Reprise has
 * no `INTERNAL_SERVER_ERROR`.
 */
export const RetryState = {
  IN_PROGRESS: 'InProgress',
  NON_RETRYABLE_FAILURE: 'NonRetryableFailure',
  TIMEOUT: 'Timeout',
  MAXIMUM_ATTEMPTS_REACHED: 'MaximumAttemptsReached',
  RETRY_POLICY_NOT_SET: 'RetryPolicyNotSet',
  CANCEL_REQUESTED: 'CancelRequested',
  /** @deprecated Use `RetryState.IN_PROGRESS` (Temporal's alias). */
  RETRY_STATE_IN_PROGRESS: 'InProgress',
  /** @deprecated Use `RetryState.NON_RETRYABLE_FAILURE` (Temporal's alias). */
  RETRY_STATE_NON_RETRYABLE_FAILURE: 'NonRetryableFailure',
  /** @deprecated Use `RetryState.TIMEOUT` (Temporal's alias). */
  RETRY_STATE_TIMEOUT: 'Timeout',
  /** @deprecated Use `RetryState.MAXIMUM_ATTEMPTS_REACHED` (Temporal's alias). */
  RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED: 'MaximumAttemptsReached',
  /** @deprecated Use `RetryState.RETRY_POLICY_NOT_SET` (Temporal's alias). */
  RETRY_STATE_RETRY_POLICY_NOT_SET: 'RetryPolicyNotSet',
  /** @deprecated Use `RetryState.CANCEL_REQUESTED` (Temporal's alias). */
  RETRY_STATE_CANCEL_REQUESTED: 'CancelRequested',
  /** @deprecated No failure has it (Temporal's alias). */
  RETRY_STATE_UNSPECIFIED: undefined,
} as const satisfies Record<string, RetryStateValue | undefined>;
/** Why retrying stopped: `'MaximumAttemptsReached'`, `'NonRetryableFailure'`, … */
export type RetryState = RetryStateValue;

const FAILURE_BRAND = Symbol.for('reprise.failure');
const KIND = Symbol.for('reprise.failure.kind');

type Kind =
  'application' | 'activity' | 'childWorkflow' | 'cancelled' | 'terminated' | 'timeout' | 'server';

function hasKind(e: unknown, kind: Kind): boolean {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[KIND] === kind;
}

/** Base of every failure that a workflow may throw or catch. Temporal's `TemporalFailure`. */
export class TemporalFailure extends Error {
  /** The serialised form this failure was rebuilt from, when it came from elsewhere. */
  failure: Failure | undefined;
  constructor(message?: string, cause?: Error) {
    super(message ?? '', cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    Object.defineProperty(this, FAILURE_BRAND, { value: true });
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    if (this === TemporalFailure) return (value as Record<symbol, unknown>)[FAILURE_BRAND] === true;
    return Function.prototype[Symbol.hasInstance].call(this, value) || sameKind(this, value);
  }
}

function sameKind(cls: unknown, value: unknown): boolean {
  const kind = (cls as { [KIND]?: Kind })[KIND];
  return kind !== undefined && hasKind(value, kind);
}

function brand(cls: object, kind: Kind): void {
  Object.defineProperty(cls, KIND, { value: kind });
  Object.defineProperty((cls as { prototype: object }).prototype, KIND, { value: kind });
}

/**
 * Temporal's `ApplicationFailureCategory`: how severe an application failure is. An activity
 * attempt that fails with a `BENIGN` one is logged by the worker at `debug`, not `warn`.
 */
export const ApplicationFailureCategory = {
  BENIGN: 'BENIGN',
} as const;
export type ApplicationFailureCategory =
  (typeof ApplicationFailureCategory)[keyof typeof ApplicationFailureCategory];

export interface ApplicationFailureOptions {
  message?: string | undefined;
  type?: string | undefined;
  nonRetryable?: boolean | undefined;
  details?: unknown[] | undefined;
  cause?: Error | undefined;
  /** Overrides the retry policy's next backoff: ms, or a string such as `'5s'`. */
  nextRetryDelay?: Duration | undefined;
  /** The failure's severity ({@link ApplicationFailureCategory}); it changes how it is logged. */
  category?: ApplicationFailureCategory | undefined;
}

/**
 * A failure raised by user code. Thrown from a workflow, it fails the workflow; thrown from an
 * activity, it fails the attempt (retried unless `nonRetryable` or its type is listed in the
 * policy's `nonRetryableErrorTypes`).
 */
export class ApplicationFailure extends TemporalFailure {
  type: string | undefined;
  nonRetryable: boolean;
  details: unknown[] | undefined;
  nextRetryDelay: Duration | undefined;
  category: ApplicationFailureCategory | undefined;
  /** Throws a `TypeError` for a `nextRetryDelay` that is not a duration, or an unknown `category`. */
  constructor(
    message?: string,
    type?: string,
    nonRetryable?: boolean,
    details?: unknown[],
    cause?: Error,
    nextRetryDelay?: Duration,
    category?: ApplicationFailureCategory,
  ) {
    super(message, cause);
    this.type = type;
    this.nonRetryable = nonRetryable ?? false;
    this.details = details;
    this.nextRetryDelay = nextRetryDelay;
    this.category = category;
    checkApplicationFailure(this);
  }
  static create(options: ApplicationFailureOptions): ApplicationFailure {
    return new ApplicationFailure(
      options.message,
      options.type,
      options.nonRetryable,
      options.details,
      options.cause,
      options.nextRetryDelay,
      options.category,
    );
  }
  static retryable(message?: string, type?: string, ...details: unknown[]): ApplicationFailure {
    return new ApplicationFailure(message, type ?? 'Error', false, details);
  }
  static nonRetryable(message?: string, type?: string, ...details: unknown[]): ApplicationFailure {
    return new ApplicationFailure(message, type ?? 'Error', true, details);
  }
  /**
   * Wraps any error as an ApplicationFailure, keeping its name as the type; `options` override
   * its fields (those of an ApplicationFailure given too, as in Temporal).
   */
  static fromError(error: unknown, options?: ApplicationFailureOptions): ApplicationFailure {
    if (isApplicationFailure(error)) {
      if (options === undefined) return error;
      Object.assign(error, options);
      checkApplicationFailure(error);
      return error;
    }
    const e = error instanceof Error ? error : new Error(String(error));
    const f = ApplicationFailure.create({
      message: e.message,
      type: e.name,
      ...options,
    });
    if (e.stack !== undefined) f.stack = e.stack;
    return f;
  }
}
brand(ApplicationFailure, 'application');

function checkApplicationFailure(f: ApplicationFailure): void {
  msOptionalFromDuration(f.nextRetryDelay);
  const category: unknown = f.category;
  if (category !== undefined && category !== ApplicationFailureCategory.BENIGN) {
    throw new TypeError(
      `Unknown ApplicationFailure category ${JSON.stringify(category)}: use ApplicationFailureCategory.BENIGN, or none.`,
    );
  }
}

/** True for an ApplicationFailure of category `BENIGN` (an expected outcome, logged at debug). */
export function isBenignApplicationFailure(e: unknown): boolean {
  return isApplicationFailure(e) && e.category === ApplicationFailureCategory.BENIGN;
}

/** An activity failed for good: its `cause` says why (application error, timeout, cancel). */
export class ActivityFailure extends TemporalFailure {
  readonly activityType: string;
  readonly activityId: string;
  readonly retryState: RetryState;
  readonly scheduledEventId: number;
  constructor(
    message: string,
    activityType: string,
    activityId: string,
    retryState: RetryState,
    scheduledEventId: number,
    cause?: Error,
  ) {
    super(message, cause);
    this.activityType = activityType;
    this.activityId = activityId;
    this.retryState = retryState;
    this.scheduledEventId = scheduledEventId;
  }
}
brand(ActivityFailure, 'activity');

/**
 * A child workflow did not complete: its `cause` says why (the child's failure, a
 * `CancelledFailure`, `TerminatedFailure` or `TimeoutFailure`). Temporal's `ChildWorkflowFailure`.
 */
export class ChildWorkflowFailure extends TemporalFailure {
  readonly namespace: string | undefined;
  readonly execution: { workflowId: string; runId: string };
  readonly workflowType: string;
  readonly retryState: RetryState;
  /** The parent's StartChildWorkflowExecutionInitiated and ChildWorkflowExecutionStarted ids. */
  initiatedEventId = 0;
  startedEventId = 0;
  constructor(
    namespace: string | undefined,
    execution: { workflowId: string; runId: string },
    workflowType: string,
    retryState: RetryState,
    cause?: Error,
  ) {
    super('Child Workflow execution failed', cause);
    this.namespace = namespace;
    this.execution = execution;
    this.workflowType = workflowType;
    this.retryState = retryState;
  }
}
brand(ChildWorkflowFailure, 'childWorkflow');

/** The operation was cancelled: the workflow, its scope, or an activity. */
export class CancelledFailure extends TemporalFailure {
  readonly details: unknown[];
  constructor(message: string, details: unknown[] = [], cause?: Error) {
    super(message, cause);
    this.details = details;
  }
}
brand(CancelledFailure, 'cancelled');

/** The workflow was terminated. */
export class TerminatedFailure extends TemporalFailure {}
brand(TerminatedFailure, 'terminated');

/** A timeout was reached: its `timeoutType` says which. */
export class TimeoutFailure extends TemporalFailure {
  /** What the timed-out activity last passed to `heartbeat()` (Temporal: the first detail). */
  readonly lastHeartbeatDetails: unknown;
  readonly timeoutType: TimeoutType;
  /**
   * `cause`: for a schedule-to-close timeout, the failure of the last attempt that failed before
   * it (why the activity was retried until its deadline).
   */
  constructor(
    message: string,
    lastHeartbeatDetails: unknown,
    timeoutType: TimeoutType,
    cause?: Error,
  ) {
    super(message, cause);
    this.lastHeartbeatDetails = lastHeartbeatDetails;
    this.timeoutType = timeoutType;
  }
}
brand(TimeoutFailure, 'timeout');

/** A failure raised by the engine itself. */
export class ServerFailure extends TemporalFailure {
  readonly nonRetryable: boolean;
  constructor(message: string, nonRetryable: boolean, cause?: Error) {
    super(message, cause);
    this.nonRetryable = nonRetryable;
  }
}
brand(ServerFailure, 'server');

export function isTemporalFailure(e: unknown): e is TemporalFailure {
  return (
    typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[FAILURE_BRAND] === true
  );
}
export function isApplicationFailure(e: unknown): e is ApplicationFailure {
  return hasKind(e, 'application');
}
export function isActivityFailure(e: unknown): e is ActivityFailure {
  return hasKind(e, 'activity');
}
export function isChildWorkflowFailure(e: unknown): e is ChildWorkflowFailure {
  return hasKind(e, 'childWorkflow');
}
export function isCancelledFailure(e: unknown): e is CancelledFailure {
  return hasKind(e, 'cancelled');
}
export function isTimeoutFailure(e: unknown): e is TimeoutFailure {
  return hasKind(e, 'timeout');
}
export function isServerFailure(e: unknown): e is ServerFailure {
  return hasKind(e, 'server');
}
export function isTerminatedFailure(e: unknown): e is TerminatedFailure {
  return hasKind(e, 'terminated');
}

/**
 * True when `error` is, or was caused by, a cancellation: a CancelledFailure, or an
 * ActivityFailure whose cause is one. Temporal's `isCancellation`.
 */
export function isCancellation(error: unknown): boolean {
  if (isCancelledFailure(error)) return true;
  if (isActivityFailure(error) || isChildWorkflowFailure(error)) {
    return isCancelledFailure(error.cause);
  }
  return false;
}

/** Serialises any thrown value as a {@link Failure}, keeping the cause chain. */
export function encodeFailure(error: unknown, depth = 0): Failure {
  const e =
    error instanceof Error || isTemporalFailure(error)
      ? error
      : new Error(typeof error === 'string' ? error : `Non-Error value thrown: ${String(error)}`);
  const cause =
    depth < 20 && e.cause !== undefined && e.cause !== null
      ? encodeFailure(e.cause, depth + 1)
      : undefined;
  const base = { message: e.message, stack: e.stack, cause };
  if (isApplicationFailure(e)) {
    return {
      ...base,
      info: {
        type: 'application',
        errorType: e.type ?? 'Error',
        nonRetryable: e.nonRetryable,
        details: e.details,
        nextRetryDelayMs: msOptionalFromDuration(e.nextRetryDelay),
        ...(e.category !== undefined && { category: e.category }),
      },
    };
  }
  if (isActivityFailure(e)) {
    return {
      ...base,
      info: {
        type: 'activity',
        activityType: e.activityType,
        activityId: e.activityId,
        scheduledEventId: e.scheduledEventId,
        retryState: e.retryState,
      },
    };
  }
  if (isChildWorkflowFailure(e)) {
    return {
      ...base,
      info: {
        type: 'childWorkflow',
        namespace: e.namespace ?? '',
        workflowId: e.execution.workflowId,
        runId: e.execution.runId,
        workflowType: e.workflowType,
        initiatedEventId: e.initiatedEventId,
        startedEventId: e.startedEventId,
        retryState: e.retryState,
      },
    };
  }
  if (isCancelledFailure(e)) return { ...base, info: { type: 'cancelled', details: e.details } };
  if (isTerminatedFailure(e)) return { ...base, info: { type: 'terminated' } };
  if (isTimeoutFailure(e)) {
    return {
      ...base,
      info: {
        type: 'timeout',
        timeoutType: e.timeoutType,
        lastHeartbeatDetails:
          e.lastHeartbeatDetails === undefined ? undefined : [e.lastHeartbeatDetails],
      },
    };
  }
  if (isServerFailure(e)) {
    return { ...base, info: { type: 'server', nonRetryable: e.nonRetryable } };
  }
  // A plain Error becomes an ApplicationFailure whose type is the error's name (Temporal).
  return { ...base, info: { type: 'application', errorType: e.name, nonRetryable: false } };
}

/** Rebuilds the failure class a {@link Failure} was made from, with its cause chain. */
export function decodeFailure(failure: Failure): TemporalFailure {
  const cause = failure.cause ? decodeFailure(failure.cause) : undefined;
  const info = failure.info;
  let e: TemporalFailure;
  switch (info.type) {
    case 'application':
      e = new ApplicationFailure(
        failure.message,
        info.errorType,
        info.nonRetryable,
        info.details,
        cause,
        info.nextRetryDelayMs,
        info.category,
      );
      break;
    case 'activity':
      e = new ActivityFailure(
        failure.message,
        info.activityType,
        info.activityId,
        info.retryState,
        info.scheduledEventId,
        cause,
      );
      break;
    case 'childWorkflow': {
      const child = new ChildWorkflowFailure(
        info.namespace,
        { workflowId: info.workflowId, runId: info.runId },
        info.workflowType,
        info.retryState,
        cause,
      );
      child.initiatedEventId = info.initiatedEventId;
      child.startedEventId = info.startedEventId;
      e = child;
      break;
    }
    case 'cancelled':
      e = new CancelledFailure(failure.message, info.details ?? [], cause);
      break;
    case 'terminated':
      e = new TerminatedFailure(failure.message, cause);
      break;
    case 'timeout':
      e = new TimeoutFailure(
        failure.message,
        info.lastHeartbeatDetails?.[0],
        info.timeoutType,
        cause,
      );
      break;
    case 'server':
      e = new ServerFailure(failure.message, info.nonRetryable, cause);
      break;
    default: {
      const never: never = info;
      throw new TypeError(`Unknown failure info ${JSON.stringify(never)}`);
    }
  }
  e.failure = failure;
  if (failure.stack !== undefined) e.stack = failure.stack;
  return e;
}
