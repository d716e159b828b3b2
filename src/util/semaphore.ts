import { promiseOf } from './promise-of.ts';

/** Counts free slots; `acquire` waits for one. */
export class Semaphore {
  #free: number;
  readonly #waiters: (() => void)[] = [];

  constructor(slots: number) {
    this.#free = slots;
  }

  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Waits for a slot, unless `signal` aborts first: then false, and no slot is taken (a slot
   * released later goes to the next waiter).
   */
  async acquireUnlessAborted(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return false;
    if (this.#free > 0) {
      this.#free--;
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const waiter = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      };
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve(false);
      };
      this.#waiters.push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Takes a slot if one is free now; never waits. */
  tryAcquire(): boolean {
    if (this.#free <= 0) return false;
    this.#free--;
    return true;
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
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
}
