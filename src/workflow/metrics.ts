// Sandbox-safe: `metricMeter` for workflow code. A value recorded is sent out as a call of the
// worker's own sink `__reprise_metrics` (sinks.ts), so it leaves with the activation's answer and
// reaches the worker's meter once the activation is done (worker/workflow-metrics.ts); while the
// worker replays history nothing is recorded, so each value counts once per real execution.
import { checkMetricValue, meterFrom } from '../common/metrics.ts';
import type { MetricKind, MetricMeter, MetricRecorder, MetricTags } from '../common/metrics.ts';
import { getActivator } from './context.ts';

/** The sink the worker registers for workflow metrics; a user's sink of this name is not called. */
export const METRICS_SINK = '__reprise_metrics';

/**
 * The functions of {@link METRICS_SINK}, each called with
 * `(name, valueType, unit, description, value, tags)`.
 */
export const METRIC_SINK_FUNCTIONS = {
  counter: 'addCounter',
  histogram: 'recordHistogram',
  gauge: 'setGauge',
  'up-down-counter': 'addUpDownCounter',
} as const satisfies Record<MetricKind, string>;

/** The input of the `getMetricTags` interceptors, as Temporal's: the run's workflow type. */
const metricTagsInput = (): MetricTags => ({
  workflowType: getActivator().workflowInfo().workflowType,
});

/**
 * Sends one value out of the sandbox, unless history is being replayed, with the tags of the
 * `getMetricTags` interceptors first.
 */
const sendOut: MetricRecorder = (metric) => (value, tags) => {
  checkMetricValue(metric, value);
  const activator = getActivator();
  if (activator.replayingHistory) return;
  const all = activator.interceptors.metricTags(metricTagsInput, tags);
  activator.callSink(METRICS_SINK, METRIC_SINK_FUNCTIONS[metric.kind], [
    metric.name,
    metric.valueType,
    metric.unit,
    metric.description,
    value,
    all ?? {},
  ]);
};

/**
 * Records metrics from workflow code, through the worker's `metricMeter` option (a no-op unless
 * set): counters, histograms, gauges and up-down counters (`createUpDownCounter`, whose values
 * may be below 0; like the others', none is sent while replaying). Each value carries the tags `namespace`, `taskQueue` and `workflowType`, then those of
 * the `getMetricTags` interceptors, the meter's and metric's `withTags` and the value's own. Replay-safe: nothing is recorded while
 * the worker replays history (after an eviction from its cache, or to answer a query), so a
 * counter counts once per real execution; a query handler or update validator records, as it
 * runs for real. A value is sent to the worker with the activation's answer and recorded once
 * the activation is done. A value below 0 (or not a finite number) throws
 * `InvalidArgumentError`. Temporal's `metricMeter` from `@temporalio/workflow`.
 *
 * @example
 * ```ts
 * const orders = metricMeter.createCounter('orders_placed');
 *
 * export async function order(amount: number): Promise<void> {
 *   orders.add(1, { currency: 'EUR' });
 *   metricMeter.createHistogram('order_amount', 'float').record(amount);
 * }
 * ```
 */
export const metricMeter: Required<MetricMeter> = meterFrom(sendOut);
