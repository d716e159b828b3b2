import type Database from 'better-sqlite3';
import type { HistoryBatchRow } from '../../rows.ts';

export function prepareHistoryQueries(db: Database.Database) {
  return {
    insert: db.prepare<HistoryBatchRow>(
      'INSERT INTO history_batches (run_id, first_event_id, last_event_id, events) ' +
        'VALUES (@run_id, @first_event_id, @last_event_id, @events)',
    ),
    /** The batches holding events `fromEventId` and later, in order. */
    read: db.prepare<[string, number], { events: string }>(
      'SELECT events FROM history_batches WHERE run_id = ? AND last_event_id >= ? ' +
        'ORDER BY last_event_id',
    ),
  };
}
export type HistoryQueries = ReturnType<typeof prepareHistoryQueries>;
