// How durably one SQLite connection commits. The store opens every connection at
// synchronous=FULL (each commit waits for its fsync); `unsynced` runs one transaction at NORMAL,
// for writes that may be lost to a power loss and nothing else.
import type Database from 'better-sqlite3';

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
   * In WAL mode its commit does not wait for an fsync; the next synced commit makes it durable
   * with everything before it in the log. SQLite refuses the change inside a transaction, so it
   * wraps one.
   */
  unsynced<T>(tx: () => T): T {
    this.#db.exec('PRAGMA synchronous = NORMAL');
    try {
      return tx();
    } finally {
      this.full();
    }
  }
}
