// Appends that wait for their run's next write (AppendToRunRequest.linger, ADR 0007): an activity
// result whose workflow task went straight back to the worker waits, up to the linger window, for
// that task's answer, and the two commit in one transaction: one commit a step, not two. A run's
// first answer that waits for its activity's result (ADR 0013) holds that result behind it, and
// the three commit with the answer after them.
import type { PendingAppend } from './write-queue.ts';

/**
 * Each run's held appends, in the order they came. They leave together: when their run's next
 * write that does not linger takes them (`take`), when the window of the first ends (`onDue`,
 * which commits them), or at close (`takeAll`). The timer holds the process open: the callers
 * wait for the commit.
 */
export class LingeringAppends {
  readonly #held = new Map<string, { chain: PendingAppend[]; timer: NodeJS.Timeout }>();
  readonly #lingerMs: number;
  readonly #onDue: (chain: PendingAppend[]) => void;

  constructor(lingerMs: number, onDue: (chain: PendingAppend[]) => void) {
    this.#lingerMs = lingerMs;
    this.#onDue = onDue;
  }

  /** Holds `pending` after the appends held for its run, within the first one's window. */
  hold(pending: PendingAppend): void {
    const { runId } = pending.req;
    const held = this.#held.get(runId);
    if (held !== undefined) {
      held.chain.push(pending);
      return;
    }
    const entry = {
      chain: [pending],
      timer: setTimeout(() => {
        if (this.#held.get(runId) === entry) {
          this.#held.delete(runId);
          this.#onDue(entry.chain);
        }
      }, this.#lingerMs),
    };
    this.#held.set(runId, entry);
  }

  /** The appends held for `runId`, oldest first, which leave the hold; none: empty. */
  take(runId: string): PendingAppend[] {
    const held = this.#held.get(runId);
    if (held === undefined) return [];
    this.#held.delete(runId);
    clearTimeout(held.timer);
    return held.chain;
  }

  /** Every held append, which all leave the hold. */
  takeAll(): PendingAppend[] {
    return [...this.#held.keys()].flatMap((runId) => this.take(runId));
  }
}
