// Writes waiting for a transaction (group commit): appends and run creations, which of them
// commit together, and which must wait for others to settle first.
import type { AppendToRunRequest, CreateRunRequest } from '../store.ts';

/** A write waiting for its transaction, with the callbacks of the promise its caller holds. */
export type PendingWrite =
  | {
      readonly kind: 'append';
      readonly req: AppendToRunRequest;
      resolve(): void;
      reject(e: unknown): void;
    }
  | {
      readonly kind: 'create';
      readonly req: CreateRunRequest;
      resolve(): void;
      reject(e: unknown): void;
    };

export type PendingAppend = Extract<PendingWrite, { kind: 'append' }>;
export type PendingCreate = Extract<PendingWrite, { kind: 'create' }>;

/** What one take gives: creations and chains to commit in one transaction, and writes alone. */
export interface Take {
  /** Run creations, in arrival order: written before the chains. */
  readonly creations: PendingCreate[];
  /** One chain per run: that run's appends in this take, in arrival order. */
  readonly chains: PendingAppend[][];
  /** Writes that may be refused after they wrote (mayShare false): one transaction each. */
  readonly alone: PendingWrite[];
}

/**
 * Whether a write may share a transaction with others: an append that also creates a run, or a
 * write that registers search attributes, may be refused after it wrote, and is committed alone.
 * (A creation refused for its workflow id is refused before it writes anything.)
 */
export function mayShare(w: PendingWrite): boolean {
  if (w.req.registerSearchAttributes !== undefined) return false;
  return w.kind === 'create' || w.req.createRun === undefined;
}

function runIdOf(w: PendingWrite): string {
  return w.kind === 'append' ? w.req.runId : w.req.run.runId;
}

/**
 * The writes not yet committed, in arrival order. A take groups them by run; an append stays for
 * a later take while the write it was decided on (`after`) is still being committed elsewhere, and
 * every later write to its run stays with it, so a run's writes commit in order.
 */
export class WriteQueue {
  #queue: PendingWrite[] = [];
  /** Appends taken or queued and not settled: one decided on one of them waits for it. */
  readonly #unsettled = new Set<AppendToRunRequest>();

  get length(): number {
    return this.#queue.length;
  }

  push(...writes: PendingWrite[]): void {
    for (const w of writes) if (w.kind === 'append') this.#unsettled.add(w.req);
    this.#queue.push(...writes);
  }

  /** The append left the store's hands: committed or failed. */
  settled(req: AppendToRunRequest): void {
    this.#unsettled.delete(req);
  }

  /**
   * Takes what may commit now, with at most `maxRuns` runs' creations and chains. A write that
   * may be refused after it wrote goes alone, and the later writes to its run wait for the next
   * take; so does one that comes after a chain or a creation of its run in this take, except a
   * plain append after a creation (the transaction writes creations first).
   */
  take(maxRuns: number): Take {
    const creations: PendingCreate[] = [];
    const chains = new Map<string, PendingAppend[]>();
    const alone: PendingWrite[] = [];
    const created = new Set<string>();
    const taken = new Set<AppendToRunRequest>();
    const waiting = new Set<string>();
    const keep: PendingWrite[] = [];
    for (const w of this.#queue) {
      const runId = runIdOf(w);
      const shared = mayShare(w);
      const full = creations.length + chains.size >= maxRuns;
      const after = w.kind === 'append' ? w.req.after : undefined;
      const blocked =
        waiting.has(runId) ||
        (after !== undefined && this.#unsettled.has(after) && !taken.has(after)) ||
        ((!shared || w.kind === 'create') && (chains.has(runId) || created.has(runId))) ||
        (shared && full && !chains.has(runId));
      if (blocked) {
        waiting.add(runId);
        keep.push(w);
      } else if (!shared) {
        alone.push(w);
        waiting.add(runId);
      } else if (w.kind === 'create') {
        creations.push(w);
        created.add(runId);
      } else {
        const chain = chains.get(runId);
        if (chain === undefined) chains.set(runId, [w]);
        else chain.push(w);
        taken.add(w.req);
      }
    }
    this.#queue = keep;
    return { creations, chains: [...chains.values()], alone };
  }
}
