import type Database from 'better-sqlite3';
import type { WorkerRegistrationRow } from '../../rows.ts';

const COLUMNS =
  'namespace, task_queue, identity, build_id, workflow_types, activity_types, signal_names, ' +
  'seen_at_ms';

export function prepareWorkerQueries(db: Database.Database) {
  return {
    upsert: db.prepare<WorkerRegistrationRow>(
      `INSERT INTO worker_registrations (${COLUMNS}) VALUES (@namespace, @task_queue, @identity, ` +
        '@build_id, @workflow_types, @activity_types, @signal_names, @seen_at_ms) ' +
        'ON CONFLICT (namespace, task_queue, identity) DO UPDATE SET ' +
        'build_id = excluded.build_id, workflow_types = excluded.workflow_types, ' +
        'activity_types = excluded.activity_types, signal_names = excluded.signal_names, ' +
        'seen_at_ms = excluded.seen_at_ms',
    ),
    listSince: db.prepare<[string, string, number]>(
      `SELECT ${COLUMNS} FROM worker_registrations ` +
        'WHERE namespace = ? AND task_queue = ? AND seen_at_ms >= ? ORDER BY identity',
    ),
  };
}
export type WorkerQueries = ReturnType<typeof prepareWorkerQueries>;
