import type { Command } from '../protocol/commands.ts';
import type { Failure, RetryState } from '../protocol/failure.ts';
import type { WireHeaders } from '../protocol/headers.ts';
import type { HistoryEvent, WorkflowTaskFailedCause } from '../protocol/history-events.ts';
import type { RetryPolicyMs } from '../protocol/retry-options.ts';
import type { RetryPolicyInput } from '../protocol/retry-policy.ts';
import type { RunStatus } from '../protocol/run-status.ts';
import type { IndexedValueType, SearchAttributeTypes } from '../protocol/search-attribute-types.ts';
import type {
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
} from '../protocol/workflow-id-policy.ts';
import type { UpdateOutcome, UpdateRequest, UpdateStage } from '../protocol/update.ts';
import type { UserMetadata } from '../protocol/user-metadata.ts';
import type { Priority } from '../protocol/priority.ts';
import type {
  CreateScheduleApiRequest,
  ListSchedulesApiRequest,
  ListSchedulesApiResponse,
  PatchScheduleApiRequest,
  ScheduleDescriptionResponse,
  ScheduleRef,
  UpdateScheduleApiRequest,
} from './schedule-api.ts';

/**
 * All that clients and workers may ask of an engine. Served in-process (`engine.connection`)
 * and, later, over HTTP with the same request and response shapes (JSON-serialisable), so the
 * same tests run over both. Every method throws `RepriseError` subclasses only.
 */
export interface EngineApi {
  startWorkflow(req: StartWorkflowRequest): Promise<StartWorkflowResponse>;
  signalWorkflow(req: SignalWorkflowRequest): Promise<void>;
  queryWorkflow(req: QueryWorkflowRequest): Promise<unknown>;
  cancelWorkflow(req: CancelWorkflowRequest): Promise<void>;
  terminateWorkflow(req: TerminateWorkflowRequest): Promise<void>;
  describeWorkflow(req: ExecutionRef): Promise<WorkflowDescription>;
  /** Waits up to `waitMs` for the run to close; undefined if it is still running then. */
  getWorkflowOutcome(req: GetWorkflowOutcomeRequest): Promise<WorkflowOutcome | undefined>;
  getHistory(req: GetHistoryRequest): Promise<GetHistoryResponse>;
  /**
   * Admits an update (once per updateId: the same id again gets the first one's progress) and
   * waits up to `waitMs` for it to reach `waitForStage`; returns the stage it reached.
   */
  updateWorkflow(req: UpdateWorkflowRequest): Promise<UpdateWorkflowResponse>;
  /** Waits up to `waitMs` for an update sent earlier to reach `waitForStage`. */
  pollWorkflowUpdate(req: PollWorkflowUpdateRequest): Promise<UpdateWorkflowResponse>;
  /**
   * Signals the workflow id's running run, or starts a new run with the signal as its first
   * event after WorkflowExecutionStarted, in one transaction.
   */
  signalWithStartWorkflow(req: SignalWithStartWorkflowRequest): Promise<StartWorkflowResponse>;
  /**
   * Temporal's update-with-start: admits the update to the workflow id's running run (conflict
   * policy USE_EXISTING, or a run that has the updateId already), or starts a new run with the
   * update admitted in the same transaction, so that its first workflow task carries it. Then
   * waits up to `waitMs` for the update to reach `waitForStage`, as `updateWorkflow` does.
   */
  updateWithStartWorkflow(req: UpdateWithStartWorkflowRequest): Promise<UpdateWithStartResponse>;

  /**
   * Runs of the namespace matching a list filter (Temporal's language), one page at a time.
   * Throws `InvalidArgumentError` for a malformed query or page token.
   */
  listWorkflows(req: ListWorkflowsRequest): Promise<ListWorkflowsResponse>;
  /** How many runs of the namespace match a list filter. */
  countWorkflows(req: CountWorkflowsRequest): Promise<CountWorkflowsResponse>;

  /** Records the worker (for the checks of starts and signals); answers with the engine's limits. */
  registerWorker(req: RegisterWorkerRequest): Promise<RegisterWorkerResponse>;
  /** Long-polls for a workflow task (or a query) for up to `waitMs`; undefined when none came. */
  pollWorkflowTask(req: PollRequest, signal?: AbortSignal): Promise<WorkflowTask | undefined>;
  /**
   * Applies the commands of a started workflow task. `accepted: false` when the engine refused
   * them because new events arrived for a workflow that tried to close: the worker drops its
   * cached state, and a new task brings the events.
   */
  completeWorkflowTask(req: CompleteWorkflowTaskRequest): Promise<CompleteWorkflowTaskResponse>;
  failWorkflowTask(req: FailWorkflowTaskRequest): Promise<void>;
  respondQueryTask(req: RespondQueryTaskRequest): Promise<void>;
  pollActivityTask(req: PollRequest, signal?: AbortSignal): Promise<ActivityTask | undefined>;
  /**
   * A worker stops (Temporal's ShutdownWorker): the workflow tasks queued on its sticky queue go
   * to their runs' own queues at once, and none is queued there again.
   */
  shutdownWorker(req: ShutdownWorkerRequest): Promise<void>;
  /**
   * Records an attempt's result. With `eagerWorkflowTask`, the workflow task the result
   * schedules is started in the same transaction and returned, for the worker that has the run
   * cached (eager dispatch); otherwise it goes to the task queue.
   */
  completeActivityTask(req: CompleteActivityTaskRequest): Promise<CompleteActivityTaskResponse>;
  failActivityTask(req: FailActivityTaskRequest): Promise<void>;
  reportActivityTaskCanceled(req: ReportActivityCanceledRequest): Promise<void>;
  heartbeatActivityTask(req: HeartbeatActivityTaskRequest): Promise<HeartbeatResponse>;
  /**
   * The attempt goes on outside the worker (the activity threw `CompleteAsyncError`): it is no
   * longer held by the worker's process, so that process's exit does not time it out (ADR
   * 0012). Its timeouts still apply; `client.activity` completes it by task token.
   */
  releaseActivityTask(req: ReleaseActivityTaskRequest): Promise<void>;

  /** Creates a schedule; throws `ScheduleAlreadyRunning` if the id is taken in the namespace. */
  createSchedule(req: CreateScheduleApiRequest): Promise<void>;
  /** Throws `ScheduleNotFoundError` for an unknown id (here and in the schedule calls below). */
  describeSchedule(req: ScheduleRef): Promise<ScheduleDescriptionResponse>;
  updateSchedule(req: UpdateScheduleApiRequest): Promise<void>;
  /** Pause, unpause, trigger, backfill. */
  patchSchedule(req: PatchScheduleApiRequest): Promise<void>;
  deleteSchedule(req: ScheduleRef): Promise<void>;
  listSchedules(req: ListSchedulesApiRequest): Promise<ListSchedulesApiResponse>;

  /**
   * Registers custom search attributes with their types (Temporal's operator
   * AddSearchAttributes); a name registered with another type is refused.
   */
  addSearchAttributes(req: AddSearchAttributesRequest): Promise<void>;
  /** Removes custom search attributes from the registry; runs keep their values. */
  removeSearchAttributes(req: RemoveSearchAttributesRequest): Promise<void>;
  /** The namespace's search attributes and their types (Temporal's ListSearchAttributes). */
  listSearchAttributes(req: { namespace: string }): Promise<ListSearchAttributesResponse>;
  /**
   * Creates a namespace (Temporal's RegisterNamespace) and returns it. A namespace of that name
   * is refused with `NamespaceAlreadyExistsError`; a bad name with `InvalidArgumentError`.
   */
  createNamespace(req: CreateNamespaceRequest): Promise<NamespaceDescription>;
  /** Every namespace, in name order (Temporal's ListNamespaces). */
  listNamespaces(req: Record<string, never>): Promise<ListNamespacesResponse>;
  /** A namespace (Temporal's DescribeNamespace); `NamespaceNotFoundError` if there is none. */
  describeNamespace(req: { namespace: string }): Promise<NamespaceDescription>;
}

/**
 * How a method answers: at once, once the engine has read or written its store (`answers`); or
 * after waiting on a run or a worker for as long as the request allows (`waits`: result, update
 * and query waits; `longPoll`: the task polls, which also take the caller's abort signal).
 */
type MethodKind = 'answers' | 'waits' | 'longPoll';

/**
 * Every method of `EngineApi` by name, with how it answers, for a transport that serves or calls
 * them by name (the HTTP API's `POST /api/v1/<method>`). A record of every key, so a method added
 * to the interface and not here fails to compile.
 */
const METHODS: Record<keyof EngineApi, MethodKind> = {
  startWorkflow: 'answers',
  signalWorkflow: 'answers',
  queryWorkflow: 'waits',
  cancelWorkflow: 'answers',
  terminateWorkflow: 'answers',
  describeWorkflow: 'answers',
  getWorkflowOutcome: 'waits',
  getHistory: 'answers',
  updateWorkflow: 'waits',
  pollWorkflowUpdate: 'waits',
  signalWithStartWorkflow: 'answers',
  updateWithStartWorkflow: 'waits',
  listWorkflows: 'answers',
  countWorkflows: 'answers',
  registerWorker: 'answers',
  pollWorkflowTask: 'longPoll',
  completeWorkflowTask: 'answers',
  failWorkflowTask: 'answers',
  respondQueryTask: 'answers',
  pollActivityTask: 'longPoll',
  shutdownWorker: 'answers',
  completeActivityTask: 'answers',
  failActivityTask: 'answers',
  reportActivityTaskCanceled: 'answers',
  heartbeatActivityTask: 'answers',
  releaseActivityTask: 'answers',
  createSchedule: 'answers',
  describeSchedule: 'answers',
  updateSchedule: 'answers',
  patchSchedule: 'answers',
  deleteSchedule: 'answers',
  listSchedules: 'answers',
  addSearchAttributes: 'answers',
  removeSearchAttributes: 'answers',
  listSearchAttributes: 'answers',
  createNamespace: 'answers',
  listNamespaces: 'answers',
  describeNamespace: 'answers',
};
export type EngineApiMethod = keyof EngineApi;
export const ENGINE_API_METHODS = Object.keys(METHODS) as readonly EngineApiMethod[];

const methodsOf = (...kinds: MethodKind[]): ReadonlySet<EngineApiMethod> =>
  new Set(ENGINE_API_METHODS.filter((m) => kinds.includes(METHODS[m])));

/** The methods that long-poll and take the caller's abort signal as their second argument. */
export const LONG_POLL_METHODS = methodsOf('longPoll');

/**
 * The methods whose answer may wait on a run or a worker, for as long as the request allows: the
 * long-polls, and result, update and query waits. Every other method answers as soon as the
 * engine has read or written its store.
 */
export const WAITING_METHODS = methodsOf('waits', 'longPoll');

export interface AddSearchAttributesRequest {
  namespace: string;
  /**
   * Name → type: Keyword, Int, Double, Bool, Datetime or KeywordList (checked when called, also
   * in any case and as `KEYWORD_LIST`, for callers in JavaScript).
   */
  searchAttributes: SearchAttributeTypes;
}
export interface RemoveSearchAttributesRequest {
  namespace: string;
  searchAttributes: string[];
}
export interface ListSearchAttributesResponse {
  /** Each custom search attribute the namespace registers, with its type, in name order. */
  customAttributes: SearchAttributeTypes;
  /** The system attributes every run has, with their types. */
  systemAttributes: Record<string, IndexedValueType>;
}

export interface CreateNamespaceRequest {
  /**
   * 1 to 100 characters: letters, digits, `.`, `-` and `_`, starting with a letter or a digit.
   */
  namespace: string;
  /** What the namespace is for: at most 1,000 characters (default none). */
  description?: string | undefined;
}
export interface NamespaceDescription {
  namespace: string;
  /** As its creator gave it; '' when none was given. */
  description: string;
  /**
   * When it was created (epoch ms). One from before Reprise recorded it (`default`, say) has the
   * time its database was created.
   */
  createdAtMs: number;
}
export interface ListNamespacesResponse {
  /** In name order. */
  namespaces: NamespaceDescription[];
}

export interface ExecutionRef {
  namespace: string;
  workflowId: string;
  runId?: string | undefined;
}

export interface StartWorkflowRequest {
  namespace: string;
  workflowId: string;
  workflowType: string;
  taskQueue: string;
  args: unknown[];
  /** What client interceptors set (absent when none): recorded on WorkflowExecutionStarted. */
  header?: WireHeaders | undefined;
  /**
   * Temporal's priority of the run (its workflow tasks' place in a backlog; what its activities
   * and children inherit). Checked by the engine: a bad one is refused with InvalidArgumentError.
   */
  priority?: Priority | undefined;
  identity?: string | undefined;
  memo?: Record<string, unknown> | undefined;
  searchAttributes?: Record<string, unknown> | undefined;
  /**
   * The types of the typed keys among `searchAttributes` (name → type): a name not registered
   * in the namespace yet is registered with its key's type rather than its value's.
   */
  searchAttributeTypes?: SearchAttributeTypes | undefined;
  workflowExecutionTimeoutMs?: number | undefined;
  workflowRunTimeoutMs?: number | undefined;
  workflowTaskTimeoutMs?: number | undefined;
  retry?: RetryPolicyInput | undefined;
  /** Default ALLOW_DUPLICATE. */
  workflowIdReusePolicy?: WorkflowIdReusePolicy | undefined;
  /** Default FAIL. */
  workflowIdConflictPolicy?: WorkflowIdConflictPolicy | undefined;
  /** Schedule the first workflow task this long after the start. */
  startDelayMs?: number | undefined;
  /** Temporal's cronSchedule: the workflow runs again at each of the schedule's times. */
  cronSchedule?: string | undefined;
  /**
   * Temporal's lastCompletionResult, set by schedules: the run sees it as
   * `workflowInfo().lastResult`.
   */
  lastCompletionResult?: unknown;
  /** Temporal's userMetadata: `staticSummary` and `staticDetails`, as payloads. */
  userMetadata?: UserMetadata | undefined;
}
export interface StartWorkflowResponse {
  runId: string;
  /** False when workflowIdConflictPolicy USE_EXISTING returned the running run instead. */
  started?: boolean | undefined;
}

export interface SignalWorkflowRequest extends ExecutionRef {
  signalName: string;
  args: unknown[];
  header?: WireHeaders | undefined;
  identity?: string | undefined;
}
export interface SignalWithStartWorkflowRequest extends StartWorkflowRequest {
  signalName: string;
  signalArgs: unknown[];
}

export interface UpdateWorkflowRequest extends ExecutionRef {
  updateId: string;
  name: string;
  args: unknown[];
  header?: WireHeaders | undefined;
  identity?: string | undefined;
  waitForStage: 'Accepted' | 'Completed';
  waitMs: number;
  /**
   * Without a runId: send the update only if the latest run belongs to the chain (continue-as-new,
   * retries) that started with this run, as a handle from `start()` does (Temporal's rule).
   */
  firstExecutionRunId?: string | undefined;
}
export interface UpdateWithStartWorkflowRequest {
  /** The start; `workflowIdConflictPolicy` is required (USE_EXISTING, FAIL or TERMINATE_EXISTING). */
  start: StartWorkflowRequest;
  update: Omit<UpdateWorkflowRequest, keyof ExecutionRef>;
}
export interface UpdateWithStartResponse {
  /** The run that has the update: the one started, or the running one. */
  runId: string;
  /** False when the update went to a run that was running already. */
  started: boolean;
  update: UpdateWorkflowResponse;
}
export interface PollWorkflowUpdateRequest extends ExecutionRef {
  updateId: string;
  waitForStage: 'Accepted' | 'Completed';
  waitMs: number;
}
export interface UpdateWorkflowResponse {
  runId: string;
  updateId: string;
  /** The stage reached; `outcome` is set once `Completed` (a rejection is a failure outcome). */
  stage: UpdateStage;
  outcome?: UpdateOutcome | undefined;
}
export interface QueryWorkflowRequest extends ExecutionRef {
  queryType: string;
  args: unknown[];
  header?: WireHeaders | undefined;
}
export interface CancelWorkflowRequest extends ExecutionRef {
  reason?: string | undefined;
  identity?: string | undefined;
  /**
   * Without a runId: act on the latest run only if it belongs to the chain (continue-as-new,
   * retries) that started with this run, as a handle from `start()` does (Temporal's rule).
   */
  firstExecutionRunId?: string | undefined;
}
export type TerminateWorkflowRequest = CancelWorkflowRequest;

export interface PendingActivityDescription {
  activityId: string;
  activityType: string;
  state: 'Scheduled' | 'Started' | 'CancelRequested';
  attempt: number;
  scheduledTimeMs: number;
  lastStartedTimeMs: number | undefined;
  lastHeartbeatTimeMs: number | undefined;
  heartbeatDetails: unknown[] | undefined;
  lastFailure: Failure | undefined;
  nextAttemptScheduleTimeMs: number | undefined;
  /**
   * The activity's own priority, as its ActivityTaskScheduled records it (Temporal's server
   * reports this, not the workflow's filled in as `activityInfo().priority` has it); `{}` when it
   * sets none.
   */
  priority: Priority;
}

export interface WorkflowDescription {
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
  status: RunStatus;
  startTimeMs: number;
  closeTimeMs: number | undefined;
  historyLength: number;
  /** The size of the run's history in bytes (JSON), as the engine's limits count it. */
  historySizeBytes: number;
  /** The buildId of the worker that completed the run's last workflow task, if it had one. */
  mostRecentWorkerBuildId: string | undefined;
  memo: Record<string, unknown>;
  searchAttributes: Record<string, unknown>;
  pendingActivities: PendingActivityDescription[];
  pendingTimers: { timerId: string; firesAtMs: number }[];
  /** The last workflow-task failure while the run keeps running (e.g. non-determinism). */
  lastWorkflowTaskFailure:
    | { cause: WorkflowTaskFailedCause; failure: Failure; attempt: number; timeMs: number }
    | undefined;
  /** The start's `staticSummary` and `staticDetails` (payloads); absent when it set none. */
  userMetadata?: UserMetadata | undefined;
  /**
   * The run's priority, the fields it sets (a child's merged over its parent's); `{}` when it
   * sets none (key 3, no fairness key, weight 1). Temporal's `priority`.
   */
  priority: Priority;
}

export interface ListWorkflowsRequest {
  namespace: string;
  /** A list filter, e.g. `WorkflowType = 'order' AND ExecutionStatus = 'Running'`; all if absent. */
  query?: string | undefined;
  /** Runs per page: 1 to 1000, default 100. */
  pageSize?: number | undefined;
  /** From the previous page's response; absent for the first page. */
  nextPageToken?: string | undefined;
}
export interface ListWorkflowsResponse {
  executions: WorkflowExecutionInfo[];
  /** Absent on the last page. */
  nextPageToken: string | undefined;
}
/** One run as a list shows it (Temporal's WorkflowExecutionInfo). */
export interface WorkflowExecutionInfo {
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
  status: RunStatus;
  startTimeMs: number;
  /** When the first workflow task was due: the start time plus any start delay. */
  executionTimeMs: number;
  closeTimeMs: number | undefined;
  historyLength: number;
  memo: Record<string, unknown>;
  searchAttributes: Record<string, unknown>;
  /** The run's priority, as `describe()` gives it: `{}` when it sets none. Temporal's. */
  priority: Priority;
}
export interface CountWorkflowsRequest {
  namespace: string;
  query?: string | undefined;
}
export interface CountWorkflowsResponse {
  count: number;
  /**
   * Temporal's AggregationGroups: empty unless the query ends with GROUP BY ExecutionStatus; then
   * one per status that some matching run has, in RunStatus order, `groupValues` that status.
   */
  groups: CountWorkflowsGroup[];
}
export interface CountWorkflowsGroup {
  groupValues: RunStatus[];
  count: number;
}

export interface GetWorkflowOutcomeRequest extends ExecutionRef {
  waitMs: number;
}
export type WorkflowOutcome =
  | {
      status: 'Completed';
      runId: string;
      result: unknown;
      /** Set when a cron workflow's next run follows this one. */
      newRunId?: string | undefined;
    }
  | {
      status: 'Failed';
      runId: string;
      failure: Failure;
      retryState?: RetryState | undefined;
      /** Set when the workflow retry policy retries the run: the next attempt's run. */
      newRunId?: string | undefined;
    }
  | { status: 'Canceled'; runId: string; details: unknown[] }
  | { status: 'Terminated'; runId: string; reason: string }
  | {
      status: 'TimedOut';
      runId: string;
      retryState?: RetryState | undefined;
      /** Set when the workflow retry policy retries the run: the next attempt's run. */
      newRunId?: string | undefined;
    }
  | { status: 'ContinuedAsNew'; runId: string; newRunId: string };

export interface GetHistoryRequest extends ExecutionRef {
  fromEventId?: number | undefined;
}
export interface GetHistoryResponse {
  runId: string;
  events: HistoryEvent[];
}

export interface RegisterWorkerRequest {
  namespace: string;
  taskQueue: string;
  identity: string;
  buildId?: string | undefined;
  workflowTypes: string[];
  activityTypes: string[];
  signalNames: string[] | null;
}

/** What a worker must know of the engine before it sends anything: its limits. */
export interface RegisterWorkerResponse {
  /**
   * The engine's payload limit (`EngineLimits.maxPayloadBytes`): the worker keeps a local
   * activity's marker within it, since the engine would refuse the task's answer otherwise.
   */
  maxPayloadBytes: number;
}

export interface PollRequest {
  namespace: string;
  taskQueue: string;
  identity: string;
  waitMs: number;
  /**
   * Workflow polls only: the worker's own sticky queue, polled first (engine/sticky.ts). The
   * runs this worker keeps in memory have their workflow tasks queued there while it polls.
   */
  stickyTaskQueue?: string | undefined;
}

/**
 * Sent with a workflow task's answer by a worker that keeps the run in memory (Temporal's
 * StickyExecutionAttributes): the run's next workflow task is queued on `workerTaskQueue`, and
 * goes to the run's own queue if no poll of it starts the task within `scheduleToStartTimeoutMs`.
 */
export interface StickyAttributes {
  workerTaskQueue: string;
  scheduleToStartTimeoutMs: number;
}

/** The longest `scheduleToStartTimeoutMs` the engine takes: a day. */
export const MAX_STICKY_SCHEDULE_TO_START_MS = 24 * 60 * 60 * 1000;

/** A worker stops: the workflow tasks queued on its sticky queue go to their runs' own queues. */
export interface ShutdownWorkerRequest {
  namespace: string;
  stickyTaskQueue: string;
  identity: string;
}

/** A workflow task proper (not a query). */
export type RunWorkflowTask = Extract<WorkflowTask, { kind: 'workflow' }>;

export type WorkflowTask =
  | {
      kind: 'workflow';
      taskToken: string;
      workflowId: string;
      runId: string;
      workflowType: string;
      attempt: number;
      /** Events after `previousStartedEventId`, ending with this task's WorkflowTaskStarted. */
      events: HistoryEvent[];
      /** The WorkflowTaskStarted of the last completed task, 0 if none. */
      previousStartedEventId: number;
      startedEventId: number;
      /** Updates admitted and not yet answered: the workflow accepts or rejects each. */
      updates?: UpdateRequest[] | undefined;
    }
  | {
      kind: 'query';
      queryId: string;
      workflowId: string;
      runId: string;
      workflowType: string;
      /**
       * The WorkflowTaskStarted of the run's last completed task when the query was sent: the
       * answer reads the workflow's state as of that task, so a cached run that has not seen
       * exactly up to it (another worker moved the run on) must not answer; replay instead.
       */
      previousStartedEventId: number;
      queryType: string;
      args: unknown[];
      header?: WireHeaders | undefined;
    };

export interface CompleteWorkflowTaskRequest {
  taskToken: string;
  identity: string;
  /**
   * A ScheduleActivityTask with `requestEagerExecution` (the worker has a free slot for it) is
   * started in the same transaction and returned in `activityTasks` instead of being queued.
   */
  commands: Command[];
  buildId?: string | undefined;
  /**
   * The internal rules taken live in the task: recorded on its WorkflowTaskCompleted. At most 100
   * non-empty ids of at most 200 characters, else the answer is refused (InvalidArgumentError)
   * and nothing is recorded; ids the engine does not know are recorded as sent.
   */
  sdkFlags?: string[] | undefined;
  /** The worker keeps the run in memory: its next workflow task goes to this worker's sticky queue. */
  stickyAttributes?: StickyAttributes | undefined;
}
export interface CompleteWorkflowTaskResponse {
  /**
   * False when the engine refused the commands because new events arrived for a workflow that
   * tried to close: the worker drops its cached state, and a new task brings the events.
   */
  accepted: boolean;
  /** The activities started for this worker (eager dispatch); it must run each of them. */
  activityTasks?: ActivityTask[] | undefined;
}
export interface FailWorkflowTaskRequest {
  taskToken: string;
  identity: string;
  cause: WorkflowTaskFailedCause;
  failure: Failure;
  /**
   * The worker gave the task up because it is shutting down (local activities it waited for were
   * cancelled): the task is handed back. Recorded as WorkflowTaskFailed, but not counted as a
   * failed attempt: it is scheduled again at once, on the same attempt, and the run's retry
   * backoff does not grow however many times it happens.
   */
  workerShutdown?: boolean | undefined;
}
export interface RespondQueryTaskRequest {
  queryId: string;
  result:
    | { status: 'success'; result: unknown }
    | { status: 'failed'; failure: Failure; notRegistered: boolean };
}

export interface ActivityTask {
  taskToken: string;
  workflowNamespace: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  activityId: string;
  activityType: string;
  taskQueue: string;
  args: unknown[];
  /** ActivityTaskScheduled's header: what the workflow's interceptors set (absent when none). */
  header?: WireHeaders | undefined;
  attempt: number;
  scheduledTimeMs: number;
  currentAttemptScheduledTimeMs: number;
  startedTimeMs: number;
  scheduleToCloseTimeoutMs: number | undefined;
  startToCloseTimeoutMs: number;
  heartbeatTimeoutMs: number | undefined;
  heartbeatDetails: unknown[] | undefined;
  /** The activity's retry policy, defaults filled in (ActivityTaskScheduled's). */
  retryPolicy: RetryPolicyMs;
  /** The activity's priority: its own over its workflow's, field by field; absent when none. */
  priority?: Priority | undefined;
}

/**
 * Temporal's `FullActivityId`: the activity `activityId` of a run (of the workflow id's latest run
 * without a `runId`), for the answers a client gives by id instead of by task token.
 */
export interface ActivityRef {
  namespace: string;
  workflowId: string;
  runId?: string | undefined;
  activityId: string;
}
/**
 * Which attempt an answer is for: the one a task token names, or the current attempt of the
 * activity an {@link ActivityRef} names.
 */
export type ActivityTaskTarget =
  { taskToken: string; activity?: undefined } | { taskToken?: undefined; activity: ActivityRef };

export type CompleteActivityTaskRequest = ActivityTaskTarget & {
  identity: string;
  result: unknown;
  /** The caller has the run cached and a free slot: hand it the next workflow task. */
  eagerWorkflowTask?: boolean | undefined;
};
export interface CompleteActivityTaskResponse {
  /** The started workflow task (eager dispatch); the caller must answer it. */
  workflowTask?: RunWorkflowTask | undefined;
}
export type FailActivityTaskRequest = ActivityTaskTarget & {
  identity: string;
  failure: Failure;
  lastHeartbeatDetails?: unknown[] | undefined;
};
export type ReportActivityCanceledRequest = ActivityTaskTarget & {
  identity: string;
  details?: unknown[] | undefined;
};
export interface ReleaseActivityTaskRequest {
  taskToken: string;
  identity: string;
}
export type HeartbeatActivityTaskRequest = ActivityTaskTarget & {
  identity: string;
  details: unknown[];
};
export interface HeartbeatResponse {
  cancelRequested: boolean;
}
