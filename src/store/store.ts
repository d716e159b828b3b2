import type { HistoryEvent } from '../protocol/history-events.ts';
import type { ListFilter } from '../protocol/list-filter.ts';
import type { RunStatus } from '../protocol/run-status.ts';
import type { SearchAttributeTypes } from '../protocol/search-attribute-types.ts';
import type { TaskKind, TimerPayload } from '../protocol/tasks.ts';
import type {
  ScheduleAction,
  ScheduleInfo,
  SchedulePolicies,
  ScheduleSpec,
  ScheduleState,
} from '../protocol/schedules.ts';

/**
 * The store contract. Each method is one transaction; its comment states the guarantee.
 * Backends (SQLite, PostgreSQL) pass the same conformance suite (test/store-conformance).
 */
export interface Store {
  /**
   * Creates the namespace if it does not exist (with no description, created at `createdAtMs`,
   * default now); one that exists is left as it is.
   */
  ensureNamespace(req: { namespace: string; createdAtMs?: number | undefined }): Promise<void>;
  /**
   * Creates the namespace with its description and creation time. Throws
   * `NamespaceAlreadyExistsError` and changes nothing if one of that name exists (whoever
   * created it: another engine on the same database, say).
   */
  createNamespace(req: NamespaceRecord): Promise<void>;
  /**
   * True when the namespace exists. Namespaces are never removed: a store may remember the ones
   * it has seen exist, but must ask again for one it has not (another engine may create it).
   */
  hasNamespace(req: { namespace: string }): Promise<boolean>;
  /** The namespace's record, or undefined if there is none (read from the database each call). */
  getNamespace(req: { namespace: string }): Promise<NamespaceRecord | undefined>;
  /** Every namespace, in name order (byte order of the UTF-8 names). */
  listNamespaces(): Promise<NamespaceRecord[]>;

  /**
   * Inserts a new run with its first events, tasks and timers in ONE transaction. Throws
   * `WorkflowExecutionAlreadyStartedError` and changes nothing if a run with the same namespace
   * and workflowId is still Running.
   */
  createRun(req: CreateRunRequest): Promise<void>;

  /** The run with this id, or undefined. */
  getRun(req: { runId: string }): Promise<RunRecord | undefined>;

  /**
   * The run with this workflowId (and runId, when given) in the namespace; without a runId, the
   * most recently started run of that workflowId.
   */
  findRun(req: {
    namespace: string;
    workflowId: string;
    runId?: string | undefined;
  }): Promise<RunRecord | undefined>;

  /**
   * Appends `events`, replaces the run's status/state/nextEventId, enqueues `tasks`, upserts
   * `timers` (by runId + key), and deletes `deleteTimerKeys`, `firedTimer` and `deleteTaskIds`, in ONE
   * transaction, iff the run's version and nextEventId still equal `expectedVersion` and
   * `expectedNextEventId`, and bumps the version; otherwise throws `RunConflictError` and
   * changes nothing. (DESIGN contract 1.) With `createRun`, also creates that run (the
   * continue-as-new successor) in the same transaction, after the run's new status is written,
   * with createRun's guarantee: all of it is written, or none.
   */
  appendToRun(req: AppendToRunRequest): Promise<void>;

  /** Events of a run in order, from `fromEventId` (inclusive, default 1). */
  readHistory(req: { runId: string; fromEventId?: number | undefined }): Promise<HistoryEvent[]>;

  /**
   * The first `limit` tasks of the queue whose ids are not in `skipTaskIds`, in the order they
   * are handed out: lowest `priority` first, oldest first within a priority (task id order),
   * without changing anything (a read, not a commit). A task stays until deleted (by appendToRun
   * or deleteTask): the engine deletes it in the same transaction that starts it, and that
   * transaction's compare-and-set on the run is what keeps two pollers that found the same task
   * from both starting it. Task ids grow in the order tasks are added and are never reused.
   */
  findTasks(req: FindTasksRequest): Promise<TaskRecord[]>;

  /** Deletes a task (a stale one found at claim). Deleting a missing task changes nothing. */
  deleteTask(req: { taskId: number }): Promise<void>;

  /**
   * Leases up to `limit` timers due at or before `nowMs` whose lease is free, in due order,
   * until `nowMs + leaseMs`, and returns them. Found through an index on due time.
   */
  takeDueTimers(req: TakeDueTimersRequest): Promise<TimerRecord[]>;

  /** Deletes a timer by run and key. Deleting a missing timer changes nothing. */
  deleteTimer(req: { runId: string; key: string }): Promise<void>;

  /** The earliest time any timer may be taken (due time, or lease end if later), or undefined. */
  nextTimerDueAt(): Promise<number | undefined>;

  /** Records what a worker on a task queue serves; replaces that identity's last record. */
  registerWorker(req: WorkerRegistration): Promise<void>;

  /**
   * Records an engine process on this store (ADR 0012), or, if it is recorded, refreshes its
   * `seenAtMs`.
   */
  registerEngineProcess(req: EngineProcessRecord): Promise<void>;

  /** Every engine process recorded, oldest first. */
  listEngineProcesses(): Promise<EngineProcessRecord[]>;

  /**
   * A number that changes whenever a writer other than this store object commits what an engine
   * must learn of at once: an engine process's record added (`registerEngineProcess` of a new
   * one), or a search attribute type registered, changed or removed. It may change for any other
   * commit too (SQLite: every commit of another connection). Compare two values; their size means
   * nothing. Synchronous and cheap (a few µs): an engine that believes it is alone on the store
   * asks it before acting on that belief, and learns of a newcomer at once instead of at its next
   * look at the engine processes. A backend that cannot tell must return a different value at
   * every call (never a constant): the engine then never acts alone, which is slower but safe.
   */
  foreignWrites(): number;

  /**
   * Removes an engine process's record and frees every timer lease it holds, in ONE transaction.
   * True only for the call that removed it, so of several engines that find a process dead,
   * exactly one takes back its tasks.
   */
  removeEngineProcess(req: { processId: string }): Promise<boolean>;

  /** The running runs with a started task that engine process `processId` handed out (heldBy). */
  listRunsHeldBy(req: { processId: string }): Promise<string[]>;

  /** Registrations on a task queue seen at or after `sinceMs`. */
  listWorkerRegistrations(req: {
    namespace: string;
    taskQueue: string;
    sinceMs: number;
  }): Promise<WorkerRegistration[]>;

  /** Runs of a namespace, most recently started first. */
  listRuns(req: { namespace: string; limit: number }): Promise<RunRecord[]>;

  /**
   * Runs of a namespace that match `filter`, evaluated by the database (never in memory), in the
   * filter's ORDER BY (then newest start first), or by default open runs first, then the most
   * recently closed; `limit` runs from `offset`. A custom search attribute that a run lacks
   * matches no comparison, only `IS NULL`; a string-array attribute matches `=` and `IN` when
   * any of its elements does, and `!=` and `NOT IN` when none does. Throws `InvalidArgumentError`
   * when the filter names a custom attribute the namespace does not register (but the ones a
   * schedule sets on its runs), or tests one with an operator that Temporal refuses on the type
   * it is registered as (`STARTS_WITH` on a non-Keyword; `<`, `<=`, `>`, `>=` on a string array;
   * `BETWEEN` on a string array or a boolean).
   */
  listRunsByQuery(req: ListRunsByQueryRequest): Promise<RunRecord[]>;

  /**
   * How many runs of a namespace match `filter` (its ORDER BY is ignored); with its GROUP BY
   * ExecutionStatus, also how many have each status.
   */
  countRuns(req: { namespace: string; filter: ListFilter }): Promise<RunCount>;

  /** The namespace's custom search attributes, each with its registered type, in name order. */
  listSearchAttributes(req: { namespace: string }): Promise<SearchAttributeTypes>;

  /**
   * Registers each name with its type in ONE transaction. A name registered with the same type
   * is left as it is; one registered with another type throws `InvalidArgumentError`, and
   * nothing changes.
   */
  addSearchAttributes(req: { namespace: string; types: SearchAttributeTypes }): Promise<void>;

  /**
   * Removes the names from the registry in ONE transaction (runs and schedules keep their
   * values); a name not registered throws `InvalidArgumentError`, and nothing changes.
   */
  removeSearchAttributes(req: { namespace: string; names: readonly string[] }): Promise<void>;

  /**
   * Inserts a schedule and sets `timers`, in ONE transaction. Throws `ScheduleAlreadyRunning`
   * and changes nothing if the namespace already has a schedule with this id.
   */
  createSchedule(req: CreateScheduleRequest): Promise<void>;

  /** The schedule with this id in the namespace, or undefined. */
  getSchedule(req: { namespace: string; scheduleId: string }): Promise<ScheduleRecord | undefined>;

  /**
   * Replaces the schedule's fields, bumps its version, upserts `timers` and deletes
   * `deleteTimers`, in ONE transaction, iff its version still equals `expectedVersion`;
   * otherwise (or if it was deleted) throws `ScheduleConflictError` and changes nothing. This
   * compare-and-set is what makes each scheduled time act once with several engines on a store.
   */
  updateSchedule(req: UpdateScheduleRequest): Promise<void>;

  /**
   * Deletes the schedule and `deleteTimers` in ONE transaction; returns false (and deletes
   * nothing) if there was no such schedule, or, with `expectedVersion`, if its version is not
   * that one (it changed since it was read).
   */
  deleteSchedule(req: DeleteScheduleRequest): Promise<boolean>;

  /**
   * Schedules of a namespace in id order, up to `limit`, after `afterScheduleId` if given; with
   * `filter` (custom search attributes and `TemporalSchedulePaused` only, no ORDER BY), those
   * that match it, evaluated and checked against the namespace's registry as for runs.
   */
  listSchedules(req: {
    namespace: string;
    limit: number;
    afterScheduleId?: string | undefined;
    filter?: ListFilter | undefined;
  }): Promise<ScheduleRecord[]>;

  close(): Promise<void>;
}

export interface RunRecord {
  namespace: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
  status: RunStatus;
  startTimeMs: number;
  closeTimeMs: number | undefined;
  nextEventId: number;
  /** Bumped by every appendToRun; the compare-and-set token (a change may append no event). */
  version: number;
  /** The engine's mutable state of the run, a JSON value the store does not interpret. */
  state: unknown;
  /** Visibility copies, queried by listRunsByQuery (absent: none, or never written). */
  searchAttributes?: Record<string, unknown> | undefined;
  memo?: Record<string, unknown> | undefined;
  /** When the first workflow task was due (start time + start delay); default startTimeMs. */
  executionTimeMs?: number | undefined;
}

export interface RunCount {
  count: number;
  /**
   * Empty unless the filter has GROUP BY ExecutionStatus; then one entry per status that some
   * matching run has (none with a count of 0), in `RunStatus`'s order (Running, Completed, …),
   * the counts summing to `count`.
   */
  groups: { status: RunStatus; count: number }[];
}

export interface ListRunsByQueryRequest {
  namespace: string;
  filter: ListFilter;
  limit: number;
  offset: number;
}

export interface NewTask {
  namespace: string;
  taskQueue: string;
  kind: TaskKind;
  runId: string;
  /** The event the task is for: the WorkflowTaskScheduled or ActivityTaskScheduled event id. */
  scheduledEventId: number;
  attempt: number;
  /**
   * The priority key it is handed out by (lower first; Temporal's `priorityKey`). Absent: the
   * default, 3. Found tasks always carry it.
   */
  priority?: number | undefined;
}
export interface TaskRecord extends NewTask {
  taskId: number;
}

export interface NewTimer {
  runId: string;
  /** Unique per run: a timer with the same key replaces the earlier one. */
  key: string;
  dueAtMs: number;
  payload: TimerPayload;
}
export type TimerRecord = NewTimer;

export interface CreateRunRequest {
  run: RunRecord;
  events: HistoryEvent[];
  tasks: NewTask[];
  timers: NewTimer[];
  /** As {@link AppendToRunRequest.heldBy} (a first workflow task handed out as it is created). */
  heldBy?: readonly string[] | undefined;
  /**
   * Custom search attributes this write introduces, with their types: registered in the same
   * transaction (a name registered already with the same type is left). One registered with
   * another type throws `InvalidArgumentError`, and the write changes nothing.
   */
  registerSearchAttributes?: SearchAttributeRegistration | undefined;
}

export interface AppendToRunRequest {
  runId: string;
  expectedNextEventId: number;
  /** The run's `version` when it was read. */
  expectedVersion: number;
  events: HistoryEvent[];
  status: RunStatus;
  closeTimeMs: number | undefined;
  nextEventId: number;
  state: unknown;
  /**
   * `JSON.stringify(state)`, when the caller has it already: the store writes it as the row's
   * state instead of serializing `state` again.
   */
  stateJson?: string | undefined;
  tasks: NewTask[];
  timers: NewTimer[];
  deleteTimerKeys: string[];
  /**
   * The timer row this write fired: deleted only if it still has this due time. A stale second
   * firing of a row (another engine's, or one whose lease ran out mid-fire) must not delete the
   * row its first firing wrote again under the same key. Deleted before `timers` are upserted.
   */
  firedTimer?: { key: string; dueAtMs: number } | undefined;
  deleteTaskIds: number[];
  /**
   * The engine processes that handed one of the run's started tasks, as of this write, to a
   * worker in their own process (ADR 0012): if such a process dies, its tasks are found by
   * {@link Store.listRunsHeldBy} and given out again. Empty or absent: none.
   */
  heldBy?: readonly string[] | undefined;
  /**
   * The write may wait, up to the store's linger window, for more writes to share its
   * transaction (the run's next write, usually): the engine sets it for an activity result whose
   * workflow task went straight back to the worker, whose answer follows within a millisecond or
   * so. It waits for that write also while other runs' writes commit without it (a busy store
   * commits every turn); a later write to its run that does not linger, its window's end, or
   * close() takes it along. The promise still resolves only once the write is committed. A hint:
   * a store may commit at once.
   */
  linger?: boolean | undefined;
  /**
   * The earlier write to this run, sent but not yet committed, that this one was decided on (a
   * lingering write the engine's cache already shows): if that one fails, this one fails too,
   * with RunConflictError, even where its compare-and-set alone would pass (another engine's
   * write may have left the row at the very version and event id this one expects).
   */
  after?: AppendToRunRequest | undefined;
  /** When given, replace the run's visibility copies (listRunsByQuery); absent keeps them. */
  searchAttributes?: Record<string, unknown> | undefined;
  memo?: Record<string, unknown> | undefined;
  /** A run to create in the same transaction (continue-as-new). */
  createRun?: CreateRunRequest | undefined;
  /**
   * Custom search attributes this write introduces, with their types: registered in the same
   * transaction (a name registered already with the same type is left). One registered with
   * another type throws `InvalidArgumentError`, and the write changes nothing.
   */
  registerSearchAttributes?: SearchAttributeRegistration | undefined;
}

export interface FindTasksRequest {
  namespace: string;
  taskQueue: string;
  kind: TaskKind;
  /** Tasks this process is already starting. */
  skipTaskIds: readonly number[];
  /** At most this many tasks, at least 1. */
  limit: number;
}

export interface TakeDueTimersRequest {
  nowMs: number;
  limit: number;
  leaseMs: number;
  /** The engine process taking them: its leases are freed when it is removed. */
  owner?: string | undefined;
}

/**
 * An engine process using the store (ADR 0012). `hostKey` names the kernel boot and pid
 * namespace it ran in; another engine with the same key may check `pid` (and `pidStart`, the
 * kernel's start time of that pid) to tell that it is gone.
 */
export interface EngineProcessRecord {
  processId: string;
  hostKey: string | undefined;
  pid: number;
  pidStart: string | undefined;
  startedAtMs: number;
  seenAtMs: number;
}

export interface WorkerRegistration {
  namespace: string;
  taskQueue: string;
  identity: string;
  buildId: string | undefined;
  workflowTypes: string[];
  activityTypes: string[];
  /** Signal names the workflow bundle defines; `null` when any name may be handled. */
  signalNames: string[] | null;
  seenAtMs: number;
}

/** A schedule as stored: what its owner set, and what the engine keeps (`info`). */
export interface ScheduleRecord {
  namespace: string;
  scheduleId: string;
  spec: ScheduleSpec;
  action: ScheduleAction;
  policies: SchedulePolicies;
  state: ScheduleState;
  info: ScheduleInfo;
  memo: Record<string, unknown> | undefined;
  searchAttributes: Record<string, unknown> | undefined;
  /** When the next action is due (for readers); undefined when none is. */
  nextActionAtMs: number | undefined;
  /** Bumped by every updateSchedule: the compare-and-set token. */
  version: number;
}

/** Custom search attributes a write registers in its namespace (name → type). */
/** A namespace as the store holds it. */
export interface NamespaceRecord {
  namespace: string;
  /** What the namespace is for, as its creator wrote it ('' when none was given). */
  description: string;
  /**
   * When it was created (epoch ms). A namespace created before Reprise recorded it holds the
   * time its database was created: exact for `default`, made with the database.
   */
  createdAtMs: number;
}

export interface SearchAttributeRegistration {
  namespace: string;
  types: SearchAttributeTypes;
}

export interface TimerRef {
  runId: string;
  key: string;
}

export interface CreateScheduleRequest {
  schedule: ScheduleRecord;
  timers: NewTimer[];
  /**
   * Custom search attributes this write introduces, with their types: registered in the same
   * transaction (a name registered already with the same type is left). One registered with
   * another type throws `InvalidArgumentError`, and the write changes nothing.
   */
  registerSearchAttributes?: SearchAttributeRegistration | undefined;
}

export interface DeleteScheduleRequest {
  namespace: string;
  scheduleId: string;
  deleteTimers: TimerRef[];
  /** Delete only the schedule at this version (a compare-and-delete). */
  expectedVersion?: number | undefined;
}

export interface UpdateScheduleRequest {
  /** The new fields; `version` is ignored (the store bumps it). */
  schedule: ScheduleRecord;
  expectedVersion: number;
  timers: NewTimer[];
  deleteTimers: TimerRef[];
  /**
   * Custom search attributes this write introduces, with their types: registered in the same
   * transaction (a name registered already with the same type is left). One registered with
   * another type throws `InvalidArgumentError`, and the write changes nothing.
   */
  registerSearchAttributes?: SearchAttributeRegistration | undefined;
}
