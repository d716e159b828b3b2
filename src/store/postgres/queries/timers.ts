// SQL on `timers` of the timer loop and run writes (upserts and deletes: ../timer-writes.ts).
import { timerFromRow } from '../../rows.ts';
import type { TakeDueTimersRequest, TimerRecord } from '../../store.ts';
import type { Queryable } from '../postgres-db.ts';
import { TIMER_LOCK_ORDER } from '../timer-writes.ts';

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
 * Frees every timer lease the engine process holds, passing over rows another transaction holds
 * locked: it never waits, so it never deadlocks with a group commit that deletes or replaces
 * timers of many runs over several statements. A row passed over is one an append is deleting or
 * replacing, which frees its lease when it commits; should that append roll back, the lease ends
 * at its own time (the engine's timer lease, 2 s by default).
 */
export async function releaseLeases(tx: Queryable, processId: string): Promise<void> {
  await tx.query(
    'WITH held AS MATERIALIZED (SELECT run_id, key FROM timers WHERE lease_owner = $1 ' +
      `ORDER BY ${TIMER_LOCK_ORDER} FOR UPDATE SKIP LOCKED) ` +
      'UPDATE timers AS t SET lease_until_ms = 0, lease_owner = NULL FROM held ' +
      'WHERE t.run_id = held.run_id AND t.key = held.key',
    [processId],
  );
}
