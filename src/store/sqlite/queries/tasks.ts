import type Database from 'better-sqlite3';
import type { NewTaskRow } from '../../rows.ts';

export interface ClaimTaskParams {
  namespace: string;
  task_queue: string;
  kind: string;
  now_ms: number;
  lease_until_ms: number;
}

export function prepareTaskQueries(db: Database.Database) {
  return {
    insert: db.prepare<NewTaskRow>(
      'INSERT INTO tasks (namespace, task_queue, kind, run_id, scheduled_event_id, attempt) ' +
        'VALUES (@namespace, @task_queue, @kind, @run_id, @scheduled_event_id, @attempt)',
    ),
    // The oldest free task of the queue, found through tasks_by_queue, leased in one statement.
    claim: db.prepare<ClaimTaskParams>(
      'UPDATE tasks SET lease_until_ms = @lease_until_ms WHERE task_id = (' +
        'SELECT task_id FROM tasks WHERE namespace = @namespace AND task_queue = @task_queue ' +
        'AND kind = @kind AND lease_until_ms <= @now_ms ORDER BY task_id LIMIT 1) ' +
        'RETURNING task_id, namespace, task_queue, kind, run_id, scheduled_event_id, attempt',
    ),
    delete: db.prepare<[number]>('DELETE FROM tasks WHERE task_id = ?'),
  };
}
export type TaskQueries = ReturnType<typeof prepareTaskQueries>;
