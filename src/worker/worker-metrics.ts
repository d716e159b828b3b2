// The worker's metrics: what it records about itself (Temporal core's worker metrics, prefixed
// `reprise_`), and the sink that takes the values workflow code records (workflow/metrics.ts) to
// the worker's `metricMeter`. Without that option every metric here is the no-op one, and the
// callers skip even the work of measuring (`enabled`). What the worker records on that meter
// goes through a guard: a meter that throws is logged, and never breaks the handling of a task.
import { meterFrom, noopMetricMeter, recorderOn } from '../common/metrics.ts';
import type {
  MetricCounter,
  MetricGauge,
  MetricHistogram,
  MetricMeter,
  MetricTags,
  NumericMetricValueType,
} from '../common/metrics.ts';
import { isBenignApplicationFailure } from '../failures.ts';
import type { Logger } from '../logger.ts';
import { isCloseCommand } from '../protocol/commands.ts';
import type { Command } from '../protocol/commands.ts';
import { METRIC_SINK_FUNCTIONS, METRICS_SINK } from '../workflow/metrics.ts';
import type { Sinks } from '../workflow/sinks.ts';
import type { WorkflowInfo } from '../workflow/workflow-info.ts';
import type { InjectedSinks } from './sinks.ts';

/** The names of the worker's metrics: Temporal core's, prefixed `reprise_` (docs/metrics.md). */
export const WorkerMetricName = {
  workflowCompleted: 'reprise_workflow_completed',
  workflowFailed: 'reprise_workflow_failed',
  workflowCanceled: 'reprise_workflow_canceled',
  workflowContinueAsNew: 'reprise_workflow_continue_as_new',
  workflowTaskExecutionLatency: 'reprise_workflow_task_execution_latency',
  workflowTaskExecutionFailed: 'reprise_workflow_task_execution_failed',
  activityExecutionLatency: 'reprise_activity_execution_latency',
  activityExecutionFailed: 'reprise_activity_execution_failed',
  stickyCacheSize: 'reprise_sticky_cache_size',
  taskSlotsAvailable: 'reprise_worker_task_slots_available',
} as const;

const N = WorkerMetricName;

/**
 * The worker's own metrics, made once from its `metricMeter`, tagged `namespace` and `taskQueue`.
 * What the meter throws, as a metric is made or given a value, is logged as a warning (once per
 * metric) and goes no further: an activity's result, a workflow task's answer and the worker's
 * shutdown never depend on a metric.
 */
export class WorkerMetrics {
  /** False with the no-op meter: the worker then measures nothing. */
  readonly enabled: boolean;
  /** The `metricMeter` option as given (the no-op meter without it). */
  readonly base: MetricMeter;
  readonly #closes: Readonly<Record<CloseCommandType, MetricCounter>>;
  readonly workflowTaskLatency: MetricHistogram;
  readonly workflowTaskFailed: MetricCounter;
  readonly activityLatency: MetricHistogram;
  readonly activityFailed: MetricCounter;
  readonly stickyCacheSize: MetricGauge;
  readonly workflowSlotsAvailable: MetricGauge;
  readonly activitySlotsAvailable: MetricGauge;

  constructor(
    meter: MetricMeter | undefined,
    tags: { namespace: string; taskQueue: string },
    logger: Logger,
  ) {
    this.base = meter ?? noopMetricMeter;
    this.enabled = this.base !== noopMetricMeter;
    const m = this.enabled ? guardedMeter(this.base, tags, logger) : noopMetricMeter;
    this.#closes = {
      CompleteWorkflowExecution: m.createCounter(N.workflowCompleted, '', 'Workflows completed'),
      FailWorkflowExecution: m.createCounter(N.workflowFailed, '', 'Workflows failed'),
      CancelWorkflowExecution: m.createCounter(N.workflowCanceled, '', 'Workflows cancelled'),
      ContinueAsNewWorkflowExecution: m.createCounter(
        N.workflowContinueAsNew,
        '',
        'Workflows continued as new',
      ),
    };
    this.workflowTaskLatency = m.createHistogram(
      N.workflowTaskExecutionLatency,
      'float',
      'ms',
      'Time to run a workflow task, from its receipt to its answer',
    );
    this.workflowTaskFailed = m.createCounter(
      N.workflowTaskExecutionFailed,
      '',
      'Workflow tasks failed',
    );
    this.activityLatency = m.createHistogram(
      N.activityExecutionLatency,
      'float',
      'ms',
      'Time an activity attempt ran, to its result or failure',
    );
    this.activityFailed = m.createCounter(
      N.activityExecutionFailed,
      '',
      'Activity attempts failed (not BENIGN ones, not cancelled ones)',
    );
    this.stickyCacheSize = m.createGauge(N.stickyCacheSize, 'int', '', 'Runs in the sticky cache');
    const slots = m.createGauge(N.taskSlotsAvailable, 'int', '', 'Free task execution slots');
    this.workflowSlotsAvailable = slots.withTags({ workerType: 'WorkflowWorker' });
    this.activitySlotsAvailable = slots.withTags({ workerType: 'ActivityWorker' });
  }

  /** The time now, for a latency, if metrics are on (0 if not: nothing is measured). */
  startTime(): number {
    return this.enabled ? performance.now() : 0;
  }

  /**
   * Records an activity attempt that ran to its result (`failure` undefined) or failed: its
   * latency from `startedAt` ({@link startTime}), and a failure unless `BENIGN`.
   */
  activityEnded(activityType: string, startedAt: number, failure?: Error): void {
    if (!this.enabled) return;
    const tags = { activityType };
    this.activityLatency.record(performance.now() - startedAt, tags);
    if (failure !== undefined && !isBenignApplicationFailure(failure)) {
      this.activityFailed.add(1, tags);
    }
  }

  /** Counts the run's close, if `commands` (those of an accepted workflow task) close it. */
  workflowClosed(commands: readonly Command[], workflowType: string): void {
    for (const c of commands) {
      if (isCloseCommand(c)) {
        this.#closes[c.type as CloseCommandType].add(1, { workflowType });
        return;
      }
    }
  }
}

/**
 * `meter` with `tags`, for the worker's own metrics: what it throws, as a metric is made or given
 * a value, is logged as a warning once per metric name and dropped. A metric whose making threw
 * records nothing.
 */
function guardedMeter(meter: MetricMeter, tags: MetricTags, logger: Logger): MetricMeter {
  const warned = new Set<string>();
  const warn = (name: string, e: unknown): void => {
    if (warned.has(name)) return;
    warned.add(name);
    try {
      logger.warn(
        { metric: name, err: e },
        "the worker's metricMeter threw for one of the worker's metrics: its values are not " +
          'recorded while it throws (logged once per metric); task handling goes on',
      );
    } catch {
      // A logger that throws has nowhere left to report: the task goes on all the same.
    }
  };
  const recordOn = recorderOn(meter);
  return meterFrom((metric) => {
    let record: ReturnType<typeof recordOn>;
    try {
      record = recordOn(metric);
    } catch (e) {
      warn(metric.name, e);
      return () => {
        // Not made: records nothing.
      };
    }
    return (value, all) => {
      try {
        record(value, all);
      } catch (e) {
        warn(metric.name, e);
      }
    };
  }, tags);
}

/**
 * `sinks` with the sink that takes workflow code's metric values to `meter`, each tagged
 * `namespace`, `taskQueue` and `workflowType` from `workflowInfo()` at the call. A replay passes
 * the no-op meter: the sink is there, so its calls are not logged as calls of an unknown sink.
 */
export function withWorkflowMetricsSink(
  sinks: InjectedSinks<Sinks> | undefined,
  meter: MetricMeter,
): InjectedSinks<Sinks> {
  // The metric objects made so far, by kind and name: not one per value.
  const made = new Map<string, MetricCounter | MetricHistogram | MetricGauge>();
  const get = <M extends MetricCounter | MetricHistogram | MetricGauge>(
    key: string,
    make: () => M,
  ): M => {
    let metric = made.get(key) as M | undefined;
    if (metric === undefined) made.set(key, (metric = make()));
    return metric;
  };
  const tagsOf = (info: WorkflowInfo, tags: MetricTags | undefined): MetricTags => ({
    namespace: info.namespace,
    taskQueue: info.taskQueue,
    workflowType: info.workflowType,
    ...tags,
  });
  type Args = [string, NumericMetricValueType, string?, string?, number?, MetricTags?];
  const metricsSink = {
    [METRIC_SINK_FUNCTIONS.counter]: {
      fn: (info: WorkflowInfo, ...[name, , unit, description, value, tags]: Args) => {
        const counter = get(`c:${name}`, () => meter.createCounter(name, unit, description));
        counter.add(value ?? 0, tagsOf(info, tags));
      },
    },
    [METRIC_SINK_FUNCTIONS.histogram]: {
      fn: (info: WorkflowInfo, ...[name, valueType, unit, description, value, tags]: Args) => {
        const histogram = get(`h:${name}`, () =>
          meter.createHistogram(name, valueType, unit, description),
        );
        histogram.record(value ?? 0, tagsOf(info, tags));
      },
    },
    [METRIC_SINK_FUNCTIONS.gauge]: {
      fn: (info: WorkflowInfo, ...[name, valueType, unit, description, value, tags]: Args) => {
        const gauge = get(`g:${name}`, () => meter.createGauge(name, valueType, unit, description));
        gauge.set(value ?? 0, tagsOf(info, tags));
      },
    },
  };
  return { ...sinks, [METRICS_SINK]: metricsSink };
}

type CloseCommandType =
  | 'CompleteWorkflowExecution'
  | 'FailWorkflowExecution'
  | 'CancelWorkflowExecution'
  | 'ContinueAsNewWorkflowExecution';
