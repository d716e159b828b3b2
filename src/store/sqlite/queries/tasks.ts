import type Database from 'better-sqlite3';
import type { NewTaskRow } from '../../rows.ts';

export interface FindTaskParams {
  namespace: string;
  task_queue: string;
  kind: string;
  /** A JSON array of task ids to pass over. */
  skip: string;
  limit: number;
}

export function prepareTaskQueries(db: Database.Database) {
  return {
    insert: db.prepare<NewTaskRow>(
      'INSERT INTO tasks (namespace, task_queue, kind, run_id, scheduled_event_id, attempt) ' +
        'VALUES (@namespace, @task_queue, @kind, @run_id, @scheduled_event_id, @attempt)',
    ),
    // The oldest tasks of the queue not being started already, found through tasks_by_queue.
    find: db.prepare<FindTaskParams>(
      'SELECT task_id, namespace, task_queue, kind, run_id, scheduled_event_id, attempt ' +
        'FROM tasks WHERE namespace = @namespace AND task_queue = @task_queue AND kind = @kind ' +
        'AND task_id NOT IN (SELECT value FROM json_each(@skip)) ORDER BY task_id LIMIT @limit',
    ),
    delete: db.prepare<[number]>('DELETE FROM tasks WHERE task_id = ?'),
  };
}
export type TaskQueries = ReturnType<typeof prepareTaskQueries>;
