/**
 * Acting on a schedule when its timer comes due (or a run it started closes). Two phases, each a
 * compare-and-set on the schedule row:
 *
 * 1. **Decide.** Look up which of its running workflows have closed (pausing on a failure with
 *    pauseOnFailure), move the spec times that came due since `lastProcessedMs` into the buffer
 *    (or count them missed past the catch-up window), apply the overlap policies, and commit the
 *    chosen starts into the row's outbox (`info.starting`), with each one's workflow id fixed.
 *    Only one writer can advance `lastProcessedMs` past a time, so each scheduled time is decided
 *    once, however many engines share the store.
 * 2. **Carry out.** Start the outbox's workflows through the start-workflow op, then commit their
 *    runs as taken. A crash in between leaves the outbox in the row and its timer due
 *    OUTBOX_RETRY_MS later; the retry finds a run already started by the first try (by the run
 *    id the action chose when it was decided) and records that one instead of starting another.
 *
 * Timers never fire early (contract 3), and a time is taken only once it is due on the engine
 * clock. Tests: test/e2e/schedules.test.ts.
 */
import { ErrorCode, RepriseError, ScheduleNotFoundError, ensureError } from '../../../errors.ts';
import { SCHEDULED_BY_ID, SCHEDULED_START_TIME } from '../../../protocol/schedules.ts';
import type { PendingStart, ScheduleActionResult } from '../../../protocol/schedules.ts';
import { RunStatus } from '../../../protocol/run-status.ts';
import type { TimerPayload } from '../../../protocol/tasks.ts';
import type { RunRecord, ScheduleRecord, TimerRecord } from '../../../store/store.ts';
import type { EngineDeps } from '../../deps.ts';
import {
  IDLE_RETENTION_MS,
  RECENT_ACTIONS,
  collectBackfills,
  collectDueTimes,
  idleDeadline,
  takeStarts,
} from '../../schedules/schedule-decisions.ts';
import { compileStoredSpec } from '../../schedules/schedule-spec.ts';
import { cancelWorkflow, terminateWorkflow } from '../cancel-workflow.ts';
import { startWorkflow } from '../start-workflow.ts';
import { mutateSchedule, scheduleTimerRef } from './schedule-writes.ts';

/** Errors that starting the same workflow again would meet again: the start is dropped. */
const PERMANENT_START_ERRORS = new Set<string>([
  ErrorCode.UnknownWorkflowType,
  ErrorCode.InvalidArgument,
  ErrorCode.PayloadTooLarge,
  ErrorCode.NamespaceNotFound,
]);

/** A schedule's timer came due: `scheduleDue` (its own wake-up) or `scheduleRunClosed`. */
export async function scheduleTimerDue(
  deps: EngineDeps,
  timer: TimerRecord,
  p: Extract<TimerPayload, { kind: 'scheduleDue' | 'scheduleRunClosed' }>,
): Promise<void> {
  try {
    await processSchedule(deps, p.namespace, p.scheduleId);
  } catch (e) {
    if (!(e instanceof ScheduleNotFoundError)) throw e;
  }
  // The schedule's own timer was rewritten (or deleted) with the row; a close notice is done.
  const own = scheduleTimerRef(p.namespace, p.scheduleId);
  if (p.kind === 'scheduleRunClosed' || timer.runId !== own.runId) {
    await deps.store.deleteTimer({ runId: timer.runId, key: timer.key });
  } else if ((await deps.store.getSchedule(p)) === undefined) {
    await deps.store.deleteTimer(own);
  }
}

/**
 * Both phases; see the module comment. An idle schedule past its retention is deleted instead.
 * Throws `ScheduleNotFoundError` if it was deleted.
 */
export async function processSchedule(
  deps: EngineDeps,
  namespace: string,
  scheduleId: string,
): Promise<void> {
  if (await deleteIfIdle(deps, namespace, scheduleId)) return;
  const pass = { more: false };
  const decided = await mutateSchedule(deps, namespace, scheduleId, async (s, nowMs) => {
    await refreshRunning(deps, s);
    const spec = compileStoredSpec(s);
    pass.more = collectDueTimes(s, spec, nowMs);
    collectBackfills(s, spec);
    takeStarts(s, nowMs);
  });
  if (decided.info.starting.length > 0 || decided.info.stopRunning !== undefined) {
    await carryOut(deps, decided);
  }
  if (pass.more) await processSchedule(deps, namespace, scheduleId);
}

/**
 * Deletes the schedule if it has been idle for IDLE_RETENTION_MS (Temporal's scheduler closes such
 * a schedule, which is then not found), unless it changed since it was read: a concurrent update
 * may have made it able to act again. Returns whether it was deleted. Runs it started keep
 * running, as after `delete()`. Test: test/e2e/schedule-idle.test.ts.
 */
async function deleteIfIdle(
  deps: EngineDeps,
  namespace: string,
  scheduleId: string,
): Promise<boolean> {
  const s = await deps.store.getSchedule({ namespace, scheduleId });
  if (s === undefined) return false;
  const deadline = idleDeadline(s, compileStoredSpec(s));
  if (deadline === undefined || deadline > deps.clock.now()) return false;
  const deleted = await deps.store.deleteSchedule({
    namespace,
    scheduleId,
    deleteTimers: [scheduleTimerRef(namespace, scheduleId)],
    expectedVersion: s.version,
  });
  if (deleted) {
    deps.logger.info(
      { namespace, scheduleId, idleSinceMs: deadline - IDLE_RETENTION_MS },
      'a schedule that could take no more actions was deleted after 7 days idle, as Temporal closes one',
    );
  }
  return deleted;
}

/**
 * Drops the running workflows that closed; with pauseOnFailure, a failed one pauses. The result
 * of one that completed becomes the schedule's lastCompletionResult (Temporal's scheduler keeps
 * the previous one when a run fails). Test: test/e2e/last-result.test.ts.
 */
async function refreshRunning(deps: EngineDeps, s: ScheduleRecord): Promise<void> {
  const still: ScheduleActionResult[] = [];
  let lastCompletedAtMs = -1;
  for (const r of s.info.running) {
    // The latest run of the id: a workflow that continued as new is still the same action.
    const run = await deps.store.findRun({ namespace: s.namespace, workflowId: r.workflowId });
    if (run === undefined) continue;
    if (run.status === RunStatus.Running) {
      still.push(r);
      continue;
    }
    const closingEvent = async () =>
      (await deps.store.readHistory({ runId: run.runId, fromEventId: run.nextEventId - 1 }))[0];
    if (run.status === RunStatus.Completed && (run.closeTimeMs ?? 0) >= lastCompletedAtMs) {
      lastCompletedAtMs = run.closeTimeMs ?? 0;
      const closed = await closingEvent();
      if (closed?.type === 'WorkflowExecutionCompleted') {
        if (closed.result === undefined) delete s.info.lastCompletionResult;
        else s.info.lastCompletionResult = closed.result;
      }
    }
    // As in Temporal: a pause (and its note) already there is left as it is.
    if (s.policies.pauseOnFailure && !s.state.paused) {
      if (run.status === RunStatus.Failed) {
        const closed = await closingEvent();
        const message = closed?.type === 'WorkflowExecutionFailed' ? closed.failure.message : '';
        s.state.paused = true;
        s.state.note = `paused due to workflow failure: ${r.workflowId}: ${message}`;
      } else if (run.status === RunStatus.TimedOut) {
        s.state.paused = true;
        s.state.note = `paused due to workflow timeout: ${r.workflowId}`;
      }
    }
  }
  s.info.running = still;
}

/** Phase 2: stops the running workflows if asked, starts the outbox, commits the results. */
async function carryOut(deps: EngineDeps, s: ScheduleRecord): Promise<void> {
  const stop = s.info.stopRunning;
  if (stop !== undefined) {
    for (const r of s.info.running) {
      const ref = {
        namespace: s.namespace,
        workflowId: r.workflowId,
        reason: `${stop === 'cancel' ? 'cancelled' : 'terminated'} by schedule '${s.scheduleId}' overlap policy`,
        identity: `schedule:${s.scheduleId}`,
      };
      try {
        if (stop === 'cancel') await cancelWorkflow(deps, ref);
        else await terminateWorkflow(deps, ref);
      } catch (e) {
        // Closed meanwhile: nothing to stop. Anything else is retried by the next pass.
        if (!(e instanceof RepriseError && e.code === ErrorCode.WorkflowNotFound)) throw e;
      }
    }
  }
  const results = new Map<string, ScheduleActionResult | undefined>();
  for (const p of s.info.starting) {
    // Two actions in one second (triggers) share a workflow id: the first starts, the rest are
    // dropped below, as a start of a running workflow id is.
    if (results.has(p.workflowId)) {
      deps.logger.warn(
        { scheduleId: s.scheduleId, workflowId: p.workflowId },
        'a schedule action in the same second as another shares its workflow id; it is dropped',
      );
      continue;
    }
    results.set(p.workflowId, await startOne(deps, s, p));
  }
  await mutateSchedule(
    deps,
    s.namespace,
    s.scheduleId,
    (fresh) => {
      if (stop !== undefined && fresh.info.stopRunning === stop) delete fresh.info.stopRunning;
      const left: PendingStart[] = [];
      const counted = new Set<string>();
      for (const p of fresh.info.starting) {
        if (!results.has(p.workflowId)) {
          left.push(p);
          continue;
        }
        const taken = results.get(p.workflowId);
        // Could not be started, or another action of this pass started its workflow id: dropped.
        if (taken === undefined || counted.has(p.workflowId)) continue;
        counted.add(p.workflowId);
        fresh.info.numActionsTaken += 1;
        fresh.info.recentActions = [...fresh.info.recentActions, taken].slice(-RECENT_ACTIONS);
        if (p.overlapping !== true) fresh.info.running.push(taken);
      }
      fresh.info.starting = left;
    },
    // Buffered starts wait for a run to close; look again at once, in case one already has
    // (a terminated one has). A cancelled one closes later, and its close wakes the schedule:
    // looking again at once would only spin until then.
    { wakeNow: s.info.buffered.length > 0 && stop !== 'cancel' },
  );
}

/**
 * Starts one decided action, or finds the run an earlier try started. Returns undefined when the
 * start can never succeed (unknown workflow type, bad input): it is dropped and logged.
 */
async function startOne(
  deps: EngineDeps,
  s: ScheduleRecord,
  p: PendingStart,
): Promise<ScheduleActionResult | undefined> {
  const existing = await ownRun(deps, s, p);
  if (existing !== undefined) return taken(p, existing.runId, existing.startTimeMs);
  const a = s.action;
  const scheduledAt = new Date(Math.floor(p.nominalMs / 1000) * 1000).toISOString();
  try {
    const { runId } = await startWorkflow(
      deps,
      {
        namespace: s.namespace,
        workflowId: p.workflowId,
        workflowType: a.workflowType,
        taskQueue: a.taskQueue,
        args: a.args,
        header: a.header,
        identity: `schedule:${s.scheduleId}`,
        memo: a.memo,
        searchAttributes: a.searchAttributes,
        searchAttributeTypes: a.searchAttributeTypes,
        workflowExecutionTimeoutMs: a.workflowExecutionTimeoutMs,
        workflowRunTimeoutMs: a.workflowRunTimeoutMs,
        workflowTaskTimeoutMs: a.workflowTaskTimeoutMs,
        retry: a.retry,
        userMetadata: a.userMetadata,
        priority: a.priority,
        // An ALLOW_ALL run has no "previous run" (Temporal's).
        lastCompletionResult: p.overlapping === true ? undefined : s.info.lastCompletionResult,
        // A scheduled time runs once, even if an earlier try's run has closed (Temporal's rule);
        // triggers may repeat a second, so they allow a closed run's id to be used again.
        workflowIdReusePolicy: p.manual ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
      },
      // The engine's own, over any of the action's of the same name (close-effects.ts reads
      // TemporalScheduledById to tell the schedule when the run closes).
      {
        systemSearchAttributes: {
          [SCHEDULED_START_TIME]: scheduledAt,
          [SCHEDULED_BY_ID]: s.scheduleId,
        },
        runId: p.runId,
      },
    );
    return taken(p, runId, deps.clock.now());
  } catch (e) {
    const err = ensureError(e);
    if (err instanceof RepriseError && err.code === ErrorCode.WorkflowAlreadyStarted) {
      // Started by this action (a try racing another engine's): taken. Another's run (an
      // earlier action in the same second): the action is dropped, as Temporal drops a start
      // that finds its id running.
      const run = await ownRun(deps, s, p);
      if (run !== undefined) return taken(p, run.runId, run.startTimeMs);
      deps.logger.warn(
        { scheduleId: s.scheduleId, workflowId: p.workflowId },
        'a schedule action found its workflow id running (an earlier action in the same second); it is dropped',
      );
      return undefined;
    }
    if (err instanceof RepriseError && PERMANENT_START_ERRORS.has(err.code)) {
      deps.logger.error(
        { err, scheduleId: s.scheduleId, workflowId: p.workflowId },
        'a schedule could not start its workflow; the action is dropped',
      );
      return undefined;
    }
    throw err;
  }
}

/**
 * The run this action started, if an earlier try (or another engine's) started it: the run of
 * the id it chose. An action decided before actions chose their run's id takes the latest run of
 * its workflow id started since it was decided.
 */
async function ownRun(
  deps: EngineDeps,
  s: ScheduleRecord,
  p: PendingStart,
): Promise<RunRecord | undefined> {
  if (p.runId !== undefined) return deps.store.getRun({ runId: p.runId });
  const run = await deps.store.findRun({ namespace: s.namespace, workflowId: p.workflowId });
  return run !== undefined && run.startTimeMs >= p.decidedAtMs ? run : undefined;
}

function taken(p: PendingStart, runId: string, takenAtMs: number): ScheduleActionResult {
  return { scheduledAtMs: p.actualMs, takenAtMs, workflowId: p.workflowId, runId };
}
