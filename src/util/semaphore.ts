import { IllegalStateError } from '../errors.ts';
import { promiseOf } from './promise-of.ts';

const TAKEN: Promise<boolean> = Promise.resolve(true);
const STOPPED: Promise<boolean> = Promise.resolve(false);

/** Counts free slots; `acquire` waits for one. */
export class Semaphore {
  #free: number;
  #stopped = false;
  readonly #waiters: ((taken: boolean) => void)[] = [];

  constructor(slots: number) {
    this.#free = slots;
  }

  /** Slots free now. */
  get free(): number {
    return this.#free;
  }

  async acquire(): Promise<void> {
    if (!(await this.acquireUnlessStopped())) {
      throw new IllegalStateError('The semaphore was stopped: no slot is handed out any more.');
    }
  }

  /**
   * A slot (true), waiting for one if none is free; false, with no slot taken, once {@link stop}
   * was called, also for a caller already waiting. No listener or promise per call beyond the
   * wait itself: poll loops call it once per task.
   */
  acquireUnlessStopped(): Promise<boolean> {
    if (this.#stopped) return STOPPED;
    if (this.#free > 0) {
      this.#free--;
      return TAKEN;
    }
    return new Promise<boolean>((resolve) => this.#waiters.push(resolve));
  }

  /**
   * A slot (true), waiting for one if none is free, or false with no slot taken when `abort`
   * fires first (or was already aborted, or the semaphore is stopped).
   */
  acquireUntil(abort: AbortSignal): Promise<boolean> {
    if (abort.aborted) return STOPPED;
    const fast = this.acquireUnlessStopped();
    if (fast === TAKEN || fast === STOPPED) return fast;
    return new Promise<boolean>((resolve) => {
      const waiter = this.#waiters.at(-1);
      const onAbort = (): void => {
        const i = waiter === undefined ? -1 : this.#waiters.indexOf(waiter);
        if (i === -1) return; // already handed a slot: `fast` settles with it
        this.#waiters.splice(i, 1);
        resolve(false);
      };
      abort.addEventListener('abort', onAbort, { once: true });
      void fast.then((taken) => {
        abort.removeEventListener('abort', onAbort);
        resolve(taken);
      });
    });
  }

  /** Wakes every waiter with false; later waits return false at once (a worker's shutdown). */
  stop(): void {
    this.#stopped = true;
    for (const w of this.#waiters.splice(0)) w(false);
  }

  /** Takes a slot if one is free now; never waits. */
  tryAcquire(): boolean {
    if (this.#free <= 0) return false;
    this.#free--;
    return true;
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next(true);
    else this.#free++;
  }
}

/**
 * Runs calls with the same key one after another. A call on a free key starts at once, inside
 * `run`; one on a held key waits in a queue for the calls before it. No promise chain per call,
 * and no async function (its own promise and its `await`'s): one `then` on the call's promise.
 * The lock is taken on every step of every run (engine and worker), and each promise costs its
 * allocation and, while an AsyncLocalStorage is in use, node's promise hooks.
 */
export class KeyedMutex {
  /** Per key held, the calls waiting for it, first first. */
  readonly #waiting = new Map<string, (() => void)[]>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const queue = this.#waiting.get(key);
    if (queue === undefined) {
      this.#waiting.set(key, []);
      return this.#runHeld(key, fn);
    }
    return new Promise<void>((resolve) => queue.push(resolve)).then(() => this.#runHeld(key, fn));
  }

  /** `fn` with the key held; released when it settles. One promise, not an async function's. */
  #runHeld<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return promiseOf(fn).then(
      (value) => {
        this.#release(key);
        return value;
      },
      (e: unknown) => {
        this.#release(key);
        throw e;
      },
    );
  }

  #release(key: string): void {
    const next = this.#waiting.get(key)?.shift();
    if (next !== undefined) next();
    else this.#waiting.delete(key);
  }

  isLocked(key: string): boolean {
    return this.#waiting.has(key);
  }

  /** The keys held now. */
  get heldCount(): number {
    return this.#waiting.size;
  }
}
