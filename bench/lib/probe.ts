// Read-only progress probes on the store file (embedded SQLite): how many steps are recorded,
// how many runs reached a state. They read the schema of migrations/0001-init.sql directly, so
// that watching 10,000 runs costs one query, not 10,000 describe() calls.
import Database from 'better-sqlite3';

export class StoreProbe {
  readonly #db: Database.Database;

  constructor(dbPath: string) {
    this.#db = new Database(dbPath, { readonly: true, fileMustExist: true });
    this.#db.pragma('busy_timeout = 5000');
  }

  /** Number of events of `type` in the whole store. */
  countEvents(type: string): number {
    const row = this.#db
      .prepare<[string], { n: number }>('SELECT count(*) AS n FROM history_events WHERE type = ?')
      .get(type);
    return row?.n ?? 0;
  }

  /** For each run with an event of one of `types` after `afterMs`: the first such time. */
  firstEventSince(types: readonly string[], afterMs: number): Map<string, number> {
    const marks = types.map(() => '?').join(', ');
    const rows = this.#db
      .prepare<unknown[], { run_id: string; t: number }>(
        `SELECT run_id, min(time_ms) AS t FROM history_events WHERE time_ms > ? AND type IN (${marks}) GROUP BY run_id`,
      )
      .all(afterMs, ...types);
    return new Map(rows.map((r) => [r.run_id, r.t]));
  }

  /** Run ids by status. */
  runIds(status?: string): string[] {
    const rows =
      status === undefined
        ? this.#db.prepare<[], { run_id: string }>('SELECT run_id FROM runs').all()
        : this.#db
            .prepare<[string], { run_id: string }>('SELECT run_id FROM runs WHERE status = ?')
            .all(status);
    return rows.map((r) => r.run_id);
  }

  /** workflow id → run id. */
  workflowIds(): Map<string, string> {
    const rows = this.#db
      .prepare<[], { run_id: string; workflow_id: string }>('SELECT run_id, workflow_id FROM runs')
      .all();
    return new Map(rows.map((r) => [r.workflow_id, r.run_id]));
  }

  /** For each run, how many events of `type` it has, and how many distinct scheduled ids. */
  perRunCounts(type: string): Map<string, { n: number; distinct: number }> {
    const rows = this.#db
      .prepare<[string], { run_id: string; n: number; d: number }>(
        `SELECT run_id, count(*) AS n, count(DISTINCT json_extract(data, '$.scheduledEventId')) AS d
         FROM history_events WHERE type = ? GROUP BY run_id`,
      )
      .all(type);
    return new Map(rows.map((r) => [r.run_id, { n: r.n, distinct: r.d }]));
  }

  close(): void {
    this.#db.close();
  }
}

/** Checkpoints the WAL into the main file and truncates it; returns the main file's bytes. */
export function checkpointedBytes(dbPath: string): number {
  const db = new Database(dbPath, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('wal_checkpoint(TRUNCATE)');
    const pages = db.pragma('page_count', { simple: true }) as number;
    const size = db.pragma('page_size', { simple: true }) as number;
    return pages * size;
  } finally {
    db.close();
  }
}
