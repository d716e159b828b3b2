// The worker's metrics: what it records about itself (Temporal core's worker metrics, prefixed
// `reprise_`), and the sink that takes the values workflow code records (workflow/metrics.ts) to
// the worker's `metricMeter`. Without that option every metric here is the no-op one, and the
// callers skip even the work of measuring (`enabled`). What the worker records on that meter, its
// own metrics and workflow code's values, goes through a guard: a meter that throws is logged
// once per metric, and never breaks the handling of a task.
import { meterFrom, noopMetricMeter, recorderOn, upDownCounterOn } from '../common/metrics.ts';
import type {
  MetricCounter,
  MetricGauge,
  MetricHistogram,
  MetricMeter,
  MetricTags,
  MetricUpDownCounter,
  NumericMetricValueType,
} from '../common/metrics.ts';
import { isBenignApplicationFailure } from '../failures.ts';
import type { Logger } from '../logger.ts';
import { isCloseCommand } from '../protocol/commands.ts';
import type { Command } from '../protocol/commands.ts';
import type { Failure } from '../protocol/failure.ts';
import type { HistoryEvent } from '../protocol/history-events.ts';
import type { ActivityTask } from '../transport/engine-api.ts';
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
  workflowTaskScheduleToStartLatency: 'reprise_workflow_task_schedule_to_start_latency',
  activityExecutionLatency: 'reprise_activity_execution_latency',
  activityExecutionFailed: 'reprise_activity_execution_failed',
  activityScheduleToStartLatency: 'reprise_activity_schedule_to_start_latency',
  localActivityTotal: 'reprise_local_activity_total',
  localActivityExecutionLatency: 'reprise_local_activity_execution_latency',
  localActivityExecutionFailed: 'reprise_local_activity_execution_failed',
  localActivityExecutionCancelled: 'reprise_local_activity_execution_cancelled',
  localActivitySucceedEndToEndLatency: 'reprise_local_activity_succeed_endtoend_latency',
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
  /**
   * `base` for the values workflow code records (withWorkflowMetricsSink), behind the same
   * guard as the worker's own metrics: what it throws is a warning once per metric.
   */
  readonly workflowMeter: MetricMeter;
  readonly #closes: Readonly<Record<CloseCommandType, MetricCounter>>;
  readonly workflowTaskLatency: MetricHistogram;
  readonly workflowTaskFailed: MetricCounter;
  readonly #workflowTaskScheduleToStart: MetricHistogram;
  readonly activityLatency: MetricHistogram;
  readonly activityFailed: MetricCounter;
  readonly #activityScheduleToStart: MetricHistogram;
  readonly #localActivityTotal: MetricCounter;
  readonly #localActivityLatency: MetricHistogram;
  readonly #localActivityFailed: MetricCounter;
  readonly #localActivityCancelled: MetricCounter;
  readonly #localActivitySucceeded: MetricHistogram;
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
    const m = this.enabled
      ? guardedMeter(this.base, tags, logger, "one of the worker's metrics")
      : noopMetricMeter;
    this.workflowMeter = this.enabled
      ? guardedMeter(this.base, undefined, logger, 'a metric of workflow code')
      : noopMetricMeter;
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
    this.#workflowTaskScheduleToStart = m.createHistogram(
      N.workflowTaskScheduleToStartLatency,
      'float',
      'ms',
      'Time a workflow task waited for a worker, from its schedule to its start',
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
    this.#activityScheduleToStart = m.createHistogram(
      N.activityScheduleToStartLatency,
      'float',
      'ms',
      'Time an activity attempt waited for a worker, from its schedule to its start',
    );
    this.#localActivityTotal = m.createCounter(
      N.localActivityTotal,
      '',
      'Local activity attempts started',
    );
    this.#localActivityLatency = m.createHistogram(
      N.localActivityExecutionLatency,
      'float',
      'ms',
      'Time a local activity attempt ran, to its result, failure or cancellation',
    );
    this.#localActivityFailed = m.createCounter(
      N.localActivityExecutionFailed,
      '',
      'Local activity attempts failed or timed out (not BENIGN failures)',
    );
    this.#localActivityCancelled = m.createCounter(
      N.localActivityExecutionCancelled,
      '',
      'Local activity attempts cancelled',
    );
    this.#localActivitySucceeded = m.createHistogram(
      N.localActivitySucceedEndToEndLatency,
      'float',
      'ms',
      'Time from a local activity first scheduled to the result of its attempt that succeeded',
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
   * Records how long the workflow task whose `events` end with its WorkflowTaskStarted waited for
   * a worker: from its WorkflowTaskScheduled to that start, both on the engine's clock.
   */
  workflowTaskStarted(events: readonly HistoryEvent[]): void {
    if (!this.enabled) return;
    const started = events.at(-1);
    if (started?.type !== 'WorkflowTaskStarted') return;
    for (let i = events.length - 2; i >= 0; i--) {
      const e = events[i];
      if (e?.eventId !== started.scheduledEventId) continue;
      this.#workflowTaskScheduleToStart.record(Math.max(0, started.timeMs - e.timeMs));
      return;
    }
  }

  /**
   * Records how long an activity attempt waited for a worker: from its schedule (this attempt's)
   * to its start, both on the engine's clock.
   */
  activityStarted(task: ActivityTask): void {
    if (!this.enabled) return;
    const waitedMs = task.startedTimeMs - task.currentAttemptScheduledTimeMs;
    this.#activityScheduleToStart.record(Math.max(0, waitedMs));
  }

  /**
   * Records an activity attempt that ran to its result (`failure` undefined) or failed: its
   * latency from `startedAt` ({@link startTime}), and a failure unless `BENIGN`, tagged with the
   * activity's type and its workflow's, as Temporal core tags them.
   */
  activityEnded(
    task: Pick<ActivityTask, 'activityType' | 'workflowType'>,
    startedAt: number,
    failure?: Error,
  ): void {
    if (!this.enabled) return;
    const tags = { activityType: task.activityType, workflowType: task.workflowType };
    this.activityLatency.record(performance.now() - startedAt, tags);
    if (failure !== undefined && !isBenignApplicationFailure(failure)) {
      this.activityFailed.add(1, tags);
    }
  }

  /**
   * Counts a local activity attempt as its code starts; what it returns goes to
   * {@link localActivityEnded}. Undefined (nothing made) when metrics are off.
   */
  localActivityStarted(activityType: string, workflowType: string): MeasuredAttempt | undefined {
    if (!this.enabled) return undefined;
    const tags = { activityType, workflowType };
    this.#localActivityTotal.add(1, tags);
    return { tags, startedAt: performance.now() };
  }

  /**
   * Records how a local activity attempt ended: its latency; a failure (a timeout included)
   * unless `BENIGN`, a cancellation, or for a result, the time since the activity was first
   * scheduled (`scheduledMs`, wall clock), as Temporal core's local activity metrics.
   */
  localActivityEnded(
    attempt: MeasuredAttempt | undefined,
    outcome: { status: 'completed' | 'failed' | 'cancelled'; failure?: Failure },
    scheduledMs: number,
  ): void {
    if (attempt === undefined) return;
    const { tags } = attempt;
    this.#localActivityLatency.record(performance.now() - attempt.startedAt, tags);
    if (outcome.status === 'completed') {
      this.#localActivitySucceeded.record(Math.max(0, Date.now() - scheduledMs), tags);
    } else if (outcome.status === 'cancelled') {
      this.#localActivityCancelled.add(1, tags);
    } else if (!isBenign(outcome.failure)) {
      this.#localActivityFailed.add(1, tags);
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
 * `meter` with `tags`, for the worker's own metrics or those of workflow code (`whose`, in the
 * warning): what it throws, as a metric is made or given a value, is logged as a warning once
 * per metric name and dropped. A metric whose making threw records nothing.
 */
function guardedMeter(
  meter: MetricMeter,
  tags: MetricTags | undefined,
  logger: Logger,
  whose: string,
): MetricMeter {
  const warned = new Set<string>();
  const warn = (name: string, e: unknown): void => {
    if (warned.has(name)) return;
    warned.add(name);
    try {
      logger.warn(
        { metric: name, err: e },
        `the worker's metricMeter threw for ${whose}: its values are not recorded while it ` +
          'throws (logged once per metric); task handling goes on',
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
  type Made = MetricCounter | MetricHistogram | MetricGauge | MetricUpDownCounter;
  const made = new Map<string, Made>();
  const get = <M extends Made>(key: string, make: () => M): M => {
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
    [METRIC_SINK_FUNCTIONS['up-down-counter']]: {
      fn: (info: WorkflowInfo, ...[name, , unit, description, value, tags]: Args) => {
        const counter = get(`u:${name}`, () => upDownCounterOn(meter, name, unit, description));
        counter.add(value ?? 0, tagsOf(info, tags));
      },
    },
  };
  return { ...sinks, [METRICS_SINK]: metricsSink };
}

/** A local activity attempt being measured ({@link WorkerMetrics.localActivityStarted}). */
export interface MeasuredAttempt {
  readonly tags: MetricTags;
  readonly startedAt: number;
}

/** True for an encoded `ApplicationFailure` of category `BENIGN`. */
function isBenign(failure: Failure | undefined): boolean {
  return failure?.info.type === 'application' && failure.info.category === 'BENIGN';
}

type CloseCommandType =
  | 'CompleteWorkflowExecution'
  | 'FailWorkflowExecution'
  | 'CancelWorkflowExecution'
  | 'ContinueAsNewWorkflowExecution';
