import { readAheadKey } from './read-ahead.ts';

/**
 * How long after its last poll a worker's sticky queue still gets its runs' workflow tasks
 * (Temporal's sticky poller unavailable window): a worker whose slots are all busy polls again
 * when one frees, and a worker that died or stopped is passed over after this.
 */
export const STICKY_POLLER_WINDOW_MS = 10_000;

/** More queues remembered than this, and a look forgets those unpolled past the window. */
const SWEEP_ABOVE_QUEUES = 256;

interface Seen {
  /** Polls in progress now. */
  polling: number;
  /** When the last poll began or ended (the real time). */
  lastMs: number;
}

/** A sticky queue's polls, and the task queue they poll beside it. */
interface SeenSticky extends Seen {
  taskQueueKey: string;
}

export interface StickyQueuesOptions {
  /** The real time (tests pass their own). */
  now?: () => number;
  /**
   * Whether this engine process is the only one on its store (Peers.alone). While it is, a
   * worker that is the only one polling a task queue here gets its runs' tasks on the task
   * queue itself: no other worker could take them. Without it, the engine is taken not to be.
   */
  alone?: () => boolean;
}

/**
 * The sticky queues whose workers poll this engine process (engine/sticky.ts): a run's
 * workflow task goes to its worker's sticky queue only while that worker polls it here, so that
 * a worker that died, stopped, or polls another engine process leaves no task waiting for it;
 * and, while this engine is alone on its store, only while another worker polls the same task
 * queue here, since with one worker the sticky queue would route every task where the task queue
 * does, at the cost of a timer a task. Worker time, not the engine's clock: it is about
 * connections, which a `ManualClock` does not move.
 */
export class StickyQueues {
  readonly #sticky = new Map<string, SeenSticky>();
  /** Polls of a task queue that name no sticky queue (workers without a cache), per queue. */
  readonly #plain = new Map<string, Seen>();
  /** The sticky queues polled beside each task queue. */
  readonly #byTaskQueue = new Map<string, Set<string>>();
  /** Queues whose worker said it stopped (shutdownWorker): never live again. */
  readonly #gone = new Set<string>();
  readonly #now: () => number;
  readonly #alone: () => boolean;

  constructor(options: StickyQueuesOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#alone = options.alone ?? (() => false);
  }

  /**
   * A workflow poll of `taskQueue` begins, naming the worker's sticky queue or not: what to call
   * when it ends.
   */
  polling(
    namespace: string,
    taskQueue: string,
    stickyQueue: string | undefined,
  ): { done: () => void } {
    const taskQueueKey = workflowKey(namespace, taskQueue);
    const nowMs = this.#now();
    const s =
      stickyQueue === undefined
        ? this.#plainSeen(taskQueueKey, nowMs)
        : this.#stickySeen(workflowKey(namespace, stickyQueue), taskQueueKey, nowMs);
    s.polling++;
    s.lastMs = nowMs;
    return {
      done: () => {
        s.polling--;
        s.lastMs = this.#now();
      },
    };
  }

  /**
   * Whether a workflow task (or query) of a run of `taskQueue` whose worker named `stickyQueue`
   * goes to that sticky queue: while its worker polls here, and, while this engine is alone on
   * its store, another worker polls the task queue here too.
   */
  routes(namespace: string, stickyQueue: string, taskQueue: string): boolean {
    const key = workflowKey(namespace, stickyQueue);
    const nowMs = this.#now();
    if (!this.#live(key, nowMs)) return false;
    if (!this.#alone()) return true;
    const taskQueueKey = workflowKey(namespace, taskQueue);
    if (isLive(this.#plain.get(taskQueueKey), nowMs)) return true;
    for (const other of this.#byTaskQueue.get(taskQueueKey) ?? []) {
      if (other !== key && this.#live(other, nowMs)) return true;
    }
    return false;
  }

  #live(key: string, nowMs: number): boolean {
    return !this.#gone.has(key) && isLive(this.#sticky.get(key), nowMs);
  }

  /** How many sticky queues are remembered (tests). */
  get size(): number {
    return this.#sticky.size;
  }

  /** The queue's worker stopped: no task is queued there from now on. */
  gone(namespace: string, stickyQueue: string): void {
    const key = workflowKey(namespace, stickyQueue);
    this.#forget(key);
    this.#gone.add(key);
  }

  #plainSeen(taskQueueKey: string, nowMs: number): Seen {
    let seen = this.#plain.get(taskQueueKey);
    if (seen === undefined) {
      this.#sweep(nowMs);
      seen = { polling: 0, lastMs: 0 };
      this.#plain.set(taskQueueKey, seen);
    }
    return seen;
  }

  /** The sticky queue `key`'s record, indexed under the task queue it is polled beside now. */
  #stickySeen(key: string, taskQueueKey: string, nowMs: number): SeenSticky {
    let seen = this.#sticky.get(key);
    if (seen?.taskQueueKey === taskQueueKey) return seen;
    if (seen === undefined) {
      this.#sweep(nowMs);
      seen = { polling: 0, lastMs: 0, taskQueueKey };
      this.#sticky.set(key, seen);
    } else {
      this.#unindex(key, seen.taskQueueKey);
      seen.taskQueueKey = taskQueueKey;
    }
    let keys = this.#byTaskQueue.get(taskQueueKey);
    if (keys === undefined) {
      keys = new Set();
      this.#byTaskQueue.set(taskQueueKey, keys);
    }
    keys.add(key);
    return seen;
  }

  #unindex(key: string, taskQueueKey: string): void {
    const keys = this.#byTaskQueue.get(taskQueueKey);
    keys?.delete(key);
    if (keys?.size === 0) this.#byTaskQueue.delete(taskQueueKey);
  }

  #forget(key: string): void {
    const sticky = this.#sticky.get(key);
    if (sticky === undefined) return;
    this.#sticky.delete(key);
    this.#unindex(key, sticky.taskQueueKey);
  }

  #sweep(nowMs: number): void {
    if (this.#sticky.size + this.#plain.size > SWEEP_ABOVE_QUEUES) {
      for (const [k, s] of this.#sticky) if (!isLive(s, nowMs)) this.#forget(k);
      for (const [k, s] of this.#plain) if (!isLive(s, nowMs)) this.#plain.delete(k);
    }
    // A sticky queue's name is its worker's own, used once: the names of stopped workers are
    // only kept so that a late answer does not make their queue live again.
    if (this.#gone.size > SWEEP_ABOVE_QUEUES) this.#gone.clear();
  }
}

function workflowKey(namespace: string, queue: string): string {
  return readAheadKey(namespace, queue, 'workflow');
}

/** Polled now, or within {@link STICKY_POLLER_WINDOW_MS}. */
function isLive(seen: Seen | undefined, nowMs: number): boolean {
  return seen !== undefined && (seen.polling > 0 || nowMs - seen.lastMs <= STICKY_POLLER_WINDOW_MS);
}
