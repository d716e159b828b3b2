// SQL on `timers` of the timer loop and run writes (upserts and deletes: ../timer-writes.ts).
import { timerFromRow } from '../../rows.ts';
import type { TakeDueTimersRequest, TimerRecord } from '../../store.ts';
import type { Queryable } from '../postgres-db.ts';
import { TIMER_LOCK_ORDER } from '../timer-writes.ts';

/**
 * Deletes each fired timer only while it still has the due time it fired at (a stale second
 * firing must not), in one statement.
 */
export async function deleteFiredTimers(
  tx: Queryable,
  fired: readonly { runId: string; key: string; dueAtMs: number }[],
): Promise<void> {
  if (fired.length === 0) return;
  await tx.query(
    'DELETE FROM timers AS t USING unnest($1::text[], $2::text[], $3::bigint[]) ' +
      'AS f (run_id, key, due_at_ms) ' +
      'WHERE t.run_id = f.run_id AND t.key = f.key AND t.due_at_ms = f.due_at_ms',
    [fired.map((f) => f.runId), fired.map((f) => f.key), fired.map((f) => f.dueAtMs)],
  );
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

/**
 * Frees every timer lease the engine process holds, locking their rows in TIMER_LOCK_ORDER first
 * (an UPDATE alone locks them in its scan's order, against appends replacing or deleting them).
 */
export async function releaseLeases(tx: Queryable, processId: string): Promise<void> {
  await tx.query(
    'WITH held AS MATERIALIZED (SELECT run_id, key FROM timers WHERE lease_owner = $1 ' +
      `ORDER BY ${TIMER_LOCK_ORDER} FOR UPDATE) ` +
      'UPDATE timers AS t SET lease_until_ms = 0, lease_owner = NULL FROM held ' +
      'WHERE t.run_id = held.run_id AND t.key = held.key',
    [processId],
  );
}
