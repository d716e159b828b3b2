import type { ListFilter } from '../protocol/list-filter.ts';
import { RunStatus } from '../protocol/run-status.ts';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/store.ts';
import { CLOSE_RECHECK_INTERVAL_MS, runClosedKey } from './notifier.ts';
import type { Notifier } from './notifier.ts';

/** Run ids per query: well under any backend's limit on bound parameters. */
const CHUNK = 500;

/**
 * The runs this engine's result waiters wait on, watched together. This process's commits wake
 * a waiter at once (runClosedKey); for runs that another engine process on the same store
 * closes, one query per namespace every CLOSE_RECHECK_INTERVAL_MS finds the closed ones among
 * all that are watched and wakes their waiters. One read a second however many waiters there
 * are, where a re-read per waiter cost a run read per waiter per second.
 */
export class CloseWatch {
  readonly #store: Store;
  readonly #notifier: Notifier;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  /** namespace → run id → how many waiters watch it. */
  readonly #watched = new Map<string, Map<string, number>>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: {
    store: Store;
    notifier: Notifier;
    logger: Logger;
    intervalMs?: number | undefined;
  }) {
    this.#store = opts.store;
    this.#notifier = opts.notifier;
    this.#logger = opts.logger;
    this.#intervalMs = opts.intervalMs ?? CLOSE_RECHECK_INTERVAL_MS;
  }

  /** How many runs are watched now. */
  get size(): number {
    let n = 0;
    for (const runs of this.#watched.values()) n += runs.size;
    return n;
  }

  /** Watches `runId` until the returned function is called. */
  watch(namespace: string, runId: string): () => void {
    let runs = this.#watched.get(namespace);
    if (!runs) {
      runs = new Map();
      this.#watched.set(namespace, runs);
    }
    runs.set(runId, (runs.get(runId) ?? 0) + 1);
    this.#schedule();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#unwatch(namespace, runId);
    };
  }

  /** Stops checking; waiters still wake on this process's commits and their own deadlines. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #unwatch(namespace: string, runId: string): void {
    const runs = this.#watched.get(namespace);
    const n = runs?.get(runId);
    if (runs === undefined || n === undefined) return;
    if (n > 1) runs.set(runId, n - 1);
    else runs.delete(runId);
    if (runs.size === 0) this.#watched.delete(namespace);
    if (this.#watched.size === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#closed || this.#watched.size === 0) return;
    const timer = setTimeout(() => {
      void this.#check().finally(() => {
        if (this.#timer === timer) this.#timer = undefined;
        this.#schedule();
      });
    }, this.#intervalMs);
    timer.unref();
    this.#timer = timer;
  }

  async #check(): Promise<void> {
    for (const [namespace, runs] of [...this.#watched]) {
      const ids = [...runs.keys()];
      for (let i = 0; i < ids.length && !this.#closed; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK);
        try {
          const closed = await this.#store.listRunsByQuery({
            namespace,
            filter: closedAmong(chunk),
            limit: chunk.length,
            offset: 0,
          });
          for (const run of closed) this.#notifier.notify(runClosedKey(run.runId));
        } catch (e) {
          // The waiters still end at their deadlines; the next check tries again.
          this.#logger.warn({ err: e, namespace }, 'Checking awaited runs for closes failed.');
        }
      }
    }
  }
}

function closedAmong(runIds: string[]): ListFilter {
  return {
    where: {
      type: 'and',
      left: {
        type: 'in',
        attribute: { kind: 'system', name: 'RunId' },
        values: runIds,
        negated: false,
      },
      right: {
        type: 'compare',
        attribute: { kind: 'system', name: 'ExecutionStatus' },
        op: '!=',
        value: RunStatus.Running,
      },
    },
    orderBy: [],
  };
}
