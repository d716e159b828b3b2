// The PostgreSQL backend of the store contract (store.ts), on node-postgres: several engine
// processes, on several machines, may share one database.
import {
  NamespaceAlreadyExistsError,
  RunConflictError,
  UnavailableError,
  ensureError,
} from '../../errors.ts';
import type { HistoryEvent } from '../../protocol/history-events.ts';
import type { ListFilter } from '../../protocol/list-filter.ts';
import type { SearchAttributeTypes } from '../../protocol/search-attribute-types.ts';
import type {
  AppendToRunRequest,
  CreateRunRequest,
  CreateScheduleRequest,
  DeleteScheduleRequest,
  EngineProcessRecord,
  FindTasksRequest,
  ListRunsByQueryRequest,
  NamespaceRecord,
  RunCount,
  RunRecord,
  ScheduleRecord,
  Store,
  TakeDueTimersRequest,
  TaskRecord,
  TimerRecord,
  UpdateScheduleRequest,
  WorkerRegistration,
} from '../store.ts';
import { assertAppendSequence, assertCreateSequence } from '../rows.ts';
import { ForeignWrites } from './foreign-writes.ts';
import { migrate } from './migrate.ts';
import { PostgresDb } from './postgres-db.ts';
import type { PostgresDbOptions, Queryable } from './postgres-db.ts';
import type { PostgresErrorContext } from './postgres-errors.ts';
import * as history from './queries/history.ts';
import * as namespaceQueries from './queries/namespaces.ts';
import * as runs from './queries/runs.ts';
import * as tasks from './queries/tasks.ts';
import * as timers from './queries/timers.ts';
import * as workers from './queries/workers.ts';
import { LingeringAppends } from './lingering-appends.ts';
import { WriteQueue, mayShare } from './write-queue.ts';
import type { PendingAppend, PendingWrite, Take } from './write-queue.ts';
import {
  appendBatchWrites,
  appendWrites,
  createBatchWrites,
  createRunWrites,
  runWriteErrorContext,
} from './run-writes.ts';
import { deleteTimer } from './timer-writes.ts';
import * as schedules from './schedules.ts';
import * as visibility from './visibility.ts';

export interface PostgresStoreOptions extends PostgresDbOptions {
  /**
   * How long a write marked `linger` may wait for its run's next write to share its transaction
   * before it is committed alone (default 20 ms, as the SQLite store's).
   */
  lingerMs?: number | undefined;
  /**
   * How many group-commit transactions (of appends and run creations) may run at once (default
   * 2): writes that arrive while that many run wait, and share the next one.
   */
  maxBatches?: number | undefined;
}

const DEFAULT_LINGER_MS = 20;
const DEFAULT_MAX_BATCHES = 2;
/** Runs in one group commit: statement sizes stay bounded (and within 65,535 parameters). */
const MAX_RUNS_PER_BATCH = 1_000;

/** What one group commit writes: creations first, then the chains of appends. */
type Batch = Pick<Take, 'creations' | 'chains'>;

export class PostgresStore implements Store {
  readonly #db: PostgresDb;
  readonly #foreignWrites: ForeignWrites;
  /** Appends that failed: a write decided on one of them (`after`) fails too. */
  readonly #failedWrites = new WeakSet<AppendToRunRequest>();
  #transactions = 0;
  /** Appends held for their run's next write (`linger`). */
  readonly #lingering: LingeringAppends;
  /** Appends and run creations waiting for a transaction. */
  readonly #queue = new WriteQueue();
  readonly #maxBatches: number;
  #batchesInFlight = 0;
  #flushScheduled = false;
  /** Appends and run creations not answered yet: close() waits for them. */
  readonly #unanswered = new Set<Promise<void>>();
  #closing = false;

  private constructor(db: PostgresDb, opts: PostgresStoreOptions) {
    this.#db = db;
    this.#foreignWrites = new ForeignWrites({
      connect: () => db.newClient('reprise listener'),
      schema: db.schema,
      writerId: db.writerId,
    });
    this.#maxBatches = opts.maxBatches ?? DEFAULT_MAX_BATCHES;
    this.#lingering = new LingeringAppends(opts.lingerMs ?? DEFAULT_LINGER_MS, (chain) => {
      this.#enqueue(...chain);
    });
  }

  /**
   * Connects to the database at `opts.url` and brings the schema `opts.schema` (default
   * `public`, created if missing) up to date. Throws `InvalidArgumentError` for a malformed URL
   * or schema name, and `UnavailableError` when the server cannot be reached.
   */
  static async open(opts: PostgresStoreOptions): Promise<PostgresStore> {
    const db = await PostgresDb.open(opts);
    try {
      await db.withClient('migrate PostgreSQL store', (client) =>
        migrate(client, { nowMs: Date.now() }),
      );
    } catch (e) {
      await db.close();
      throw e;
    }
    return new PostgresStore(db, opts);
  }

  async ensureNamespace(req: {
    namespace: string;
    createdAtMs?: number | undefined;
  }): Promise<void> {
    const createdAtMs = req.createdAtMs ?? Date.now();
    await this.#db.write('ensureNamespace', (tx) =>
      namespaceQueries.ensureNamespace(tx, { namespace: req.namespace, createdAtMs }),
    );
    this.#namespaces.add(req.namespace);
  }

  async createNamespace(req: NamespaceRecord): Promise<void> {
    await this.#db.write(
      {
        operation: 'createNamespace',
        onUniqueViolation: () => new NamespaceAlreadyExistsError(req.namespace),
      },
      (tx) => namespaceQueries.insertNamespace(tx, req),
    );
    this.#namespaces.add(req.namespace);
  }

  getNamespace(req: { namespace: string }): Promise<NamespaceRecord | undefined> {
    return this.#db.read('getNamespace', (db) => namespaceQueries.getNamespace(db, req));
  }

  listNamespaces(): Promise<NamespaceRecord[]> {
    return this.#db.read('listNamespaces', (db) => namespaceQueries.listNamespaces(db));
  }

  /**
   * True when the namespace exists. A namespace seen to exist (or created by ensureNamespace) is
   * answered from memory from then on, as namespaces are never removed; one not found is asked
   * again at every call, as another engine process may create it.
   */
  async hasNamespace(req: { namespace: string }): Promise<boolean> {
    return this.#db.read('hasNamespace', async (db) => {
      if (this.#namespaces.has(req.namespace)) return true;
      const { rowCount } = await db.query('SELECT 1 FROM namespaces WHERE name = $1', [
        req.namespace,
      ]);
      const found = (rowCount ?? 0) > 0;
      if (found) this.#namespaces.add(req.namespace);
      return found;
    });
  }

  /** Namespaces seen to exist: they are never removed, so one read each is enough. */
  readonly #namespaces = new Set<string>();

  /**
   * Group commit, as appendToRun's: creations that arrive together share one transaction with
   * the appends of that turn, written before them in a few statements for all of them
   * (createBatchWrites). One refused for its workflow id (`WorkflowExecutionAlreadyStartedError`)
   * writes nothing and fails alone; any other error of the shared transaction (a run id that
   * exists, a namespace that does not) has each creation committed again alone, so that it fails
   * only itself. A creation that registers search attributes is a transaction of its own.
   */
  async createRun(req: CreateRunRequest): Promise<void> {
    assertCreateSequence(req);
    await this.#answered((resolve, reject) => {
      this.#enqueue({ kind: 'create', req, resolve, reject });
    });
  }

  async getRun(req: { runId: string }): Promise<RunRecord | undefined> {
    return this.#db.read('getRun', (db) => runs.getRun(db, req.runId));
  }

  async findRun(req: {
    namespace: string;
    workflowId: string;
    runId?: string | undefined;
  }): Promise<RunRecord | undefined> {
    return this.#db.read('findRun', (db) => runs.findRun(db, req));
  }

  /**
   * Group commit: appends that arrive while the store is busy share one transaction (with the
   * run creations of that turn, createRun), a few statements for all of them (appendBatchWrites),
   * so one commit and its WAL flush serve many runs' steps. At most `maxBatches` such
   * transactions run at once; an append that arrives when fewer do is committed at the end of its
   * turn of the event loop, with the others of that turn.
   * A lingering append (`linger`, ADR 0007) is held up to the linger window for its run's next
   * write, and the two commit in one transaction (the second's compare-and-set expects what the
   * first leaves). One run's conflict fails only its own appends (and those decided on them,
   * `after`); any other error of a shared transaction has each run's appends committed again
   * alone, so that one bad write fails only itself. Every caller is answered after the commit.
   */
  appendToRun(req: AppendToRunRequest): Promise<void> {
    return this.#answered((resolve, reject) => {
      const pending: PendingAppend = {
        kind: 'append',
        req,
        resolve: () => {
          this.#queue.settled(req);
          resolve();
        },
        reject: (e) => {
          this.#queue.settled(req);
          reject(e);
        },
      };
      try {
        assertAppendSequence(req);
      } catch (e) {
        this.#failed(pending, e);
        return;
      }
      // One decided on a write that failed is not held: it fails at its commit, at once.
      const afterFailed = req.after !== undefined && this.#failedWrites.has(req.after);
      if (req.linger === true && !afterFailed && mayShare(pending) && !this.#closing) {
        this.#lingering.hold(pending);
        return;
      }
      this.#enqueue(...this.#lingering.take(req.runId), pending);
    });
  }

  /** The promise a queued write's caller holds, settled by `start`'s callbacks; close() waits. */
  #answered(start: (resolve: () => void, reject: (e: unknown) => void) => void): Promise<void> {
    const out = new Promise<void>((resolve, reject) => {
      start(resolve, (e) => {
        reject(ensureError(e));
      });
    });
    this.#unanswered.add(out);
    const forget = () => this.#unanswered.delete(out);
    out.then(forget, forget);
    return out;
  }

  #enqueue(...writes: PendingWrite[]): void {
    this.#queue.push(...writes);
    this.#scheduleFlush();
  }

  /** Flushes at the end of this turn, if a transaction may begin and any write waits. */
  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#queue.length === 0) return;
    if (this.#batchesInFlight >= this.#maxBatches) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#batchesInFlight < this.#maxBatches && this.#queue.length > 0) {
      const { creations, chains, alone } = this.#queue.take(MAX_RUNS_PER_BATCH);
      for (const w of alone) {
        void this.#commitAlone(w).finally(() => {
          this.#scheduleFlush();
        });
      }
      if (creations.length === 0 && chains.length === 0) return;
      this.#batchesInFlight++;
      void this.#commitBatch({ creations, chains }).finally(() => {
        this.#batchesInFlight--;
        this.#scheduleFlush();
      });
    }
  }

  /**
   * Commits `batch` (run creations, then one run's plain appends each chain) in one transaction,
   * and answers each write. Creations come first: an append to a run created in the same batch
   * finds it.
   */
  async #commitBatch(batch: Batch): Promise<void> {
    const { creations, chains } = batch;
    let refused: Map<CreateRunRequest, Error>;
    let lost: Map<AppendToRunRequest, RunConflictError>;
    try {
      ({ refused, lost } = await this.#write(batchErrorContext(batch), async (tx) => ({
        refused: await createBatchWrites(
          tx,
          creations.map((p) => p.req),
        ),
        lost: await appendBatchWrites(
          tx,
          chains.map((chain) => chain.map((p) => p.req)),
          this.#failedWrites,
        ),
      })));
    } catch (e) {
      if (creations.length + chains.length > 1 && !(e instanceof UnavailableError)) {
        // Not a conflict or a refusal (those fail only their own): one write the database refuses
        // must not fail the others. Creations first again, as in the batch.
        await Promise.all(creations.map((p) => this.#commitBatch({ creations: [p], chains: [] })));
        await Promise.all(
          chains.map((chain) => this.#commitBatch({ creations: [], chains: [chain] })),
        );
        return;
      }
      for (const p of [...creations, ...chains.flat()]) this.#failed(p, e);
      return;
    }
    for (const p of creations) {
      const refusal = refused.get(p.req);
      if (refusal === undefined) p.resolve();
      else this.#failed(p, refusal);
    }
    for (const p of chains.flat()) {
      const conflict = lost.get(p.req);
      if (conflict === undefined) p.resolve();
      else this.#failed(p, conflict);
    }
  }

  /**
   * Commits a write that may be refused after it wrote (an append that also creates a run, a write
   * that registers search attributes) in its own transaction.
   */
  async #commitAlone(w: PendingWrite): Promise<void> {
    if (w.kind === 'append' && w.req.after !== undefined && this.#failedWrites.has(w.req.after)) {
      this.#failed(w, new RunConflictError(w.req.runId, w.req.expectedNextEventId));
      return;
    }
    try {
      await this.#writeAlone(w);
    } catch (e) {
      this.#failed(w, e);
      return;
    }
    w.resolve();
  }

  async #writeAlone(w: PendingWrite): Promise<void> {
    switch (w.kind) {
      case 'append':
        await this.#write(runWriteErrorContext('appendToRun', w.req.createRun), (tx) =>
          appendWrites(tx, w.req),
        );
        return;
      case 'create':
        await this.#write(runWriteErrorContext('createRun', w.req), (tx) =>
          createRunWrites(tx, w.req),
        );
        return;
    }
  }

  /** An append is recorded before the caller (or a write `after` it) sees the rejection. */
  #failed(pending: PendingWrite, e: unknown): void {
    if (pending.kind === 'append') this.#failedWrites.add(pending.req);
    pending.reject(e);
  }

  async readHistory(req: {
    runId: string;
    fromEventId?: number | undefined;
  }): Promise<HistoryEvent[]> {
    return this.#db.read('readHistory', (db) =>
      history.readHistory(db, req.runId, req.fromEventId ?? 1),
    );
  }

  async findTasks(req: FindTasksRequest): Promise<TaskRecord[]> {
    return this.#db.read('findTasks', (db) => tasks.findTasks(db, req));
  }

  async deleteTask(req: { taskId: number }): Promise<void> {
    await this.#write('deleteTask', (tx) => tasks.deleteTasks(tx, [req.taskId]));
  }

  /**
   * One statement leases the timers, committed without waiting for its WAL flush (ADR 0014): a
   * lease only hides the timers from other engines while this one fires them, and the next
   * durable commit makes it durable with everything before it. A lease lost to a server crash
   * leaves the row's earlier lease, which had ended: its timers are free at once.
   */
  async takeDueTimers(req: TakeDueTimersRequest): Promise<TimerRecord[]> {
    return this.#write('takeDueTimers', (tx) => timers.takeDueTimers(tx, req), {
      durable: false,
    });
  }

  async deleteTimer(req: { runId: string; key: string }): Promise<void> {
    await this.#write('deleteTimer', (tx) => deleteTimer(tx, req.runId, req.key));
  }

  async nextTimerDueAt(): Promise<number | undefined> {
    return this.#db.read('nextTimerDueAt', (db) => timers.nextTimerDueAt(db));
  }

  async registerWorker(req: WorkerRegistration): Promise<void> {
    await this.#write('registerWorker', (tx) => workers.upsertWorker(tx, req));
  }

  async registerEngineProcess(req: EngineProcessRecord): Promise<void> {
    await this.#write('registerEngineProcess', (tx) => workers.upsertEngineProcess(tx, req));
  }

  async listEngineProcesses(): Promise<EngineProcessRecord[]> {
    return this.#db.read('listEngineProcesses', (db) => workers.listEngineProcesses(db));
  }

  /**
   * Moves when another writer's commit adds an engine process or changes a search attribute
   * type, as PostgreSQL's notices tell it on a connection of the store's own (foreign-writes.ts;
   * other commits send none). Until that connection listens (it is made at the first call), and
   * while it is lost, every call returns a new value.
   */
  foreignWrites(): number {
    this.#db.assertOpen('foreignWrites');
    return this.#foreignWrites.value();
  }

  async removeEngineProcess(req: { processId: string }): Promise<boolean> {
    return this.#write('removeEngineProcess', async (tx) => {
      if (!(await workers.deleteEngineProcess(tx, req.processId))) return false;
      await timers.releaseLeases(tx, req.processId);
      return true;
    });
  }

  async listRunsHeldBy(req: { processId: string }): Promise<string[]> {
    return this.#db.read('listRunsHeldBy', (db) => runs.listRunsHeldBy(db, req.processId));
  }

  async listWorkerRegistrations(req: {
    namespace: string;
    taskQueue: string;
    sinceMs: number;
  }): Promise<WorkerRegistration[]> {
    return this.#db.read('listWorkerRegistrations', (db) => workers.listWorkersSince(db, req));
  }

  async listRuns(req: { namespace: string; limit: number }): Promise<RunRecord[]> {
    return this.#db.read('listRuns', (db) => runs.listRuns(db, req));
  }

  listRunsByQuery(req: ListRunsByQueryRequest): Promise<RunRecord[]> {
    return visibility.listRunsByQuery(this.#db, req);
  }

  countRuns(req: { namespace: string; filter: ListFilter }): Promise<RunCount> {
    return visibility.countRuns(this.#db, req);
  }

  listSearchAttributes(req: { namespace: string }): Promise<SearchAttributeTypes> {
    return visibility.listSearchAttributes(this.#db, req);
  }

  addSearchAttributes(req: { namespace: string; types: SearchAttributeTypes }): Promise<void> {
    return visibility.addSearchAttributes(this.#db, req);
  }

  removeSearchAttributes(req: { namespace: string; names: readonly string[] }): Promise<void> {
    return visibility.removeSearchAttributes(this.#db, req);
  }

  createSchedule(req: CreateScheduleRequest): Promise<void> {
    return schedules.createSchedule(this.#db, req);
  }

  getSchedule(req: { namespace: string; scheduleId: string }): Promise<ScheduleRecord | undefined> {
    return schedules.getSchedule(this.#db, req);
  }

  updateSchedule(req: UpdateScheduleRequest): Promise<void> {
    return schedules.updateSchedule(this.#db, req);
  }

  deleteSchedule(req: DeleteScheduleRequest): Promise<boolean> {
    return schedules.deleteSchedule(this.#db, req);
  }

  listSchedules(req: {
    namespace: string;
    limit: number;
    afterScheduleId?: string | undefined;
    filter?: ListFilter | undefined;
  }): Promise<ScheduleRecord[]> {
    return schedules.listSchedules(this.#db, req);
  }

  /**
   * Write transactions this store has committed that waited for their WAL flush (timer leases,
   * which do not, are not counted), for benchmarks and metrics.
   */
  get writeTransactions(): number {
    return this.#transactions;
  }

  /**
   * Commits the appends still lingering, waits for the writes queued or in flight (appends, run
   * creations) and every other call made before it (also one still waiting for a connection),
   * then closes the pool. Closing twice is a no-op; any other call after close throws.
   */
  async close(): Promise<void> {
    this.#closing = true;
    for (const held of this.#lingering.takeAll()) this.#enqueue(held);
    await Promise.allSettled([...this.#unanswered]);
    await this.#foreignWrites.close();
    await this.#db.close();
  }

  async #write<T>(
    ctx: string | PostgresErrorContext,
    fn: (tx: Queryable) => Promise<T>,
    opts: { durable: boolean } = { durable: true },
  ): Promise<T> {
    const out = await this.#db.write(ctx, fn, opts);
    if (opts.durable) this.#transactions++;
    return out;
  }
}

/**
 * How the errors of a group commit read. Only a batch of one write hands its error to its
 * caller as it is (a larger one is committed again write by write, unless the server is
 * unavailable): one creation alone reads as createRun's.
 */
function batchErrorContext(batch: Batch): string | PostgresErrorContext {
  const [only] = batch.creations;
  if (only !== undefined && batch.creations.length === 1 && batch.chains.length === 0) {
    return runWriteErrorContext('createRun', only.req);
  }
  if (batch.creations.length === 0) return 'appendToRun';
  return batch.chains.length === 0 ? 'createRun' : 'createRun and appendToRun';
}
