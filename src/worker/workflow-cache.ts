import { getHeapStatistics } from 'node:v8';

/** What the default cache size budgets per cached run: ~4.5× a plain run's measured 14 KiB (W8). */
const BUDGET_PER_RUN_BYTES = 64 * 1024;

/**
 * The default `maxCachedWorkflows`: an eighth of this process's V8 heap limit at 64 KiB a run,
 * between 100 and 10,000 (8,288 under a 4 GiB limit, node's default on a machine with 16 GiB or more; 1,120 under
 * `--max-old-space-size=512`). Like Temporal, the default follows the memory the worker has;
 * runs that keep much more state than a plain run need a lower figure.
 */
export function defaultMaxCachedWorkflows(): number {
  const byHeap = Math.floor(getHeapStatistics().heap_size_limit / 8 / BUDGET_PER_RUN_BYTES);
  return Math.min(10_000, Math.max(100, byHeap));
}

/**
 * The sticky cache: recently used runs stay in memory, so a new event costs one activation and
 * not a replay. Least recently used runs are evicted past `max`; a run in use is never evicted.
 */
export class WorkflowCache<R extends { dispose(): void }> {
  readonly #max: number;
  readonly #runs = new Map<string, R>();
  readonly #inUse: (key: string) => boolean;

  constructor(max: number, inUse: (key: string) => boolean) {
    this.#max = max;
    this.#inUse = inUse;
  }

  get size(): number {
    return this.#runs.size;
  }

  get(key: string): R | undefined {
    const r = this.#runs.get(key);
    if (r) {
      this.#runs.delete(key);
      this.#runs.set(key, r);
    }
    return r;
  }

  set(key: string, run: R): void {
    this.evict(key);
    if (this.#max <= 0) return;
    this.#runs.set(key, run);
    this.#trim();
  }

  /** True when `run` is the one cached under `key` (without touching recency). */
  holds(key: string, run: R): boolean {
    return this.#runs.get(key) === run;
  }

  evict(key: string): void {
    const r = this.#runs.get(key);
    if (!r) return;
    this.#runs.delete(key);
    r.dispose();
  }

  clear(): void {
    for (const key of [...this.#runs.keys()]) this.evict(key);
  }

  #trim(): void {
    if (this.#runs.size <= this.#max) return;
    for (const key of this.#runs.keys()) {
      if (this.#runs.size <= this.#max) return;
      if (!this.#inUse(key)) this.evict(key);
    }
  }
}
