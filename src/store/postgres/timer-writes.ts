// The PostgreSQL store's timer writes that run inside other writes' transactions (schedules,
// runs): upserts by run and key, and deletes.
import { timerToRow } from '../rows.ts';
import type { NewTimer, TimerRef } from '../store.ts';
import { jsonParam } from './json-param.ts';
import type { Queryable } from './postgres-db.ts';

/**
 * The one order in which each statement that locks several timer rows locks them: by run id,
 * then key, in code point order (COLLATE "C", whatever the database's collation). Statements that
 * lock in one order never wait for each other in a cycle, so freeing a dead engine process's
 * leases (queries/timers.ts releaseLeases) and appends' and schedules' upserts and deletes of
 * those timers do not deadlock (each deadlock cost deadlock_timeout, 1 s, before PostgreSQL
 * aborted one and the store ran it again). takeDueTimers leases in due order but skips locked
 * rows, so it never waits for one. The order is per statement: a transaction of several timer
 * statements (a group commit's deletes, then its upserts) locks each statement's rows in turn;
 * releaseLeases therefore passes over locked rows (SKIP LOCKED) rather than wait for them, and two
 * transactions' appends to one run never reach its timers at once (the run's row lock,
 * queries/runs.ts compareAndSetRuns, comes first).
 */
export const TIMER_LOCK_ORDER = 'run_id COLLATE "C", key COLLATE "C"';

/**
 * Upserts `timers` by (run id, key) in the caller's transaction, in one statement that locks
 * their rows in TIMER_LOCK_ORDER. Replacing a timer frees its lease (lease_until_ms 0, no owner),
 * as the SQLite store's upsert does: the new due time is the one that counts. Of several with one
 * run id and key, the last one wins.
 */
export async function upsertTimers(tx: Queryable, timers: readonly NewTimer[]): Promise<void> {
  if (timers.length === 0) return;
  // One INSERT may not touch a row twice: keep the last of each key, as a loop of upserts would.
  const last = new Map<string, NewTimer>();
  for (const t of timers) last.set(JSON.stringify([t.runId, t.key]), t);
  const rows = [...last.values()].map(timerToRow);
  await tx.query({
    name: 'reprise_upsert_timers',
    text:
      'INSERT INTO timers (run_id, key, due_at_ms, payload) ' +
      'SELECT * FROM json_to_recordset($1::json) ' +
      `AS t (run_id text, key text, due_at_ms bigint, payload text) ORDER BY ${TIMER_LOCK_ORDER} ` +
      'ON CONFLICT (run_id, key) DO UPDATE SET due_at_ms = excluded.due_at_ms, ' +
      'payload = excluded.payload, lease_until_ms = 0, lease_owner = NULL',
    // One JSON text for all the rows (as insertTasks, for the same reason).
    values: [jsonParam(rows)],
  });
}

/**
 * deleteTimers' statement. Its rows are found through the primary key by `t.run_id = ANY($1)`
 * (the EXISTS alone, a semi-join with the unnest, had the planner read the whole table, also for
 * one timer: test/store-conformance/postgres-statement-plans.test.ts).
 */
export const DELETE_TIMERS =
  'WITH doomed AS MATERIALIZED (SELECT run_id, key FROM timers AS t ' +
  'WHERE t.run_id = ANY ($1::text[]) AND EXISTS (SELECT 1 ' +
  'FROM unnest($1::text[], $2::text[], $3::bigint[]) AS d (run_id, key, due_at_ms) ' +
  'WHERE d.run_id = t.run_id AND d.key = t.key ' +
  'AND (d.due_at_ms IS NULL OR d.due_at_ms = t.due_at_ms)) ' +
  `ORDER BY ${TIMER_LOCK_ORDER} FOR UPDATE) ` +
  'DELETE FROM timers AS t USING doomed WHERE t.run_id = doomed.run_id AND t.key = doomed.key';

/** Deletes one timer in the caller's transaction; a missing one changes nothing. */
export async function deleteTimer(tx: Queryable, runId: string, key: string): Promise<void> {
  await tx.query('DELETE FROM timers WHERE run_id = $1 AND key = $2', [runId, key]);
}

/**
 * Deletes `timers` in the caller's transaction, in one statement that locks their rows in
 * TIMER_LOCK_ORDER first (a DELETE alone locks them in its plan's order). One with `dueAtMs` (a
 * fired timer) is deleted only while it still has that due time: a stale second firing must not
 * delete the row its first firing wrote again. Missing ones change nothing.
 */
export async function deleteTimers(
  tx: Queryable,
  timers: readonly (TimerRef & { dueAtMs?: number | undefined })[],
): Promise<void> {
  if (timers.length === 0) return;
  await tx.query({
    name: 'reprise_delete_timers',
    text: DELETE_TIMERS,
    values: [
      timers.map((t) => t.runId),
      timers.map((t) => t.key),
      timers.map((t) => t.dueAtMs ?? null),
    ],
  });
}
