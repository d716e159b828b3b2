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

export {
  NamespaceNotFoundError,
  PayloadTooLargeError,
  QueryNotRegisteredError,
  QueryFailedError,
  RepriseError,
  UnknownSignalError,
  UnknownWorkflowTypeError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  InvalidArgumentError,
  ErrorCode,
} from '../errors.ts';
