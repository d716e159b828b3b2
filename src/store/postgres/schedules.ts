// Schedules on PostgreSQL: each method one transaction (or one read), as store.ts states.
import {
  NamespaceNotFoundError,
  ScheduleAlreadyRunning,
  ScheduleConflictError,
} from '../../errors.ts';
import type { ListFilter } from '../../protocol/list-filter.ts';
import { scheduleFromRow, scheduleToRow } from '../schedule-rows.ts';
import type { ScheduleRow } from '../schedule-rows.ts';
import type {
  CreateScheduleRequest,
  DeleteScheduleRequest,
  ScheduleRecord,
  UpdateScheduleRequest,
} from '../store.ts';
import { SCHEDULE_COLUMNS } from './columns.ts';
import { listFilterToSql } from './list-filter-sql.ts';
import type { PostgresDb } from './postgres-db.ts';
import { deleteTimers, upsertTimers } from './timer-writes.ts';
import { assertFilterFits, registerSearchAttributeTypes } from './visibility.ts';

/**
 * What a schedule filter reads as its custom search attributes: the schedule's, with
 * `TemporalSchedulePaused` from its state (list-filter-registry.ts knows the name).
 */
const FILTERED_ATTRIBUTES =
  "(coalesce(search_attributes, '{}'::jsonb) || jsonb_build_object('TemporalSchedulePaused', " +
  "coalesce((state::jsonb -> 'paused') = 'true'::jsonb, false)))";

export async function createSchedule(db: PostgresDb, req: CreateScheduleRequest): Promise<void> {
  const { schedule } = req;
  await db.write(
    {
      operation: 'createSchedule',
      onUniqueViolation: () => new ScheduleAlreadyRunning(schedule.scheduleId, schedule.namespace),
      onForeignKeyViolation: () => new NamespaceNotFoundError(schedule.namespace),
    },
    async (tx) => {
      await registerSearchAttributeTypes(tx, req.registerSearchAttributes);
      const r = scheduleToRow({ ...schedule, version: 0 });
      await tx.query(
        'INSERT INTO schedules (namespace, schedule_id, spec, action, policies, state, info, ' +
          'memo, search_attributes, next_action_at_ms, version) ' +
          'VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)',
        [...scheduleParams(r), r.version],
      );
      await upsertTimers(tx, req.timers);
    },
  );
}

/** A schedule row's columns as $1–$10 (namespace … next_action_at_ms), in SCHEDULE_COLUMNS' order. */
function scheduleParams(r: ScheduleRow): unknown[] {
  return [
    r.namespace,
    r.schedule_id,
    r.spec,
    r.action,
    r.policies,
    r.state,
    r.info,
    r.memo,
    r.search_attributes,
    r.next_action_at_ms,
  ];
}

export async function getSchedule(
  db: PostgresDb,
  req: { namespace: string; scheduleId: string },
): Promise<ScheduleRecord | undefined> {
  return db.read('getSchedule', async (q) => {
    const { rows } = await q.query(
      `SELECT ${SCHEDULE_COLUMNS} FROM schedules WHERE namespace = $1 AND schedule_id = $2`,
      [req.namespace, req.scheduleId],
    );
    return rows[0] === undefined ? undefined : scheduleFromRow(rows[0]);
  });
}

export async function updateSchedule(db: PostgresDb, req: UpdateScheduleRequest): Promise<void> {
  await db.write('updateSchedule', async (tx) => {
    const r = scheduleToRow(req.schedule);
    // The compare-and-set comes first: on a mismatch nothing was written.
    const { rowCount } = await tx.query(
      'UPDATE schedules SET spec = $3, action = $4, policies = $5, state = $6, info = $7, ' +
        'memo = $8, search_attributes = $9::jsonb, next_action_at_ms = $10, ' +
        'version = version + 1 WHERE namespace = $1 AND schedule_id = $2 AND version = $11',
      [...scheduleParams(r), req.expectedVersion],
    );
    if ((rowCount ?? 0) === 0) {
      throw new ScheduleConflictError(req.schedule.scheduleId, req.expectedVersion);
    }
    await registerSearchAttributeTypes(tx, req.registerSearchAttributes);
    await deleteTimers(tx, req.deleteTimers);
    await upsertTimers(tx, req.timers);
  });
}

export async function deleteSchedule(db: PostgresDb, req: DeleteScheduleRequest): Promise<boolean> {
  return db.write('deleteSchedule', async (tx) => {
    const { rowCount } =
      req.expectedVersion === undefined
        ? await tx.query('DELETE FROM schedules WHERE namespace = $1 AND schedule_id = $2', [
            req.namespace,
            req.scheduleId,
          ])
        : await tx.query(
            'DELETE FROM schedules WHERE namespace = $1 AND schedule_id = $2 AND version = $3',
            [req.namespace, req.scheduleId, req.expectedVersion],
          );
    if ((rowCount ?? 0) === 0) return false;
    await deleteTimers(tx, req.deleteTimers);
    return true;
  });
}

/**
 * Schedules in id order, in code point order (COLLATE "C") as the SQLite store's, whatever the
 * database's collation, so that `afterScheduleId` pages alike on both.
 */
export async function listSchedules(
  db: PostgresDb,
  req: {
    namespace: string;
    limit: number;
    afterScheduleId?: string | undefined;
    filter?: ListFilter | undefined;
  },
): Promise<ScheduleRecord[]> {
  const { filter } = req;
  return db.read('listSchedules', async (q) => {
    const head =
      `SELECT ${SCHEDULE_COLUMNS} FROM schedules ` +
      'WHERE namespace = $1 AND schedule_id COLLATE "C" > $2';
    const tail = 'ORDER BY schedule_id COLLATE "C"';
    const after = req.afterScheduleId ?? '';
    if (filter === undefined) {
      const { rows } = await q.query(`${head} ${tail} LIMIT $3`, [req.namespace, after, req.limit]);
      return rows.map(scheduleFromRow);
    }
    await assertFilterFits(q, req.namespace, filter, 'schedules');
    const sql = listFilterToSql(
      { ...filter, orderBy: [] },
      { firstParam: 3, attributes: FILTERED_ATTRIBUTES },
    );
    const { rows } = await q.query(
      `${head} AND ${sql.where} ${tail} LIMIT $${String(3 + sql.params.length)}`,
      [req.namespace, after, ...sql.params, req.limit],
    );
    return rows.map(scheduleFromRow);
  });
}
