// Sandbox-safe types only: the host ↔ sandbox messages of the workflow runtime.
import type { Command } from './commands.ts';
import type { Failure } from './failure.ts';
import type { WireHeaders } from './headers.ts';
import type { Priority } from './priority.ts';
import type { RetryPolicy } from './retry-options.ts';
import type { LocalActivityMarkerDetails, LocalActivityRequests } from './local-activity.ts';

/** What the workflow sees as `workflowInfo()`, minus the parts filled per activation. */
export interface WorkflowStartInfo {
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
  namespace: string;
  attempt: number;
  firstExecutionRunId: string;
  /** This run's WorkflowExecutionStarted (a continued or retried run has its own). */
  startTimeMs: number;
  memo: Record<string, unknown>;
  searchAttributes: Record<string, unknown>;
  workflowExecutionTimeoutMs: number | undefined;
  workflowRunTimeoutMs: number | undefined;
  workflowTaskTimeoutMs: number;
  /** The parent, when this run was started as a child workflow. */
  parent?: { namespace: string; workflowId: string; runId: string } | undefined;
  /** A child's root: the run at the top of its chain of parents (absent for a run with none). */
  root?: { workflowId: string; runId: string } | undefined;
  /** The workflow retry policy the run was started with, durations in ms. */
  retryPolicy?: RetryPolicy | undefined;
  /** The run this one continues, after continue-as-new. */
  continuedFromExecutionRunId?: string | undefined;
  /** The result of the schedule's last completed run (WorkflowExecutionStarted lastCompletionResult). */
  lastResult?: unknown;
  /** A retry: the failure of the attempt before (WorkflowExecutionStarted continuedFailure). */
  lastFailure?: Failure | undefined;
  /** A cron workflow's schedule (WorkflowExecutionStarted cronSchedule). */
  cronSchedule?: string | undefined;
  /** WorkflowExecutionStarted firstWorkflowTaskBackoffMs: the wait before this run's first task. */
  firstWorkflowTaskBackoffMs?: number | undefined;
  /** WorkflowExecutionStarted priority: the run's, the fields it sets. */
  priority?: Priority | undefined;
}

export type ActivityResolution =
  | { status: 'completed'; result: unknown }
  | { status: 'failed'; failure: Failure }
  | { status: 'cancelled'; failure: Failure };

export type ChildStartResolution =
  | { status: 'started'; runId: string }
  | {
      status: 'failed';
      cause: 'WorkflowAlreadyStarted' | 'NamespaceNotFound';
      workflowType: string;
      runningRunId: string;
    };

export type ChildResolution =
  { status: 'completed'; result: unknown } | { status: 'failed'; failure: Failure };

/** One thing that happened to the run, delivered to the workflow in history order. */
export type ActivationJob =
  | {
      type: 'initializeWorkflow';
      workflowType: string;
      args: unknown[];
      info: WorkflowStartInfo;
      /** WorkflowExecutionStarted's header (absent when none). */
      headers?: WireHeaders | undefined;
    }
  | { type: 'fireTimer'; seq: number }
  | { type: 'resolveActivity'; seq: number; resolution: ActivityResolution }
  /** A local activity's outcome: live from the worker, or replayed from its marker. */
  | { type: 'resolveLocalActivity'; seq: number; marker: LocalActivityMarkerDetails }
  | {
      type: 'signalWorkflow';
      signalName: string;
      args: unknown[];
      headers?: WireHeaders | undefined;
    }
  | { type: 'cancelWorkflow'; reason: string | undefined }
  | { type: 'notifyHasPatch'; patchId: string }
  | {
      type: 'doUpdate';
      updateId: string;
      name: string;
      args: unknown[];
      headers?: WireHeaders | undefined;
      runValidator: boolean;
    }
  | { type: 'resolveChildWorkflowExecutionStart'; seq: number; resolution: ChildStartResolution }
  | { type: 'resolveChildWorkflowExecution'; seq: number; resolution: ChildResolution }
  | { type: 'resolveSignalExternalWorkflow'; seq: number; failure: Failure | undefined }
  | { type: 'resolveRequestCancelExternalWorkflow'; seq: number; failure: Failure | undefined };
export type ActivationJobType = ActivationJob['type'];

export interface Activation {
  /** The workflow-task time, from history: what `Date.now()` returns in workflow code. */
  timeMs: number;
  isReplaying: boolean;
  /** The buildId of the worker that ran (on replay) or runs this workflow task, if it has one. */
  currentBuildId?: string | undefined;
  historyLength: number;
  historySizeBytes: number;
  continueAsNewSuggested: boolean;
  jobs: ActivationJob[];
  /** Replay only: the commands of this activation whose outcome the replayed history holds. */
  outcomesInHistory?: OutcomesInHistory | undefined;
}

/**
 * The commands a replayed task issues whose outcome comes later in the same replay, as history
 * recorded them. Their call sites are not captured for `__stack_trace`: they settle before anyone
 * can ask, and the capture (a `new Error()` in the context) was the largest cost of a replay.
 */
export interface OutcomesInHistory {
  /** By seq and id both: replay matches an activity by type and id, not by seq. */
  activities: { seq: number; activityId: string }[];
  /** A timer's id is its seq, and replay matches it by that. */
  timerSeqs: number[];
}

/** A command of an earlier activation of the workflow task, withdrawn before the task was answered. */
export interface WithdrawnCommand {
  type: Command['type'];
  seq: number;
}

/** The sandbox's answer: commands in order, or the reason the workflow task failed. */
export type ActivationCompletion =
  | {
      status: 'success';
      commands: Command[];
      /** Local activities to run (and abort) before the workflow task is answered. */
      localActivities?: LocalActivityRequests | undefined;
      /**
       * The commands (by type and seq) that earlier activations of this workflow task issued and
       * this one withdrew (cancelled before the task was answered, so the engine never saw them):
       * they are dropped from the task's commands.
       */
      withdrawnCommands?: WithdrawnCommand[] | undefined;
      /**
       * The engine's internal rules (`reprise/...` ids) this activation took live: the worker
       * sends them with the task's answer, recorded on its WorkflowTaskCompleted (SDK flags).
       */
      sdkFlags?: string[] | undefined;
    }
  | { status: 'failed'; cause: ActivationFailureCause; failure: Failure };

/** Why a workflow task failed: the code differs from history, or it threw a non-failure error. */
export type ActivationFailureCause = 'NonDeterminism' | 'WorkflowError' | 'WorkflowTypeNotFound';

export interface QueryRequest {
  queryType: string;
  args: unknown[];
  /** What the client's interceptors set (absent when none). */
  headers?: WireHeaders | undefined;
}
export type QueryResult =
  { status: 'success'; result: unknown } | { status: 'failed'; failure: Failure };
/** Inside the sandbox: `pending` when a `handleQuery` interceptor answers after microtasks ran. */
export type SandboxQueryResult = QueryResult | { status: 'pending' };

/** One line of the workflow `log` (or `console`), collected per activation; none while replaying. */
export interface WorkflowLogEntry {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attrs?: Record<string, unknown> | undefined;
  /** Workflow time (the activation's `timeMs`) when the line was written. */
  timeMs: number;
}

/**
 * `workflowInfo()` at a sink call, as plain data: its Dates as ms, `lastFailure` as the Failure it
 * was decoded from, `unsafe` as values (workflow/workflow-info.ts converts both ways).
 */
export interface WorkflowInfoData {
  [field: string]: unknown;
  startTime: number;
  runStartTime: number;
  lastFailure: Failure | undefined;
  unsafe: { isReplaying: boolean; isReplayingHistoryEvents: boolean; now: number };
}

/** One call of a sink function (`proxySinks`) by workflow code. */
export interface SinkCallData {
  ifaceName: string;
  fnName: string;
  /** The arguments as JSON, taken at the call: an object by index, so `undefined` ones survive. */
  args: string;
  /** How many arguments there were. */
  argc: number;
  /** Index in {@link SandboxSinkCalls.infos}: `workflowInfo()` at the call. */
  info: number;
}

/** The sink calls of one activation (or query), in call order; absent when there were none. */
export interface SandboxSinkCalls {
  infos: WorkflowInfoData[];
  calls: SinkCallData[];
}

/**
 * What the sandbox returns for one activation: the completion plus the log lines it wrote, and
 * its sink calls if it made any.
 */
export type SandboxActivationResult = ActivationCompletion & {
  logs: WorkflowLogEntry[];
  sinkCalls?: SandboxSinkCalls | undefined;
};

/**
 * The messages the host sends into a sandbox context: one per call, JSON-encoded. An activation
 * takes several calls so that microtasks drain between them: `activate` (run the jobs), then
 * `unblockConditions` until it reports 0, then `conclude` (collect commands and logs).
 */
export type SandboxRequest =
  | { op: 'create'; runKey: string; workflowType: string; randomSeed: string }
  | { op: 'activate'; runKey: string; activation: Activation }
  | { op: 'unblockConditions'; runKey: string }
  | { op: 'conclude'; runKey: string }
  | { op: 'query'; runKey: string; query: QueryRequest }
  /** The answer of a query that was `pending`, once the microtasks of the `query` call ran. */
  | { op: 'queryResult'; runKey: string }
  | { op: 'dispose'; runKey: string }
  /**
   * The failure of the run's workflow task for the promise rejection its code left unhandled:
   * the rejection's reason is in the inbox (`rejection`), the one value that is not JSON.
   */
  | { op: 'unhandledRejection'; runKey: string }
  | { op: 'discover' };
export type SandboxResponse =
  | { op: 'create'; ok: true }
  | { op: 'activate'; ok: true }
  | { op: 'unblockConditions'; unblocked: number }
  | { op: 'conclude'; result: SandboxActivationResult }
  | {
      op: 'query';
      result: SandboxQueryResult;
      logs?: WorkflowLogEntry[] | undefined;
      sinkCalls?: SandboxSinkCalls | undefined;
    }
  | {
      op: 'queryResult';
      result: QueryResult;
      logs?: WorkflowLogEntry[] | undefined;
      sinkCalls?: SandboxSinkCalls | undefined;
    }
  | { op: 'dispose'; ok: true }
  | { op: 'unhandledRejection'; failure: Failure }
  | { op: 'discover'; workflowTypes: string[]; signalNames: string[] }
  | { op: 'error'; message: string; stack: string | undefined };

/** Failure `errorType` of a query result for a query name the workflow has no handler for. */
export const QUERY_NOT_REGISTERED = 'QueryNotRegistered';

/** Built-in query that returns where each of the workflow's pending operations waits. */
export const STACK_TRACE_QUERY = '__stack_trace';

/** Built-in query that lists the workflow's handlers and its current details (Temporal's). */
export const WORKFLOW_METADATA_QUERY = '__temporal_workflow_metadata';

/** A handler as `__temporal_workflow_metadata` lists it: Temporal's `InteractionDefinition`. */
export interface InteractionDefinition {
  name: string;
  description?: string;
}

/** What `__temporal_workflow_metadata` answers: Temporal's `WorkflowMetadata`, as JSON. */
export interface WorkflowMetadata {
  definition: {
    type: string;
    queryDefinitions: InteractionDefinition[];
    signalDefinitions: InteractionDefinition[];
    updateDefinitions: InteractionDefinition[];
  };
  /** What the workflow last passed to `setCurrentDetails` ('' until then). */
  currentDetails: string;
}
