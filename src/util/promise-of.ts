import { ensureError } from '../errors.ts';

/**
 * `fn()`, with a synchronous throw turned into a rejection, as an async function would do it, but
 * without an async function's own promise and its `await`'s: on a path every step takes, each
 * promise costs its allocation and, while an AsyncLocalStorage is in use, node's promise hooks
 * (util/async-store.ts).
 */
export function promiseOf<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (e) {
    return Promise.reject(ensureError(e));
  }
}
