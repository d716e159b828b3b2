import { WorkflowNotReadyError } from '../errors.ts';
import type { CommandOf } from '../protocol/commands.ts';
import type { WireHeaders } from '../protocol/headers.ts';
import type { UpdateRequest } from '../protocol/update.ts';
import type { RunState, UpdateEntry } from './run-state.ts';
import type { RunTx } from './update-run.ts';

/** Rejections kept in a run's state so that the client that sent them learns the outcome. */
const KEPT_REJECTIONS = 32;

/** The updates admitted and not yet answered by the workflow, in admission order. */
export function admittedUpdates(state: RunState): UpdateRequest[] {
  return Object.values(state.updates ?? {})
    .filter((u) => u.stage === 'admitted')
    .sort((a, b) => a.order - b.order)
    .map((u) => ({
      updateId: u.updateId,
      name: u.name,
      args: u.args ?? [],
      ...(u.header !== undefined && { header: u.header }),
      ...(u.sequencingEventId !== undefined && { sequencingEventId: u.sequencingEventId }),
    }));
}

/**
 * Whether the run has updates admitted and not yet answered by the workflow: after a workflow
 * task completes without closing the run, those arrived while it was out, and another task must
 * carry them (they do not keep a closing run open: see `admitUpdate`).
 */
export function hasAdmittedUpdates(state: RunState): boolean {
  return Object.values(state.updates ?? {}).some((u) => u.stage === 'admitted');
}

/** Temporal's `failUpdateWorkflowTaskAttemptCount`: from this workflow task attempt, updates fail fast. */
const FAIL_UPDATE_WORKFLOW_TASK_ATTEMPT = 3;

/**
 * Refuses an update to a running run whose workflow task keeps failing — the current (or next)
 * task's attempt is 3 or more, that is, it failed or timed out twice in a row — with
 * WorkflowNotReadyError, as Temporal's server does: the task would fail again before the workflow
 * could see the update (an update cannot fix the workflow's state). Checked before anything is
 * recorded, also for an updateId the run already has (Temporal checks before it looks one up).
 * Test: test/e2e/update-task-failures.test.ts.
 */
export function refuseIfWorkflowTaskFailing(tx: RunTx): void {
  const s = tx.state;
  const attempt = s.workflowTask?.attempt ?? s.workflowTaskBackoffAttempt ?? 1;
  if (attempt < FAIL_UPDATE_WORKFLOW_TASK_ATTEMPT) return;
  const last = s.lastWorkflowTaskFailure;
  throw new WorkflowNotReadyError(
    s.workflowId,
    tx.runId,
    `Workflow '${s.workflowId}' (run ${tx.runId}): its workflow task has failed ${attempt - 1} ` +
      `times in a row${last ? ` (last: ${last.cause}: ${last.failure.message})` : ''}, so the ` +
      'update was not recorded. Fix the workflow code or the failure that describe() shows; ' +
      'once a workflow task completes, send the update again.',
  );
}

/** An update request as the engine admits it (update, and update-with-start). */
export interface UpdateAdmission {
  updateId: string;
  name: string;
  args: unknown[];
  header?: WireHeaders | undefined;
  identity?: string | undefined;
}

/**
 * Records `u` in the run's state as admitted, sequenced after the run's last event; the caller
 * sees that a workflow task delivers it (a new run's first task carries it).
 */
export function recordAdmittedUpdate(tx: RunTx, u: UpdateAdmission): void {
  const updates = tx.state.updates ?? {};
  const order = (tx.state.updateSeq ?? 0) + 1;
  tx.state.updateSeq = order;
  updates[u.updateId] = {
    updateId: u.updateId,
    name: u.name,
    stage: 'admitted',
    order,
    sequencingEventId: tx.state.nextEventId - 1,
    args: u.args,
    ...(u.header !== undefined && { header: u.header }),
    ...(u.identity !== undefined && { identity: u.identity }),
  };
  tx.state.updates = updates;
}

/** The update's entry if the workflow may still answer it (admitted), else undefined. */
function admitted(tx: RunTx, updateId: string): UpdateEntry | undefined {
  const u = tx.state.updates?.[updateId];
  return u?.stage === 'admitted' ? u : undefined;
}

/** AcceptWorkflowUpdate: WorkflowExecutionUpdateAccepted, with the request. */
export function acceptUpdate(
  tx: RunTx,
  c: CommandOf<'AcceptWorkflowUpdate'>,
  completedEventId: number,
): void {
  const u = admitted(tx, c.updateId);
  if (!u) return; // answered already (a duplicate command): nothing to record
  tx.append({
    type: 'WorkflowExecutionUpdateAccepted',
    updateId: u.updateId,
    name: u.name,
    input: u.args ?? [],
    ...(u.header !== undefined && { header: u.header }),
    ...(u.identity !== undefined && { identity: u.identity }),
    workflowTaskCompletedEventId: completedEventId,
    ...(u.sequencingEventId !== undefined && {
      acceptedRequestSequencingEventId: u.sequencingEventId,
    }),
  });
}

/**
 * RejectWorkflowUpdate: no event (Temporal's rule: a rejected update leaves no trace in history);
 * the rejection stays in the run's state, for the client waiting on it, until newer ones push it
 * out. Sending the same updateId again admits it anew.
 */
export function rejectUpdate(tx: RunTx, c: CommandOf<'RejectWorkflowUpdate'>): void {
  const u = admitted(tx, c.updateId);
  if (!u) return;
  u.stage = 'rejected';
  u.rejection = c.failure;
  delete u.args;
  delete u.header;
  tx.touch();
  const updates = tx.state.updates ?? {};
  const rejected = Object.values(updates)
    .filter((r) => r.stage === 'rejected')
    .sort((a, b) => a.order - b.order);
  for (const old of rejected.slice(0, Math.max(0, rejected.length - KEPT_REJECTIONS))) {
    delete updates[old.updateId];
  }
}

/** CompleteWorkflowUpdate: WorkflowExecutionUpdateCompleted with the handler's outcome. */
export function completeUpdate(
  tx: RunTx,
  c: CommandOf<'CompleteWorkflowUpdate'>,
  completedEventId: number,
): void {
  const u = tx.state.updates?.[c.updateId];
  if (u?.stage !== 'accepted' || u.acceptedEventId === undefined) return;
  tx.append({
    type: 'WorkflowExecutionUpdateCompleted',
    updateId: u.updateId,
    acceptedEventId: u.acceptedEventId,
    outcome: c.outcome,
    workflowTaskCompletedEventId: completedEventId,
  });
}
