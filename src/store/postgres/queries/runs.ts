// SQL on `runs`: inserts, the compare-and-set of appendToRun, reads.
import { IllegalStateError, WorkflowExecutionAlreadyStartedError } from '../../../errors.ts';
import type { HistoryEvent } from '../../../protocol/history-events.ts';
import { eventsToBatchRow, heldByToColumn, runFromRow, runToRow } from '../../rows.ts';
import type { RunRecord } from '../../store.ts';
import { RUN_COLUMNS } from '../columns.ts';
import type { Queryable } from '../postgres-db.ts';

/**
 * How often an insert refused for a running workflow id is tried again when that run closed
 * before it could be named (it then no longer holds the id).
 */
const INSERT_ATTEMPTS = 5;

/**
 * Inserts a run, in the caller's transaction. A Running run of the same namespace and workflow
 * id (index runs_running_workflow_id) makes it throw `WorkflowExecutionAlreadyStartedError`
 * naming that run: `ON CONFLICT ... DO NOTHING` waits for a concurrent insert of the id to end
 * and leaves the transaction usable, so the lookup that follows, a statement of its own under
 * READ COMMITTED, sees the run that holds the id now. A duplicate run id is left to raise its
 * unique violation (the caller's error context names it).
 */
export async function insertRun(
  tx: Queryable,
  run: RunRecord,
  heldBy: readonly string[] | undefined,
): Promise<void> {
  const r = runToRow(run);
  const params = [
    r.run_id,
    r.namespace,
    r.workflow_id,
    r.workflow_type,
    r.task_queue,
    r.status,
    r.start_time_ms,
    r.close_time_ms,
    r.next_event_id,
    r.version,
    r.state,
    r.search_attributes,
    r.memo,
    r.execution_time_ms,
    heldByToColumn(heldBy),
  ];
  for (let attempt = 1; ; attempt++) {
    const { rowCount } = await tx.query(
      'INSERT INTO runs (run_id, namespace, workflow_id, workflow_type, task_queue, status, ' +
        'start_time_ms, close_time_ms, next_event_id, version, state, search_attributes, memo, ' +
        'execution_time_ms, held_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, ' +
        '$12::jsonb, $13, $14, $15) ' +
        "ON CONFLICT (namespace, workflow_id) WHERE status = 'Running' DO NOTHING",
      params,
    );
    if (rowCount === 1) return;
    const running = await runningRunId(tx, run.namespace, run.workflowId);
    if (running !== undefined) {
      throw new WorkflowExecutionAlreadyStartedError(run.workflowId, run.workflowType, running);
    }
    if (attempt >= INSERT_ATTEMPTS) {
      throw new IllegalStateError(
        `createRun: workflow id ${run.workflowId} kept being started and closed by others ` +
          `while run ${run.runId} was inserted; retry the start.`,
      );
    }
  }
}

async function runningRunId(
  db: Queryable,
  namespace: string,
  workflowId: string,
): Promise<string | undefined> {
  const { rows } = await db.query<{ run_id: string }>(
    "SELECT run_id FROM runs WHERE namespace = $1 AND workflow_id = $2 AND status = 'Running'",
    [namespace, workflowId],
  );
  return rows[0]?.run_id;
}

/** The new values of a run's row that appendToRun writes, and the events it appends. */
export interface RunUpdate {
  runId: string;
  expectedVersion: number;
  expectedNextEventId: number;
  status: string;
  closeTimeMs: number | null;
  nextEventId: number;
  state: string | null;
  /** JSON text; NULL keeps the stored value (the writer did not say). */
  searchAttributes: string | null;
  memo: string | null;
  heldBy: string | null;
  events: readonly HistoryEvent[];
}

/**
 * The order in which a statement that locks several runs' rows locks them: by run id, in code
 * point order (COLLATE "C"). Two group commits whose runs overlap lock the ones they share in the
 * same order, so neither waits for the other in a cycle (a deadlock cost deadlock_timeout, 1 s,
 * before PostgreSQL aborted one and the store ran it again).
 */
const RUN_LOCK_ORDER = 'run_id COLLATE "C"';

/**
 * compareAndSetRuns' statement: one text whatever the number of runs, prepared once per
 * connection (a named statement), so that a batch of one run costs no more than a plain UPDATE
 * would: parsing and planning this statement anew took ~0.4 ms.
 */
const COMPARE_AND_SET_RUNS =
  'WITH u AS (SELECT * FROM json_to_recordset($1::json) AS u (run_id text, ' +
  'expected_version int, expected_next_event_id int, status text, close_time_ms bigint, ' +
  'next_event_id int, state text, search_attributes text, memo text, held_by text, ' +
  'first_event_id int, last_event_id int, events text)), ' +
  // The rows are locked in RUN_LOCK_ORDER before the update touches any of them: the update
  // only changes rows this has returned, so whatever its plan it waits for none out of order.
  'locked AS MATERIALIZED (SELECT run_id FROM runs WHERE run_id IN (SELECT run_id FROM u) ' +
  `ORDER BY ${RUN_LOCK_ORDER} FOR UPDATE), ` +
  'cas AS (UPDATE runs AS r SET status = u.status, close_time_ms = u.close_time_ms, ' +
  'next_event_id = u.next_event_id, version = u.expected_version + 1, state = u.state, ' +
  'search_attributes = coalesce(u.search_attributes::jsonb, r.search_attributes), ' +
  'memo = coalesce(u.memo, r.memo), held_by = u.held_by FROM u ' +
  'JOIN locked ON locked.run_id = u.run_id ' +
  'WHERE r.run_id = u.run_id AND r.version = u.expected_version ' +
  'AND r.next_event_id = u.expected_next_event_id RETURNING r.run_id), ' +
  // Only where the update changed the run: one statement, not one per run and table.
  'appended AS (INSERT INTO history_batches (run_id, first_event_id, last_event_id, events) ' +
  'SELECT u.run_id, u.first_event_id, u.last_event_id, u.events FROM u ' +
  'JOIN cas ON cas.run_id = u.run_id WHERE u.events IS NOT NULL) ' +
  'SELECT run_id FROM cas';

/**
 * The compare-and-set of appendToRun, for many runs in one statement (one round trip however
 * many): each run's row is updated, its version bumped and its events' batch row written iff its
 * version and next_event_id are still the expected ones. Returns the runs that changed; the
 * others lost (nothing of theirs was written). The runs must be distinct. Their rows are locked
 * in RUN_LOCK_ORDER first (test/store-conformance/postgres-group-commit.test.ts, opposite
 * orders). Under READ COMMITTED an UPDATE that waited for a concurrent writer's lock evaluates
 * its WHERE again on the row that writer committed, so of two writers expecting the same version
 * exactly one changes the row.
 */
export async function compareAndSetRuns(
  tx: Queryable,
  updates: readonly RunUpdate[],
): Promise<Set<string>> {
  if (updates.length === 0) return new Set();
  const batches = updates.map((u) =>
    u.events.length === 0 ? undefined : eventsToBatchRow(u.runId, u.events),
  );
  const { rows } = await tx.query<{ run_id: string }>({
    name: 'reprise_compare_and_set_runs',
    text: COMPARE_AND_SET_RUNS,
    // One JSON text for all the runs: in PostgreSQL arrays, node-postgres would escape each
    // element (and every character of the states and events) in JavaScript; JSON.stringify does
    // it natively, and the server parses it once.
    values: [
      JSON.stringify(
        updates.map((u, i) => ({
          run_id: u.runId,
          expected_version: u.expectedVersion,
          expected_next_event_id: u.expectedNextEventId,
          status: u.status,
          close_time_ms: u.closeTimeMs,
          next_event_id: u.nextEventId,
          state: u.state,
          search_attributes: u.searchAttributes,
          memo: u.memo,
          held_by: u.heldBy,
          first_event_id: batches[i]?.first_event_id ?? null,
          last_event_id: batches[i]?.last_event_id ?? null,
          events: batches[i]?.events ?? null,
        })),
      ),
    ],
  });
  return new Set(rows.map((r) => r.run_id));
}

export async function getRun(db: Queryable, runId: string): Promise<RunRecord | undefined> {
  const { rows } = await db.query(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = $1`, [runId]);
  return rows[0] === undefined ? undefined : runFromRow(rows[0]);
}

/**
 * The run `runId` of the workflow, or without one the latest started (ties on start time, as a
 * continue-as-new in the same millisecond, go to the later insert), through runs_by_workflow_id.
 */
export async function findRun(
  db: Queryable,
  req: { namespace: string; workflowId: string; runId?: string | undefined },
): Promise<RunRecord | undefined> {
  const { rows } =
    req.runId === undefined
      ? await db.query(
          `SELECT ${RUN_COLUMNS} FROM runs WHERE namespace = $1 AND workflow_id = $2 ` +
            'ORDER BY start_time_ms DESC, seq DESC LIMIT 1',
          [req.namespace, req.workflowId],
        )
      : await db.query(
          `SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = $1 AND namespace = $2 ` +
            'AND workflow_id = $3',
          [req.runId, req.namespace, req.workflowId],
        );
  return rows[0] === undefined ? undefined : runFromRow(rows[0]);
}

/** A namespace's runs, most recently started first (insert order breaks ties). */
export async function listRuns(
  db: Queryable,
  req: { namespace: string; limit: number },
): Promise<RunRecord[]> {
  const { rows } = await db.query(
    `SELECT ${RUN_COLUMNS} FROM runs WHERE namespace = $1 ` +
      'ORDER BY start_time_ms DESC, seq DESC LIMIT $2',
    [req.namespace, req.limit],
  );
  return rows.map(runFromRow);
}

/**
 * The running runs whose held_by (space-separated process ids) names `processId`. Scans the
 * runs table: run only when a process died, never on a hot path.
 */
export async function listRunsHeldBy(db: Queryable, processId: string): Promise<string[]> {
  const { rows } = await db.query<{ run_id: string }>(
    "SELECT run_id FROM runs WHERE status = 'Running' AND held_by IS NOT NULL " +
      "AND strpos(' ' || held_by || ' ', ' ' || $1 || ' ') > 0",
    [processId],
  );
  return rows.map((r) => r.run_id);
}
