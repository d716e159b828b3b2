// How a run begins: its first events, state, task and timers. Shared by start-workflow,
// continue-as-new (the successor run) and child workflows, so every run starts the same way.
import type { Failure } from '../protocol/failure.ts';
import type { WireHeaders } from '../protocol/headers.ts';
import type { ContinueAsNewInitiator } from '../protocol/history-events.ts';
import type { ResolvedRetryPolicy } from '../protocol/retry-policy.ts';
import type { UserMetadata } from '../protocol/user-metadata.ts';
import { mergePriority } from '../protocol/priority.ts';
import type { Priority } from '../protocol/priority.ts';
import { RunStatus } from '../protocol/run-status.ts';
import { mergeSearchAttributes } from '../protocol/search-attributes.ts';
import type { CreateRunRequest, SearchAttributeRegistration } from '../store/store.ts';
import { cronBackoffMs, parseCronSchedule } from './cron-schedule.ts';
import { parseRunState } from './run-state.ts';
import type { RunState } from './run-state.ts';
import { workflowRunTimeoutKey, workflowTaskRetryKey } from './timer-keys.ts';
import { RunTx } from './update-run.ts';
import { recordAdmittedUpdate } from './workflow-updates.ts';
import type { UpdateAdmission } from './workflow-updates.ts';

/** What a new run is started with; timeouts in ms, already validated. */
export interface NewRunSpec {
  namespace: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
  args: unknown[];
  /** Temporal's header, recorded on WorkflowExecutionStarted when set. */
  header?: WireHeaders | undefined;
  workflowTaskTimeoutMs: number;
  firstExecutionRunId: string;
  identity?: string | undefined;
  memo?: Record<string, unknown> | undefined;
  searchAttributes?: Record<string, unknown> | undefined;
  /** The search attributes this start introduces, registered as the run is created. */
  registerSearchAttributes?: SearchAttributeRegistration | undefined;
  workflowExecutionTimeoutMs?: number | undefined;
  workflowRunTimeoutMs?: number | undefined;
  continuedExecutionRunId?: string | undefined;
  /** What started this run, with `continuedExecutionRunId`. */
  initiator?: ContinueAsNewInitiator | undefined;
  parent?:
    { namespace: string; workflowId: string; runId: string; initiatedEventId: number } | undefined;
  /** A child's root (Temporal's rootWorkflowExecution): see {@link childLineage}. */
  root?: { workflowId: string; runId: string } | undefined;
  /** Temporal's startDelay: the first workflow task is scheduled this long after the start. */
  startDelayMs?: number | undefined;
  /** signalWithStart: the signal recorded right after WorkflowExecutionStarted. */
  signal?: { signalName: string; input: unknown[]; header?: WireHeaders | undefined } | undefined;
  /** Update-with-start: the update admitted with the start, which the first workflow task carries. */
  update?: UpdateAdmission | undefined;
  /** The workflow retry policy, carried to every retry (engine/workflow-retry.ts). */
  retryPolicy?: ResolvedRetryPolicy | undefined;
  /** The attempt under the retry policy; default 1. */
  attempt?: number | undefined;
  /**
   * When the whole execution times out, for a run that continues an execution (a retry or
   * continue-as-new). Unset: the execution timeout counts from this run's first workflow task.
   */
  workflowExecutionExpirationTimeMs?: number | undefined;
  /** A retry: the failure of the attempt before. */
  continuedFailure?: Failure | undefined;
  /** A schedule's start: the result of the last run of the schedule that completed. */
  lastCompletionResult?: unknown;
  /**
   * Temporal's cronSchedule, already checked: without a `startDelayMs` (a first run), the first
   * workflow task waits for the schedule's next time.
   */
  cronSchedule?: string | undefined;
  /**
   * The start's `staticSummary` and `staticDetails`: given by a client, a schedule or a parent,
   * and not carried to a retry, a cron run or continue-as-new (Temporal's server does not).
   */
  userMetadata?: UserMetadata | undefined;
  /**
   * The run's priority (compiled: only the fields set): a start's, or a child's own over its
   * parent's. Carried to a retry, a cron run and continue-as-new, as in Temporal.
   */
  priority?: Priority | undefined;
}

/**
 * The parent, root and priority a run that continues `s` (a retry, a cron run, continue-as-new)
 * keeps: as in Temporal, they carry across the chain.
 */
export function keptLineage(s: RunState): Pick<NewRunSpec, 'parent' | 'root' | 'priority'> {
  return { parent: s.parent, root: s.root, priority: s.priority };
}

/**
 * What a child that `parent` starts takes from it: its root, the parent's own root or the parent
 * itself when it is not a child (Temporal's rootWorkflowExecution); and its priority, the child's
 * own (`own`, as its initiated event records it) over the parent's, field by field (Temporal's).
 */
export function childLineage(
  parent: { workflowId: string; runId: string; state: unknown },
  own: Priority | undefined,
): Pick<NewRunSpec, 'root' | 'priority'> {
  const s = parseRunState(parent.state);
  return {
    root: s.root ?? { workflowId: parent.workflowId, runId: parent.runId },
    priority: mergePriority(s.priority, own),
  };
}

/** The longest workflow task timeout Temporal allows. */
const MAX_WORKFLOW_TASK_TIMEOUT_MS = 120_000;

/**
 * Builds a new run: WorkflowExecutionStarted, the first workflow task and the run-timeout timer,
 * as a {@link CreateRunRequest} (written by `store.createRun`, or with `appendToRun` for a
 * continue-as-new successor) and the {@link RunTx} that decided it (for `afterCommit`).
 */
export function buildNewRun(
  spec: NewRunSpec,
  nowMs: number,
  defaultWorkflowTaskTimeoutMs: number,
): { request: CreateRunRequest; tx: RunTx } {
  const delayMs = spec.startDelayMs ?? firstCronRunDelayMs(spec.cronSchedule, nowMs);
  // Temporal's: the run timeout counts from the end of the start delay (or retry backoff); the
  // execution timeout from the start itself, delay included. The execution's expiration is fixed
  // by its first run and kept by later ones, and no run outlives it.
  const expirationMs =
    spec.workflowExecutionExpirationTimeMs ??
    (spec.workflowExecutionTimeoutMs === undefined
      ? undefined
      : nowMs + spec.workflowExecutionTimeoutMs);
  const { runTimeoutMs, taskTimeoutMs } = recordedTimeouts(spec);
  const runDeadlineMs = minDefined(
    runTimeoutMs === undefined ? undefined : nowMs + delayMs + runTimeoutMs,
    expirationMs,
  );
  const state: RunState = {
    namespace: spec.namespace,
    workflowId: spec.workflowId,
    runId: spec.runId,
    workflowType: spec.workflowType,
    taskQueue: spec.taskQueue,
    status: RunStatus.Running,
    startTimeMs: nowMs,
    nextEventId: 1,
    historySizeBytes: 0,
    workflowTaskTimeoutMs: taskTimeoutMs,
    memo: {},
    searchAttributes: {},
    previousStartedEventId: 0,
    eventsWhileTaskStarted: false,
    workflowTaskFailures: 0,
    pendingActivities: {},
    pendingTimers: {},
    timers: {},
    cancelRequested: false,
    // A start delay holds the first workflow task back as a backoff would: events that arrive
    // meanwhile (signals) are recorded but schedule no task; the retry timer below schedules it.
    ...(delayMs > 0 && { workflowTaskBackoffAttempt: 1 }),
  };
  const record = {
    namespace: spec.namespace,
    workflowId: spec.workflowId,
    runId: spec.runId,
    workflowType: spec.workflowType,
    taskQueue: spec.taskQueue,
    status: RunStatus.Running,
    startTimeMs: nowMs,
    closeTimeMs: undefined,
    nextEventId: 1,
    version: 0,
    state,
  };
  const tx = new RunTx(record, nowMs, state);
  tx.append({
    type: 'WorkflowExecutionStarted',
    workflowId: spec.workflowId,
    workflowType: spec.workflowType,
    taskQueue: spec.taskQueue,
    input: spec.args,
    ...(spec.header !== undefined && { header: spec.header }),
    attempt: spec.attempt ?? 1,
    firstExecutionRunId: spec.firstExecutionRunId,
    ...(spec.runId !== spec.firstExecutionRunId && { originalExecutionRunId: spec.runId }),
    workflowTaskTimeoutMs: taskTimeoutMs,
    ...(spec.workflowExecutionTimeoutMs !== undefined && {
      workflowExecutionTimeoutMs: spec.workflowExecutionTimeoutMs,
    }),
    ...(runTimeoutMs !== undefined && { workflowRunTimeoutMs: runTimeoutMs }),
    ...(spec.memo !== undefined && { memo: spec.memo }),
    // A null or empty-array value means "unset": it is not recorded.
    ...(spec.searchAttributes !== undefined && {
      searchAttributes: mergeSearchAttributes({}, spec.searchAttributes),
    }),
    ...(spec.identity !== undefined && { identity: spec.identity }),
    ...(spec.continuedExecutionRunId !== undefined && {
      continuedExecutionRunId: spec.continuedExecutionRunId,
    }),
    ...(spec.initiator !== undefined && { initiator: spec.initiator }),
    ...(spec.parent !== undefined && { parent: spec.parent }),
    ...(spec.root !== undefined && { rootWorkflowExecution: spec.root }),
    ...(delayMs > 0 && { firstWorkflowTaskBackoffMs: delayMs }),
    ...(spec.retryPolicy !== undefined && { retryPolicy: spec.retryPolicy }),
    ...(expirationMs !== undefined && { workflowExecutionExpirationTimeMs: expirationMs }),
    ...(spec.continuedFailure !== undefined && { continuedFailure: spec.continuedFailure }),
    ...(spec.lastCompletionResult !== undefined && {
      lastCompletionResult: spec.lastCompletionResult,
    }),
    ...(spec.cronSchedule !== undefined && { cronSchedule: spec.cronSchedule }),
    ...(spec.userMetadata !== undefined && { userMetadata: spec.userMetadata }),
    ...(spec.priority !== undefined && { priority: spec.priority }),
  });
  if (spec.signal !== undefined) {
    tx.append({
      type: 'WorkflowExecutionSignaled',
      signalName: spec.signal.signalName,
      input: spec.signal.input,
      ...(spec.signal.header !== undefined && { header: spec.signal.header }),
      ...(spec.identity !== undefined && { identity: spec.identity }),
    });
  }
  if (spec.update !== undefined) recordAdmittedUpdate(tx, spec.update);
  if (delayMs > 0) {
    tx.setTimer(workflowTaskRetryKey(), nowMs + delayMs, { kind: 'workflowTaskRetry', attempt: 1 });
  }
  if (runDeadlineMs !== undefined) {
    tx.setTimer(workflowRunTimeoutKey(), runDeadlineMs, { kind: 'workflowRunTimeout' });
  }
  tx.finish(defaultWorkflowTaskTimeoutMs);
  return {
    request: {
      run: {
        ...record,
        nextEventId: tx.state.nextEventId,
        state: tx.state,
        searchAttributes: tx.state.searchAttributes,
        memo: tx.state.memo,
        executionTimeMs: nowMs + delayMs,
      },
      events: tx.events,
      tasks: tx.tasks,
      timers: tx.timers,
      ...(spec.registerSearchAttributes !== undefined && {
        registerSearchAttributes: spec.registerSearchAttributes,
      }),
    },
    tx,
  };
}

/**
 * The run and workflow task timeouts a new run records, as Temporal's server records them for
 * every new run (a start, a child, a continue-as-new): an unset run timeout is the execution
 * timeout and none is longer than it; the task timeout is at most the run timeout, and at most
 * Temporal's maximum, 2 minutes. What `workflowInfo()` shows; the run's deadline is the same
 * either way.
 */
export function recordedTimeouts(timeouts: {
  workflowTaskTimeoutMs: number;
  workflowRunTimeoutMs?: number | undefined;
  workflowExecutionTimeoutMs?: number | undefined;
}): { runTimeoutMs: number | undefined; taskTimeoutMs: number } {
  const runTimeoutMs = minDefined(
    timeouts.workflowRunTimeoutMs,
    timeouts.workflowExecutionTimeoutMs,
  );
  const taskMs = Math.min(timeouts.workflowTaskTimeoutMs, MAX_WORKFLOW_TASK_TIMEOUT_MS);
  return {
    runTimeoutMs,
    taskTimeoutMs: runTimeoutMs === undefined ? taskMs : Math.min(taskMs, runTimeoutMs),
  };
}

/** Temporal's: a cron workflow's first run starts at the schedule's first time after its start. */
function firstCronRunDelayMs(cronSchedule: string | undefined, nowMs: number): number {
  if (cronSchedule === undefined) return 0;
  return cronBackoffMs(parseCronSchedule(cronSchedule), nowMs, nowMs) ?? 0;
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/**
 * True while a run waits out its start delay: no workflow task yet, the retry timer set by
 * {@link buildNewRun} pending. (Backoffs after task failures start at attempt 2.)
 */
export function isStartDelayed(tx: RunTx): boolean {
  return tx.state.workflowTaskBackoffAttempt === 1 && tx.state.previousStartedEventId === 0;
}

/** Temporal: a signalWithStart during the start delay dispatches the first task at once. */
export function skipStartDelay(tx: RunTx): void {
  // A retry's backoff (attempt 2 and later) is the retry policy's, not a start delay: it holds;
  // so does a cron run's wait for its time.
  if ((tx.state.attempt ?? 1) > 1 || tx.state.cron !== undefined) return;
  skipFirstTaskBackoff(tx);
}

/**
 * Dispatches the first workflow task of a run waiting for it — out its start delay, its retry
 * backoff or its cron time — at once. Temporal's server does so for an update: it schedules a
 * workflow task to deliver it whatever the run waits for (the backoff timer then finds the task
 * there and does nothing). Test: test/e2e/workflow-retry.test.ts.
 */
export function skipFirstTaskBackoff(tx: RunTx): void {
  if (!isStartDelayed(tx)) return;
  tx.deleteTimer(workflowTaskRetryKey());
  tx.scheduleWorkflowTask(1, tx.state.workflowTaskTimeoutMs);
}
