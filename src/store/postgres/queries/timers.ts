// SQL on `timers`.
import { timerFromRow, timerToRow } from '../../rows.ts';
import type { NewTimer, TakeDueTimersRequest, TimerRecord } from '../../store.ts';
import type { Queryable } from '../postgres-db.ts';

/**
 * Inserts or replaces timers by run and key, in one statement. Replacing a timer frees its
 * lease: the new due time is the one that counts. Of several with one key, the last wins (as if
 * upserted in turn; one statement may not change a row twice).
 */
export async function upsertTimers(tx: Queryable, timers: readonly NewTimer[]): Promise<void> {
  if (timers.length === 0) return;
  const byKey = new Map<string, NewTimer>();
  for (const t of timers) byKey.set(JSON.stringify([t.runId, t.key]), t);
  const rows = [...byKey.values()].map(timerToRow);
  await tx.query(
    'INSERT INTO timers (run_id, key, due_at_ms, lease_until_ms, payload) ' +
      'SELECT run_id, key, due_at_ms, 0, payload ' +
      'FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) ' +
      'AS t (run_id, key, due_at_ms, payload) ' +
      'ON CONFLICT (run_id, key) DO UPDATE SET due_at_ms = excluded.due_at_ms, ' +
      'lease_until_ms = 0, lease_owner = NULL, payload = excluded.payload',
    [
      rows.map((r) => r.run_id),
      rows.map((r) => r.key),
      rows.map((r) => r.due_at_ms),
      rows.map((r) => r.payload),
    ],
  );
}

/** Deletes a run's timers by key; missing ones change nothing. */
export async function deleteTimers(
  tx: Queryable,
  runId: string,
  keys: readonly string[],
): Promise<void> {
  if (keys.length === 0) return;
  await tx.query('DELETE FROM timers WHERE run_id = $1 AND key = ANY($2::text[])', [runId, keys]);
}

/** Deletes the timer only while it still has this due time (a stale second firing must not). */
export async function deleteTimerIfDueAt(
  tx: Queryable,
  runId: string,
  fired: { key: string; dueAtMs: number },
): Promise<void> {
  await tx.query('DELETE FROM timers WHERE run_id = $1 AND key = $2 AND due_at_ms = $3', [
    runId,
    fired.key,
    fired.dueAtMs,
  ]);
}

/**
 * Leases up to `limit` due timers whose lease is free, in one statement, and returns them in due
 * order. The inner SELECT goes through timers_by_due; FOR UPDATE SKIP LOCKED passes over rows
 * another engine is leasing at this moment, and re-checks the WHERE on rows it committed since
 * (READ COMMITTED), so two engines never lease one timer at once.
 */
export async function takeDueTimers(
  tx: Queryable,
  req: TakeDueTimersRequest,
): Promise<TimerRecord[]> {
  const { rows } = await tx.query(
    'WITH taken AS (UPDATE timers AS t SET lease_until_ms = $2, lease_owner = $3 ' +
      'FROM (SELECT run_id, key FROM timers WHERE due_at_ms <= $1 AND lease_until_ms <= $1 ' +
      'ORDER BY due_at_ms LIMIT $4 FOR UPDATE SKIP LOCKED) AS due ' +
      'WHERE t.run_id = due.run_id AND t.key = due.key ' +
      'RETURNING t.run_id, t.key, t.due_at_ms, t.payload) ' +
      'SELECT run_id, key, due_at_ms, payload FROM taken ORDER BY due_at_ms',
    [req.nowMs, req.nowMs + req.leaseMs, req.owner ?? null, req.limit],
  );
  return rows.map(timerFromRow);
}

/**
 * The earliest time any timer may be taken (due time, or lease end if later): one probe of the
 * expression index timers_by_available, however many timers are sleeping.
 */
export async function nextTimerDueAt(db: Queryable): Promise<number | undefined> {
  const { rows } = await db.query<{ t: number }>(
    'SELECT greatest(due_at_ms, lease_until_ms) AS t FROM timers ' +
      'ORDER BY greatest(due_at_ms, lease_until_ms) LIMIT 1',
  );
  return rows[0]?.t;
}

/** Frees every timer lease the engine process holds. */
export async function releaseLeases(tx: Queryable, processId: string): Promise<void> {
  await tx.query(
    'UPDATE timers SET lease_until_ms = 0, lease_owner = NULL WHERE lease_owner = $1',
    [processId],
  );
}
