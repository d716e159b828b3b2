// Small statistics helpers: medians across repetitions, percentiles within one repetition.

/** A figure measured once in one repetition. */
export interface Measured {
  readonly value: number;
  readonly unit: string;
}

/** A figure across repetitions, as printed in the JSON line. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly unit: string;
  /** Each repetition's value, in the order they ran (a tail or a drift the median hides). */
  readonly values: readonly number[];
}

function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** The median (mean of the two middle values for an even count). NaN for no values. */
export function median(values: readonly number[]): number {
  const s = sorted(values);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  if (s.length % 2 === 1) return s[mid] ?? Number.NaN;
  return ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Nearest-rank percentile, `p` in [0, 100]: p99 of 200 samples is the 198th smallest. */
export function percentile(values: readonly number[], p: number): number {
  const s = sorted(values);
  if (s.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[Math.min(rank, s.length) - 1] ?? Number.NaN;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Rounds to a precision that keeps 4 significant digits, and at most 3 decimals above 1. */
export function round(n: number): number {
  if (!Number.isFinite(n)) return n;
  const abs = Math.abs(n);
  if (abs === 0) return 0;
  if (abs >= 1000) return Math.round(n);
  if (abs >= 1) return Math.round(n * 1000) / 1000;
  return Number(n.toPrecision(4));
}

/** Median, min, max and each value of a figure over the repetitions that reported it. */
export function summarise(
  reps: readonly Readonly<Record<string, Measured>>[],
): Record<string, Summary> {
  const names: string[] = [];
  for (const r of reps)
    for (const name of Object.keys(r)) if (!names.includes(name)) names.push(name);
  const out: Record<string, Summary> = {};
  for (const name of names) {
    const values: number[] = [];
    let unit = '';
    for (const r of reps) {
      const m = r[name];
      if (m === undefined) continue;
      values.push(m.value);
      unit = m.unit;
    }
    out[name] = {
      median: round(median(values)),
      min: round(Math.min(...values)),
      max: round(Math.max(...values)),
      unit,
      values: values.map(round),
    };
  }
  return out;
}

/** A figure in milliseconds from a `performance.now()` difference. */
export function ms(value: number): Measured {
  return { value, unit: 'ms' };
}
