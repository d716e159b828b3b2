import { performance } from 'node:perf_hooks';
import type { Clock } from '../engine/clock.ts';

/** setTimeout's longest delay; farther calls are re-armed. */
const MAX_DELAY_MS = 2 ** 31 - 1;

interface Scheduled {
  atMs: number;
  fn: () => void;
  seq: number;
  handle: NodeJS.Timeout | undefined;
}

/**
 * The clock of the time-skipping test environment: it runs at real pace, as Temporal's test
 * server's does while time skipping is locked, and `skipTo` jumps it ahead when everything is
 * idle. Scheduled calls run when real time reaches them, or at once, in due order, when a jump
 * passes them. Never goes back (real pace is read from a monotonic clock).
 */
export class TimeSkippingClock implements Clock {
  /** Virtual time at `performance.now() === 0`, plus every jump. */
  #baseMs: number;
  #seq = 0;
  readonly #scheduled = new Set<Scheduled>();

  constructor(startMs = Date.now()) {
    this.#baseMs = startMs - performance.now();
  }

  now(): number {
    return Math.floor(this.#baseMs + performance.now());
  }

  schedule(atMs: number, fn: () => void): () => void {
    if (atMs <= this.now()) {
      queueMicrotask(fn);
      return () => undefined;
    }
    const entry: Scheduled = { atMs, fn, seq: this.#seq++, handle: undefined };
    this.#scheduled.add(entry);
    this.#arm(entry);
    return () => {
      clearTimeout(entry.handle);
      this.#scheduled.delete(entry);
    };
  }

  /** Jumps to `atMs` (nothing if the clock is already there) and runs what came due, in order. */
  skipTo(atMs: number): void {
    const ahead = atMs - this.now();
    if (ahead > 0) this.#baseMs += ahead;
    const nowMs = this.now();
    const due = [...this.#scheduled]
      .filter((s) => s.atMs <= nowMs)
      .sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
    for (const s of due) {
      clearTimeout(s.handle);
      this.#scheduled.delete(s);
      s.fn();
    }
    // What is still ahead is nearer in real time than when it was armed.
    for (const s of this.#scheduled) this.#arm(s);
  }

  #arm(entry: Scheduled): void {
    clearTimeout(entry.handle);
    // At least 1 ms: a real timer may fire a fraction of a millisecond early, then re-arms.
    const delayMs = Math.min(MAX_DELAY_MS, Math.max(1, entry.atMs - this.now()));
    entry.handle = setTimeout(() => {
      if (!this.#scheduled.has(entry)) return;
      if (entry.atMs > this.now()) {
        this.#arm(entry);
        return;
      }
      this.#scheduled.delete(entry);
      entry.fn();
    }, delayMs);
    entry.handle.unref();
  }
}
