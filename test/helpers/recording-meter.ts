import { meterFrom } from '../../src/common/metrics.ts';
import type { MetricKind, MetricMeter, MetricTags } from 'reprise/worker';

/** One value a {@link recordingMeter} got. */
export interface RecordedValue {
  kind: MetricKind;
  name: string;
  unit: string | undefined;
  value: number;
  tags: MetricTags;
}

/** A `MetricMeter` that keeps every value recorded, in order, with all its tags. */
export function recordingMeter(): { meter: MetricMeter; values: RecordedValue[] } {
  const values: RecordedValue[] = [];
  const meter = meterFrom(({ kind, name, unit }) => (value, tags) => {
    values.push({ kind, name, unit, value, tags: tags ?? {} });
  });
  return { meter, values };
}

/** The values named `name`, each as its value and tags. */
export function valuesOf(
  values: readonly RecordedValue[],
  name: string,
): { value: number; tags: MetricTags }[] {
  return values.filter((v) => v.name === name).map(({ value, tags }) => ({ value, tags }));
}
