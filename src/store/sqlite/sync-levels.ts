// How durably one SQLite connection commits. The store opens every connection at
// synchronous=FULL (each commit waits for its fsync); `unsynced` runs one transaction at NORMAL,
// for writes that may be lost to a power loss and nothing else (ADR 0014).
import type Database from 'better-sqlite3';
import { UnavailableError } from '../../errors.ts';

export class SyncLevels {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /**
   * Sets the connection's default: every commit waits for its fsync. Compiled anew each time:
   * SQLite applies this pragma when it compiles it, not when a prepared statement runs again.
   */
  full(): void {
    this.#db.exec('PRAGMA synchronous = FULL');
  }

  /**
   * Runs `tx`, one transaction, at synchronous=NORMAL and restores FULL after it, thrown or not.
   * In WAL mode (a file store refuses any other; an in-memory one has no disk to wait for) its
   * commit does not wait for an fsync, and the next synced commit makes it durable with everything
   * before it in the log. SQLite refuses the change inside a transaction, so it wraps one. If FULL
   * cannot be set again, the connection is closed: left at NORMAL, it would acknowledge later
   * writes before they are on disk.
   */
  unsynced<T>(tx: () => T): T {
    this.#db.exec('PRAGMA synchronous = NORMAL');
    let out: T;
    try {
      out = tx();
    } catch (e) {
      this.#restore();
      throw e;
    }
    this.#restore();
    return out;
  }

  #restore(): void {
    try {
      this.full();
    } catch (e) {
      this.#db.close();
      throw new UnavailableError(
        'SQLite could not set synchronous=FULL again after a timer lease was written, so the ' +
          'store closed its connection rather than acknowledge writes before they are on disk. ' +
          `Open the store again; if this repeats, check the database file and its disk. (${String(e)})`,
        { cause: e },
      );
    }
  }
}
