// SQL on `runs`: inserts, the compare-and-set of appendToRun, reads.
import { IllegalStateError, WorkflowExecutionAlreadyStartedError } from '../../../errors.ts';
import type { HistoryEvent } from '../../../protocol/history-events.ts';
import { eventsToBatchRow, heldByToColumn, runFromRow, runToRow } from '../../rows.ts';
import type { RunRecord } from '../../store.ts';
import { RUN_COLUMNS } from '../columns.ts';
import { asStored, jsonParam } from '../json-param.ts';
import type { Queryable } from '../postgres-db.ts';

/**
 * How often an insert refused for a running workflow id is tried again when that run closed
 * before it could be named (it then no longer holds the id).
 */
const INSERT_ATTEMPTS = 5;

/** A run to insert, with the events it starts with and the processes holding its tasks. */
export interface NewRun {
  readonly run: RunRecord;
  readonly events: readonly HistoryEvent[];
  readonly heldBy?: readonly string[] | undefined;
}

/**
 * Inserts runs with their first events' rows, in the caller's transaction, and returns the runs
 * refused, each with its error; the others are written. A run is refused when a Running run of
 * its namespace and workflow id holds the id (index runs_running_workflow_id): it gets
 * `WorkflowExecutionAlreadyStartedError` naming that run, also when that run is one of `runs`,
 * inserted before it by the same call (of several runs of one workflow id, the first in `runs`
 * is inserted). The run ids must be distinct.
 *
 * `ON CONFLICT ... DO NOTHING` skips a row whose workflow id a row inserted by the same statement
 * holds already, waits for a concurrent insert of the id to end, and leaves the transaction
 * usable, so the lookup that follows, a statement of its own under READ COMMITTED, sees the run
 * that holds the id now. When that run closed before it could be named (it no longer holds the
 * id), the refused run is inserted again, up to INSERT_ATTEMPTS times (then it is refused with an
 * `IllegalStateError`). A run id that exists already is left to raise its unique violation (the
 * caller's error context names it), as is a namespace that does not exist.
 *
 * Rows are inserted in (namespace, workflow id) order, the runs of one workflow id in the order
 * given: the inserts of two transactions with the same workflow ids wait for each other's ids in
 * one order, never in a cycle. (So `seq`, the insert order, follows that order within one call.)
 */
export async function insertRuns<T extends NewRun>(
  tx: Queryable,
  runs: readonly T[],
): Promise<Map<T, Error>> {
  const refused = new Map<T, Error>();
  let pending = runs;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const inserted = await insertRunRows(tx, pending);
    const clashed = pending.filter((r) => !inserted.has(r.run.runId));
    if (clashed.length === 0) break;
    const holders = await runningRunIds(
      tx,
      clashed.map((r) => r.run),
    );
    const again: T[] = [];
    for (const r of clashed) {
      const { run } = r;
      const holder = holders.get(workflowKey(run));
      if (holder !== undefined) {
        refused.set(
          r,
          new WorkflowExecutionAlreadyStartedError(run.workflowId, run.workflowType, holder),
        );
      } else if (attempt >= INSERT_ATTEMPTS) {
        refused.set(
          r,
          new IllegalStateError(
            `createRun: workflow id ${run.workflowId} kept being started and closed by others ` +
              `while run ${run.runId} was inserted; retry the start.`,
          ),
        );
      } else {
        again.push(r);
      }
    }
    pending = again;
  }
  return refused;
}

/**
 * One INSERT of `runs` and, in the same statement, their events' rows (for the runs inserted
 * only). Returns the ids of the runs inserted: one whose workflow id a Running run holds is
 * skipped.
 */
async function insertRunRows(tx: Queryable, runs: readonly NewRun[]): Promise<Set<string>> {
  const { rows: inserted } = await tx.query<{ run_id: string }>({
    name: 'reprise_insert_runs',
    text: INSERT_RUNS,
    // One JSON text for all the runs (see compareAndSetRuns).
    values: [
      jsonParam(
        runs.map((r) => {
          const batch = r.events.length === 0 ? undefined : eventsToBatchRow(r.run.runId, r.events);
          return {
            ...runToRow(r.run),
            held_by: heldByToColumn(r.heldBy),
            first_event_id: batch?.first_event_id ?? null,
            last_event_id: batch?.last_event_id ?? null,
            events: batch?.events ?? null,
          };
        }),
      ),
    ],
  });
  return new Set(inserted.map((r) => r.run_id));
}

/** insertRunRows' statement: one text whatever the number of runs, prepared once per connection. */
const INSERT_RUNS =
  'WITH u AS (SELECT * FROM ROWS FROM (json_to_recordset($1::json) AS (run_id text, ' +
  'namespace text, workflow_id text, workflow_type text, task_queue text, status text, ' +
  'start_time_ms bigint, close_time_ms bigint, next_event_id int, version int, state text, ' +
  'search_attributes text, memo text, execution_time_ms bigint, held_by text, ' +
  'first_event_id int, last_event_id int, events text)) WITH ORDINALITY AS u (run_id, ' +
  'namespace, workflow_id, workflow_type, task_queue, status, start_time_ms, close_time_ms, ' +
  'next_event_id, version, state, search_attributes, memo, execution_time_ms, held_by, ' +
  'first_event_id, last_event_id, events, n)), ' +
  'ins AS (INSERT INTO runs (run_id, namespace, workflow_id, workflow_type, task_queue, ' +
  'status, start_time_ms, close_time_ms, next_event_id, version, state, search_attributes, ' +
  'memo, execution_time_ms, held_by) SELECT run_id, namespace, workflow_id, workflow_type, ' +
  'task_queue, status, start_time_ms, close_time_ms, next_event_id, version, state, ' +
  'search_attributes::jsonb, memo, execution_time_ms, held_by FROM u ' +
  'ORDER BY namespace COLLATE "C", workflow_id COLLATE "C", n ' +
  "ON CONFLICT (namespace, workflow_id) WHERE status = 'Running' DO NOTHING " +
  'RETURNING run_id), ' +
  // Only for the runs inserted: one statement, not one per run and table.
  'appended AS (INSERT INTO history_batches (run_id, first_event_id, last_event_id, events) ' +
  'SELECT u.run_id, u.first_event_id, u.last_event_id, u.events FROM u ' +
  'JOIN ins ON ins.run_id = u.run_id WHERE u.events IS NOT NULL) ' +
  'SELECT run_id FROM ins';

/** The same for a run asked for and the row found (which holds its ids as stored). */
function workflowKey(run: Pick<RunRecord, 'namespace' | 'workflowId'>): string {
  return JSON.stringify([asStored(run.namespace), asStored(run.workflowId)]);
}

/** The Running run of each (namespace, workflow id) of `runs` that has one, by workflowKey. */
async function runningRunIds(
  db: Queryable,
  runs: readonly Pick<RunRecord, 'namespace' | 'workflowId'>[],
): Promise<Map<string, string>> {
  const { rows } = await db.query<{ namespace: string; workflow_id: string; run_id: string }>(
    "SELECT namespace, workflow_id, run_id FROM runs WHERE status = 'Running' " +
      'AND (namespace, workflow_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))',
    [runs.map((r) => r.namespace), runs.map((r) => r.workflowId)],
  );
  return new Map(
    rows.map((r) => [workflowKey({ namespace: r.namespace, workflowId: r.workflow_id }), r.run_id]),
  );
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
export const COMPARE_AND_SET_RUNS =
  'WITH u AS (SELECT * FROM json_to_recordset($1::json) AS u (run_id text, ' +
  'expected_version int, expected_next_event_id int, status text, close_time_ms bigint, ' +
  'next_event_id int, state text, search_attributes text, memo text, held_by text, ' +
  'first_event_id int, last_event_id int, events text)), ' +
  // The rows are locked in RUN_LOCK_ORDER before the update touches any of them: the update
  // only changes rows this has returned, so whatever its plan it waits for none out of order.
  // They are found by the ids as an array: the planner takes json_to_recordset for 100 rows
  // whatever it holds, and joined with u a table of up to ~25,000 runs was read whole, twice
  // (test/store-conformance/postgres-statement-plans.test.ts).
  'locked AS MATERIALIZED (SELECT run_id FROM runs ' +
  'WHERE run_id = ANY (ARRAY(SELECT run_id FROM u)) ' +
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
      jsonParam(
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
