// The embedded SQLite backend of the store contract (store.ts). Every write runs in a
// BEGIN IMMEDIATE transaction, so several processes may share one database file.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Database from 'better-sqlite3';
import {
  IllegalStateError,
  InvalidArgumentError,
  NamespaceAlreadyExistsError,
  NamespaceNotFoundError,
  RunConflictError,
  ScheduleAlreadyRunning,
  ScheduleConflictError,
  UnavailableError,
  WorkflowExecutionAlreadyStartedError,
  ensureError,
} from '../../errors.ts';
import type { HistoryEvent } from '../../protocol/history-events.ts';
import type { ListFilter } from '../../protocol/list-filter.ts';
import type {
  IndexedValueType,
  SearchAttributeTypes,
} from '../../protocol/search-attribute-types.ts';
import { RunStatus } from '../../protocol/run-status.ts';
import {
  assertAppendSequence,
  assertCreateSequence,
  engineProcessFromRow,
  engineProcessToRow,
  eventsFromBatch,
  eventsToBatchRow,
  heldByToColumn,
  namespaceFromRow,
  objectToColumn,
  parseRow,
  runFromRow,
  runToRow,
  SearchAttributeTypeRow,
  stateToColumn,
  queuedTaskFromRow,
  taskToRow,
  timerFromRow,
  timerToRow,
  workerFromRow,
  workerToRow,
} from '../rows.ts';
import type { EngineProcessRow } from '../rows.ts';
import type {
  AppendToRunRequest,
  EngineProcessRecord,
  FindTasksRequest,
  CreateRunRequest,
  ListRunsByQueryRequest,
  NamespaceRecord,
  NewTask,
  NewTimer,
  RunCount,
  RunRecord,
  SearchAttributeRegistration,
  Store,
  TakeDueTimersRequest,
  TaskRecord,
  TimerRecord,
  WorkerRegistration,
} from '../store.ts';
import { SCHEDULE_COLUMNS, scheduleFromRow, scheduleToRow } from '../schedule-rows.ts';
import type { ScheduleRow } from '../schedule-rows.ts';
import type {
  CreateScheduleRequest,
  DeleteScheduleRequest,
  ScheduleRecord,
  UpdateScheduleRequest,
} from '../store.ts';
import { migrate } from './migrate.ts';
import { prepareScheduleQueries } from './queries/schedules.ts';
import { prepareSearchAttributeTypeQueries } from './queries/search-attribute-types.ts';
import { prepareHistoryQueries } from './queries/history.ts';
import { prepareNamespaceQueries } from './queries/namespaces.ts';
import { assertFilterFitsRegistry } from '../list-filter-registry.ts';
import { listFilterToSql } from './list-filter-sql.ts';
import { RUN_COLUMNS, prepareRunQueries } from './queries/runs.ts';
import { prepareTaskQueries } from './queries/tasks.ts';
import { prepareTimerQueries } from './queries/timers.ts';
import { prepareWorkerQueries } from './queries/workers.ts';
import { prepareEngineProcessQueries } from './queries/engine-processes.ts';
import type { SqliteErrorContext } from './sqlite-errors.ts';
import { SyncLevels } from './sync-levels.ts';
import { sqliteErrorKind, translateSqliteError } from './sqlite-errors.ts';

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' for a private in-memory database. */
  path: string;
  /**
   * How long a write marked `linger` may wait for its run's next write to share its transaction
   * before it is committed without it (default 20 ms). Writes not marked are committed at the end
   * of the turn of the event loop they arrive in, with the lingering writes of their own runs.
   */
  lingerMs?: number | undefined;
}

const DEFAULT_LINGER_MS = 20;

/** How long SQLite itself waits for another connection's write lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;
/** Further attempts after SQLITE_BUSY outlasted the busy timeout. */
const BUSY_RETRIES = 3;

type Queries = ReturnType<typeof prepareQueries>;

function prepareQueries(db: Database.Database) {
  return {
    namespaces: prepareNamespaceQueries(db),
    runs: prepareRunQueries(db),
    history: prepareHistoryQueries(db),
    tasks: prepareTaskQueries(db),
    timers: prepareTimerQueries(db),
    workers: prepareWorkerQueries(db),
    engineProcesses: prepareEngineProcessQueries(db),
    schedules: prepareScheduleQueries(db),
    searchAttributeTypes: prepareSearchAttributeTypeQueries(db),
  };
}

export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #q: Queries;
  readonly #tx: ReturnType<typeof prepareTransactions>;
  readonly #sync: SyncLevels;
  #pending: PendingAppend[] = [];
  /**
   * How the pending batch will be flushed: at the end of this turn, or when its linger window
   * ends (`dueMs`, on `performance.now()`).
   */
  #flushAt: { kind: 'turn' } | { kind: 'linger'; dueMs: number } | undefined;
  readonly #lingerMs: number;
  /**
   * The timer that ends linger windows. A window that a write of the turn closes early leaves it
   * armed (unref'd) rather than clearing it (it then fires for nothing, at most `lingerMs`
   * later), and the next window reuses it: W1 opens and closes a window at every step, and a
   * timer set and cleared each time was a measurable part of its cost (bench/RESULTS.md,
   * seventeenth pass).
   */
  #lingerTimer: NodeJS.Timeout | undefined;
  /** When #lingerTimer fires (performance.now()). */
  #lingerTimerDueMs = 0;
  #transactions = 0;
  /** Set by close(): nothing is held back any more (#holdBack). */
  #closing = false;
  /** Appends that failed: a write sent later that was decided on one of them fails too. */
  readonly #failedWrites = new WeakSet<AppendToRunRequest>();
  /** The batch being committed, if any: the next waits for it (see #flush). */
  #flushing: Promise<void> = Promise.resolve();
  /** Namespaces seen to exist: they are never removed, so one read each is enough. */
  readonly #namespaces = new Set<string>();

  private constructor(db: Database.Database, lingerMs: number) {
    this.#lingerMs = lingerMs;
    this.#db = db;
    this.#q = prepareQueries(db);
    this.#tx = prepareTransactions(db, this.#q);
    this.#sync = new SyncLevels(db);
  }

  /**
   * Opens (creating if needed) the database at `path` and brings its schema up to date. Throws
   * `InvalidArgumentError` if the file's directory does not exist, and `UnavailableError` if the
   * file cannot be opened or stays locked by other processes.
   */
  static async open(opts: SqliteStoreOptions): Promise<SqliteStore> {
    const dir = dirname(resolve(opts.path));
    if (opts.path !== ':memory:' && !existsSync(dir)) {
      throw new InvalidArgumentError(
        `Cannot open SQLite database '${opts.path}': directory ${dir} does not exist. ` +
          'Create it first, or choose another path.',
      );
    }
    return withBusyRetry({ operation: `open SQLite store '${opts.path}'` }, () => {
      const db = new Database(opts.path, { timeout: BUSY_TIMEOUT_MS });
      try {
        db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
        if (!db.memory) requireWal(db, opts.path);
        new SyncLevels(db).full();
        db.pragma('foreign_keys = ON');
        migrate(db, { nowMs: Date.now() });
        return new SqliteStore(db, opts.lingerMs ?? DEFAULT_LINGER_MS);
      } catch (e) {
        db.close();
        throw e;
      }
    });
  }

  async ensureNamespace(req: {
    namespace: string;
    createdAtMs?: number | undefined;
  }): Promise<void> {
    await this.#write('ensureNamespace', () => {
      this.#tx.ensureNamespace.immediate(req.namespace, req.createdAtMs ?? Date.now());
    });
  }

  async createNamespace(req: NamespaceRecord): Promise<void> {
    await this.#write(
      {
        operation: 'createNamespace',
        onUniqueViolation: () => new NamespaceAlreadyExistsError(req.namespace),
      },
      () => {
        this.#tx.createNamespace.immediate(req);
      },
    );
    this.#namespaces.add(req.namespace);
  }

  async getNamespace(req: { namespace: string }): Promise<NamespaceRecord | undefined> {
    return this.#read('getNamespace', () => {
      const row = this.#q.namespaces.get.get(req.namespace);
      return row === undefined ? undefined : namespaceFromRow(row);
    });
  }

  async listNamespaces(): Promise<NamespaceRecord[]> {
    return this.#read('listNamespaces', () => this.#q.namespaces.list.all().map(namespaceFromRow));
  }

  async hasNamespace(req: { namespace: string }): Promise<boolean> {
    return this.#read('hasNamespace', () => {
      if (this.#namespaces.has(req.namespace)) return true;
      const found = this.#q.namespaces.exists.get(req.namespace) !== undefined;
      if (found) this.#namespaces.add(req.namespace);
      return found;
    });
  }

  async createRun(req: CreateRunRequest): Promise<void> {
    assertCreateSequence(req);
    await this.#groupCommit({ kind: 'create', req });
  }

  async getRun(req: { runId: string }): Promise<RunRecord | undefined> {
    return this.#read('getRun', () => {
      const row = this.#q.runs.get.get(req.runId);
      return row === undefined ? undefined : runFromRow(row);
    });
  }

  async findRun(req: {
    namespace: string;
    workflowId: string;
    runId?: string | undefined;
  }): Promise<RunRecord | undefined> {
    return this.#read('findRun', () => {
      const row =
        req.runId === undefined
          ? this.#q.runs.latestOfWorkflow.get(req.namespace, req.workflowId)
          : this.#q.runs.getInWorkflow.get(req.runId, req.namespace, req.workflowId);
      return row === undefined ? undefined : runFromRow(row);
    });
  }

  appendToRun(req: AppendToRunRequest): Promise<void> {
    // Not async: the call's own promise and its await were two of a step's ~95 promises.
    try {
      assertAppendSequence(req);
    } catch (e) {
      return Promise.reject(ensureError(e));
    }
    // One decided on a write that failed already does not wait for its window: it fails.
    const linger = req.linger === true && !this.#afterFailed({ kind: 'append', req });
    return this.#groupCommit({ kind: 'append', req }, linger);
  }

  /**
   * Group commit: appends and run creations that arrive in the same turn of the event loop (many
   * runs' steps or starts under load) share ONE transaction and so one fsync; one write's
   * conflict undoes only that write (see `appendBatch`). Every caller is answered only after the
   * commit, so an acknowledged write is as durable as a lone one. A lingering write
   * (AppendToRunRequest.linger) waits up to the linger window for a later write to its run
   * (#holdBack).
   */
  #groupCommit(write: BatchedWrite, linger = false): Promise<void> {
    return new Promise((resolve, reject) => {
      const dueMs = performance.now() + this.#lingerMs;
      this.#pending.push({ write, resolve, reject, ...(linger && { dueMs }) });
      if (this.#flushAt?.kind === 'turn') return;
      if (linger) {
        if (this.#flushAt !== undefined) return;
        this.#flushAt = { kind: 'linger', dueMs };
        if (this.#lingerTimer === undefined) this.#armLingerTimer(dueMs);
        else this.#lingerTimer.ref();
        return;
      }
      // A window this write closes leaves the timer armed, but not holding the process open.
      this.#lingerTimer?.unref();
      this.#flushAt = { kind: 'turn' };
      setImmediate(() => void this.#flush());
    });
  }

  /**
   * Commits the pending writes. Batches commit one after another, in the order they were made,
   * even when one waits out a busy file (another process's transaction): a write decided on one
   * in an earlier batch must not commit first. (A lingering write held back commits after later
   * batches, but never after a later write to its own run, the only ones decided on it.)
   */
  #flush(): Promise<void> {
    this.#flushAt = undefined;
    const done = this.#flushing.then(() => this.#flushPending());
    this.#flushing = done.catch(() => undefined);
    return done;
  }

  /** Flushes a window whose time is up; sets the timer again for one that opened since. */
  #lingerTimerFired(): void {
    this.#lingerTimer = undefined;
    if (this.#flushAt?.kind !== 'linger') return;
    if (this.#flushAt.dueMs <= performance.now()) void this.#flush();
    else this.#armLingerTimer(this.#flushAt.dueMs);
  }

  #armLingerTimer(dueMs: number): void {
    this.#lingerTimerDueMs = dueMs;
    this.#lingerTimer = setTimeout(() => {
      this.#lingerTimerFired();
    }, dueMs - performance.now());
  }

  async #flushPending(): Promise<void> {
    const batch = this.#holdBack(this.#pending);
    if (batch.length === 0) return;
    const outcomes = new Map<PendingAppend, unknown>();
    try {
      await this.#write('appendToRun', () => {
        outcomes.clear();
        this.#tx.appendBatch.immediate(batch, outcomes, this.#failedWrites);
      });
    } catch (e) {
      for (const p of batch) this.#failed(p, e);
      return;
    }
    for (const p of batch) {
      const failure = outcomes.get(p);
      if (failure === undefined) p.resolve();
      else this.#failed(p, translateSqliteError(failure, errorContextOf(p.write)));
    }
  }

  /**
   * Takes the pending writes to commit now. A run's lingering writes stay pending while all of
   * its writes in the batch linger, within their windows: other runs' writes commit without
   * them, so that they still share their run's next write (the answer they wait for) when a busy
   * store commits every turn. A run's writes stay together: any write to it that does not linger
   * (always its last, as the engine awaits it before deciding again) takes them along. One decided
   * on a write that failed goes at once, to fail.
   */
  #holdBack(all: PendingAppend[]): PendingAppend[] {
    this.#pending = [];
    if (this.#closing) return all;
    const now = performance.now();
    // Per run: the earliest end of its writes' windows while all of them may wait, else false.
    const waits = new Map<string, number | false>();
    for (const p of all) {
      const runId = runIdOf(p.write);
      const until = waits.get(runId);
      const due = p.dueMs ?? 0;
      const may = due > now && until !== false && !this.#afterFailed(p.write);
      waits.set(runId, may ? Math.min(until ?? Infinity, due) : false);
    }
    const held: PendingAppend[] = [];
    const out: PendingAppend[] = [];
    let dueMs = Infinity;
    for (const p of all) {
      const until = waits.get(runIdOf(p.write));
      if (until === undefined || until === false) {
        out.push(p);
        continue;
      }
      held.push(p);
      dueMs = Math.min(dueMs, until);
    }
    if (held.length === 0) return all;
    this.#pending = held;
    // A write that came since the flush began set its own flush; one due later must not delay
    // these. The timer is replaced only if it would fire late (#lingerTimerFired sets it again).
    if (this.#flushAt?.kind !== 'turn' && (this.#flushAt?.dueMs ?? Infinity) > dueMs) {
      this.#flushAt = { kind: 'linger', dueMs };
    }
    if (this.#lingerTimer === undefined || this.#lingerTimerDueMs > dueMs) {
      clearTimeout(this.#lingerTimer);
      this.#armLingerTimer(dueMs);
    } else {
      this.#lingerTimer.ref();
    }
    return out;
  }

  #afterFailed(w: BatchedWrite): boolean {
    return w.kind === 'append' && w.req.after !== undefined && this.#failedWrites.has(w.req.after);
  }

  #failed(p: PendingAppend, e: unknown): void {
    if (p.write.kind === 'append') this.#failedWrites.add(p.write.req);
    p.reject(e);
  }

  async readHistory(req: {
    runId: string;
    fromEventId?: number | undefined;
  }): Promise<HistoryEvent[]> {
    const from = req.fromEventId ?? 1;
    return this.#read('readHistory', () =>
      this.#q.history.read
        .all(req.runId, from)
        .flatMap((row) => eventsFromBatch(row.events, req.runId, from)),
    );
  }

  async findTasks(req: FindTasksRequest): Promise<TaskRecord[]> {
    return this.#read('findTasks', () =>
      this.#q.tasks
        .find(req.limit)
        .all({
          namespace: req.namespace,
          task_queue: req.taskQueue,
          kind: req.kind,
          skip: JSON.stringify(req.skipTaskIds),
        })
        .map((row) => queuedTaskFromRow(req, row)),
    );
  }

  async deleteTask(req: { taskId: number }): Promise<void> {
    await this.#write('deleteTask', () => {
      this.#tx.deleteTask.immediate(req.taskId);
    });
  }

  /**
   * The leases are written without waiting for an fsync (synchronous=NORMAL for this one
   * transaction, ADR 0014): a lease only hides the timers from other engines while this one
   * fires them, and the next synced commit makes it durable with everything before it. A lease
   * lost to an OS crash or a power loss leaves the row's earlier lease, which had ended: its
   * timers are free at once. A process crash alone loses nothing.
   */
  async takeDueTimers(req: TakeDueTimersRequest): Promise<TimerRecord[]> {
    const take = () => this.#sync.unsynced(() => this.#tx.takeDueTimers.immediate(req));
    return this.#write('takeDueTimers', take, { durable: false });
  }

  async deleteTimer(req: { runId: string; key: string }): Promise<void> {
    await this.#write('deleteTimer', () => {
      this.#tx.deleteTimer.immediate(req.runId, req.key);
    });
  }

  async nextTimerDueAt(): Promise<number | undefined> {
    return this.#read('nextTimerDueAt', () => this.#q.timers.nextAvailableAt.get()?.t);
  }

  async registerWorker(req: WorkerRegistration): Promise<void> {
    await this.#write('registerWorker', () => {
      this.#tx.registerWorker.immediate(workerToRow(req));
    });
  }

  async registerEngineProcess(req: EngineProcessRecord): Promise<void> {
    await this.#write('registerEngineProcess', () => {
      this.#tx.registerEngineProcess.immediate(engineProcessToRow(req));
    });
  }

  async listEngineProcesses(): Promise<EngineProcessRecord[]> {
    return this.#read('listEngineProcesses', () =>
      this.#q.engineProcesses.list.all().map(engineProcessFromRow),
    );
  }

  foreignWrites(): number {
    this.#assertOpen('foreignWrites');
    return this.#q.engineProcesses.dataVersion.get() ?? 0;
  }

  async removeEngineProcess(req: { processId: string }): Promise<boolean> {
    return this.#write('removeEngineProcess', () =>
      this.#tx.removeEngineProcess.immediate(req.processId),
    );
  }

  async listRunsHeldBy(req: { processId: string }): Promise<string[]> {
    return this.#read('listRunsHeldBy', () =>
      this.#q.engineProcesses.runsHeldBy.all(req.processId).map((r) => r.run_id),
    );
  }

  async listWorkerRegistrations(req: {
    namespace: string;
    taskQueue: string;
    sinceMs: number;
  }): Promise<WorkerRegistration[]> {
    return this.#read('listWorkerRegistrations', () =>
      this.#q.workers.listSince.all(req.namespace, req.taskQueue, req.sinceMs).map(workerFromRow),
    );
  }

  async listRuns(req: { namespace: string; limit: number }): Promise<RunRecord[]> {
    return this.#read('listRuns', () =>
      this.#q.runs.list.all(req.namespace, req.limit).map(runFromRow),
    );
  }

  async listRunsByQuery(req: ListRunsByQueryRequest): Promise<RunRecord[]> {
    return this.#read('listRunsByQuery', () => {
      assertFilterFitsRegistry(this.#typeOf(req.namespace), req.namespace, req.filter, 'runs');
      const sql = listFilterToSql(req.filter);
      return this.#db
        .prepare(
          `SELECT ${RUN_COLUMNS} FROM runs WHERE namespace = ? AND ${sql.where} ` +
            `ORDER BY ${sql.orderBy} LIMIT ? OFFSET ?`,
        )
        .all(req.namespace, ...sql.whereParams, ...sql.orderByParams, req.limit, req.offset)
        .map(runFromRow);
    });
  }

  async countRuns(req: { namespace: string; filter: ListFilter }): Promise<RunCount> {
    return this.#read('countRuns', () => {
      assertFilterFitsRegistry(this.#typeOf(req.namespace), req.namespace, req.filter, 'runs');
      const sql = listFilterToSql(req.filter);
      const where = `FROM runs WHERE namespace = ? AND ${sql.where}`;
      if (req.filter.groupBy === undefined) {
        const row = this.#db
          .prepare<unknown[], { n: number }>(`SELECT count(*) AS n ${where}`)
          .get(req.namespace, ...sql.whereParams);
        return { count: row?.n ?? 0, groups: [] };
      }
      const rows = this.#db
        .prepare<unknown[], { status: string; n: number }>(
          `SELECT status, count(*) AS n ${where} GROUP BY status`,
        )
        .all(req.namespace, ...sql.whereParams);
      const groups = Object.values(RunStatus).flatMap((status) => {
        const row = rows.find((r) => r.status === status);
        return row === undefined ? [] : [{ status, count: row.n }];
      });
      return { count: groups.reduce((sum, g) => sum + g.count, 0), groups };
    });
  }

  /** A lookup of the namespace's registered types, for the check of a list filter's names. */
  #typeOf(namespace: string): (name: string) => IndexedValueType | undefined {
    return (name) => {
      const row = this.#q.searchAttributeTypes.get.get(namespace, name);
      return row === undefined ? undefined : registeredType(namespace, { name, ...row });
    };
  }

  async listSearchAttributes(req: { namespace: string }): Promise<SearchAttributeTypes> {
    return this.#read('listSearchAttributes', () => {
      const types: SearchAttributeTypes = {};
      for (const row of this.#q.searchAttributeTypes.list.all(req.namespace)) {
        types[row.name] = registeredType(req.namespace, row);
      }
      return types;
    });
  }

  async addSearchAttributes(req: {
    namespace: string;
    types: SearchAttributeTypes;
  }): Promise<void> {
    await this.#write(
      {
        operation: 'addSearchAttributes',
        onForeignKeyViolation: () => new NamespaceNotFoundError(req.namespace),
      },
      () => {
        this.#tx.registerSearchAttributes.immediate(req, 'add');
      },
    );
  }

  async removeSearchAttributes(req: {
    namespace: string;
    names: readonly string[];
  }): Promise<void> {
    await this.#write('removeSearchAttributes', () => {
      this.#tx.removeSearchAttributes.immediate(req);
    });
  }

  async createSchedule(req: CreateScheduleRequest): Promise<void> {
    const { schedule } = req;
    await this.#write(
      {
        operation: 'createSchedule',
        onUniqueViolation: () =>
          new ScheduleAlreadyRunning(schedule.scheduleId, schedule.namespace),
        onForeignKeyViolation: () => new NamespaceNotFoundError(schedule.namespace),
      },
      () => {
        this.#tx.createSchedule.immediate(req);
      },
    );
  }

  async getSchedule(req: {
    namespace: string;
    scheduleId: string;
  }): Promise<ScheduleRecord | undefined> {
    return this.#read('getSchedule', () => {
      const row = this.#q.schedules.get.get(req.namespace, req.scheduleId);
      return row === undefined ? undefined : scheduleFromRow(row);
    });
  }

  async updateSchedule(req: UpdateScheduleRequest): Promise<void> {
    await this.#write('updateSchedule', () => {
      this.#tx.updateSchedule.immediate(req);
    });
  }

  async deleteSchedule(req: DeleteScheduleRequest): Promise<boolean> {
    return this.#write('deleteSchedule', () => this.#tx.deleteSchedule.immediate(req));
  }

  async listSchedules(req: {
    namespace: string;
    limit: number;
    afterScheduleId?: string | undefined;
    filter?: ListFilter | undefined;
  }): Promise<ScheduleRecord[]> {
    const { filter } = req;
    return this.#read('listSchedules', () => {
      if (filter === undefined) {
        return this.#q.schedules.list
          .all(req.namespace, req.afterScheduleId ?? '', req.limit)
          .map(scheduleFromRow);
      }
      assertFilterFitsRegistry(this.#typeOf(req.namespace), req.namespace, filter, 'schedules');
      const sql = listFilterToSql(filter);
      // The filter reads `search_attributes`: here the schedule's, with TemporalSchedulePaused
      // added; the row read back has the stored ones.
      const filtered = SCHEDULE_COLUMNS.replace(
        'search_attributes',
        "json_set(coalesce(search_attributes, '{}'), '$.TemporalSchedulePaused', " +
          "json(CASE WHEN json_extract(state, '$.paused') THEN 'true' ELSE 'false' END)) " +
          'AS search_attributes, search_attributes AS stored_search_attributes',
      );
      const stored = SCHEDULE_COLUMNS.replace(
        'search_attributes',
        'stored_search_attributes AS search_attributes',
      );
      return this.#db
        .prepare(
          `SELECT ${stored} FROM (SELECT ${filtered} FROM schedules) ` +
            `WHERE namespace = ? AND schedule_id > ? AND ${sql.where} ORDER BY schedule_id LIMIT ?`,
        )
        .all(req.namespace, req.afterScheduleId ?? '', ...sql.whereParams, req.limit)
        .map((row) => scheduleFromRow(row as ScheduleRow));
    });
  }

  /**
   * Write transactions this store has run that waited for their fsync (each one durable commit;
   * a group commit is one), for benchmarks and metrics. Timer leases, which do not wait for one,
   * are not counted.
   */
  get writeTransactions(): number {
    return this.#transactions;
  }

  /**
   * Commits the writes still waiting for their batch, then closes the database. Closing twice is
   * a no-op; any other call after close throws.
   */
  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    // With its timer gone, a window left open (a lingering write that joined a batch already
    // flushing) would hold every later lingering write: they must reach #write and be refused.
    this.#flushAt = undefined;
    if (this.#db.open && this.#pending.length > 0) await this.#flush();
    // A batch already committing (waiting out another process's lock) ends first, too: its
    // writers are waiting for it, and closing under it would fail them.
    else await this.#flushing;
    if (this.#db.open) this.#db.close();
  }

  /** Reads are single statements: each sees one consistent snapshot without a transaction. */
  async #read<T>(operation: string, fn: () => T): Promise<T> {
    return withBusyRetry({ operation }, () => {
      this.#assertOpen(operation);
      return fn();
    });
  }

  async #write<T>(
    ctx: string | SqliteErrorContext,
    fn: () => T,
    /** False for a write that does not wait for its fsync ({@link SyncLevels.unsynced}). */
    opts: { durable: boolean } = { durable: true },
  ): Promise<T> {
    const context = typeof ctx === 'string' ? { operation: ctx } : ctx;
    return withBusyRetry(context, () => {
      this.#assertOpen(context.operation);
      const out = fn();
      if (opts.durable) this.#transactions++;
      return out;
    });
  }

  #assertOpen(operation: string): void {
    if (!this.#db.open) {
      throw new IllegalStateError(`${operation}: the SQLite store was closed; open a new one.`);
    }
  }
}

type BatchedWrite =
  { kind: 'append'; req: AppendToRunRequest } | { kind: 'create'; req: CreateRunRequest };

interface PendingAppend {
  write: BatchedWrite;
  /** A lingering write's end of window (performance.now()). */
  dueMs?: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * The batch in units written together: a plain append to a run joins the run's unit before it
 * when it continues that one exactly (its compare-and-set expects what that one leaves: an
 * activity result lingering for the workflow task's answer that follows, ADR 0007). Anything
 * else is a unit of its own. Units are written in the order of their last writes, so no write
 * of another run that came before a chain's last one sees part of the chain.
 */
/** A search_attribute_types row's type, checked: a bad row is a CorruptRowError. */
function registeredType(namespace: string, row: { name: string; type: string }): IndexedValueType {
  const where = `type of search attribute '${row.name}' in namespace '${namespace}'`;
  return parseRow(SearchAttributeTypeRow, row, where).type;
}

function chainsOf(batch: readonly PendingAppend[]): PendingAppend[][] {
  const units: PendingAppend[][] = [];
  const lastAt = new Map<PendingAppend[], number>();
  const open = new Map<string, PendingAppend[]>();
  batch.forEach((p, i) => {
    const w = p.write;
    const runId = w.kind === 'append' ? w.req.runId : w.req.run.runId;
    // One that registers search attributes may be refused alone: it gets its own savepoint.
    const plain =
      w.kind === 'append' &&
      w.req.createRun === undefined &&
      w.req.registerSearchAttributes === undefined;
    const unit = open.get(runId);
    const before = unit?.at(-1)?.write;
    if (
      plain &&
      unit !== undefined &&
      before?.kind === 'append' &&
      before.req.nextEventId === w.req.expectedNextEventId &&
      before.req.expectedVersion + 1 === w.req.expectedVersion
    ) {
      unit.push(p);
      lastAt.set(unit, i);
      return;
    }
    const own = [p];
    units.push(own);
    lastAt.set(own, i);
    if (plain) open.set(runId, own);
    else open.delete(runId);
  });
  return units.sort((a, b) => (lastAt.get(a) ?? 0) - (lastAt.get(b) ?? 0));
}

/** An append's compare-and-set failed, inside a transaction: a RunConflictError per write. */
class ChainConflict extends Error {}

function conflictOf(p: PendingAppend): RunConflictError {
  const req = appendOf(p);
  return new RunConflictError(req.runId, req.expectedNextEventId);
}

function runIdOf(w: BatchedWrite): string {
  return w.kind === 'append' ? w.req.runId : w.req.run.runId;
}

function appendOf(p: PendingAppend): AppendToRunRequest {
  if (p.write.kind !== 'append') throw new IllegalStateError('A chain holds appends only.');
  return p.write.req;
}

function errorContextOf(w: BatchedWrite): SqliteErrorContext {
  if (w.kind === 'append') return { operation: 'appendToRun' };
  const { run } = w.req;
  return {
    operation: 'createRun',
    // A clash on the running workflow id was reported inside the transaction.
    onUniqueViolation: () =>
      new IllegalStateError(
        `createRun: run id ${run.runId} already exists; every run needs a fresh id.`,
      ),
    onForeignKeyViolation: () => new NamespaceNotFoundError(run.namespace),
  };
}

/** The write transactions, built once; each is run with `.immediate()` (BEGIN IMMEDIATE). */
function prepareTransactions(db: Database.Database, q: Queries) {
  const insertTasks = (tasks: readonly NewTask[]) => {
    for (const task of tasks) q.tasks.insert.run(taskToRow(task));
  };
  const upsertTimers = (timers: readonly NewTimer[]) => {
    for (const timer of timers) q.timers.upsert.run(timerToRow(timer));
  };
  const insertEvents = (runId: string, events: readonly HistoryEvent[]) => {
    if (events.length > 0) q.history.insert.run(eventsToBatchRow(runId, events));
  };

  /**
   * Registers each name not registered yet; throws InvalidArgumentError (in the caller's
   * transaction, so its write is undone) for one registered with another type.
   */
  const registerTypes = (reg: SearchAttributeRegistration | undefined, verb = 'register') => {
    if (reg === undefined) return;
    for (const [name, type] of Object.entries(reg.types)) {
      if (q.searchAttributeTypes.insert.run(reg.namespace, name, type).changes > 0) continue;
      const held = q.searchAttributeTypes.get.get(reg.namespace, name)?.type;
      if (held === type) continue;
      throw new InvalidArgumentError(
        `Cannot ${verb} search attribute '${name}' as ${type}: it is registered as ` +
          `${held ?? 'another type'} in namespace '${reg.namespace}'. Use a value of that type, ` +
          'or another name.',
      );
    }
  };

  const insertRun = (req: CreateRunRequest) => {
    const { run } = req;
    registerTypes(req.registerSearchAttributes);
    try {
      q.runs.insert.run({ ...runToRow(run), held_by: heldByToColumn(req.heldBy) });
    } catch (e) {
      // runs_running_workflow_id refused a second Running run of this workflow id. The
      // lookup runs under the same write lock, so it names the run that is really running.
      const running =
        sqliteErrorKind(e) === 'uniqueViolation'
          ? q.runs.runningRunId.get(run.namespace, run.workflowId)
          : undefined;
      if (running === undefined) throw e;
      throw new WorkflowExecutionAlreadyStartedError(
        run.workflowId,
        run.workflowType,
        running.run_id,
      );
    }
    insertEvents(run.runId, req.events);
    insertTasks(req.tasks);
    upsertTimers(req.timers);
  };

  const createRun = db.transaction((req: CreateRunRequest) => {
    insertRun(req);
  });

  /**
   * The writes of consecutive appends to one run (usually one), in the caller's transaction.
   * Contract 1: the compare-and-set on next_event_id comes first, so a conflict throws before
   * anything was written. Several (see {@link chainsOf}) write the run's row and its history
   * once: the first one's compare-and-set, the last one's state, one history row for all their
   * events; then each one's task and timer changes, in order.
   */
  const appendWrites = (chain: readonly AppendToRunRequest[]): void => {
    const first = chain[0];
    const last = chain.at(-1);
    if (first === undefined || last === undefined) {
      throw new IllegalStateError('appendToRun: a chain of appends needs at least one.');
    }
    const params = {
      run_id: first.runId,
      expected_next_event_id: first.expectedNextEventId,
      expected_version: first.expectedVersion,
      next_version: first.expectedVersion + chain.length,
      status: last.status,
      close_time_ms: last.closeTimeMs ?? null,
      next_event_id: last.nextEventId,
      state: last.stateJson ?? stateToColumn(last.state),
      search_attributes: objectToColumn(
        chain.findLast((r) => r.searchAttributes !== undefined)?.searchAttributes,
      ),
      memo: objectToColumn(chain.findLast((r) => r.memo !== undefined)?.memo),
      held_by: heldByToColumn(last.heldBy),
    };
    // Most writes keep the status: the cheaper update first, the full one when it changed.
    if (
      q.runs.updateKeepingStatus.run(params).changes === 0 &&
      q.runs.update.run(params).changes === 0
    ) {
      throw new ChainConflict();
    }
    insertEvents(first.runId, chain.length === 1 ? first.events : chain.flatMap((r) => r.events));
    for (const req of chain) {
      registerTypes(req.registerSearchAttributes);
      // Deletes before inserts: a key both deleted and upserted ends up holding the new timer.
      for (const key of req.deleteTimerKeys) q.timers.delete.run(req.runId, key);
      const fired = req.firedTimer;
      if (fired !== undefined) q.timers.deleteIfDueAt.run(req.runId, fired.key, fired.dueAtMs);
      for (const taskId of req.deleteTaskIds) q.tasks.delete.run(taskId);
      insertTasks(req.tasks);
      upsertTimers(req.timers);
      // After the status update above: a continued run no longer holds its workflow id.
      if (req.createRun !== undefined) insertRun(req.createRun);
    }
  };

  const appendToRun = db.transaction((req: AppendToRunRequest) => {
    appendWrites([req]);
  });

  return {
    ensureNamespace: db.transaction((namespace: string, createdAtMs: number) => {
      q.namespaces.ensure.run(namespace, createdAtMs);
    }),
    createNamespace: db.transaction((req: NamespaceRecord) => {
      q.namespaces.insert.run(req.namespace, req.description, req.createdAtMs);
    }),

    /**
     * A failed write is recorded in `failed` and undone alone. Plain appends need no savepoint
     * (their compare-and-set fails before they write anything; any other error fails the whole
     * batch); one that also creates a run, and a run creation, get their own savepoint. A chain
     * of appends to one run ({@link chainsOf}) whose first loses its compare-and-set fails that
     * one, and the rest are tried again from the next one's own: as if written in turn. A write
     * decided on one that failed (`after`), in this batch or in `failedBefore`, fails with it.
     */
    appendBatch: db.transaction(
      (
        batch: readonly PendingAppend[],
        failed: Map<PendingAppend, unknown>,
        failedBefore: WeakSet<AppendToRunRequest>,
      ) => {
        const failedHere = new Set<AppendToRunRequest>();
        const fail = (p: PendingAppend, e: unknown): void => {
          failed.set(p, e);
          if (p.write.kind === 'append') failedHere.add(p.write.req);
        };
        // Decided on a write that failed (`after`), here or in an earlier batch: fails with it.
        const onFailed = (p: PendingAppend): boolean => {
          const after = p.write.kind === 'append' ? p.write.req.after : undefined;
          return after !== undefined && (failedHere.has(after) || failedBefore.has(after));
        };
        for (const unit of chainsOf(batch)) {
          let rest = unit;
          for (;;) {
            const [head, ...tail] = rest;
            if (head !== undefined && onFailed(head)) {
              fail(head, conflictOf(head));
              rest = tail;
              continue;
            }
            if (head === undefined) break;
            const w = head.write;
            if (
              w.kind === 'append' &&
              w.req.createRun === undefined &&
              w.req.registerSearchAttributes === undefined
            ) {
              try {
                appendWrites(rest.map(appendOf));
                break;
              } catch (e) {
                if (!(e instanceof ChainConflict)) throw e;
                // This one lost; the rest are tried again from the next one's own.
                fail(head, conflictOf(head));
                rest = tail;
                continue;
              }
            }
            try {
              // Nested transactions: each runs in a savepoint.
              if (w.kind === 'append') appendToRun(w.req);
              else createRun(w.req);
            } catch (e) {
              fail(head, e instanceof ChainConflict ? conflictOf(head) : e);
            }
            break;
          }
        }
      },
    ),

    appendToRun,

    deleteTask: db.transaction((taskId: number) => {
      q.tasks.delete.run(taskId);
    }),

    takeDueTimers: db.transaction((req: TakeDueTimersRequest): TimerRecord[] => {
      const timers = q.timers.due.all(req.nowMs, req.nowMs, req.limit).map(timerFromRow);
      const leaseUntilMs = req.nowMs + req.leaseMs;
      for (const t of timers) q.timers.lease.run(leaseUntilMs, req.owner ?? null, t.runId, t.key);
      return timers;
    }),

    deleteTimer: db.transaction((runId: string, key: string) => {
      q.timers.delete.run(runId, key);
    }),

    registerWorker: db.transaction((row: ReturnType<typeof workerToRow>) => {
      q.workers.upsert.run(row);
    }),

    registerEngineProcess: db.transaction((row: EngineProcessRow) => {
      q.engineProcesses.upsert.run(row);
    }),

    removeEngineProcess: db.transaction((processId: string): boolean => {
      if (q.engineProcesses.delete.run(processId).changes === 0) return false;
      q.engineProcesses.releaseLeases.run(processId);
      return true;
    }),

    registerSearchAttributes: db.transaction((req: SearchAttributeRegistration, verb: string) => {
      registerTypes(req, verb);
    }),

    removeSearchAttributes: db.transaction(
      (req: { namespace: string; names: readonly string[] }) => {
        for (const name of req.names) {
          if (q.searchAttributeTypes.delete.run(req.namespace, name).changes === 0) {
            throw new InvalidArgumentError(
              `Cannot remove search attribute '${name}': namespace '${req.namespace}' does not ` +
                'register it (searchAttributes.list shows those it does).',
            );
          }
        }
      },
    ),

    createSchedule: db.transaction((req: CreateScheduleRequest) => {
      registerTypes(req.registerSearchAttributes);
      q.schedules.insert.run(scheduleToRow({ ...req.schedule, version: 0 }));
      upsertTimers(req.timers);
    }),

    updateSchedule: db.transaction((req: UpdateScheduleRequest) => {
      // The compare-and-set comes first: on a mismatch nothing was written.
      const { changes } = q.schedules.update.run({
        ...scheduleToRow(req.schedule),
        expected_version: req.expectedVersion,
      });
      if (changes === 0) {
        throw new ScheduleConflictError(req.schedule.scheduleId, req.expectedVersion);
      }
      registerTypes(req.registerSearchAttributes);
      for (const t of req.deleteTimers) q.timers.delete.run(t.runId, t.key);
      upsertTimers(req.timers);
    }),

    deleteSchedule: db.transaction((req: DeleteScheduleRequest): boolean => {
      const { changes } =
        req.expectedVersion === undefined
          ? q.schedules.delete.run(req.namespace, req.scheduleId)
          : q.schedules.deleteAtVersion.run(req.namespace, req.scheduleId, req.expectedVersion);
      if (changes === 0) return false;
      for (const t of req.deleteTimers) q.timers.delete.run(t.runId, t.key);
      return true;
    }),
  };
}

/**
 * Switches a file database to WAL mode, which several processes on one file and the timer
 * leases written without an fsync (ADR 0014) rely on. SQLite keeps the old mode where WAL cannot
 * work (e.g. some network filesystems, which lack shared memory): refused then.
 */
function requireWal(db: Database.Database, path: string): void {
  const mode: unknown = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') {
    throw new UnavailableError(
      `Cannot use SQLite database '${path}': it could not be switched to WAL mode (journal mode ` +
        `is '${String(mode)}'). Put the file on a local filesystem.`,
    );
  }
}

/**
 * Runs `fn`, retrying a few times when SQLITE_BUSY outlasted SQLite's own busy timeout (another
 * process held the write lock), and translates any driver error into ours.
 */
async function withBusyRetry<T>(ctx: SqliteErrorContext, fn: () => T): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (e) {
      if (sqliteErrorKind(e) === 'busy' && attempt < BUSY_RETRIES) {
        await delay(25 * 2 ** attempt + Math.random() * 25);
        continue;
      }
      throw translateSqliteError(e, ctx);
    }
  }
}
