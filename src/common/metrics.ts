// Sandbox-safe: Temporal's metric API (`MetricMeter` and its counters, histograms, gauges and
// up-down counters),
// the meter that does nothing, and the one that adds tags to another's. Workflow code, activities
// and the worker all record through a `MetricMeter`; the worker's `metricMeter` option says where.
import { InvalidArgumentError } from '../errors.ts';

/** Tags (labels) recorded with a metric value. Temporal's `MetricTags`. */
export type MetricTags = Record<string, string | number | boolean>;

/** What a histogram or gauge records: Temporal's `NumericMetricValueType` (a hint; JS has one `number`). */
export type NumericMetricValueType = 'int' | 'float';

/** Temporal's `MetricKind`. */
export type MetricKind = 'counter' | 'histogram' | 'gauge' | 'up-down-counter';

/** What every metric has. Temporal's `Metric`. */
export interface Metric {
  readonly name: string;
  readonly unit?: string | undefined;
  readonly description?: string | undefined;
  readonly kind: MetricKind;
  readonly valueType: NumericMetricValueType;
}

/** A counter: values only add up. Temporal's `MetricCounter`. */
export interface MetricCounter extends Metric {
  /** Adds `value` (a number of at least 0) with the counter's tags and `extraTags`. */
  add(value: number, extraTags?: MetricTags): void;
  /** This counter with `tags` added to each value it records. */
  withTags(tags: MetricTags): MetricCounter;
  readonly kind: 'counter';
  readonly valueType: 'int';
}

/** A histogram: the distribution of recorded values (durations, sizes). Temporal's `MetricHistogram`. */
export interface MetricHistogram extends Metric {
  /** Records `value` (a number of at least 0) with the histogram's tags and `extraTags`. */
  record(value: number, extraTags?: MetricTags): void;
  /** This histogram with `tags` added to each value it records. */
  withTags(tags: MetricTags): MetricHistogram;
  readonly kind: 'histogram';
}

/** A gauge: the last value set. Temporal's `MetricGauge`. */
export interface MetricGauge extends Metric {
  /** Sets the gauge to `value` (a number of at least 0) for its tags and `extraTags`. */
  set(value: number, extraTags?: MetricTags): void;
  /** This gauge with `tags` added to each value it sets. */
  withTags(tags: MetricTags): MetricGauge;
  readonly kind: 'gauge';
}

/**
 * An up-down counter: values add up, and may be below 0 (work in flight, say). Temporal's
 * `MetricUpDownCounter`.
 */
export interface MetricUpDownCounter extends Metric {
  /** Adds `value` (a finite number, below 0 to count down) with its tags and `extraTags`. */
  add(value: number, extraTags?: MetricTags): void;
  /** This up-down counter with `tags` added to each value it adds. */
  withTags(tags: MetricTags): MetricUpDownCounter;
  readonly kind: 'up-down-counter';
  readonly valueType: 'int';
}

/**
 * Makes metrics. Temporal's `MetricMeter`. Implement it to send metrics anywhere;
 * `prometheusMeter` (from `reprise/prometheus`) is one on `prom-client`.
 */
export interface MetricMeter {
  /** A counter named `name`. */
  createCounter(name: string, unit?: string, description?: string): MetricCounter;
  /** A histogram named `name`; `valueType` defaults to `'int'`. */
  createHistogram(
    name: string,
    valueType?: NumericMetricValueType,
    unit?: string,
    description?: string,
  ): MetricHistogram;
  /** A gauge named `name`; `valueType` defaults to `'int'`. */
  createGauge(
    name: string,
    valueType?: NumericMetricValueType,
    unit?: string,
    description?: string,
  ): MetricGauge;
  /**
   * An up-down counter named `name`. Optional, as in Temporal: a meter of yours without it makes
   * the call on the meters Reprise builds over it (a worker's, an activity's, workflow code's)
   * throw `InvalidArgumentError`, or, for the values of workflow code, record nothing and log a
   * warning. Reprise's own meters have it.
   */
  createUpDownCounter?(name: string, unit?: string, description?: string): MetricUpDownCounter;
  /** This meter with `tags` added to every value its metrics record. */
  withTags(tags: MetricTags): MetricMeter;
}

const noopCounter = <K extends 'counter' | 'up-down-counter'>(kind: K) =>
  function make(name: string, unit?: string, description?: string) {
    return {
      name,
      unit,
      description,
      kind,
      valueType: 'int' as const,
      add() {
        // Records nothing.
      },
      withTags() {
        return this;
      },
    };
  };

/** The meter that records nothing: the default of the worker's `metricMeter` option. */
export const noopMetricMeter: Required<MetricMeter> = {
  createCounter: noopCounter('counter'),
  createUpDownCounter: noopCounter('up-down-counter'),
  createHistogram(name, valueType = 'int', unit, description) {
    return {
      name,
      unit,
      description,
      kind: 'histogram',
      valueType,
      record() {
        // Records nothing.
      },
      withTags() {
        return this;
      },
    };
  },
  createGauge(name, valueType = 'int', unit, description) {
    return {
      name,
      unit,
      description,
      kind: 'gauge',
      valueType,
      set() {
        // Records nothing.
      },
      withTags() {
        return this;
      },
    };
  },
  withTags() {
    return this;
  },
};

/**
 * How a meter made by {@link meterFrom} records: called once for each metric made, it returns
 * the function that records that metric's values, each with its tags (undefined when none).
 */
export type MetricRecorder = (
  metric: Metric,
) => (value: number, tags: MetricTags | undefined) => void;

type RecordValue = (value: number, tags: MetricTags | undefined) => void;

/**
 * A meter whose metrics record through `recorder`, with `tags` and those of `withTags` (on the
 * meter or a metric) and of the value (which win) merged: one object of tags per metric made,
 * reused for a value with no tags of its own.
 */
export function meterFrom(recorder: MetricRecorder, tags?: MetricTags): Required<MetricMeter> {
  return {
    createCounter(name, unit, description) {
      const metric = { name, unit, description, kind: 'counter', valueType: 'int' } as const;
      return counterOf<MetricCounter>(metric, recorder(metric), tags);
    },
    createHistogram(name, valueType = 'int', unit, description) {
      const metric = { name, unit, description, kind: 'histogram', valueType } as const;
      return histogramOf(metric, recorder(metric), tags);
    },
    createGauge(name, valueType = 'int', unit, description) {
      const metric = { name, unit, description, kind: 'gauge', valueType } as const;
      return gaugeOf(metric, recorder(metric), tags);
    },
    createUpDownCounter(name, unit, description) {
      const metric = {
        name,
        unit,
        description,
        kind: 'up-down-counter',
        valueType: 'int',
      } as const;
      return counterOf<MetricUpDownCounter>(metric, recorder(metric), tags);
    },
    withTags: (more) => meterFrom(recorder, { ...tags, ...more }),
  };
}

/** `tags` and a value's own (which win): `tags` itself when the value has none. */
function withExtra(
  tags: MetricTags | undefined,
  extra: MetricTags | undefined,
): MetricTags | undefined {
  if (extra === undefined) return tags;
  return tags === undefined ? extra : { ...tags, ...extra };
}

/** A counter or an up-down counter: the same shape, only the values they take differ. */
function counterOf<C extends MetricCounter | MetricUpDownCounter>(
  metric: Omit<C, 'add' | 'withTags'>,
  record: RecordValue,
  tags: MetricTags | undefined,
): C {
  const counter = {
    ...metric,
    add: (value: number, extra?: MetricTags) => {
      record(value, withExtra(tags, extra));
    },
    withTags: (more: MetricTags): C => counterOf<C>(metric, record, { ...tags, ...more }),
  };
  // `metric`'s fields and C's two methods: a C (TypeScript cannot see it through the Omit).
  return counter as unknown as C;
}

function histogramOf(
  metric: Omit<MetricHistogram, 'record' | 'withTags'>,
  record: RecordValue,
  tags: MetricTags | undefined,
): MetricHistogram {
  return {
    ...metric,
    record: (value, extra) => {
      record(value, withExtra(tags, extra));
    },
    withTags: (more) => histogramOf(metric, record, { ...tags, ...more }),
  };
}

function gaugeOf(
  metric: Omit<MetricGauge, 'set' | 'withTags'>,
  record: RecordValue,
  tags: MetricTags | undefined,
): MetricGauge {
  return {
    ...metric,
    set: (value, extra) => {
      record(value, withExtra(tags, extra));
    },
    withTags: (more) => gaugeOf(metric, record, { ...tags, ...more }),
  };
}

/**
 * `meter` with `tags` added to each value its metrics record (a value's own tags win). The
 * no-op meter stays itself.
 */
export function meterWithTags(meter: MetricMeter, tags: MetricTags): MetricMeter {
  if (meter === noopMetricMeter) return meter;
  return meterFrom(recorderOn(meter), tags);
}

/**
 * `meter` with the tags `tags()` gives, asked at each value, added to the value's (those of
 * `withTags` and the value's own win). Temporal's tags function of `MetricMeterWithComposedTags`,
 * how `getMetricTags` interceptors reach a meter. The no-op meter stays itself.
 */
export function meterWithTagsOf(meter: MetricMeter, tags: () => MetricTags): MetricMeter {
  if (meter === noopMetricMeter) return meter;
  const recordOn = recorderOn(meter);
  return meterFrom((metric) => {
    const record = recordOn(metric);
    return (value, own) => {
      record(value, { ...tags(), ...own });
    };
  });
}

/**
 * The recorder ({@link meterFrom}) that makes each metric on `meter` and records its values
 * there, with the tags `meterFrom` merged.
 */
export function recorderOn(meter: MetricMeter): MetricRecorder {
  return (metric): RecordValue => {
    const { name, unit, description } = metric;
    switch (metric.kind) {
      case 'counter': {
        const counter = meter.createCounter(name, unit, description);
        return (value, all) => {
          counter.add(value, all);
        };
      }
      case 'histogram': {
        const histogram = meter.createHistogram(name, metric.valueType, unit, description);
        return (value, all) => {
          histogram.record(value, all);
        };
      }
      case 'gauge': {
        const gauge = meter.createGauge(name, metric.valueType, unit, description);
        return (value, all) => {
          gauge.set(value, all);
        };
      }
      case 'up-down-counter': {
        const counter = upDownCounterOn(meter, name, unit, description);
        return (value, all) => {
          counter.add(value, all);
        };
      }
    }
  };
}

/**
 * `meter.createUpDownCounter(...)`; `InvalidArgumentError` if the meter has none (it is optional
 * on a `MetricMeter`, as in Temporal).
 */
export function upDownCounterOn(
  meter: MetricMeter,
  name: string,
  unit?: string,
  description?: string,
): MetricUpDownCounter {
  if (meter.createUpDownCounter === undefined) {
    throw new InvalidArgumentError(
      `Up-down counter ${name} cannot be made: the metricMeter given has no createUpDownCounter ` +
        '(optional on a MetricMeter). Implement it on your meter, or use a counter or a gauge.',
    );
  }
  return meter.createUpDownCounter(name, unit, description);
}

/**
 * Throws `InvalidArgumentError` unless `value` is a finite number of at least 0: what a counter
 * adds, a histogram records and a gauge is set to (Temporal's checks); an up-down counter's may
 * be below 0.
 */
export function checkMetricValue(metric: Metric, value: number): void {
  const finite = typeof value === 'number' && Number.isFinite(value);
  if (metric.kind === 'up-down-counter') {
    if (finite) return;
    throw new InvalidArgumentError(
      `Metric ${metric.name} (an up-down counter) was given ${String(value)}: its values must be finite numbers.`,
    );
  }
  if (finite && value >= 0) return;
  throw new InvalidArgumentError(
    `Metric ${metric.name} (a ${metric.kind}) was given ${String(value)}: its values must be finite numbers of at least 0.`,
  );
}
