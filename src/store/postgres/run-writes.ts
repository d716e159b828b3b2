// The bodies of the PostgreSQL store's run transactions (createRun, appendToRun), run inside a
// transaction that PostgresDb.write opened: each either writes all of its rows or throws.
import { IllegalStateError, NamespaceNotFoundError, RunConflictError } from '../../errors.ts';
import { heldByToColumn, objectToColumn, stateToColumn } from '../rows.ts';
import type { AppendToRunRequest, CreateRunRequest } from '../store.ts';
import type { Queryable } from './postgres-db.ts';
import type { PostgresErrorContext } from './postgres-errors.ts';
import { compareAndSetRuns, insertRuns } from './queries/runs.ts';
import type { RunUpdate } from './queries/runs.ts';
import { deleteTasks, insertTasks } from './queries/tasks.ts';
import { deleteTimers, upsertTimers } from './timer-writes.ts';
import { registerSearchAttributeTypes } from './visibility.ts';

/**
 * A new run with its first events, tasks and timers (createRun's guarantee), for a creation of
 * any kind. Throws `WorkflowExecutionAlreadyStartedError` when a Running run holds its workflow
 * id (the caller's transaction is then rolled back, search attribute types too).
 */
export async function createRunWrites(tx: Queryable, req: CreateRunRequest): Promise<void> {
  await registerSearchAttributeTypes(tx, req.registerSearchAttributes);
  const refusal = (await createBatchWrites(tx, [req])).get(req);
  if (refusal !== undefined) throw refusal;
}

/**
 * The writes of many run creations (their search attribute types, if any, registered already),
 * a few statements however many: the runs and their events' rows in one (insertRuns), then their
 * tasks in one, their ids growing in the order of `reqs`, then their timers in one.
 *
 * Returns the creations refused, each with its error, having written nothing: one whose workflow
 * id a Running run holds (`WorkflowExecutionAlreadyStartedError` naming it, also one created
 * earlier in `reqs`), and one whose run id an earlier one in `reqs` has. The others are written.
 * Any other error (a run id that exists already, a namespace that does not) throws, and the
 * caller's transaction writes nothing.
 */
export async function createBatchWrites(
  tx: Queryable,
  reqs: readonly CreateRunRequest[],
): Promise<Map<CreateRunRequest, Error>> {
  const refused = new Map<CreateRunRequest, Error>();
  const runIds = new Set<string>();
  const distinct: CreateRunRequest[] = [];
  for (const req of reqs) {
    const { runId } = req.run;
    // One INSERT would skip the second silently when its workflow id is the first's.
    if (runIds.has(runId)) refused.set(req, duplicateRunIdError('createRun', runId));
    else distinct.push(req);
    runIds.add(runId);
  }
  for (const [req, e] of await insertRuns(tx, distinct)) refused.set(req, e);
  const created = reqs.filter((req) => !refused.has(req));
  await insertTasks(
    tx,
    created.flatMap((req) => req.tasks),
  );
  await upsertTimers(
    tx,
    created.flatMap((req) => req.timers),
  );
  return refused;
}

/**
 * appendToRun's writes, for one append of any kind. Contract 1: the compare-and-set on the run's
 * version and next_event_id comes first, so a conflict throws `RunConflictError` before anything
 * was written (and the caller's transaction is rolled back anyway).
 */
export async function appendWrites(tx: Queryable, req: AppendToRunRequest): Promise<void> {
  const changed = await compareAndSetRuns(tx, [runUpdateOf(req)]);
  if (!changed.has(req.runId)) throw new RunConflictError(req.runId, req.expectedNextEventId);
  await registerSearchAttributeTypes(tx, req.registerSearchAttributes);
  await followingWrites(tx, [req]);
  // After the status update above: a continued run no longer holds its workflow id.
  if (req.createRun !== undefined) await createRunWrites(tx, req.createRun);
}

/**
 * The writes of many runs' plain appends (no run to create, no search attributes to register:
 * none of them can be refused once its compare-and-set passed), in rounds: the first append of
 * every run's chain, then the second, and so on. A round is a few statements however many runs
 * it holds: the compare-and-sets and events in one, then each table's rows in one. A chain is one
 * run's appends in order, each expecting what the one before leaves (a lingering activity result
 * and the workflow task's answer, ADR 0007); the runs of the chains must be distinct.
 *
 * Returns the appends that lost, each with its `RunConflictError`: one whose compare-and-set
 * failed wrote nothing, and the rest of its chain are still tried (each on its own
 * compare-and-set); one decided on a failed write (`after`, here or in `failedBefore`) fails
 * without being tried. Any other error throws, and the caller's transaction writes nothing.
 */
export async function appendBatchWrites(
  tx: Queryable,
  chains: readonly (readonly AppendToRunRequest[])[],
  failedBefore: WeakSet<AppendToRunRequest>,
): Promise<Map<AppendToRunRequest, RunConflictError>> {
  const lost = new Map<AppendToRunRequest, RunConflictError>();
  const fail = (req: AppendToRunRequest): void => {
    lost.set(req, new RunConflictError(req.runId, req.expectedNextEventId));
  };
  const depth = Math.max(0, ...chains.map((c) => c.length));
  for (let k = 0; k < depth; k++) {
    const round: AppendToRunRequest[] = [];
    for (const req of chains.flatMap((c) => c[k] ?? [])) {
      const { after } = req;
      if (after !== undefined && (lost.has(after) || failedBefore.has(after))) fail(req);
      else round.push(req);
    }
    const changed = await compareAndSetRuns(tx, round.map(runUpdateOf));
    const written = round.filter((req) => changed.has(req.runId));
    for (const req of round) if (!changed.has(req.runId)) fail(req);
    await followingWrites(tx, written);
  }
  return lost;
}

/**
 * What appends write after their compare-and-sets passed, one statement per table for all of
 * them. Deletes before inserts: a key both deleted and upserted ends up holding the new timer.
 */
async function followingWrites(tx: Queryable, reqs: readonly AppendToRunRequest[]): Promise<void> {
  await deleteTimers(
    tx,
    reqs.flatMap((req) => [
      ...req.deleteTimerKeys.map((key) => ({ runId: req.runId, key })),
      ...(req.firedTimer === undefined ? [] : [{ runId: req.runId, ...req.firedTimer }]),
    ]),
  );
  await deleteTasks(
    tx,
    reqs.flatMap((req) => req.deleteTaskIds),
  );
  await insertTasks(
    tx,
    reqs.flatMap((req) => req.tasks),
  );
  await upsertTimers(
    tx,
    reqs.flatMap((req) => req.timers),
  );
}

function runUpdateOf(req: AppendToRunRequest): RunUpdate {
  return {
    runId: req.runId,
    expectedVersion: req.expectedVersion,
    expectedNextEventId: req.expectedNextEventId,
    status: req.status,
    closeTimeMs: req.closeTimeMs ?? null,
    nextEventId: req.nextEventId,
    state: req.stateJson ?? stateToColumn(req.state),
    searchAttributes: objectToColumn(req.searchAttributes),
    memo: objectToColumn(req.memo),
    heldBy: heldByToColumn(req.heldBy),
    events: req.events,
  };
}

/**
 * How a run write's constraint violations read: a duplicate run id is a programming error (every
 * run needs a fresh id), a missing namespace is the caller's. (A clash on the running workflow
 * id is reported inside the transaction, by insertRuns.)
 */
export function runWriteErrorContext(
  operation: string,
  create: CreateRunRequest | undefined,
): PostgresErrorContext {
  if (create === undefined) return { operation };
  const { run } = create;
  return {
    operation,
    onUniqueViolation: (constraint) =>
      constraint === 'runs_pkey'
        ? duplicateRunIdError(operation, run.runId)
        : new IllegalStateError(
            `${operation}: creating run ${run.runId} broke unique constraint ` +
              `${constraint ?? '(unnamed)'}; a row with the same key already exists.`,
          ),
    onForeignKeyViolation: () => new NamespaceNotFoundError(run.namespace),
  };
}

function duplicateRunIdError(operation: string, runId: string): IllegalStateError {
  return new IllegalStateError(
    `${operation}: run id ${runId} already exists; every run needs a fresh id.`,
  );
}
