import type { Store, WorkerRegistration } from '../store/store.ts';

/** A registration older than this no longer counts: its worker is gone. */
const REGISTRATION_FRESH_MS = 2 * 60_000;
/** How long one read of a queue's registrations answers checks that accept. */
const REUSE_MS = 1_000;
/** Past this many queues, entries older than REUSE_MS are dropped when another is read. */
const MAX_QUEUES = 1_024;

interface Entry {
  readonly readAtMs: number;
  readonly regs: Promise<WorkerRegistration[]>;
}

/**
 * The workers registered on each task queue, as the checks of starts and signals see them
 * (an unknown workflow type or signal name is refused while workers that know others are
 * registered). One read per queue answers the checks of the next second, so a burst of starts
 * or signals reads once; a check that would refuse reads again first, so what a worker in any
 * process registered before the request is never refused. The cost: for up to a second, a name
 * may be accepted that a fresh read would refuse (the check is a guard against typos and stale
 * deployments, not a promise; an accepted unknown signal fails in the workflow as usual).
 */
export class WorkerRegistrations {
  readonly #store: Store;
  readonly #entries = new Map<string, Entry>();

  constructor(store: Store) {
    this.#store = store;
  }

  /** Throws what `refusal` returns for the queue's registrations, if anything, read fresh. */
  async check(
    namespace: string,
    taskQueue: string,
    refusal: (regs: readonly WorkerRegistration[]) => Error | undefined,
  ): Promise<void> {
    const key = `${namespace}\u0000${taskQueue}`;
    const recent = this.#entries.get(key);
    if (recent !== undefined && performance.now() - recent.readAtMs < REUSE_MS) {
      if (refusal(await recent.regs) === undefined) return;
    }
    const error = refusal(await this.#read(key, namespace, taskQueue));
    if (error !== undefined) throw error;
  }

  /** Forgets what was read for the queue (this engine just registered a worker on it). */
  forget(namespace: string, taskQueue: string): void {
    this.#entries.delete(`${namespace}\u0000${taskQueue}`);
  }

  #read(key: string, namespace: string, taskQueue: string): Promise<WorkerRegistration[]> {
    // The reuse window on the monotonic clock: a wall clock stepped back does not stretch it.
    const now = performance.now();
    if (this.#entries.size >= MAX_QUEUES) {
      for (const [k, e] of this.#entries) if (now - e.readAtMs >= REUSE_MS) this.#entries.delete(k);
    }
    const regs = this.#store.listWorkerRegistrations({
      namespace,
      taskQueue,
      // Worker liveness is real time, whatever the engine clock (a ManualClock may jump days).
      sinceMs: Date.now() - REGISTRATION_FRESH_MS,
    });
    const entry = { readAtMs: now, regs };
    this.#entries.set(key, entry);
    regs.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return regs;
  }
}
