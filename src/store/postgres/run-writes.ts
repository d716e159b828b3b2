// The bodies of the PostgreSQL store's run transactions (createRun, appendToRun), run inside a
// transaction that PostgresDb.write opened: each either writes all of its rows or throws.
import { IllegalStateError, NamespaceNotFoundError, RunConflictError } from '../../errors.ts';
import { heldByToColumn, objectToColumn, stateToColumn } from '../rows.ts';
import type { AppendToRunRequest, CreateRunRequest } from '../store.ts';
import type { Queryable } from './postgres-db.ts';
import type { PostgresErrorContext } from './postgres-errors.ts';
import { insertEvents } from './queries/history.ts';
import { compareAndSetRun, insertRun } from './queries/runs.ts';
import { deleteTasks, insertTasks } from './queries/tasks.ts';
import { deleteTimerIfDueAt } from './queries/timers.ts';
import { deleteTimers, upsertTimers } from './timer-writes.ts';
import { registerSearchAttributeTypes } from './visibility.ts';

/** A new run with its first events, tasks and timers (createRun's guarantee). */
export async function createRunWrites(tx: Queryable, req: CreateRunRequest): Promise<void> {
  await registerSearchAttributeTypes(tx, req.registerSearchAttributes);
  await insertRun(tx, req.run, req.heldBy);
  await insertEvents(tx, req.run.runId, req.events);
  await insertTasks(tx, req.tasks);
  await upsertTimers(tx, req.timers);
}

/**
 * appendToRun's writes. Contract 1: the compare-and-set on the run's version and next_event_id
 * comes first, so a conflict throws `RunConflictError` before anything was written (and the
 * caller's transaction is rolled back anyway).
 */
export async function appendWrites(tx: Queryable, req: AppendToRunRequest): Promise<void> {
  const changed = await compareAndSetRun(
    tx,
    {
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
    },
    req.events,
  );
  if (!changed) throw new RunConflictError(req.runId, req.expectedNextEventId);
  await registerSearchAttributeTypes(tx, req.registerSearchAttributes);
  // Deletes before inserts: a key both deleted and upserted ends up holding the new timer.
  await deleteTimers(
    tx,
    req.deleteTimerKeys.map((key) => ({ runId: req.runId, key })),
  );
  if (req.firedTimer !== undefined) await deleteTimerIfDueAt(tx, req.runId, req.firedTimer);
  await deleteTasks(tx, req.deleteTaskIds);
  await insertTasks(tx, req.tasks);
  await upsertTimers(tx, req.timers);
  // After the status update above: a continued run no longer holds its workflow id.
  if (req.createRun !== undefined) await createRunWrites(tx, req.createRun);
}

/**
 * How a run write's constraint violations read: a duplicate run id is a programming error (every
 * run needs a fresh id), a missing namespace is the caller's. (A clash on the running workflow
 * id is reported inside the transaction, by insertRun.)
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
      new IllegalStateError(
        constraint === 'runs_pkey'
          ? `${operation}: run id ${run.runId} already exists; every run needs a fresh id.`
          : `${operation}: creating run ${run.runId} broke unique constraint ` +
              `${constraint ?? '(unnamed)'}; a row with the same key already exists.`,
      ),
    onForeignKeyViolation: () => new NamespaceNotFoundError(run.namespace),
  };
}
