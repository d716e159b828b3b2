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

  /**
   * For each run with an event of one of `types` whose id is at least `fromEventIds`' for that
   * run: the first such event's time. Runs not in `fromEventIds` are left out.
   */
  firstEventFrom(
    types: readonly string[],
    fromEventIds: ReadonlyMap<string, number>,
  ): Map<string, number> {
    const mayHold = types.map(() => MAY_HOLD_TYPE).join(' OR ');
    const marks = types.map(() => '?').join(', ');
    const rows = this.#db
      .prepare<unknown[], { run_id: string; id: number; t: number }>(
        `SELECT b.run_id, e.value ->> '$.eventId' AS id, e.value ->> '$.timeMs' AS t ${EVENTS_FROM}
         WHERE (${mayHold}) AND e.value ->> '$.type' IN (${marks})`,
      )
      .all(...types.map(typeNeedle), ...types);
    const firsts = new Map<string, number>();
    for (const r of rows) {
      const from = fromEventIds.get(r.run_id);
      if (from === undefined || r.id < from) continue;
      const seen = firsts.get(r.run_id);
      if (seen === undefined || r.t < seen) firsts.set(r.run_id, r.t);
    }
    return firsts;
  }

  /** The running runs, each with the id its next event will take (runs.next_event_id). */
  runningNextEventIds(): Map<string, number> {
    const rows = this.#db
      .prepare<[], { run_id: string; next_event_id: number }>(
        "SELECT run_id, next_event_id FROM runs WHERE status = 'Running'",
      )
      .all();
    return new Map(rows.map((r) => [r.run_id, r.next_event_id]));
  }

  /** Each run's status and the types of its last `n` events, for a report of runs that stuck. */
  describeRuns(runIds: readonly string[], n: number): string[] {
    const status = this.#db.prepare<[string], { status: string }>(
      'SELECT status FROM runs WHERE run_id = ?',
    );
    const events = this.#db.prepare<[string], { type: string }>(
      `SELECT e.value ->> '$.type' AS type ${EVENTS_FROM} WHERE b.run_id = ?
       ORDER BY e.value ->> '$.eventId' DESC`,
    );
    return runIds.map((r) => {
      const last = events
        .all(r)
        .slice(0, n)
        .reverse()
        .map((e) => e.type);
      return `${r} (${status.get(r)?.status ?? 'no row'}): … ${last.join(', ')}`;
    });
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
