// A Store wrapper that counts calls by method, for "store calls per step" figures. The engine is
// given the wrapped store; every call goes to the real one unchanged.
import type { Store } from 'reprise/server';

/** Write transactions that commit changes (and so wait for an fsync under synchronous=FULL). */
const ALWAYS_WRITES = new Set([
  'createRun',
  'appendToRun',
  'deleteTask',
  'deleteTimer',
  'registerWorker',
  'ensureNamespace',
]);

/** A counter's figures at one moment, as a process that counts sends them to another. */
export interface StoreCounts {
  readonly calls: Readonly<Record<string, number>>;
  readonly durableCommits: number;
}

export class StoreCounter {
  readonly calls = new Map<string, number>();

  count(method: string): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }

  reset(): void {
    this.calls.clear();
    this.#commitsBetween = undefined;
    this.#txAtReset = this.#store?.writeTransactions ?? 0;
  }

  /** Durable commits between two snapshots of another process's counter (`between`). */
  #commitsBetween: number | undefined;

  /** The figures so far, for another process (service mode's engine host). */
  snapshot(): StoreCounts {
    return { calls: Object.fromEntries(this.calls), durableCommits: this.durableCommits };
  }

  /**
   * Holds what another process's counter counted from `start` to `end` (two of its snapshots):
   * the engine host's, in service mode.
   */
  between(start: StoreCounts, end: StoreCounts): void {
    this.calls.clear();
    for (const [method, n] of Object.entries(end.calls)) {
      const d = n - (start.calls[method] ?? 0);
      if (d > 0) this.calls.set(method, d);
    }
    this.#commitsBetween = end.durableCommits - start.durableCommits;
  }

  /** The store's own count of write transactions at reset, when it keeps one. */
  #txAtReset = 0;
  #store: { readonly writeTransactions?: number } | undefined;

  track(store: object): void {
    this.#store = store;
    this.#txAtReset = this.#store.writeTransactions ?? 0;
  }

  /**
   * Durable commits (fsyncs): the store's count of write transactions when it keeps one (group
   * commit makes one of many writes), else the calls that always write. Timer leases are not
   * durable commits: they wait for no fsync (ADR 0014).
   */
  get durableCommits(): number {
    if (this.#commitsBetween !== undefined) return this.#commitsBetween;
    const now = this.#store?.writeTransactions;
    if (now !== undefined) return now - this.#txAtReset;
    let n = 0;
    for (const [m, c] of this.calls) if (ALWAYS_WRITES.has(m)) n += c;
    return n;
  }

  get total(): number {
    let n = 0;
    for (const c of this.calls.values()) n += c;
    return n;
  }

  /** `method: calls per unit` for the notes, busiest first. */
  describe(per: number, unit: string): string {
    const parts = [...this.calls.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([m, c]) => `${m} ${(c / per).toFixed(2)}`);
    return `store calls per ${unit}: ${parts.join(', ')}; durable commits per ${unit}: ${(this.durableCommits / per).toFixed(2)}`;
  }
}

export function countingStore(store: Store, counter: StoreCounter): Store {
  counter.track(store);
  return new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      const fn = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]): unknown => {
        // Not a call to the store's data: a look at a counter (peers.ts), a few µs.
        if (prop !== 'foreignWrites') counter.count(prop);
        return fn.apply(target, args);
      };
    },
  });
}
