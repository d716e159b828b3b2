// What a workload is, and what one repetition of it gets and gives back.
import type { Mode, StoreKind } from './deployment.ts';
import type { Measured } from './stats.ts';

export interface BenchOptions {
  readonly mode: Mode;
  readonly store: StoreKind;
  readonly reps: number;
  /**
   * `full`: the sizes of shared/BENCHMARKS.md where the default is scaled down (W7). `smoke`: the
   * smallest run that goes through every part (no warm-up, a few steps), for the runner's own
   * tests; its figures mean nothing.
   */
  readonly scale: 'default' | 'full' | 'smoke';
  /** Service mode: worker processes (each one worker on the task queue). */
  readonly workers: number;
  /** Service mode on PostgreSQL: engine processes serving the one schema. */
  readonly engines: number;
}

export interface RepContext {
  readonly options: BenchOptions;
  /** 1-based. */
  readonly rep: number;
  /** Progress on stderr. */
  log(message: string): void;
  /** Names a process this repetition started, for the peak-RSS report. */
  labelProcess(pid: number, label: string): void;
  /** Reports the exact peak RSS (bytes) of a process that is about to end or was killed. */
  recordPeak(pid: number, peakBytes: number): void;
  /** Extra node flags for child processes this repetition starts (`--import tsx`, …). */
  readonly childExecArgv: readonly string[];
  /** The compiled file of each of the workload's `hosts`, by the host script's path. */
  readonly compiledHosts: Readonly<Record<string, string>>;
  /**
   * Marks the start or end of the measured phase, for bench/profile-summary.ts `--window`:
   * written to the file BENCH_PROFILE_WINDOW names, if set, on the clock of V8's profiles.
   */
  mark(phase: 'start' | 'end'): void;
}

export interface RepResult {
  readonly figures: Record<string, Measured>;
  /** Facts about the run that are not figures (sizes, which configuration). */
  readonly notes?: readonly string[];
}

export interface Workload {
  readonly id: string;
  readonly title: string;
  /** A repetition still running after this long is killed and reported as an error. */
  readonly timeLimitMs: number;
  /** Node flags the repetition process needs (e.g. `--expose-gc`). */
  readonly nodeFlags?: readonly string[];
  /**
   * The scripts of bench/hosts/ it starts with `startHost`: the runner compiles them before the
   * first workload, outside every figure.
   */
  readonly hosts?: readonly string[];
  /** The label of the repetition process in peakRssMiB (embedded mode). */
  readonly processLabel: string;
  /**
   * Runs in service mode too: it reaches Reprise only through `openDeployment`, which then starts
   * the engine and the workers as processes of their own.
   */
  readonly service?: boolean;
  /**
   * Runs on `--store postgres` too: it reaches the store only through the engine (no probe reads
   * the SQLite file), so the deployment may open it on PostgreSQL.
   */
  readonly postgres?: boolean;
  /** Has a `--scale smoke` size (BenchOptions.scale). */
  readonly smoke?: boolean;
  /** Sizes and settings, printed with the figures. */
  params(options: BenchOptions): Record<string, number | string>;
  rep(ctx: RepContext): Promise<RepResult>;
}

/** Milliseconds to wait; rejects nothing. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` every `everyMs` until true; throws after `timeoutMs`. */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(everyMs);
  }
}

/** Runs `fn` over `items` with at most `concurrency` calls in flight; results in order. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return out;
}
