// The PostgreSQL store's timer writes that run inside other writes' transactions (schedules,
// runs): upserts by run and key, and deletes.
import { timerToRow } from '../rows.ts';
import type { NewTimer, TimerRef } from '../store.ts';
import type { Queryable } from './postgres-db.ts';

/**
 * Upserts `timers` by (run id, key) in the caller's transaction, in one statement. Replacing a
 * timer frees its lease (lease_until_ms 0, no owner), as the SQLite store's upsert does: the new
 * due time is the one that counts. Of several with one run id and key, the last one wins.
 */
export async function upsertTimers(tx: Queryable, timers: readonly NewTimer[]): Promise<void> {
  if (timers.length === 0) return;
  // One INSERT may not touch a row twice: keep the last of each key, as a loop of upserts would.
  const last = new Map<string, NewTimer>();
  for (const t of timers) last.set(JSON.stringify([t.runId, t.key]), t);
  const rows = [...last.values()].map(timerToRow);
  await tx.query(
    'INSERT INTO timers (run_id, key, due_at_ms, payload) ' +
      'SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) ' +
      'ON CONFLICT (run_id, key) DO UPDATE SET due_at_ms = excluded.due_at_ms, ' +
      'payload = excluded.payload, lease_until_ms = 0, lease_owner = NULL',
    [
      rows.map((r) => r.run_id),
      rows.map((r) => r.key),
      rows.map((r) => r.due_at_ms),
      rows.map((r) => r.payload),
    ],
  );
}

/** Deletes one timer in the caller's transaction; a missing one changes nothing. */
export async function deleteTimer(tx: Queryable, runId: string, key: string): Promise<void> {
  await tx.query('DELETE FROM timers WHERE run_id = $1 AND key = $2', [runId, key]);
}

/** Deletes `timers` in the caller's transaction, in one statement; missing ones change nothing. */
export async function deleteTimers(tx: Queryable, timers: readonly TimerRef[]): Promise<void> {
  if (timers.length === 0) return;
  await tx.query(
    'DELETE FROM timers WHERE (run_id, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))',
    [timers.map((t) => t.runId), timers.map((t) => t.key)],
  );
}
