import type { Logger } from '../logger.ts';
import { Semaphore } from '../util/semaphore.ts';

/** How long one long-poll waits before asking again. */
export const POLL_WAIT_MS = 10_000;

/**
 * Runs `pollers` loops that each wait for a free execution slot, poll, and hand the task to
 * `handle` without waiting for it, so that at most `maxConcurrent` tasks run at once.
 */
export async function runPollLoops<T>(opts: {
  pollers: number;
  maxConcurrent: number;
  signal: AbortSignal;
  logger: Logger;
  poll: (signal: AbortSignal) => Promise<T | undefined>;
  handle: (task: T) => Promise<void>;
  inFlight: Set<Promise<void>>;
}): Promise<void> {
  const slots = new Semaphore(opts.maxConcurrent);
  let backoffMs = 100;
  const loop = async (): Promise<void> => {
    while (!opts.signal.aborted) {
      await slots.acquire();
      let task: T | undefined;
      try {
        task = await opts.poll(opts.signal);
        backoffMs = 100;
      } catch (e) {
        slots.release();
        opts.logger.warn({ err: e }, `poll failed; retrying in ${backoffMs} ms`);
        await abortableDelay(backoffMs, opts.signal);
        backoffMs = Math.min(backoffMs * 2, 5000);
        continue;
      }
      if (task === undefined) {
        slots.release();
        continue;
      }
      const p = opts
        .handle(task)
        .catch((e: unknown) => {
          opts.logger.error({ err: e }, 'task handler failed');
        })
        .finally(() => {
          slots.release();
          opts.inFlight.delete(p);
        });
      opts.inFlight.add(p);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.pollers) }, loop));
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
