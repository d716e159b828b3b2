// Appends waiting for a transaction (group commit): which of them commit together, and which
// must wait for others to settle first.
import type { AppendToRunRequest } from '../store.ts';
import { isPlainAppend } from './lingering-appends.ts';
import type { PendingAppend } from './lingering-appends.ts';

/** What one take gives: chains to commit in one transaction, and appends to commit alone. */
export interface Take {
  /** One chain per run: that run's appends in this take, in arrival order. */
  readonly chains: PendingAppend[][];
  /** Appends that may be refused after they wrote (isPlainAppend): one transaction each. */
  readonly alone: PendingAppend[];
}

/**
 * The appends not yet committed, in arrival order. A take groups them by run; an append stays for
 * a later take while the write it was decided on (`after`) is still being committed elsewhere, and
 * every later append to its run stays with it, so a run's appends commit in order.
 */
export class AppendQueue {
  #queue: PendingAppend[] = [];
  /** Appends taken or queued and not settled: one decided on one of them waits for it. */
  readonly #unsettled = new Set<AppendToRunRequest>();

  get length(): number {
    return this.#queue.length;
  }

  push(...appends: PendingAppend[]): void {
    for (const p of appends) this.#unsettled.add(p.req);
    this.#queue.push(...appends);
  }

  /** The append left the store's hands: committed or failed. */
  settled(req: AppendToRunRequest): void {
    this.#unsettled.delete(req);
  }

  /**
   * Takes what may commit now, with at most `maxChains` runs' chains. An append that may be
   * refused after it wrote goes alone, and the later appends to its run wait for the next take;
   * so does one that comes after a plain chain of its run in this take.
   */
  take(maxChains: number): Take {
    const chains = new Map<string, PendingAppend[]>();
    const alone: PendingAppend[] = [];
    const taken = new Set<AppendToRunRequest>();
    const waiting = new Set<string>();
    const keep: PendingAppend[] = [];
    for (const p of this.#queue) {
      const { runId, after } = p.req;
      const blocked =
        waiting.has(runId) ||
        (after !== undefined && this.#unsettled.has(after) && !taken.has(after)) ||
        (!isPlainAppend(p.req) && chains.has(runId)) ||
        (chains.size >= maxChains && !chains.has(runId));
      if (blocked) {
        waiting.add(runId);
        keep.push(p);
      } else if (!isPlainAppend(p.req)) {
        alone.push(p);
        waiting.add(runId);
      } else {
        const chain = chains.get(runId);
        if (chain === undefined) chains.set(runId, [p]);
        else chain.push(p);
        taken.add(p.req);
      }
    }
    this.#queue = keep;
    return { chains: [...chains.values()], alone };
  }
}
