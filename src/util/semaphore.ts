import { ensureError } from '../errors.ts';

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
 * Runs calls with the same key one after another, in the order they came. A call whose key is
 * free starts at once (synchronously); one whose key is held waits in that key's queue, and the
 * key passes straight to it when the holder settles. An uncontended call costs one promise
 * beyond `fn`'s: every promise pays for node's promise hooks while an AsyncLocalStorage is in use.
 */
export class KeyedMutex {
  /** The keys held, each with the calls waiting for it. */
  readonly #queues = new Map<string, (() => void)[]>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const queue = this.#queues.get(key);
    if (queue === undefined) {
      this.#queues.set(key, []);
      return this.#holding(key, fn);
    }
    return new Promise<void>((resolve) => queue.push(resolve)).then(() => this.#holding(key, fn));
  }

  isLocked(key: string): boolean {
    return this.#queues.has(key);
  }

  /** Runs `fn` with `key` held, and passes the key on when it settles. */
  #holding<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let result: Promise<T>;
    try {
      result = fn();
    } catch (e) {
      this.#release(key);
      return Promise.reject(ensureError(e));
    }
    return result.then(
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
    const next = this.#queues.get(key)?.shift();
    if (next === undefined) this.#queues.delete(key);
    else next();
  }
}
