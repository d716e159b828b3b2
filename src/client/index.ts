/**
 * `reprise/client`: start and talk to workflows.
 * @example
 * const client = new Client({ connection: engine.connection });
 * const handle = await client.workflow.start(processClaim, { taskQueue: 'claims', workflowId: 'claim-42', args: ['42'] });
 * console.log(await handle.result());
 */
export { Client, WorkflowClient } from './client.ts';
export type {
  ClientOptions,
  GetWorkflowHandleOptions,
  WorkflowHandleWithStartDetails,
  WorkflowSignalWithStartOptions,
  WorkflowStartOptions,
} from './client.ts';
export type { ClientPlugin } from './plugin.ts';
export { AsyncCompletionClient } from './async-completion-client.ts';
export type { FullActivityId } from './async-completion-client.ts';
export { WithStartWorkflowOperation } from './update-with-start.ts';
export type { UpdateWithStartOptions, WithStartWorkflowOptions } from './update-with-start.ts';
export type {
  ClientInterceptors,
  CompiledWorkflowOptions,
  CreateScheduleInput,
  CreateScheduleOutput,
  Headers,
  Next,
  ScheduleClientInterceptor,
  WorkflowCancelInput,
  WorkflowClientInterceptor,
  WorkflowDescribeInput,
  WorkflowExecution,
  WorkflowQueryInput,
  WorkflowSignalInput,
  WorkflowSignalWithStartInput,
  WorkflowStartInput,
  WorkflowStartOutput,
  WorkflowStartUpdateInput,
  WorkflowStartUpdateOutput,
  WorkflowStartUpdateWithStartInput,
  WorkflowStartUpdateWithStartOutput,
  WorkflowTerminateInput,
} from './interceptors.ts';
export { WorkflowUpdateHandle, WorkflowUpdateStage } from './workflow-update-handle.ts';
export type { WorkflowUpdateOptions } from './workflow-update-handle.ts';
export { WorkflowHandle } from './workflow-handle.ts';
export type {
  CountWorkflowExecution,
  ListOptions,
  WorkflowExecutionInfo,
} from './workflow-list.ts';
export type {
  AsyncWorkflowListIterable,
  HistoryAndWorkflowId,
  IntoHistoriesOptions,
} from './list-histories.ts';
export { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from './workflow-id-options.ts';
export type { SearchAttributes, SearchAttributeValue } from '../protocol/search-attributes.ts';
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
export type { History, WorkflowExecutionDescription } from './workflow-handle.ts';
export { Connection } from './connection.ts';
export type { ConnectionOptions } from './connection.ts';
export { ScheduleClient } from './schedule-client.ts';
export { ScheduleHandle } from './schedule-handle.ts';
export { ScheduleOverlapPolicy } from '../protocol/schedules.ts';
export type {
  Backfill,
  CalendarRange,
  CalendarSpec,
  CalendarSpecDescription,
  CompiledScheduleOptions,
  DayOfWeek,
  IntervalSpec,
  IntervalSpecDescription,
  ListScheduleOptions,
  Month,
  Range,
  ScheduleDescription,
  ScheduleExecutionResult,
  ScheduleOptions,
  ScheduleOptionsStartWorkflowAction,
  SchedulePolicies,
  ScheduleSpec,
  ScheduleSpecDescription,
  ScheduleSummary,
  ScheduleUpdateOptions,
} from './schedule-types.ts';
export {
  HostNotAllowedError,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  UnauthenticatedError,
} from '../errors.ts';
export {
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  ActivityNotFoundError,
  ActivityCancelledError,
  ActivityCompletionError,
  WorkflowContinuedAsNewError,
  // Kept (deprecated) so that old imports build.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  UpdateNotFoundError,
  ServiceError,
  WorkflowNotReadyError,
  NamespaceAlreadyExistsError,
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
  DataConverterError,
  ErrorCode,
  UnavailableError,
} from './errors.ts';
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
  ServerFailure,
  isCancellation,
} from '../failures.ts';
export type { RetryPolicy } from '../protocol/retry-options.ts';
export type { Priority } from '../protocol/priority.ts';
export type { InteractionDefinition, WorkflowMetadata } from '../protocol/activation.ts';
export type { WorkflowDescription } from '../transport/engine-api.ts';
export { defaultPayloadConverter, METADATA_ENCODING_KEY } from '../common/data-converter.ts';
export type {
  DataConverter,
  Payload,
  PayloadCodec,
  PayloadConverter,
} from '../common/data-converter.ts';
