// Sandbox-safe: Temporal's metric API (`MetricMeter` and its counters, histograms and gauges),
// the meter that does nothing, and the one that adds tags to another's. Workflow code, activities
// and the worker all record through a `MetricMeter`; the worker's `metricMeter` option says where.
import { InvalidArgumentError } from '../errors.ts';

/** Tags (labels) recorded with a metric value. Temporal's `MetricTags`. */
export type MetricTags = Record<string, string | number | boolean>;

/** What a histogram or gauge records: Temporal's `NumericMetricValueType` (a hint; JS has one `number`). */
export type NumericMetricValueType = 'int' | 'float';

/** Temporal's `MetricKind`, without the up-down counter. */
export type MetricKind = 'counter' | 'histogram' | 'gauge';

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
 * Makes metrics. Temporal's `MetricMeter` (without `createUpDownCounter`). Implement it to send
 * metrics anywhere; `prometheusMeter` (from `reprise/prometheus`) is one on `prom-client`.
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
  /** This meter with `tags` added to every value its metrics record. */
  withTags(tags: MetricTags): MetricMeter;
}

const noopCounter = (name: string, unit?: string, description?: string): MetricCounter => ({
  name,
  unit,
  description,
  kind: 'counter',
  valueType: 'int',
  add() {
    // Records nothing.
  },
  withTags() {
    return this;
  },
});

/** The meter that records nothing: the default of the worker's `metricMeter` option. */
export const noopMetricMeter: MetricMeter = {
  createCounter: noopCounter,
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
export function meterFrom(recorder: MetricRecorder, tags?: MetricTags): MetricMeter {
  return {
    createCounter(name, unit, description) {
      const metric = { name, unit, description, kind: 'counter', valueType: 'int' } as const;
      return counterOf(metric, recorder(metric), tags);
    },
    createHistogram(name, valueType = 'int', unit, description) {
      const metric = { name, unit, description, kind: 'histogram', valueType } as const;
      return histogramOf(metric, recorder(metric), tags);
    },
    createGauge(name, valueType = 'int', unit, description) {
      const metric = { name, unit, description, kind: 'gauge', valueType } as const;
      return gaugeOf(metric, recorder(metric), tags);
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

function counterOf(
  metric: Omit<MetricCounter, 'add' | 'withTags'>,
  record: RecordValue,
  tags: MetricTags | undefined,
): MetricCounter {
  return {
    ...metric,
    add: (value, extra) => {
      record(value, withExtra(tags, extra));
    },
    withTags: (more) => counterOf(metric, record, { ...tags, ...more }),
  };
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
    }
  };
}

/**
 * Throws `InvalidArgumentError` unless `value` is a finite number of at least 0: what a counter
 * adds, a histogram records and a gauge is set to (Temporal's checks).
 */
export function checkMetricValue(metric: Metric, value: number): void {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return;
  throw new InvalidArgumentError(
    `Metric ${metric.name} (a ${metric.kind}) was given ${String(value)}: its values must be finite numbers of at least 0.`,
  );
}
