import type Database from 'better-sqlite3';
import type { RunRow } from '../../rows.ts';

const COLUMNS =
  'run_id, namespace, workflow_id, workflow_type, task_queue, status, start_time_ms, ' +
  'close_time_ms, next_event_id, version, state, search_attributes, memo, execution_time_ms';

/** The compare-and-set of appendToRun: changes one row iff version and next_event_id are as expected. */
export interface UpdateRunParams {
  run_id: string;
  expected_next_event_id: number;
  expected_version: number;
  /** The version the row gets: one more than expected per write it carries. */
  next_version: number;
  status: string;
  close_time_ms: number | null;
  next_event_id: number;
  state: string | null;
  /** NULL keeps the stored value (the writer did not say). */
  search_attributes: string | null;
  memo: string | null;
  /** Engine processes holding the run's started tasks, space-separated, or NULL (ADR 0012). */
  held_by: string | null;
}

export function prepareRunQueries(db: Database.Database) {
  return {
    insert: db.prepare<RunRow & { held_by: string | null }>(
      `INSERT INTO runs (${COLUMNS}, held_by) VALUES (@run_id, @namespace, @workflow_id, ` +
        '@workflow_type, @task_queue, @status, @start_time_ms, @close_time_ms, @next_event_id, ' +
        '@version, @state, @search_attributes, @memo, @execution_time_ms, @held_by)',
    ),
    get: db.prepare<[string]>(`SELECT ${COLUMNS} FROM runs WHERE run_id = ?`),
    getInWorkflow: db.prepare<[string, string, string]>(
      `SELECT ${COLUMNS} FROM runs WHERE run_id = ? AND namespace = ? AND workflow_id = ?`,
    ),
    // Ties on start time (a continue-as-new in the same millisecond) go to the later insert.
    latestOfWorkflow: db.prepare<[string, string]>(
      `SELECT ${COLUMNS} FROM runs WHERE namespace = ? AND workflow_id = ? ` +
        'ORDER BY start_time_ms DESC, rowid DESC LIMIT 1',
    ),
    runningRunId: db.prepare<[string, string], { run_id: string }>(
      "SELECT run_id FROM runs WHERE namespace = ? AND workflow_id = ? AND status = 'Running'",
    ),
    /**
     * {@link update} for a write that keeps the run's status (almost every one): it leaves
     * status and close time out of SET, so SQLite does not rewrite the index pages that hold
     * them (runs_by_status, runs_by_close_time, runs_running_workflow_id). Changes no row when
     * the status differs: then `update` runs.
     */
    updateKeepingStatus: db.prepare<UpdateRunParams>(
      'UPDATE runs SET next_event_id = @next_event_id, version = @next_version, ' +
        'state = @state, search_attributes = coalesce(@search_attributes, search_attributes), ' +
        'memo = coalesce(@memo, memo), held_by = @held_by ' +
        'WHERE run_id = @run_id AND next_event_id = @expected_next_event_id ' +
        'AND version = @expected_version AND status = @status ' +
        'AND close_time_ms IS @close_time_ms',
    ),
    update: db.prepare<UpdateRunParams>(
      'UPDATE runs SET status = @status, close_time_ms = @close_time_ms, ' +
        'next_event_id = @next_event_id, version = @next_version, state = @state, ' +
        'search_attributes = coalesce(@search_attributes, search_attributes), ' +
        'memo = coalesce(@memo, memo), held_by = @held_by ' +
        'WHERE run_id = @run_id AND next_event_id = @expected_next_event_id ' +
        'AND version = @expected_version',
    ),
    list: db.prepare<[string, number]>(
      `SELECT ${COLUMNS} FROM runs WHERE namespace = ? ` +
        'ORDER BY start_time_ms DESC, rowid DESC LIMIT ?',
    ),
  };
}
export const RUN_COLUMNS = COLUMNS;
export type RunQueries = ReturnType<typeof prepareRunQueries>;
