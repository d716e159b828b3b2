/**
 * `reprise/worker`: run workflows and activities.
 * @example
 * const worker = await Worker.create({ connection: engine.connection, taskQueue: 'claims',
 *   workflowsPath: new URL('./workflows.ts', import.meta.url).pathname, activities });
 * await worker.run();
 */
export { Worker } from './worker.ts';
export type { RunUntilOptions, WorkerOptions, WorkerState, WorkerStatus } from './worker.ts';
export type { PollerState } from './poll-loop.ts';
export type {
  ActivitySlotInfo,
  CustomSlotSupplier,
  FixedSizeSlotSupplier,
  LocalActivitySlotInfo,
  NexusSlotInfo,
  ResourceBasedSlotOptions,
  ResourceBasedSlotsForType,
  ResourceBasedTuner,
  ResourceBasedTunerOptions,
  SlotInfo,
  SlotMarkUsedContext,
  SlotPermit,
  SlotReleaseContext,
  SlotReserveContext,
  SlotSupplier,
  TunerHolder,
  WorkerTuner,
  WorkflowSlotInfo,
} from './worker-tuner.ts';
export { NativeConnection } from './native-connection.ts';
export type { NativeConnectionOptions } from './native-connection.ts';
export { Runtime } from './runtime.ts';
export type { RuntimeOptions } from './runtime.ts';
export { DefaultLogger } from './default-logger.ts';
export type { LogEntry, LogLevel } from './default-logger.ts';
export type { Logger } from '../logger.ts';
export type { ReplayResult, ReplayWorkerOptions, ReplayableHistory } from './replay.ts';
export type { InjectedSink, InjectedSinkFunction, InjectedSinks } from './sinks.ts';
export { bundleWorkflowCode } from './workflow-bundle.ts';
export { WorkerMetricName } from './worker-metrics.ts';
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
export type {
  BundleOptions,
  BundleWorkflowCodeOptions,
  BundlerOptions,
  WorkflowBundleCode,
  WorkflowBundleOption,
} from './workflow-bundle.ts';
export {
  CombinedWorkerRunError,
  DataConverterError,
  DeterminismViolationError,
  IllegalStateError,
  PromiseCompletionTimeoutError,
  GracefulShutdownPeriodExpiredError,
  ReplayError,
  UnavailableError,
} from '../errors.ts';
export { defaultPayloadConverter, METADATA_ENCODING_KEY } from '../common/data-converter.ts';
export type {
  DataConverter,
  Payload,
  PayloadCodec,
  PayloadConverter,
} from '../common/data-converter.ts';
export type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptors,
  ActivityInterceptorsFactory,
  ActivityOutboundCallsInterceptor,
  GetMetricTagsInput,
  Headers,
  Next,
  WorkerInterceptors,
} from './interceptors.ts';
export type { BundlerPlugin, WorkerPlugin } from './plugin.ts';
