/**
 * `reprise/activity`: what an activity function can reach while a Worker runs it.
 * @example
 * import { heartbeat, activityInfo } from 'reprise/activity';
 * export async function upload(file: string) {
 *   heartbeat({ offset: 0 });
 *   return activityInfo().idempotencyKey;
 * }
 */
import { upDownCounterOn } from '../common/metrics.ts';
import type { MetricMeter } from '../common/metrics.ts';
import type { Duration } from '../protocol/duration.ts';
import { Context } from './context.ts';
import type { ActivityInfo } from './context.ts';
import { writeTrace } from '../logger.ts';

export { ActivityCancellationDetails, Context, CompleteAsyncError } from './context.ts';
export type {
  ActivityCancelReason,
  ActivityCancellationDetailsOptions,
  ActivityInfo,
} from './context.ts';
export {
  ApplicationFailure,
  ApplicationFailureCategory,
  ActivityFailure,
  CancelledFailure,
  TemporalFailure,
  TerminatedFailure,
  TimeoutFailure,
  TimeoutType,
  RetryState,
} from '../failures.ts';
export type { ApplicationFailureOptions } from '../failures.ts';
export type { Priority } from '../protocol/priority.ts';
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

/** The running activity's info. Throws outside an activity. */
export function activityInfo(): ActivityInfo {
  return Context.current().info;
}

/** Records progress for the running activity (see `Context.heartbeat`). */
export function heartbeat(details?: unknown): void {
  Context.current().heartbeat(details);
}

/** The running activity's cancellation `AbortSignal`. */
export function cancellationSignal(): AbortSignal {
  return Context.current().cancellationSignal;
}

/**
 * Rejects with a `CancelledFailure` when the running activity is cancelled; never resolves
 * (see `Context.cancelled`). Race it against the activity's work.
 */
export function cancelled(): Promise<never> {
  return Context.current().cancelled;
}

/** A cancellable sleep inside an activity. */
export function sleep(duration: Duration): Promise<void> {
  return Context.current().sleep(duration);
}

/** Temporal's logger shape: a message, then attributes. */
export interface ActivityLogger {
  trace(message: string, attrs?: Record<string, unknown>): void;
  debug(message: string, attrs?: Record<string, unknown>): void;
  info(message: string, attrs?: Record<string, unknown>): void;
  warn(message: string, attrs?: Record<string, unknown>): void;
  error(message: string, attrs?: Record<string, unknown>): void;
}

/** A logger that carries the running activity's ids. */
export const log: ActivityLogger = {
  trace: (message, attrs) => {
    writeTrace(Context.current().log, attrs ?? {}, message);
  },
  debug: (message, attrs) => {
    Context.current().log.debug(attrs ?? {}, message);
  },
  info: (message, attrs) => {
    Context.current().log.info(attrs ?? {}, message);
  },
  warn: (message, attrs) => {
    Context.current().log.warn(attrs ?? {}, message);
  },
  error: (message, attrs) => {
    Context.current().log.error(attrs ?? {}, message);
  },
};

/**
 * The running activity's meter: `Context.current().metricMeter` (the worker's `metricMeter`,
 * tagged `namespace`, `taskQueue` and `activityType`). Throws outside an activity when a metric
 * is made. Temporal's `metricMeter` from `@temporalio/activity`.
 * @example
 * metricMeter.createHistogram('upload_bytes').record(size);
 */
export const metricMeter: Required<MetricMeter> = {
  createCounter: (name, unit, description) =>
    Context.current().metricMeter.createCounter(name, unit, description),
  createHistogram: (name, valueType, unit, description) =>
    Context.current().metricMeter.createHistogram(name, valueType, unit, description),
  createGauge: (name, valueType, unit, description) =>
    Context.current().metricMeter.createGauge(name, valueType, unit, description),
  createUpDownCounter: (name, unit, description) =>
    upDownCounterOn(Context.current().metricMeter, name, unit, description),
  withTags: (tags) => Context.current().metricMeter.withTags(tags),
};
