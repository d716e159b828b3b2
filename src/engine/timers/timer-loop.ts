import type { Clock } from '../clock.ts';
import type { EngineDeps } from '../deps.ts';
import { fireTimer, firesAlone } from '../ops/fire-timer.ts';
import type { TimerRecord } from '../../store/store.ts';

/** How often the loop re-reads the store when nothing woke it (other engines' timers). */
const IDLE_RECHECK_MS = 1000;
const BATCH = 256;

/**
 * Fires due timers. Timers are found by due time through the store's index, and the loop
 * sleeps on one in-process timer set for the earliest due time, re-armed when an earlier timer
 * is written; it never scans every run. With several engines on one store, each takes due
 * timers under a lease, and a timer fired twice is stale the second time.
 */
export class TimerLoop {
  readonly #deps: EngineDeps;
  readonly #clock: Clock;
  #armedAt: number | undefined;
  #cancelArm: (() => void) | undefined;
  #idle: NodeJS.Timeout | undefined;
  #running = false;
  #again = false;
  #closed = false;
  #current: Promise<void> = Promise.resolve();
  /**
   * Fires not yet committed, by timer row (run, key and due time): close waits for them, and a
   * row taken again while its fire is in flight (its lease ended: an overloaded process) is not
   * fired twice. A row its fire wrote anew has another due time.
   */
  readonly #firing = new Map<string, Promise<void>>();

  constructor(deps: EngineDeps) {
    this.#deps = deps;
    this.#clock = deps.clock;
  }

  start(): void {
    this.wake();
  }

  /** A timer due at `dueAtMs` was written: make sure the loop wakes by then. */
  onTimerWritten(dueAtMs: number): void {
    if (this.#closed) return;
    if (this.#armedAt === undefined || dueAtMs < this.#armedAt) this.#arm(dueAtMs);
  }

  wake(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.#current = this.#drain().finally(() => {
      if (!this.#again) {
        this.#running = false;
        return;
      }
      // Timers became due while draining: drain again, but after the event loop's other work
      // (commits, I/O), so that timers which keep coming due at once (a schedule looking again
      // for a run to close) cannot starve what they wait for.
      this.#again = false;
      setImmediate(() => {
        this.#running = false;
        this.wake();
      });
    });
  }

  /**
   * Takes the due timers and sets them firing, without waiting for their commits: a timer that
   * comes due while earlier ones commit (and the worker runs the tasks they scheduled) is taken
   * at the next wake-up, not after them. The fires are tracked for close. The next wake-up is
   * read while they are in flight, so it may be their lease's end: one empty look then.
   */
  async #drain(): Promise<void> {
    const { store, logger } = this.#deps;
    try {
      for (;;) {
        const due = await store.takeDueTimers({
          nowMs: this.#clock.now(),
          limit: BATCH,
          leaseMs: this.#deps.limits.timerLeaseMs,
          owner: this.#deps.processId,
        });
        // Timers of single runs fire together (group commit), not awaited; the rest in due order
        // after them, each awaited (a schedule's next look waits for its last).
        const fires: Promise<void>[] = [];
        for (const t of due) {
          const id = rowId(t);
          if (!firesAlone(t) || this.#firing.has(id)) continue;
          fires.push(this.#track(id, this.#fireOne(t)));
        }
        for (const t of due) if (!firesAlone(t)) await this.#fireOne(t);
        if (due.length < BATCH) break;
        // A backlog (more due than a batch): one batch's commits at a time, as before, so that
        // it neither holds the event loop nor piles every fire into one transaction.
        await Promise.all(fires);
      }
      const next = await store.nextTimerDueAt();
      this.#armedAt = undefined;
      if (next !== undefined) this.#arm(next);
    } catch (e) {
      if (!this.#closed) logger.error({ err: e }, 'timer loop failed to read the store; retrying');
    } finally {
      this.#scheduleIdleRecheck();
    }
  }

  async #fireOne(t: TimerRecord): Promise<void> {
    if (this.#closed) return;
    try {
      await fireTimer(this.#deps, t);
    } catch (e) {
      this.#deps.logger.error(
        { err: e, runId: t.runId, key: t.key },
        'firing a timer failed; it is retried after its lease',
      );
    }
  }

  #track(id: string, fired: Promise<void>): Promise<void> {
    this.#firing.set(id, fired);
    void fired.finally(() => this.#firing.delete(id));
    return fired;
  }

  #arm(atMs: number): void {
    this.#cancelArm?.();
    this.#armedAt = atMs;
    this.#cancelArm = this.#clock.schedule(atMs, () => {
      this.#armedAt = undefined;
      this.#cancelArm = undefined;
      this.wake();
    });
  }

  #scheduleIdleRecheck(): void {
    if (this.#closed) return;
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      this.wake();
    }, IDLE_RECHECK_MS);
    this.#idle.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#cancelArm?.();
    clearTimeout(this.#idle);
    await this.#current;
    await Promise.all(this.#firing.values());
  }
}

function rowId(t: TimerRecord): string {
  return `${t.runId}\u0000${t.key}\u0000${t.dueAtMs}`;
}
