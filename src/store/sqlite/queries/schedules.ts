import type Database from 'better-sqlite3';
import { SCHEDULE_COLUMNS } from '../../schedule-rows.ts';
import type { ScheduleRow } from '../../schedule-rows.ts';

export function prepareScheduleQueries(db: Database.Database) {
  return {
    insert: db.prepare<ScheduleRow>(
      `INSERT INTO schedules (${SCHEDULE_COLUMNS}) VALUES (@namespace, @schedule_id, @spec, ` +
        '@action, @policies, @state, @info, @memo, @search_attributes, @next_action_at_ms, ' +
        '@version)',
    ),
    get: db.prepare<[string, string]>(
      `SELECT ${SCHEDULE_COLUMNS} FROM schedules WHERE namespace = ? AND schedule_id = ?`,
    ),
    // The compare-and-set: changes nothing unless the version is the one the writer read.
    update: db.prepare<ScheduleRow & { expected_version: number }>(
      'UPDATE schedules SET spec = @spec, action = @action, policies = @policies, ' +
        'state = @state, info = @info, memo = @memo, search_attributes = @search_attributes, ' +
        'next_action_at_ms = @next_action_at_ms, version = version + 1 ' +
        'WHERE namespace = @namespace AND schedule_id = @schedule_id ' +
        'AND version = @expected_version',
    ),
    delete: db.prepare<[string, string]>(
      'DELETE FROM schedules WHERE namespace = ? AND schedule_id = ?',
    ),
    deleteAtVersion: db.prepare<[string, string, number]>(
      'DELETE FROM schedules WHERE namespace = ? AND schedule_id = ? AND version = ?',
    ),
    list: db.prepare<[string, string, number]>(
      `SELECT ${SCHEDULE_COLUMNS} FROM schedules WHERE namespace = ? AND schedule_id > ? ` +
        'ORDER BY schedule_id LIMIT ?',
    ),
  };
}
export type ScheduleQueries = ReturnType<typeof prepareScheduleQueries>;
