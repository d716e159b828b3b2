import type { MetricGauge } from '../common/metrics.ts';
import { abortableDelay } from '../util/abortable-delay.ts';
import type { Logger } from '../logger.ts';
import type { HeldSlot, TaskSlots } from './task-slots.ts';

/** How long one long-poll waits before asking again. */
export const POLL_WAIT_MS = 10_000;

/**
 * Temporal's `PollerState`: `POLLING` until the poller stops, `SHUTDOWN` once it stopped for
 * `shutdown()` (or from the start of `run()` when there is nothing of its kind to run), `FAILED`
 * once it stopped on an error that will not pass (its engine closed).
 */
export type PollerState = 'POLLING' | 'SHUTDOWN' | 'FAILED';

/** One kind of poll as `worker.getStatus()` reports it; the loops keep `outstanding`. */
export interface PollerStatus {
  state: PollerState;
  /** Polls waiting for the engine's answer now. */
  outstanding: number;
}

/**
 * Runs `pollers` loops that each wait for a free execution slot, poll, and hand the task to
 * `handle` without waiting for it, so that at most as many tasks run at once as `slots` has
 * (tasks dispatched eagerly take their slot from the same pool: {@link runInSlot}). A poll that
 * gets nothing gives a counting pool's slot back (a waiting local activity or eager task may
 * take it) and keeps a supplier's for the next poll, as Temporal's core keeps its permits.
 */
export async function runPollLoops<T>(opts: {
  pollers: number;
  slots: TaskSlots<T>;
  signal: AbortSignal;
  logger: Logger;
  slotsAvailable?: MetricGauge | undefined;
  poll: (signal: AbortSignal) => Promise<T | undefined>;
  handle: (task: T) => Promise<void>;
  inFlight: Set<Promise<void>>;
  /** Where the polls waiting for an answer are counted. */
  status?: PollerStatus | undefined;
  /**
   * Whether a poll's error will not pass (a closed engine): true ends this loop without a retry
   * (the caller stops the others); false backs off and polls again.
   */
  fatal?: (e: unknown) => boolean;
}): Promise<void> {
  const slots = opts.slots;
  // A function, not the property: the loop's condition would narrow it to false past awaits.
  const stopped = (): boolean => opts.signal.aborted;
  let backoffMs = 100;
  const status = opts.status ?? { state: 'POLLING', outstanding: 0 };
  const poll = async (): Promise<T | undefined> => {
    status.outstanding++;
    try {
      return await opts.poll(opts.signal);
    } finally {
      status.outstanding--;
    }
  };
  const loop = async (): Promise<void> => {
    let kept: HeldSlot | false = false;
    while (!opts.signal.aborted) {
      // A stop while every slot is busy ends the loop: shutdown must not wait for a free slot.
      const slot: HeldSlot | false = kept === false ? await slots.acquireUnlessStopped() : kept;
      kept = false;
      if (slot === false) break;
      let task: T | undefined;
      try {
        task = await poll();
        backoffMs = 100;
      } catch (e) {
        slots.release(slot);
        // After the stop no poll follows: a failure then (the store closing under it) is no news.
        if (stopped() || opts.fatal?.(e) === true) break;
        opts.logger.warn({ err: e }, `poll failed; retrying in ${backoffMs} ms`);
        await abortableDelay(backoffMs, opts.signal);
        backoffMs = Math.min(backoffMs * 2, 5000);
        continue;
      }
      if (task === undefined) {
        if (slot === true) slots.release(slot);
        else kept = slot;
        continue;
      }
      runInSlot(opts, task, slot);
    }
    if (kept !== false) slots.release(kept);
  };
  // One listener for the loops' life, not one per wait for a slot.
  const stop = (): void => {
    slots.stop();
  };
  opts.signal.addEventListener('abort', stop, { once: true });
  if (opts.signal.aborted) stop();
  try {
    await Promise.all(Array.from({ length: Math.max(1, opts.pollers) }, loop));
  } finally {
    opts.signal.removeEventListener('abort', stop);
  }
}

/**
 * Runs `handle(task)` in the background in `slot`, which the caller already took, marking it
 * used by the task and releasing it when done; the promise is tracked in `inFlight` (shutdown
 * waits for it).
 */
export function runInSlot<T>(
  opts: {
    slots: TaskSlots<T>;
    /**
     * Set to the free slots as the task starts and once it is done (when metrics are on). The
     * worker's metrics never throw (worker-metrics.ts): the slot is released and the task
     * untracked before it is set all the same.
     */
    slotsAvailable?: MetricGauge | undefined;
    logger: Logger;
    handle: (task: T) => Promise<void>;
    inFlight: Set<Promise<void>>;
  },
  task: T,
  slot: HeldSlot,
): void {
  const done = (): void => {
    opts.slots.release(slot);
    opts.inFlight.delete(p);
    opts.slotsAvailable?.set(opts.slots.free ?? 0);
  };
  opts.slots.markUsed(slot, task);
  opts.slotsAvailable?.set(opts.slots.free ?? 0);
  // One `then`, not `catch` and `finally`: two promises fewer on every task.
  const p: Promise<void> = opts.handle(task).then(done, (e: unknown) => {
    // Released first, and a logger that throws has nowhere left to report: it must neither keep
    // the slot nor end the process with an unhandled rejection.
    done();
    try {
      opts.logger.error({ err: e }, 'task handler failed');
    } catch {
      // Dropped: see above.
    }
  });
  opts.inFlight.add(p);
}
