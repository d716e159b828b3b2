import type Database from 'better-sqlite3';
import { IllegalStateError } from '../../../errors.ts';
import type { NewTaskRow } from '../../rows.ts';

export interface FindTaskParams {
  namespace: string;
  task_queue: string;
  kind: string;
  /** A JSON array of task ids to pass over. */
  skip: string;
}

export function prepareTaskQueries(db: Database.Database) {
  // One statement per limit, the limit written in its text: a bound LIMIT makes SQLite's step
  // about half again slower here.
  const finds = new Map<number, Database.Statement<FindTaskParams>>();
  return {
    insert: db.prepare<NewTaskRow>(
      'INSERT INTO tasks (namespace, task_queue, kind, run_id, scheduled_event_id, attempt, priority) ' +
        'VALUES (@namespace, @task_queue, @kind, @run_id, @scheduled_event_id, @attempt, @priority)',
    ),
    /**
     * The first `limit` tasks of the queue not being started already, lowest priority key first
     * and oldest first within a key, in tasks_by_queue_priority's order: only the columns the
     * queue does not already give (QueuedTaskRow).
     */
    find(limit: number): Database.Statement<FindTaskParams> {
      let st = finds.get(limit);
      if (st === undefined) {
        if (!Number.isSafeInteger(limit) || limit < 1) {
          throw new IllegalStateError(
            `findTasks: limit must be a whole number of at least 1 (got ${String(limit)}).`,
          );
        }
        st = db.prepare<FindTaskParams>(
          'SELECT task_id, run_id, scheduled_event_id, attempt, priority FROM tasks ' +
            'WHERE namespace = @namespace AND task_queue = @task_queue AND kind = @kind ' +
            'AND task_id NOT IN (SELECT value FROM json_each(@skip)) ' +
            `ORDER BY priority, task_id LIMIT ${String(limit)}`,
        );
        finds.set(limit, st);
      }
      return st;
    },
    delete: db.prepare<[number]>('DELETE FROM tasks WHERE task_id = ?'),
  };
}
export type TaskQueries = ReturnType<typeof prepareTaskQueries>;
