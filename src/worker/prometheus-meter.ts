// `reprise/prometheus`: a `MetricMeter` on a `prom-client` registry, the worker's `metricMeter`
// option for Prometheus, in place of Temporal's
// `Runtime.install({ telemetryOptions: { metrics: { prometheus } } })`. A subpath of its own, so
// that only a process that asks for it loads prom-client.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { checkMetricValue, meterFrom } from '../common/metrics.ts';
import type { MetricKind, MetricMeter, MetricTags } from '../common/metrics.ts';
import { InvalidArgumentError, ensureError } from '../errors.ts';
import { defaultLogger } from '../logger.ts';
import type { Logger } from '../logger.ts';

/**
 * The buckets of a histogram, in milliseconds (the worker's latencies are): 1 ms to 5 min.
 */
export const DEFAULT_HISTOGRAM_BUCKETS_MS: readonly number[] = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000,
];

/** The tags Reprise adds: every metric takes them as labels, set or not. */
const DEFAULT_LABELS = ['namespace', 'taskQueue', 'workflowType', 'activityType', 'workerType'];

export interface PrometheusMeterOptions {
  /** The buckets of every histogram. Default {@link DEFAULT_HISTOGRAM_BUCKETS_MS}. */
  readonly buckets?: readonly number[] | undefined;
  /**
   * Label names every metric takes, beyond Reprise's tags (`namespace`, `taskQueue`,
   * `workflowType`, `activityType`, `workerType`) and those of the metric's first value.
   * Prometheus fixes a metric's labels when it is made; a later value with a tag outside them
   * is recorded without that tag, and a warning is logged once per metric and tag.
   */
  readonly labelNames?: readonly string[] | undefined;
  /** Where that warning goes; the project's default logger if unset. */
  readonly logger?: Logger | undefined;
}

type PromMetric = Counter | Histogram | Gauge;

/** One Prometheus metric: made at its first value, when its label names are known. */
class PromEntry {
  readonly kind: MetricKind;
  readonly #make: (labelNames: string[]) => PromMetric;
  #metric: PromMetric | undefined;
  #labels: Set<string> | undefined;
  readonly #warned = new Set<string>();
  readonly #extraLabels: readonly string[];
  readonly #logger: () => Logger;
  readonly #name: string;

  constructor(
    name: string,
    kind: MetricKind,
    make: (labelNames: string[]) => PromMetric,
    extraLabels: readonly string[],
    logger: () => Logger,
  ) {
    this.#name = name;
    this.kind = kind;
    this.#make = make;
    this.#extraLabels = extraLabels;
    this.#logger = logger;
  }

  record(value: number, tags: MetricTags | undefined): void {
    const labels: Record<string, string> = {};
    if (this.#metric === undefined) {
      const names = new Set([...DEFAULT_LABELS, ...this.#extraLabels, ...Object.keys(tags ?? {})]);
      this.#metric = this.#make([...names]);
      // A metric the registry held already has the labels it was made with.
      this.#labels = new Set(labelNamesOf(this.#metric) ?? names);
    }
    for (const key in tags) {
      if (this.#labels?.has(key) === true) labels[key] = String(tags[key]);
      else this.#unknownLabel(key);
    }
    const metric = this.#metric;
    if (metric instanceof Counter) metric.inc(labels, value);
    else if (metric instanceof Histogram) metric.observe(labels, value);
    else if (this.kind !== 'up-down-counter') metric.set(labels, value);
    else if (value >= 0) metric.inc(labels, value);
    else metric.dec(labels, -value);
  }

  #unknownLabel(key: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#logger().warn(
      { metric: this.#name, label: key, labels: [...(this.#labels ?? [])] },
      'a metric value has a tag its Prometheus metric has no label for: recorded without it; ' +
        'name the tag in prometheusMeter({ labelNames })',
    );
  }
}

const PROMETHEUS_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** The label names prom-client made `metric` with (a property its types do not declare). */
function labelNamesOf(metric: PromMetric): readonly string[] | undefined {
  const names: unknown = (metric as { labelNames?: unknown }).labelNames;
  return Array.isArray(names) ? (names as string[]) : undefined;
}

/** The Prometheus kinds: an up-down counter is a gauge that goes up and down by its values. */
type PromKind = Exclude<MetricKind, 'up-down-counter'>;

/** The Prometheus kind of a metric the registry holds, if it is one a meter makes. */
function kindOf(metric: unknown): PromKind | undefined {
  if (metric instanceof Counter) return 'counter';
  if (metric instanceof Histogram) return 'histogram';
  if (metric instanceof Gauge) return 'gauge';
  return undefined;
}

/** `kind` in words: "up-down counter" for an up-down counter. */
function kindName(kind: MetricKind): string {
  return kind === 'up-down-counter' ? 'up-down counter' : kind;
}

/** `kind` in words with its article: "a counter", "an up-down counter". */
function aKind(kind: MetricKind): string {
  return kind === 'up-down-counter' ? 'an up-down counter' : `a ${kind}`;
}

/** The Prometheus kind a metric of `kind` is made as. */
function promKindOf(kind: MetricKind): PromKind {
  return kind === 'up-down-counter' ? 'gauge' : kind;
}

/**
 * A `MetricMeter` that records into `registry` (from `prom-client`): pass it as the worker's
 * `metricMeter`, and serve `await registry.metrics()` (content type `registry.contentType`) at
 * your `/metrics`. Counters become Prometheus counters, histograms histograms (buckets in ms by
 * default), gauges gauges, up-down counters gauges that each value moves up or down; a metric's description is its help text; tags are labels (see
 * {@link PrometheusMeterOptions.labelNames}), their values as strings. A name Prometheus does
 * not allow, or one used before for another kind of metric (by this meter, or in the registry),
 * throws `InvalidArgumentError` when the metric is made. A metric of the same name and kind the
 * registry holds already (made by another `prometheusMeter` on it, as with two workers in one
 * process) is recorded into, with the labels and buckets it was made with.
 *
 * @example
 * ```ts
 * import { Registry, collectDefaultMetrics } from 'prom-client';
 * import { prometheusMeter } from 'reprise/prometheus';
 * import { Worker } from 'reprise/worker';
 *
 * const registry = new Registry();
 * collectDefaultMetrics({ register: registry }); // the process's own, if wanted
 * const worker = await Worker.create({ ..., metricMeter: prometheusMeter(registry) });
 * http.createServer(async (_, res) => {
 *   res.setHeader('Content-Type', registry.contentType);
 *   res.end(await registry.metrics());
 * }).listen(9464);
 * ```
 */
export function prometheusMeter(
  registry: Registry,
  options: PrometheusMeterOptions = {},
): MetricMeter {
  const buckets = [...(options.buckets ?? DEFAULT_HISTOGRAM_BUCKETS_MS)];
  const extraLabels = options.labelNames ?? [];
  let logger = options.logger;
  const getLogger = (): Logger => (logger ??= defaultLogger({ component: 'prometheus-meter' }));
  const entries = new Map<string, PromEntry>();

  const entry = (
    name: string,
    kind: MetricKind,
    description: string | undefined,
    make: (config: { name: string; help: string; labelNames: string[] }) => PromMetric,
  ): PromEntry => {
    if (!PROMETHEUS_NAME.test(name)) {
      throw new InvalidArgumentError(
        `Metric name '${name}' is not a Prometheus metric name: use letters, digits, '_' and ':', not starting with a digit.`,
      );
    }
    const known = entries.get(name);
    if (known !== undefined) {
      if (known.kind === kind) return known;
      throw new InvalidArgumentError(
        `Metric '${name}' is ${aKind(known.kind)} already: it cannot also be ${aKind(kind)}. Give the ${kindName(kind)} another name.`,
      );
    }
    // A metric of the name the registry holds already (another meter's on it, another worker's)
    // is the one recorded into if it is of the same kind.
    const held = (): PromMetric | undefined => {
      const metric = registry.getSingleMetric(name);
      if (metric === undefined) return undefined;
      const heldKind = kindOf(metric);
      if (heldKind === promKindOf(kind)) return metric as PromMetric;
      throw new InvalidArgumentError(
        `Metric '${name}' is in the prom-client registry already as ${heldKind === undefined ? 'a metric of another kind' : `a ${heldKind}`}: it cannot also be ${aKind(kind)}. Give the ${kindName(kind)} another name.`,
      );
    };
    held();
    const made = new PromEntry(
      name,
      kind,
      (labelNames) => {
        const metric = held();
        if (metric !== undefined) return metric;
        try {
          return make({ name, help: description || name, labelNames });
        } catch (e) {
          throw new InvalidArgumentError(
            `Metric '${name}' could not be registered in the prom-client registry: ${ensureError(e).message}`,
            { cause: e },
          );
        }
      },
      extraLabels,
      getLogger,
    );
    entries.set(name, made);
    return made;
  };

  return meterFrom((metric) => {
    const { name, kind, description } = metric;
    const made =
      kind === 'counter'
        ? entry(name, kind, description, (c) => new Counter({ ...c, registers: [registry] }))
        : kind === 'histogram'
          ? entry(
              name,
              kind,
              description,
              (c) => new Histogram({ ...c, buckets, registers: [registry] }),
            )
          : entry(name, kind, description, (c) => new Gauge({ ...c, registers: [registry] }));
    return (value, tags) => {
      checkMetricValue(metric, value);
      made.record(value, tags);
    };
  });
}
