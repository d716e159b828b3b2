import type Database from 'better-sqlite3';
import type { EngineProcessRow } from '../../rows.ts';

const COLUMNS = 'process_id, host_key, pid, pid_start, started_at_ms, seen_at_ms';

export function prepareEngineProcessQueries(db: Database.Database) {
  return {
    upsert: db.prepare<EngineProcessRow>(
      `INSERT INTO engine_processes (${COLUMNS}) VALUES (@process_id, @host_key, @pid, ` +
        '@pid_start, @started_at_ms, @seen_at_ms) ' +
        'ON CONFLICT (process_id) DO UPDATE SET seen_at_ms = excluded.seen_at_ms',
    ),
    // Changes whenever another connection commits to the file (SQLite's own counter).
    dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    list: db.prepare<[]>(`SELECT ${COLUMNS} FROM engine_processes ORDER BY started_at_ms`),
    delete: db.prepare<[string]>('DELETE FROM engine_processes WHERE process_id = ?'),
    releaseLeases: db.prepare<[string]>(
      'UPDATE timers SET lease_until_ms = 0, lease_owner = NULL WHERE lease_owner = ?',
    ),
    // Scans the runs table: run only when a process died, never on a hot path.
    runsHeldBy: db.prepare<[string], { run_id: string }>(
      "SELECT run_id FROM runs WHERE status = 'Running' AND held_by IS NOT NULL " +
        "AND instr(' ' || held_by || ' ', ' ' || ? || ' ') > 0",
    ),
  };
}
export type EngineProcessQueries = ReturnType<typeof prepareEngineProcessQueries>;
