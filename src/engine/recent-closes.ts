import type { HistoryEvent } from '../protocol/history-events.ts';

/** How many closes are kept: enough for the result waiters a burst of closes wakes at once. */
const KEEP = 4096;

/**
 * The close events of the runs this process closed last, by run id, so that the result waiters
 * their commits wake read the outcome here instead of the run and its last event from the store
 * (two reads per awaited workflow). Filled after the commit only; a closed run never changes, so
 * an entry cannot go stale. A miss (an older close, another process's) reads the store.
 */
export class RecentCloses {
  readonly #events = new Map<string, HistoryEvent>();

  /** After the commit that appended `closeEvent`, the run's last. */
  add(runId: string, closeEvent: HistoryEvent): void {
    this.#events.set(runId, closeEvent);
    if (this.#events.size > KEEP) {
      const oldest = this.#events.keys().next();
      if (oldest.done !== true) this.#events.delete(oldest.value);
    }
  }

  get(runId: string): HistoryEvent | undefined {
    return this.#events.get(runId);
  }
}
