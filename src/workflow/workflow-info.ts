// Sandbox-safe: the shape of `workflowInfo()`, and its plain-data form for sink calls.
import { decodeFailure } from '../failures.ts';
import type { TemporalFailure } from '../failures.ts';
import type { WorkflowInfoData } from '../protocol/activation.ts';
import type { Failure } from '../protocol/failure.ts';
import type { Priority } from '../protocol/priority.ts';
import type { RetryPolicy } from '../protocol/retry-options.ts';
import { typedSearchAttributesOf } from '../protocol/typed-search-attributes.ts';
import type { TypedSearchAttributes } from '../protocol/typed-search-attributes.ts';

/** What a workflow knows about its own run. Temporal's `WorkflowInfo`. */
export interface WorkflowInfo {
  readonly workflowId: string;
  readonly runId: string;
  readonly workflowType: string;
  readonly taskQueue: string;
  readonly namespace: string;
  /** Attempt of this run under the workflow retry policy, from 1. */
  readonly attempt: number;
  readonly firstExecutionRunId: string;
  /** Events in history as of the current workflow task. */
  readonly historyLength: number;
  /**
   * The buildId of the worker that runs the current workflow task (on replay, of the one that
   * ran it, from its WorkflowTaskCompleted); undefined for a worker without one. It may change
   * during a run, but replays the same: safe to branch on. Temporal's `currentBuildId`.
   */
  readonly currentBuildId?: string | undefined;
  /** Bytes of history as of the current workflow task. */
  readonly historySize: number;
  /** True when history grew large enough that the workflow should continue-as-new. */
  readonly continueAsNewSuggested: boolean;
  /**
   * When this run was started (its WorkflowExecutionStarted): a run that continues as new or
   * retries has its own.
   */
  readonly startTime: Date;
  /**
   * When this run's first workflow task started: later than `startTime` by a start delay or a
   * retry's backoff.
   */
  readonly runStartTime: Date;
  readonly memo: Record<string, unknown>;
  readonly searchAttributes: Record<string, unknown>;
  /**
   * The search attributes as typed ones, with the types their values imply (see
   * `TypedSearchAttributes`); an upsert shows at once, as in `searchAttributes`.
   */
  readonly typedSearchAttributes: TypedSearchAttributes;
  readonly executionTimeoutMs: number | undefined;
  readonly runTimeoutMs: number | undefined;
  readonly taskTimeoutMs: number;
  /** The parent workflow, when this run was started as a child. */
  readonly parent: ParentWorkflowInfo | undefined;
  /**
   * The root of a child workflow: the run at the top of its chain of parents (its parent, or its
   * parent's root). `undefined` when the run has no parent, as in Temporal; a retry, cron run or
   * continue-as-new keeps its run's parent and root.
   */
  readonly root?: RootWorkflowInfo | undefined;
  /**
   * The workflow retry policy the run was started with (client `start({ retry })`, a child's
   * `retry`), durations in ms and `maximumAttempts` 0 for unlimited; `undefined` when it has none.
   */
  readonly retryPolicy?: RetryPolicy | undefined;
  /** The run this one continues, after continue-as-new. */
  readonly continuedFromExecutionRunId: string | undefined;
  /**
   * The result of the last run that completed among those started by the same schedule, or of a
   * cron workflow's chain (Temporal's lastCompletionResult); undefined for the first, or when no
   * such run completed. A failed run keeps the previous value. Not carried by workflow retries or
   * continue-as-new (as in Temporal).
   */
  readonly lastResult?: unknown;
  /**
   * The failure the attempt before ended with, when this run retries it under the workflow retry
   * policy, or the failure (or run timeout) of a cron workflow's run before; undefined for a first
   * attempt and after continue-as-new. Temporal's lastFailure.
   */
  readonly lastFailure?: TemporalFailure | undefined;
  /** The cron schedule of a cron workflow (started with `cronSchedule`); undefined otherwise. */
  readonly cronSchedule?: string | undefined;
  /**
   * Ms between this run's start and its first workflow task: for a cron run, the wait for its
   * scheduled time (Temporal's, which reads it from the start's first workflow task backoff, so
   * a start delay or retry backoff shows here too); undefined when there was none.
   */
  readonly cronScheduleToScheduleInterval?: number | undefined;
  /**
   * The run's priority, the fields it sets (a child's own over its parent's, field by field; a
   * retry, cron run or continue-as-new keeps its run's); `{}` when none is set, which is key 3.
   * Temporal's `priority`.
   */
  readonly priority: Priority;
  /** Values that are not deterministic: never branch workflow logic on them. */
  readonly unsafe: {
    /**
     * True while the worker replays history (the code already ran these steps once). A query
     * handler sees the value of the run's last activation: true on a run just rebuilt for it.
     */
    readonly isReplaying: boolean;
    /**
     * True only while history events are replayed: as `isReplaying`, but false in a query
     * handler and an update validator, which are live calls even on a run rebuilt by replay.
     * What decides whether a log line is written or a sink function called; check it is false to
     * act once per thing that really happens. Temporal's `isReplayingHistoryEvents`.
     */
    readonly isReplayingHistoryEvents: boolean;
    /** Workflow time in ms, as `Date.now()`. */
    now(): number;
  };
}

/** The root of a child workflow's chain of parents. Temporal's `RootWorkflowInfo`. */
export interface RootWorkflowInfo {
  readonly workflowId: string;
  readonly runId: string;
}

/** The parent of a child workflow. Temporal's `ParentWorkflowInfo`. */
export interface ParentWorkflowInfo {
  readonly workflowId: string;
  readonly runId: string;
  readonly namespace: string;
}

/**
 * `info` as plain data that crosses the sandbox boundary as JSON (a sink call's info): its Dates
 * as ms, `lastFailure` as `failure` (the Failure it was decoded from), `unsafe` as values.
 */
export function workflowInfoToData(
  info: WorkflowInfo,
  failure: Failure | undefined,
  isReplaying: boolean,
): WorkflowInfoData {
  // typedSearchAttributes is left out: a class does not cross as JSON, and the other side makes it
  // again from searchAttributes.
  const {
    startTime,
    runStartTime,
    lastFailure: _decoded,
    unsafe,
    typedSearchAttributes: _typed,
    ...rest
  } = info;
  return {
    ...rest,
    startTime: startTime.getTime(),
    runStartTime: runStartTime.getTime(),
    lastFailure: failure,
    unsafe: {
      isReplaying,
      isReplayingHistoryEvents: unsafe.isReplayingHistoryEvents,
      now: unsafe.now(),
    },
  };
}

/** The `WorkflowInfo` that {@link workflowInfoToData} made `data` of, built in the caller's realm. */
export function workflowInfoFromData(data: WorkflowInfoData): WorkflowInfo {
  const { startTime, runStartTime, lastFailure, unsafe, ...rest } = data;
  const now = unsafe.now;
  const fields = rest as Omit<
    WorkflowInfo,
    'startTime' | 'runStartTime' | 'lastFailure' | 'unsafe' | 'typedSearchAttributes'
  >;
  let typed: TypedSearchAttributes | undefined;
  return {
    ...fields,
    get typedSearchAttributes() {
      typed ??= typedSearchAttributesOf(fields.searchAttributes);
      return typed;
    },
    startTime: new Date(startTime),
    runStartTime: new Date(runStartTime),
    lastFailure: lastFailure === undefined ? undefined : decodeFailure(lastFailure),
    unsafe: {
      isReplaying: unsafe.isReplaying,
      isReplayingHistoryEvents: unsafe.isReplayingHistoryEvents,
      now: () => now,
    },
  };
}
