import { ErrorCode, RepriseError } from '../errors.ts';
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

export {
  NamespaceNotFoundError,
  PayloadTooLargeError,
  QueryNotRegisteredError,
  QueryFailedError,
  RepriseError,
  UnknownSignalError,
  UnknownWorkflowTypeError,
  UpdateNotFoundError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  InvalidArgumentError,
  DataConverterError,
  ErrorCode,
  UnavailableError,
} from '../errors.ts';
