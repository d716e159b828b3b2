// Appends that wait for their run's next write (AppendToRunRequest.linger, ADR 0007): an activity
// result whose workflow task went straight back to the worker waits, up to the linger window, for
// that task's answer, and the two commit in one transaction: one commit a step, not two.
import type { PendingAppend } from './write-queue.ts';

/**
 * At most one held append per run. A held append leaves when its run's next write takes it
 * (`take`), when its window ends (`onDue`, which commits it alone), or at close (`takeAll`). Its
 * timer holds the process open: the caller waits for the commit.
 */
export class LingeringAppends {
  readonly #held = new Map<string, { pending: PendingAppend; timer: NodeJS.Timeout }>();
  readonly #lingerMs: number;
  readonly #onDue: (pending: PendingAppend) => void;

  constructor(lingerMs: number, onDue: (pending: PendingAppend) => void) {
    this.#lingerMs = lingerMs;
    this.#onDue = onDue;
  }

  /** Holds `pending` for its run; the run must hold none (`take` first). */
  hold(pending: PendingAppend): void {
    const { runId } = pending.req;
    const timer = setTimeout(() => {
      if (this.#held.get(runId)?.pending === pending) {
        this.#held.delete(runId);
        this.#onDue(pending);
      }
    }, this.#lingerMs);
    this.#held.set(runId, { pending, timer });
  }

  /** The append held for `runId`, which leaves the hold, or undefined. */
  take(runId: string): PendingAppend | undefined {
    const held = this.#held.get(runId);
    if (held === undefined) return undefined;
    this.#held.delete(runId);
    clearTimeout(held.timer);
    return held.pending;
  }

  /** Every held append, which all leave the hold. */
  takeAll(): PendingAppend[] {
    return [...this.#held.keys()].flatMap((runId) => this.take(runId) ?? []);
  }
}
