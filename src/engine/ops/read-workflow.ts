import * as z from 'zod';
import { IllegalStateError } from '../../errors.ts';
import type { HistoryEvent } from '../../protocol/history-events.ts';
import { RunStatus } from '../../protocol/run-status.ts';
import type { RunRecord } from '../../store/store.ts';
import type {
  ExecutionRef,
  GetHistoryRequest,
  GetHistoryResponse,
  GetWorkflowOutcomeRequest,
  WorkflowDescription,
  WorkflowOutcome,
} from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';
import { engineClosedError, runClosedKey } from '../notifier.ts';
import { parseRunState } from '../run-state.ts';
import { cachedRunningRun, findRunOrThrow } from './find-run.ts';
import { parseRequest } from './parse-request.ts';
import type { AbortSource } from '../../util/linked-signal.ts';

export const RefSchema = z.object({
  namespace: z.string().min(1),
  workflowId: z.string().min(1),
  runId: z.string().optional(),
});

export async function describeWorkflow(
  deps: EngineDeps,
  input: ExecutionRef,
): Promise<WorkflowDescription> {
  const run = await findRunOrThrow(deps, parseRequest(RefSchema, input, 'describe'));
  const s = parseRunState(run.state);
  return {
    workflowId: run.workflowId,
    runId: run.runId,
    workflowType: run.workflowType,
    taskQueue: run.taskQueue,
    status: run.status,
    startTimeMs: run.startTimeMs,
    closeTimeMs: run.closeTimeMs,
    historyLength: run.nextEventId - 1,
    historySizeBytes: s.historySizeBytes,
    mostRecentWorkerBuildId: s.mostRecentWorkerBuildId,
    memo: s.memo,
    searchAttributes: s.searchAttributes,
    pendingActivities: Object.values(s.pendingActivities).map((a) => ({
      activityId: a.activityId,
      activityType: a.activityType,
      state:
        a.cancelRequestedEventId !== undefined
          ? 'CancelRequested'
          : a.phase === 'started'
            ? 'Started'
            : 'Scheduled',
      attempt: a.attempt,
      scheduledTimeMs: a.scheduledTimeMs,
      lastStartedTimeMs: a.startedTimeMs,
      lastHeartbeatTimeMs: a.lastHeartbeatTimeMs,
      heartbeatDetails: a.heartbeatDetails,
      lastFailure: a.lastFailure,
      nextAttemptScheduleTimeMs: a.nextAttemptAtMs,
      priority: { ...a.ownPriority },
    })),
    pendingTimers: Object.values(s.pendingTimers).map((t) => ({
      timerId: t.timerId,
      firesAtMs: t.firesAtMs,
    })),
    lastWorkflowTaskFailure: s.lastWorkflowTaskFailure,
    ...(s.userMetadata !== undefined && { userMetadata: s.userMetadata }),
    priority: { ...s.priority },
  };
}

export const OutcomeSchema = RefSchema.extend({ waitMs: z.number().int().nonnegative() });

/**
 * Waits (real time, up to `waitMs`) for the run to close and returns how it ended; undefined if
 * it is still running then. `signal` is the engine's close: a wait it cuts short fails with
 * Unavailable.
 */
export async function getWorkflowOutcome(
  deps: EngineDeps,
  input: GetWorkflowOutcomeRequest,
  signal?: AbortSource,
): Promise<WorkflowOutcome | undefined> {
  const req = parseRequest(OutcomeSchema, input, 'get workflow result');
  const deadline = Date.now() + req.waitMs;
  // Alone on the store, a run this process has cached as running is running: no read.
  let run =
    (deps.peers.alone() ? cachedRunningRun(deps, req) : undefined) ??
    (await findRunOrThrow(deps, req));
  if (run.status !== RunStatus.Running) return outcomeOf(deps, run);
  const runId = run.runId;
  // Woken by this process's commit that closes the run, or by the close watch (another engine
  // process closed it, or the wake-up came between the read above and this wait).
  const unwatch = deps.closeWatch.watch(run.namespace, runId);
  try {
    for (;;) {
      if (run.status !== RunStatus.Running) return await outcomeOf(deps, run);
      if (signal?.aborted) throw engineClosedError();
      const remaining = deadline - Date.now();
      if (remaining <= 0) return undefined;
      await deps.notifier.wait(runClosedKey(runId), remaining, signal);
      // Closed by this process: its close event is at hand (a closed run never changes).
      const closed = deps.recentCloses.get(runId);
      if (closed !== undefined) return outcomeFromEvent(runId, closed);
      const next = await deps.store.getRun({ runId });
      if (!next) throw new IllegalStateError(`Run ${runId} disappeared.`);
      run = next;
    }
  } finally {
    unwatch();
  }
}

async function outcomeOf(
  deps: EngineDeps,
  run: Pick<RunRecord, 'runId' | 'nextEventId'>,
): Promise<WorkflowOutcome> {
  const [last] = await deps.store.readHistory({
    runId: run.runId,
    fromEventId: run.nextEventId - 1,
  });
  return outcomeFromEvent(run.runId, last);
}

export function outcomeFromEvent(runId: string, e: HistoryEvent | undefined): WorkflowOutcome {
  switch (e?.type) {
    case 'WorkflowExecutionCompleted':
      return {
        status: 'Completed',
        runId,
        result: e.result,
        ...(e.newExecutionRunId !== undefined && { newRunId: e.newExecutionRunId }),
      };
    case 'WorkflowExecutionFailed':
      return {
        status: 'Failed',
        runId,
        failure: e.failure,
        retryState: e.retryState,
        ...(e.newExecutionRunId !== undefined && { newRunId: e.newExecutionRunId }),
      };
    case 'WorkflowExecutionCanceled':
      return { status: 'Canceled', runId, details: e.details ?? [] };
    case 'WorkflowExecutionTerminated':
      return { status: 'Terminated', runId, reason: e.reason };
    case 'WorkflowExecutionTimedOut':
      return {
        status: 'TimedOut',
        runId,
        retryState: e.retryState,
        ...(e.newExecutionRunId !== undefined && { newRunId: e.newExecutionRunId }),
      };
    case 'WorkflowExecutionContinuedAsNew':
      return { status: 'ContinuedAsNew', runId, newRunId: e.newExecutionRunId };
    case undefined:
    case 'WorkflowExecutionStarted':
    case 'WorkflowExecutionCancelRequested':
    case 'WorkflowExecutionSignaled':
    case 'WorkflowTaskScheduled':
    case 'WorkflowTaskStarted':
    case 'WorkflowTaskCompleted':
    case 'WorkflowTaskFailed':
    case 'WorkflowTaskTimedOut':
    case 'ActivityTaskScheduled':
    case 'ActivityTaskStarted':
    case 'ActivityTaskCompleted':
    case 'ActivityTaskFailed':
    case 'ActivityTaskTimedOut':
    case 'ActivityTaskCancelRequested':
    case 'ActivityTaskCanceled':
    case 'TimerStarted':
    case 'TimerFired':
    case 'TimerCanceled':
    case 'MarkerRecorded':
    case 'UpsertWorkflowSearchAttributes':
    case 'WorkflowPropertiesModified':
    case 'StartChildWorkflowExecutionInitiated':
    case 'StartChildWorkflowExecutionFailed':
    case 'ChildWorkflowExecutionStarted':
    case 'ChildWorkflowExecutionCompleted':
    case 'ChildWorkflowExecutionFailed':
    case 'ChildWorkflowExecutionCanceled':
    case 'ChildWorkflowExecutionTerminated':
    case 'ChildWorkflowExecutionTimedOut':
    case 'SignalExternalWorkflowExecutionInitiated':
    case 'ExternalWorkflowExecutionSignaled':
    case 'SignalExternalWorkflowExecutionFailed':
    case 'RequestCancelExternalWorkflowExecutionInitiated':
    case 'ExternalWorkflowExecutionCancelRequested':
    case 'RequestCancelExternalWorkflowExecutionFailed':
    case 'WorkflowExecutionUpdateAccepted':
    case 'WorkflowExecutionUpdateCompleted':
      throw new IllegalStateError(
        `Run ${runId} is closed but its last event is ${e?.type ?? 'missing'}.`,
      );
  }
}

export const HistorySchema = RefSchema.extend({
  fromEventId: z.number().int().positive().optional(),
});

export async function getHistory(
  deps: EngineDeps,
  input: GetHistoryRequest,
): Promise<GetHistoryResponse> {
  const req = parseRequest(HistorySchema, input, 'get history');
  const run = await findRunOrThrow(deps, req);
  const events = await deps.store.readHistory({ runId: run.runId, fromEventId: req.fromEventId });
  return { runId: run.runId, events };
}
