/**
 * `reprise/client`: start and talk to workflows.
 * @example
 * const client = new Client({ connection: engine.connection });
 * const handle = await client.workflow.start(processClaim, { taskQueue: 'claims', workflowId: 'claim-42', args: ['42'] });
 * console.log(await handle.result());
 */
export { Client, WorkflowClient } from './client.ts';
export type { ClientOptions, WorkflowStartOptions } from './client.ts';
export { WorkflowHandle } from './workflow-handle.ts';
export type { History } from './workflow-handle.ts';
export { Connection } from './connection.ts';
export {
  WorkflowFailedError,
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
} from './errors.ts';
export {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  TemporalFailure,
  TerminatedFailure,
  TimeoutFailure,
  ServerFailure,
  isCancellation,
} from '../failures.ts';
export type { RetryPolicy } from '../protocol/retry-options.ts';
export type { WorkflowDescription } from '../transport/engine-api.ts';
