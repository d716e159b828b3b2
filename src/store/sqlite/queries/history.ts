import type Database from 'better-sqlite3';
import type { HistoryEventRow } from '../../rows.ts';

export function prepareHistoryQueries(db: Database.Database) {
  return {
    insert: db.prepare<HistoryEventRow>(
      'INSERT INTO history_events (run_id, event_id, type, time_ms, data) ' +
        'VALUES (@run_id, @event_id, @type, @time_ms, @data)',
    ),
    read: db.prepare<[string, number], { data: string }>(
      'SELECT data FROM history_events WHERE run_id = ? AND event_id >= ? ORDER BY event_id',
    ),
  };
}
export type HistoryQueries = ReturnType<typeof prepareHistoryQueries>;
