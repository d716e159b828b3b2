// A signal that follows two others while a call runs, and lets go of both when it ends.
//
// AbortSignal.any() links the signal it makes into each of its sources, and on Node 20 a source
// keeps that link for as long as it lives, even once the signal made from it is gone: an engine
// that combined its own closing signal with every long-poll's signal (over HTTP, each poll has its
// own) grew by tens of bytes a poll for as long as it ran (src/engine/poll-signals.test.ts).

/**
 * Runs `call` with a signal aborted when `signal` or `other` aborts (with that one's reason), then
 * removes what it added to both: nothing of the call stays linked to either, however long they
 * live. Without `signal`, `call` gets `other` itself.
 */
export async function withEitherSignal<T>(
  signal: AbortSignal | undefined,
  other: AbortSignal,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (signal === undefined || other.aborted) return call(other);
  if (signal.aborted) return call(signal);
  const either = new AbortController();
  const fromSignal = (): void => {
    either.abort(signal.reason);
  };
  const fromOther = (): void => {
    either.abort(other.reason);
  };
  signal.addEventListener('abort', fromSignal, { once: true });
  other.addEventListener('abort', fromOther, { once: true });
  try {
    return await call(either.signal);
  } finally {
    signal.removeEventListener('abort', fromSignal);
    other.removeEventListener('abort', fromOther);
  }
}
