import type { Store } from '../store/store.ts';

/**
 * How long an answer of {@link Peers.alone} stands before the store's foreign writes are asked
 * again: the question costs a few µs, and a busy engine asks it several times a step.
 */
const FOREIGN_WRITES_ASKED_EVERY_MS = 2;

/**
 * Whether this engine is the only engine process on its store. Alone, it may act on what only
 * it writes: keep the tasks a read found for the next polls (read-ahead.ts), hand out a task
 * before its start is committed (RunTx.deferCommit), answer from its cache of runs.
 *
 * Two sources: the look at the engine processes (engine-processes.ts, every 250 ms; "not
 * alone" until the first) and, between looks, the store's foreign writes: an engine that joins
 * through another connection writes its record before it serves a poll, so an engine alone sees
 * that write at its next question, within {@link FOREIGN_WRITES_ASKED_EVERY_MS}, and stops acting
 * alone until a look finds no other engine. On SQLite any other writer to the file (a tool) has
 * the same effect, until the next look; PostgreSQL tells only of engines joining and search
 * attribute types changing (ADR 0026). Engines that share one store object share its
 * connection: they see each other at the look only, and share what they keep as one process.
 */
export class Peers {
  readonly #store: Store;
  #others = true;
  /** Whether the last look found another engine process (or failed, or none was made yet). */
  #othersRecorded = true;
  /** The store's foreign writes as of the last look. */
  #mark = 0;
  /** Counts the times a question found foreign writes: a look that began before one of them
   * found too little. */
  #news = 0;
  #askedAtMs = Number.NEGATIVE_INFINITY;

  constructor(store: Store) {
    this.#store = store;
  }

  /**
   * Whether polls may keep the tasks a read found for the next polls (read-ahead.ts): while
   * alone, and also while the last look found no other engine process, whatever was written
   * since. A store that cannot tell foreign writes (PostgreSQL while its listening connection
   * is down) reports one at every question, and its engine would read the queue at every poll;
   * a program writing to a PostgreSQL store without being an engine sends no notice (ADR 0026),
   * and is found by no look either. Keeping tasks is safe with
   * another engine: one it started meanwhile fails its start here as stale (its run moved on),
   * and kept tasks are dropped at the next look that finds that engine, or after 200 ms.
   */
  mayReadAhead(): boolean {
    return this.alone() || !this.#othersRecorded;
  }

  /** Whether another engine process was recorded at the last look, or has written since. */
  get others(): boolean {
    return this.#others;
  }

  /** True while this engine may act as the store's only engine (see the class). */
  alone(): boolean {
    if (this.#others) return false;
    const now = performance.now();
    if (now - this.#askedAtMs < FOREIGN_WRITES_ASKED_EVERY_MS) return true;
    this.#askedAtMs = now;
    if (this.#store.foreignWrites() === this.#mark) return true;
    this.#others = true;
    this.#news++;
    return false;
  }

  /**
   * Called before a look reads the engine processes: writes after this are news to `alone`.
   * Writes before it that no question has seen yet end acting alone now, as a question would:
   * the look may take a while (a busy store, a dead engine's tasks to take back) before it
   * reports the engine that made them. Returns what `lookEnded` needs.
   */
  lookBegins(): number {
    const mark = this.#store.foreignWrites();
    if (!this.#others && mark !== this.#mark) {
      this.#others = true;
      this.#news++;
    }
    this.#mark = mark;
    return this.#news;
  }

  /**
   * What the look begun at `begun` found. A question answered during the look that found
   * foreign writes keeps this engine from acting alone until the next look.
   */
  lookEnded(begun: number, others: boolean): void {
    this.#othersRecorded = others;
    this.#others = others || this.#news !== begun;
  }

  /** A look that failed: not alone until one succeeds. */
  lookFailed(): void {
    this.#othersRecorded = true;
    this.#others = true;
  }
}
