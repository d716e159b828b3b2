// Read-only progress probes on the store file (embedded SQLite): how many steps are recorded,
// how many runs reached a state. They read the store's tables directly (migrations/), so that
// watching 10,000 runs costs one query, not 10,000 describe() calls. Events are read from
// history_batches, skipping batches whose text cannot hold the type asked for before parsing.
import Database from 'better-sqlite3';

/** The events of history_batches, with `e.value` one event, for the batches `where` keeps. */
const EVENTS_FROM = 'FROM history_batches AS b, json_each(b.events) AS e';
/** Matches a batch whose JSON may hold an event of the type bound to `?`. */
const MAY_HOLD_TYPE = 'instr(b.events, ?) > 0';
const typeNeedle = (type: string) => `"type":${JSON.stringify(type)}`;

export class StoreProbe {
  readonly #db: Database.Database;

  constructor(dbPath: string) {
    this.#db = new Database(dbPath, { readonly: true, fileMustExist: true });
    this.#db.pragma('busy_timeout = 5000');
  }

  /** Number of events of `type` in the whole store. */
  countEvents(type: string): number {
    const row = this.#db
      .prepare<[string, string], { n: number }>(
        `SELECT count(*) AS n ${EVENTS_FROM} WHERE ${MAY_HOLD_TYPE} AND e.value ->> '$.type' = ?`,
      )
      .get(typeNeedle(type), type);
    return row?.n ?? 0;
  }

  /** For each run with an event of one of `types` after `afterMs`: the first such time. */
  firstEventSince(types: readonly string[], afterMs: number): Map<string, number> {
    const mayHold = types.map(() => MAY_HOLD_TYPE).join(' OR ');
    const marks = types.map(() => '?').join(', ');
    const rows = this.#db
      .prepare<unknown[], { run_id: string; t: number }>(
        `SELECT b.run_id, min(e.value ->> '$.timeMs') AS t ${EVENTS_FROM}
         WHERE (${mayHold}) AND e.value ->> '$.timeMs' > ? AND e.value ->> '$.type' IN (${marks})
         GROUP BY b.run_id`,
      )
      .all(...types.map(typeNeedle), afterMs, ...types);
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
      .prepare<[string, string], { run_id: string; n: number; d: number }>(
        `SELECT b.run_id, count(*) AS n, count(DISTINCT e.value ->> '$.scheduledEventId') AS d
         ${EVENTS_FROM} WHERE ${MAY_HOLD_TYPE} AND e.value ->> '$.type' = ? GROUP BY b.run_id`,
      )
      .all(typeNeedle(type), type);
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
