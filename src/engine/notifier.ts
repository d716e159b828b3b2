import { EngineClosedError } from '../errors.ts';
import { onAbort, type AbortSource } from '../util/linked-signal.ts';
import type { Clock } from './clock.ts';

/**
 * What a closed engine answers every call, and a result or update wait its close cut short: an
 * error, not "not yet", which a client would ask again at once, and get again, without end.
 */
export function engineClosedError(): EngineClosedError {
  return new EngineClosedError(
    'The engine closed while this call waited for it. Ask an engine that serves the store (a closed engine answers no more calls).',
  );
}

/**
 * In-process wake-ups: a task was enqueued, a run changed. Wake-ups are hints that only shorten
 * waits; every waiter re-reads the store on a bounded interval (result waiters all at once,
 * through the close watch: ADR 0011), since other engine processes sharing the store do not
 * reach this notifier.
 */
export class Notifier {
  readonly #waiters = new Map<string, Set<() => void>>();

  notify(key: string): void {
    const set = this.#waiters.get(key);
    if (!set) return;
    this.#waiters.delete(key);
    for (const wake of set) wake();
  }

  /**
   * Resolves when `key` is notified, `timeoutMs` of real time passes, or `signal` aborts,
   * whichever comes first. Never rejects.
   */
  wait(key: string, timeoutMs: number, signal?: AbortSource): Promise<void> {
    return this.waitCancellable(key, timeoutMs, signal).done;
  }

  /** {@link wait}, with `cancel()` to stop waiting early (it then resolves at once). */
  waitCancellable(
    key: string,
    timeoutMs: number,
    signal?: AbortSource,
  ): { done: Promise<void>; cancel: () => void } {
    let cancel = (): void => undefined;
    const done = new Promise<void>((resolve) => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      let set = this.#waiters.get(key);
      if (!set) {
        set = new Set();
        this.#waiters.set(key, set);
      }
      const finish = (): void => {
        clearTimeout(timer);
        offAbort?.();
        const s = this.#waiters.get(key);
        s?.delete(finish);
        if (s?.size === 0) this.#waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      // The engine's close is shared by every waiter: a SharedSignal takes this in O(1).
      const offAbort = signal && onAbort(signal, finish);
      set.add(finish);
      cancel = finish;
    });
    return {
      done,
      cancel: () => {
        cancel();
      },
    };
  }
}

export function taskKey(namespace: string, taskQueue: string, kind: string): string {
  return `task\u0000${namespace}\u0000${taskQueue}\u0000${kind}`;
}
export function runKey(runId: string): string {
  return `run\u0000${runId}`;
}

/** Notified when the run closes (and on no other change): what result waiters wait for. */
export function runClosedKey(runId: string): string {
  return `closed\u0000${runId}`;
}

/** Real-time re-read interval for waiters: the bound on how stale a missed wake-up can be. */
export const RECHECK_INTERVAL_MS = 250;

/**
 * How often the close watch (close-watch.ts) looks for closes among the runs that result waiters
 * wait on: this process's commits wake them at once; the watch catches runs closed by other
 * engine processes on the same store.
 */
export const CLOSE_RECHECK_INTERVAL_MS = 1000;

export type { Clock };
