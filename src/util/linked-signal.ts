// Signals that follow others while a call runs, and let go of them when it ends.
//
// AbortSignal.any() links the signal it makes into each of its sources, and on Node 20 a source
// keeps that link for as long as it lives, even once the signal made from it is gone: an engine
// that combined its own closing signal with every long-poll's signal (over HTTP, each poll has its
// own) grew by tens of bytes a poll for as long as it ran (src/engine/poll-signals.test.ts).

/**
 * A signal that many calls listen on at once, each for as long as it runs: an engine's close,
 * which every long-poll and every result or update wait hears. Node's EventTarget walks all of a
 * signal's listeners on each `addEventListener` and `removeEventListener`, so N calls listening
 * on one signal made each of them cost O(N): with 2,000 result waits open, every poll of the
 * engine walked 2,000 listeners twice. This one listens to the signal once and keeps its own
 * listeners in a set.
 */
export class SharedSignal {
  readonly signal: AbortSignal;
  readonly #listeners = new Set<() => void>();

  constructor(signal: AbortSignal) {
    this.signal = signal;
    signal.addEventListener(
      'abort',
      () => {
        const listeners = [...this.#listeners];
        this.#listeners.clear();
        for (const listener of listeners) {
          try {
            listener();
          } catch (e) {
            // As EventTarget does: the others still hear it, and the error is not swallowed.
            queueMicrotask(() => {
              throw e;
            });
          }
        }
      },
      { once: true },
    );
  }

  get aborted(): boolean {
    return this.signal.aborted;
  }

  get reason(): unknown {
    const reason: unknown = this.signal.reason;
    return reason;
  }

  /**
   * Calls `listener` once when the signal aborts (never, if it already has), unless the function
   * returned is called first. As with `addEventListener`, one function added twice is one listener.
   */
  listen(listener: () => void): () => void {
    if (this.signal.aborted) return doNothing;
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}

/** A signal a call may be ended by: one of its own, or one it shares with many others. */
export type AbortSource = AbortSignal | SharedSignal;

/** Calls `listener` once when `source` aborts; returns what takes the listener off again. */
export function onAbort(source: AbortSource, listener: () => void): () => void {
  if (source instanceof SharedSignal) return source.listen(listener);
  source.addEventListener('abort', listener, { once: true });
  return () => {
    source.removeEventListener('abort', listener);
  };
}

/**
 * Runs `call` with a signal aborted when `signal` or `other` aborts (with that one's reason), then
 * takes off what it added to both: nothing of the call stays linked to either, however long they
 * live. Without `signal`, `call` gets `other` itself when that is a signal of its own; a
 * {@link SharedSignal} is never handed on, so that what `call` listens with stays off it.
 */
export async function withEitherSignal<T>(
  signal: AbortSignal | undefined,
  other: AbortSource,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (other.aborted) return call(other instanceof SharedSignal ? other.signal : other);
  if (signal?.aborted === true) return call(signal);
  if (signal === undefined && !(other instanceof SharedSignal)) return call(other);
  const either = new AbortController();
  const offSignal =
    signal === undefined
      ? doNothing
      : onAbort(signal, () => {
          either.abort(signal.reason);
        });
  const offOther = onAbort(other, () => {
    either.abort(other.reason);
  });
  try {
    return await call(either.signal);
  } finally {
    offSignal();
    offOther();
  }
}

function doNothing(): void {
  // Nothing was added: nothing to take off.
}
