// SQL on `worker_registrations` and `engine_processes`.
import {
  engineProcessFromRow,
  engineProcessToRow,
  workerFromRow,
  workerToRow,
} from '../../rows.ts';
import type { EngineProcessRecord, WorkerRegistration } from '../../store.ts';
import type { Queryable } from '../postgres-db.ts';

const WORKER_COLUMNS =
  'namespace, task_queue, identity, build_id, workflow_types, activity_types, signal_names, ' +
  'seen_at_ms';

/** Records what a worker serves, replacing that identity's last record on the queue. */
export async function upsertWorker(tx: Queryable, w: WorkerRegistration): Promise<void> {
  const r = workerToRow(w);
  await tx.query(
    `INSERT INTO worker_registrations (${WORKER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ` +
      'ON CONFLICT (namespace, task_queue, identity) DO UPDATE SET ' +
      'build_id = excluded.build_id, workflow_types = excluded.workflow_types, ' +
      'activity_types = excluded.activity_types, signal_names = excluded.signal_names, ' +
      'seen_at_ms = excluded.seen_at_ms',
    [
      r.namespace,
      r.task_queue,
      r.identity,
      r.build_id,
      r.workflow_types,
      r.activity_types,
      r.signal_names,
      r.seen_at_ms,
    ],
  );
}

export async function listWorkersSince(
  db: Queryable,
  req: { namespace: string; taskQueue: string; sinceMs: number },
): Promise<WorkerRegistration[]> {
  const { rows } = await db.query(
    `SELECT ${WORKER_COLUMNS} FROM worker_registrations ` +
      'WHERE namespace = $1 AND task_queue = $2 AND seen_at_ms >= $3 ORDER BY identity',
    [req.namespace, req.taskQueue, req.sinceMs],
  );
  return rows.map(workerFromRow);
}

const PROCESS_COLUMNS = 'process_id, host_key, pid, pid_start, started_at_ms, seen_at_ms';

/** Records an engine process, or refreshes the seen_at_ms of one recorded. */
export async function upsertEngineProcess(tx: Queryable, p: EngineProcessRecord): Promise<void> {
  const r = engineProcessToRow(p);
  await tx.query(
    `INSERT INTO engine_processes (${PROCESS_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ` +
      'ON CONFLICT (process_id) DO UPDATE SET seen_at_ms = excluded.seen_at_ms',
    [r.process_id, r.host_key, r.pid, r.pid_start, r.started_at_ms, r.seen_at_ms],
  );
}

export async function listEngineProcesses(db: Queryable): Promise<EngineProcessRecord[]> {
  const { rows } = await db.query(
    `SELECT ${PROCESS_COLUMNS} FROM engine_processes ORDER BY started_at_ms, process_id`,
  );
  return rows.map(engineProcessFromRow);
}

/**
 * Deletes the process's record; true iff this call deleted it. Of two transactions deleting it
 * at once, the second waits for the first's row lock and then finds no row.
 */
export async function deleteEngineProcess(tx: Queryable, processId: string): Promise<boolean> {
  const { rowCount } = await tx.query('DELETE FROM engine_processes WHERE process_id = $1', [
    processId,
  ]);
  return rowCount === 1;
}
