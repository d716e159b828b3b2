/**
 * The engine's time. `SystemClock` in production; `ManualClock` in tests, where time moves only
 * when told to (the time-skipping test environment has its own, `TimeSkippingClock`).
 */
export interface Clock {
  now(): number;
  /**
   * Calls `fn` once the clock reaches `atMs` (at once if it already has). Returns a function
   * that cancels the call.
   */
  schedule(atMs: number, fn: () => void): () => void;
}

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
  schedule(atMs: number, fn: () => void): () => void {
    // setTimeout caps at 2^31-1 ms; re-arm for far-away times.
    const MAX = 2 ** 31 - 1;
    let handle: NodeJS.Timeout;
    const arm = (): void => {
      const delay = atMs - Date.now();
      if (delay > MAX) {
        handle = setTimeout(arm, MAX);
      } else {
        handle = setTimeout(fn, Math.max(0, delay));
      }
      handle.unref();
    };
    arm();
    return () => {
      clearTimeout(handle);
    };
  }
}

interface Scheduled {
  atMs: number;
  fn: () => void;
  seq: number;
}

/** A clock that moves only by `advance`/`set`; scheduled calls run in due order. */
export class ManualClock implements Clock {
  #nowMs: number;
  #seq = 0;
  #scheduled = new Set<Scheduled>();

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#nowMs = startMs;
  }

  now(): number {
    return this.#nowMs;
  }

  schedule(atMs: number, fn: () => void): () => void {
    const entry: Scheduled = { atMs, fn, seq: this.#seq++ };
    if (atMs <= this.#nowMs) {
      queueMicrotask(fn);
      return () => undefined;
    }
    this.#scheduled.add(entry);
    return () => {
      this.#scheduled.delete(entry);
    };
  }

  /** The earliest time something is scheduled for, or undefined. */
  nextScheduledAt(): number | undefined {
    let min: number | undefined;
    for (const s of this.#scheduled) if (min === undefined || s.atMs < min) min = s.atMs;
    return min;
  }

  advance(ms: number): void {
    this.set(this.#nowMs + ms);
  }

  /** Moves the clock to `atMs` (never backwards) and runs what came due, in due order. */
  set(atMs: number): void {
    if (atMs < this.#nowMs)
      throw new RangeError(`ManualClock cannot go back (${atMs} < ${this.#nowMs}).`);
    this.#nowMs = atMs;
    const due = [...this.#scheduled]
      .filter((s) => s.atMs <= atMs)
      .sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
    for (const s of due) {
      this.#scheduled.delete(s);
      s.fn();
    }
  }
}
