import { readAheadKey } from './read-ahead.ts';

/**
 * How long after its last poll a worker's sticky queue still gets its runs' workflow tasks
 * (Temporal's sticky poller unavailable window): a worker whose slots are all busy polls again
 * when one frees, and a worker that died or stopped is passed over after this.
 */
export const STICKY_POLLER_WINDOW_MS = 10_000;

/**
 * One poll in this many looks at the task queue before the sticky queue (Temporal's SDK keeps a
 * fifth of its polls for the normal queue): a worker that always has tasks waiting on its sticky
 * queue still takes new runs' first tasks, and those a sticky timeout moved, in turn.
 */
export const TASK_QUEUE_FIRST_EVERY = 5;

/** More queues remembered than this, and a look forgets those unpolled past the window. */
const SWEEP_ABOVE_QUEUES = 256;

interface Seen {
  /** Polls of the queue in progress now. */
  polling: number;
  /** When the last poll of the queue began or ended (the real time). */
  lastMs: number;
  /** Polls begun. */
  count: number;
}

/**
 * The sticky queues whose workers poll this engine process (engine/sticky.ts): a run's
 * workflow task goes to its worker's sticky queue only while that worker polls it here, so that
 * a worker that died, stopped, or polls another engine process leaves no task waiting for it.
 * Worker time, not the engine's clock: it is about connections, which a `ManualClock` does not
 * move.
 */
export class StickyQueues {
  readonly #seen = new Map<string, Seen>();
  /** Queues whose worker said it stopped (shutdownWorker): never live again. */
  readonly #gone = new Set<string>();
  readonly #now: () => number;

  /** `now`: the real time (tests pass their own). */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /**
   * A poll of the sticky queue begins: whether it looks at the task queue first
   * ({@link TASK_QUEUE_FIRST_EVERY}), and what to call when it ends.
   */
  polling(namespace: string, taskQueue: string): { taskQueueFirst: boolean; done: () => void } {
    const key = readAheadKey(namespace, taskQueue, 'workflow');
    let seen = this.#seen.get(key);
    if (seen === undefined) {
      this.#sweep(this.#now());
      seen = { polling: 0, lastMs: 0, count: 0 };
      this.#seen.set(key, seen);
    }
    const s = seen;
    s.polling++;
    s.count++;
    s.lastMs = this.#now();
    return {
      taskQueueFirst: s.count % TASK_QUEUE_FIRST_EVERY === 0,
      done: () => {
        s.polling--;
        s.lastMs = this.#now();
      },
    };
  }

  /** Whether a workflow task may be queued on the sticky queue for its worker. */
  live(namespace: string, taskQueue: string): boolean {
    const key = readAheadKey(namespace, taskQueue, 'workflow');
    if (this.#gone.has(key)) return false;
    const seen = this.#seen.get(key);
    if (seen === undefined) return false;
    return seen.polling > 0 || this.#now() - seen.lastMs <= STICKY_POLLER_WINDOW_MS;
  }

  /** How many queues are remembered (tests). */
  get size(): number {
    return this.#seen.size;
  }

  /** The queue's worker stopped: no task is queued there from now on. */
  gone(namespace: string, taskQueue: string): void {
    const key = readAheadKey(namespace, taskQueue, 'workflow');
    this.#seen.delete(key);
    this.#gone.add(key);
  }

  #sweep(nowMs: number): void {
    if (this.#seen.size > SWEEP_ABOVE_QUEUES) {
      for (const [k, s] of this.#seen) {
        if (s.polling === 0 && nowMs - s.lastMs > STICKY_POLLER_WINDOW_MS) this.#seen.delete(k);
      }
    }
    // A sticky queue's name is its worker's own, used once: the names of stopped workers are
    // only kept so that a late answer does not make their queue live again.
    if (this.#gone.size > SWEEP_ABOVE_QUEUES) this.#gone.clear();
  }
}
