import type Database from 'better-sqlite3';
import type { TimerRow } from '../../rows.ts';

export function prepareTimerQueries(db: Database.Database) {
  return {
    // Replacing a timer frees its lease: the new due time is the one that counts.
    upsert: db.prepare<TimerRow>(
      'INSERT INTO timers (run_id, key, due_at_ms, lease_until_ms, payload) ' +
        'VALUES (@run_id, @key, @due_at_ms, 0, @payload) ' +
        'ON CONFLICT (run_id, key) DO UPDATE SET due_at_ms = excluded.due_at_ms, ' +
        'lease_until_ms = 0, lease_owner = NULL, payload = excluded.payload',
    ),
    delete: db.prepare<[string, string]>('DELETE FROM timers WHERE run_id = ? AND key = ?'),
    deleteIfDueAt: db.prepare<[string, string, number]>(
      'DELETE FROM timers WHERE run_id = ? AND key = ? AND due_at_ms = ?',
    ),
    // Through timers_by_due: reads only timers already due, in due order.
    due: db.prepare<[number, number, number]>(
      'SELECT run_id, key, due_at_ms, payload FROM timers ' +
        'WHERE due_at_ms <= ? AND lease_until_ms <= ? ORDER BY due_at_ms LIMIT ?',
    ),
    lease: db.prepare<[number, string | null, string, string]>(
      'UPDATE timers SET lease_until_ms = ?, lease_owner = ? WHERE run_id = ? AND key = ?',
    ),
    // Through timers_by_available: one index probe, however many timers are sleeping.
    nextAvailableAt: db.prepare<[], { t: number }>(
      'SELECT max(due_at_ms, lease_until_ms) AS t FROM timers ' +
        'ORDER BY max(due_at_ms, lease_until_ms) LIMIT 1',
    ),
  };
}
export type TimerQueries = ReturnType<typeof prepareTimerQueries>;
