import type { RunRecord, Store } from '../store/store.ts';
import type { RunState } from './run-state.ts';

/** Runs whose last committed row an engine process keeps, per store. */
const MAX_CACHED_RUNS = 5000;

/**
 * The last row this process committed for a run, so that the next write to it need not read it
 * back (and parse its state) first. Only a hint: `updateRun`'s compare-and-set still guards every
 * write, and a stale entry (another engine process wrote the run) costs one conflict, after which
 * the row is read from the store. Entries are never handed out for mutation: a decision works on
 * a copy of the state.
 */
export class RunCache {
  readonly #runs = new Map<string, { record: RunRecord; state: RunState }>();

  static of(store: Store): RunCache {
    let cache = caches.get(store);
    if (!cache) {
      cache = new RunCache();
      caches.set(store, cache);
    }
    return cache;
  }

  get(runId: string): { record: RunRecord; state: RunState } | undefined {
    const hit = this.#runs.get(runId);
    if (hit) {
      this.#runs.delete(runId);
      this.#runs.set(runId, hit);
    }
    return hit;
  }

  /** Keeps the row a commit wrote; a closed run is dropped (it is rarely written again). */
  set(record: RunRecord, state: RunState, closed: boolean): void {
    this.#runs.delete(record.runId);
    if (closed) return;
    this.#runs.set(record.runId, { record, state });
    if (this.#runs.size > MAX_CACHED_RUNS) {
      const oldest = this.#runs.keys().next();
      if (oldest.done !== true) this.#runs.delete(oldest.value);
    }
  }

  delete(runId: string): void {
    this.#runs.delete(runId);
  }
}

const caches = new WeakMap<Store, RunCache>();
