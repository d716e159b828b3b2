import { ErrorCode, RepriseError, WorkflowNotReadyError } from '../errors.ts';
import type { RetryState } from '../protocol/failure.ts';

/** `handle.result()` found the workflow failed, cancelled, terminated or timed out; see `cause`. */
export class WorkflowFailedError extends RepriseError {
  readonly retryState: RetryState | undefined;
  constructor(message: string, cause: Error, retryState?: RetryState) {
    super(ErrorCode.WorkflowFailed, message, { cause });
    this.retryState = retryState;
  }
}

/**
 * A workflow update was rejected by its validator, or its handler threw a failure, or the
 * workflow closed before the update completed; see `cause`. Temporal's `WorkflowUpdateFailedError`.
 */
export class WorkflowUpdateFailedError extends RepriseError {
  constructor(message: string, cause: Error) {
    super(ErrorCode.WorkflowUpdateFailed, message, { cause });
  }
}

/**
 * The activity a task token names is not running any more: it completed, failed, timed out, was
 * retried or cancelled, or its workflow closed. Temporal's `ActivityNotFoundError`.
 */
export class ActivityNotFoundError extends RepriseError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.ActivityTaskNotFound, message, options);
  }
}

/**
 * `client.activity.heartbeat` learnt that the workflow requested the activity's cancellation:
 * stop, and report it with `client.activity.reportCancellation`. Temporal's
 * `ActivityCancelledError`.
 */
export class ActivityCancelledError extends RepriseError {
  constructor(message: string) {
    super(ErrorCode.ActivityCancelled, message);
  }
}

/**
 * `client.activity` could not complete, fail, heartbeat or cancel the activity for another reason
 * than its being gone (that is `ActivityNotFoundError`): a malformed task token, a result too
 * large, an engine that is closed; see `cause`. Temporal's `ActivityCompletionError`.
 */
export class ActivityCompletionError extends RepriseError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.ActivityCompletionFailed, message, options);
  }
}

/**
 * `handle.result()` of a handle with `followRuns: false` found that the run continued as new;
 * `newExecutionRunId` is the next run. Temporal's `WorkflowContinuedAsNewError`.
 */
export class WorkflowContinuedAsNewError extends RepriseError {
  readonly newExecutionRunId: string;
  constructor(message: string, newExecutionRunId: string) {
    super(ErrorCode.WorkflowContinuedAsNew, message);
    this.newExecutionRunId = newExecutionRunId;
  }
}

/**
 * Temporal's `ServiceError`: the engine refused the call for a reason that is neither a missing
 * workflow nor a failed update — today, a run not ready for an update (`WorkflowNotReadyError`,
 * its workflow task keeps failing). `cause` is the engine's error, whose `code` this one has.
 */
export class ServiceError extends RepriseError {
  constructor(message: string, cause: RepriseError) {
    super(cause.code, `${message}: ${cause.message}`, { cause });
  }
}

/**
 * What an update call throws for an engine error, as Temporal's client: a `WorkflowNotReadyError`
 * (Temporal's server error WorkflowNotReady) in a `ServiceError` with `fallback` as its message;
 * any other error as it is.
 */
export function updateCallError(e: unknown, fallback: string): unknown {
  return e instanceof WorkflowNotReadyError ? new ServiceError(fallback, e) : e;
}

export {
  NamespaceAlreadyExistsError,
  NamespaceNotFoundError,
  PayloadTooLargeError,
  QueryNotRegisteredError,
  QueryFailedError,
  RepriseError,
  UnknownSignalError,
  UnknownWorkflowTypeError,
  // Kept (deprecated) so that old imports build.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  UpdateNotFoundError,
  WorkflowNotReadyError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  InvalidArgumentError,
  DataConverterError,
  ErrorCode,
  UnavailableError,
} from '../errors.ts';
