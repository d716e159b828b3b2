// Local activities within one workflow task (Temporal's model). Live, the worker runs what an
// activation requests and feeds each outcome back as a resolveLocalActivity job, one per
// activation, until none is left; the workflow records each outcome as a marker. On replay the
// same sequence of activations is rebuilt from those markers, so the activity never runs again.
import { isCloseCommand } from '../protocol/commands.ts';
import type { Command } from '../protocol/commands.ts';
import type {
  ActivationJob,
  SandboxActivationResult,
  WithdrawnCommand,
} from '../protocol/activation.ts';
import type { EventOf, HistoryEvent } from '../protocol/history-events.ts';
import { LOCAL_ACTIVITY_MARKER, LocalActivityMarkerDetails } from '../protocol/local-activity.ts';
import type { LocalActivityRequest, LocalActivityRequests } from '../protocol/local-activity.ts';
import { ApplicationFailure, encodeFailure } from '../failures.ts';
import { SETTLED_BY_WORKFLOW, WORKER_SHUTDOWN } from './activities/local-activity-executor.ts';
import type {
  LocalActivityExecutor,
  LocalActivityRunContext,
} from './activities/local-activity-executor.ts';
import type { RunActivationResult, WorkflowRun } from './workflow-run.ts';

/** True for the marker of a local activity's outcome. */
export function isLocalActivityMarker(e: HistoryEvent): e is EventOf<'MarkerRecorded'> {
  return e.type === 'MarkerRecorded' && e.markerName === LOCAL_ACTIVITY_MARKER;
}

/**
 * The local-activity markers a completed workflow task recorded, in order: the outcomes the
 * replay delivers to the code, one per activation, as the live task did. Patch markers (such as
 * the one a settled cancellation recorded before its own marker, before internal rules were
 * flags) are not among them: they reach the code first, as notifyHasPatch jobs of the task's
 * first activation, as the task's flags do.
 */
export function localActivityMarkersAfter(
  events: readonly HistoryEvent[],
  completed: EventOf<'WorkflowTaskCompleted'>,
): LocalActivityMarkerDetails[] {
  const markers: LocalActivityMarkerDetails[] = [];
  for (const e of events) {
    if (e.eventId <= completed.eventId) continue;
    if (e.type === 'WorkflowTaskStarted') break;
    if (isLocalActivityMarker(e) && e.workflowTaskCompletedEventId === completed.eventId) {
      markers.push(LocalActivityMarkerDetails.parse(e.details));
    }
  }
  return markers;
}

/** The result of replaying one task's local activities: more commands, or a mismatch. */
export type LocalActivityReplay =
  | { status: 'success'; result: SandboxActivationResult }
  | { status: 'nonDeterminism'; message: string }
  | { status: 'failed'; result: SandboxActivationResult };

/**
 * Replays the local activities of a completed task: after the task's first activation, each
 * marker in history order resolves the call with its seq in an activation of its own, except the
 * marker of a call the code settled itself (a TRY_CANCEL or ABANDON cancel), which the code
 * records again as it replays. A marker
 * for a call the code did not make, a call of another activity type at that seq, or a call
 * history has no marker for, is non-determinism.
 */
export function replayLocalActivities(
  first: Extract<SandboxActivationResult, { status: 'success' }>,
  markers: readonly LocalActivityMarkerDetails[],
  activate: (job: ActivationJob) => SandboxActivationResult,
): LocalActivityReplay {
  const commands: Command[] = [...first.commands];
  const logs = [...first.logs];
  const pending = new Map<number, LocalActivityRequest>();
  // Calls the code settled itself (TRY_CANCEL, ABANDON): it issued their markers again.
  const settled = new Set<number>();
  const track = (requests: LocalActivityRequests | undefined): void => {
    for (const r of requests?.schedule ?? []) pending.set(r.seq, r);
    for (const seq of requests?.settled ?? []) {
      pending.delete(seq);
      settled.add(seq);
    }
  };
  track(first.localActivities);
  for (const marker of markers) {
    if (commands.some(isCloseCommand)) break;
    if (settled.delete(marker.seq)) continue;
    const request = pending.get(marker.seq);
    if (request?.activityType !== marker.activityType) {
      return {
        status: 'nonDeterminism',
        message:
          `Non-determinism: history has a local activity marker (activityType '${marker.activityType}', seq ${marker.seq}) ` +
          `but the workflow code ${request === undefined ? `made no local activity call with seq ${marker.seq}` : `called local activity '${request.activityType}' at seq ${marker.seq}`}. ` +
          'Did the workflow code change while this run was in flight? Use patched() to branch, or deploy the old code.',
      };
    }
    pending.delete(marker.seq);
    const next = activate({ type: 'resolveLocalActivity', seq: marker.seq, marker });
    logs.push(...next.logs);
    if (next.status === 'failed') return { status: 'failed', result: { ...next, logs } };
    withdrawCommands(commands, next.withdrawnCommands);
    commands.push(...next.commands);
    track(next.localActivities);
  }
  const unresolved = [...pending.values()][0];
  if (unresolved !== undefined && !commands.some(isCloseCommand)) {
    return {
      status: 'nonDeterminism',
      message:
        `Non-determinism: the workflow code called local activity '${unresolved.activityType}' (seq ${unresolved.seq}) ` +
        'but history has no marker for it in that workflow task. ' +
        'Did the workflow code change while this run was in flight? Use patched() to branch, or deploy the old code.',
    };
  }
  return { status: 'success', result: { status: 'success', commands, logs } };
}

/**
 * Answers the live part of a workflow task that requested local activities: runs them
 * concurrently, delivers each outcome to the run as it ends (one activation each, the order
 * history will record), starts what those activations request, aborts what they cancel, stops
 * waiting for what they settled themselves (TRY_CANCEL, ABANDON; no further attempt of those
 * starts), and returns every command of
 * the task. Stops at a close command (aborting what still runs: its
 * outcome is never recorded) or a failed activation. When the worker shuts down (once its
 * `shutdownGraceTime` has passed), cancels what still runs (WORKER_SHUTDOWN) and fails the task,
 * recording nothing: the engine schedules it again at once, for another worker (Temporal's).
 */
export async function runLocalActivities(
  run: WorkflowRun,
  first: Extract<RunActivationResult, { status: 'success' }>,
  executor: LocalActivityExecutor,
  context: LocalActivityRunContext,
): Promise<RunActivationResult> {
  const commands: Command[] = [...first.commands];
  const logs = [...first.logs];
  let sdkFlags = first.sdkFlags;
  const running = new Map<
    number,
    {
      request: LocalActivityRequest;
      controller: AbortController;
      done: Promise<LocalActivityMarkerDetails>;
    }
  >();
  const apply = (requests: LocalActivityRequests | undefined): RunActivationResult | undefined => {
    for (const request of requests?.schedule ?? []) {
      if (!executor.registers(request.activityType)) return notRegistered(request, logs);
    }
    for (const request of requests?.schedule ?? []) {
      const controller = new AbortController();
      running.set(request.seq, {
        request,
        controller,
        done: executor.execute(request, context, controller.signal),
      });
    }
    for (const seq of requests?.cancel ?? []) running.get(seq)?.controller.abort();
    // Settled by the code (TRY_CANCEL, ABANDON): the task no longer waits for them, and no
    // further attempt starts (an ABANDONed attempt still running is left to finish).
    for (const seq of requests?.settled ?? []) {
      running.get(seq)?.controller.abort(SETTLED_BY_WORKFLOW);
      running.delete(seq);
    }
    return undefined;
  };
  const abortAll = (reason?: unknown): void => {
    for (const r of running.values()) r.controller.abort(reason);
  };
  // When the worker shuts down, what still runs is cancelled and the task is given up.
  const unregister = executor.onShutdown(() => {
    abortAll(WORKER_SHUTDOWN);
  });
  try {
    const calls = first.localActivities?.schedule ?? [];
    if (executor.isShutDown() && calls.length > 0) return givenUpAtShutdown(calls, logs);
    const refused = apply(first.localActivities);
    if (refused !== undefined) return refused;
    while (running.size > 0 && !commands.some(isCloseCommand)) {
      const marker = await Promise.race([...running.values()].map((r) => r.done));
      if (executor.isShutDown()) return givenUpAtShutdown([...running.values()], logs);
      running.delete(marker.seq);
      const next = await run.resolveLocalActivity(marker);
      logs.push(...next.logs);
      if (next.status === 'failed') {
        abortAll();
        return { ...next, logs };
      }
      withdrawCommands(commands, next.withdrawnCommands);
      commands.push(...next.commands);
      if (next.sdkFlags !== undefined) sdkFlags = [...(sdkFlags ?? []), ...next.sdkFlags];
      const more = next.localActivities?.schedule ?? [];
      // Shut down meanwhile: a task left waiting for local activities is given up.
      if (
        executor.isShutDown() &&
        !commands.some(isCloseCommand) &&
        (running.size > 0 || more.length > 0)
      ) {
        return givenUpAtShutdown([...running.values(), ...more], logs);
      }
      const notRun = apply(next.localActivities);
      if (notRun !== undefined) {
        abortAll();
        return notRun;
      }
    }
    abortAll();
    return { status: 'success', commands, logs, sdkFlags };
  } finally {
    unregister();
  }
}

/**
 * The worker shut down while the task waited for local activities (`calls`): the task fails, so
 * that the engine schedules it again at once and another worker (or this one, restarted) runs
 * them anew, as in Temporal. Nothing is recorded for them, not even for those that ended earlier
 * in the task: the task's commands are dropped with it, and those run again. Temporal's core can
 * record the ones that ended and let the rest run on in a later task; here a completed task must
 * hold a marker for every call its code made (replayLocalActivities), so that would take a
 * recorded rule carrying calls across tasks and a forced next task, which Reprise lacks.
 */
function givenUpAtShutdown(
  calls: readonly (LocalActivityRequest | { request: LocalActivityRequest })[],
  logs: RunActivationResult['logs'],
): RunActivationResult {
  const names = calls
    .map((c) => ('request' in c ? c.request : c))
    .map((r) => `'${r.activityType}' (seq ${r.seq})`)
    .join(', ');
  const error = ApplicationFailure.retryable(
    `Worker is shutting down and the local activities this workflow task waited for did not complete in time (shutdownGraceTime): ${names}. ` +
      'They were cancelled and nothing was recorded for them; the workflow task is retried, by another worker or after the restart.',
    'WorkerShutdown',
  );
  return {
    status: 'failed',
    cause: 'WorkflowError',
    failure: encodeFailure(error),
    logs,
    evict: true,
    workerShutdown: true,
  };
}

/**
 * Drops from a task's commands those that a later activation of the task withdrew
 * (`withdrawnCommands`: cancelled before the task was answered, as a child's start, a timer, an
 * activity or a signal to another workflow).
 */
export function withdrawCommands(
  commands: Command[],
  withdrawn: readonly WithdrawnCommand[] | undefined,
): void {
  for (const { type, seq } of withdrawn ?? []) {
    const i = commands.findIndex((c) => c.type === type && 'seq' in c && c.seq === seq);
    if (i !== -1) commands.splice(i, 1);
  }
}

/**
 * A live call of a local activity this worker does not register fails the workflow task, as in
 * Temporal (whose workflow code throws a ReferenceError at the call): the engine retries the
 * task, which a worker that registers the type (a newer one on the same queue) can complete.
 * Nothing is recorded for the call. On replay its markers resolve it: the worker's activities
 * are not consulted.
 */
function notRegistered(
  request: LocalActivityRequest,
  logs: RunActivationResult['logs'],
): RunActivationResult {
  const error = new ReferenceError(
    `Local activity of type '${request.activityType}' not registered on worker. ` +
      "Add it to the worker's activities, or fix the name in proxyLocalActivities; the workflow task is retried.",
  );
  return {
    status: 'failed',
    cause: 'WorkflowError',
    failure: encodeFailure(error),
    logs,
    evict: true,
  };
}
