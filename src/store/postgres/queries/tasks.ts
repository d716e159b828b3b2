// SQL on `tasks`.
import { IllegalStateError } from '../../../errors.ts';
import { queuedTaskFromRow, taskToRow } from '../../rows.ts';
import type { FindTasksRequest, NewTask, TaskRecord } from '../../store.ts';
import { jsonParam } from '../json-param.ts';
import type { Queryable } from '../postgres-db.ts';

/** Inserts tasks in one statement; their ids (identity) grow in the order given. */
export async function insertTasks(tx: Queryable, tasks: readonly NewTask[]): Promise<void> {
  if (tasks.length === 0) return;
  // One JSON text for all the rows: node-postgres would escape each element of PostgreSQL
  // arrays in JavaScript; JSON.stringify does it natively.
  await tx.query({
    name: 'reprise_insert_tasks',
    text:
      'INSERT INTO tasks (namespace, task_queue, kind, run_id, scheduled_event_id, attempt, ' +
      'priority) SELECT namespace, task_queue, kind, run_id, scheduled_event_id, attempt, ' +
      'priority FROM ROWS FROM (json_to_recordset($1::json) AS (namespace text, ' +
      'task_queue text, kind text, run_id text, scheduled_event_id int, attempt int, ' +
      'priority int)) WITH ORDINALITY AS t (namespace, task_queue, kind, run_id, ' +
      'scheduled_event_id, attempt, priority, n) ORDER BY n',
    values: [jsonParam(tasks.map(taskToRow))],
  });
}

/** Deletes tasks by id; missing ones change nothing. */
export async function deleteTasks(tx: Queryable, taskIds: readonly number[]): Promise<void> {
  if (taskIds.length === 0) return;
  await tx.query({
    name: 'reprise_delete_tasks',
    text: 'DELETE FROM tasks WHERE task_id = ANY($1::bigint[])',
    values: [taskIds],
  });
}

/**
 * The first `limit` tasks of the queue not being started already, lowest priority key first
 * and oldest first within a key, in tasks_by_queue_priority's order: only the columns the queue
 * does not already give (QueuedTaskRow).
 */
export async function findTasks(db: Queryable, req: FindTasksRequest): Promise<TaskRecord[]> {
  if (!Number.isSafeInteger(req.limit) || req.limit < 1) {
    throw new IllegalStateError(
      `findTasks: limit must be a whole number of at least 1 (got ${String(req.limit)}).`,
    );
  }
  const { rows } = await db.query({
    name: 'reprise_find_tasks',
    text:
      'SELECT task_id, run_id, scheduled_event_id, attempt, priority FROM tasks ' +
      'WHERE namespace = $1 AND task_queue = $2 AND kind = $3 AND task_id <> ALL($4::bigint[]) ' +
      'ORDER BY priority, task_id LIMIT $5',
    values: [req.namespace, req.taskQueue, req.kind, req.skipTaskIds, req.limit],
  });
  return rows.map((row) => queuedTaskFromRow(req, row));
}
