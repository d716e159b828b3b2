// The PostgreSQL backend of the store contract (store.ts), on node-postgres: several engine
// processes, on several machines, may share one database.
import { RunConflictError } from '../../errors.ts';
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
import { migrate } from './migrate.ts';
import { PostgresDb } from './postgres-db.ts';
import type { PostgresDbOptions, Queryable } from './postgres-db.ts';
import type { PostgresErrorContext } from './postgres-errors.ts';
import * as history from './queries/history.ts';
import * as runs from './queries/runs.ts';
import * as tasks from './queries/tasks.ts';
import * as timers from './queries/timers.ts';
import * as workers from './queries/workers.ts';
import { LingeringAppends, isPlainAppend } from './lingering-appends.ts';
import type { PendingAppend } from './lingering-appends.ts';
import { appendWrites, createRunWrites, runWriteErrorContext } from './run-writes.ts';
import { deleteTimer } from './timer-writes.ts';
import * as schedules from './schedules.ts';
import * as visibility from './visibility.ts';

export interface PostgresStoreOptions extends PostgresDbOptions {
  /**
   * How long a write marked `linger` may wait for its run's next write to share its transaction
   * before it is committed alone (default 20 ms, as the SQLite store's).
   */
  lingerMs?: number | undefined;
}

const DEFAULT_LINGER_MS = 20;

export class PostgresStore implements Store {
  readonly #db: PostgresDb;
  /** Appends not settled yet: a write decided on one of them (`after`) waits for it. */
  readonly #appending = new WeakMap<AppendToRunRequest, Promise<void>>();
  /** Appends that failed: a write decided on one of them (`after`) fails too. */
  readonly #failedWrites = new WeakSet<AppendToRunRequest>();
  #transactions = 0;
  /** Appends held for their run's next write (`linger`). */
  readonly #lingering: LingeringAppends;
  /** Commits of appends under way: close() waits for them. */
  readonly #inFlight = new Set<Promise<void>>();
  #closing = false;

  private constructor(db: PostgresDb, lingerMs: number) {
    this.#db = db;
    this.#lingering = new LingeringAppends(lingerMs, (pending) => {
      this.#commit([pending]);
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
    return new PostgresStore(db, opts.lingerMs ?? DEFAULT_LINGER_MS);
  }

  async ensureNamespace(req: { namespace: string }): Promise<void> {
    await this.#db.write('ensureNamespace', (tx) =>
      tx.query('INSERT INTO namespaces (name) VALUES ($1) ON CONFLICT DO NOTHING', [req.namespace]),
    );
    this.#namespaces.add(req.namespace);
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

  async createRun(req: CreateRunRequest): Promise<void> {
    assertCreateSequence(req);
    await this.#write(runWriteErrorContext('createRun', req), (tx) => createRunWrites(tx, req));
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
   * One transaction per write, or per pair: a lingering append (`linger`, ADR 0007) is held up to
   * the linger window for its run's next write, and the two commit in one transaction (the
   * second's compare-and-set expects what the first leaves; a conflict of either writes nothing
   * of it, and fails the second too when it was decided on the first). A write with `after`
   * outside its transaction waits for that one's outcome, and fails with `RunConflictError` if it
   * failed (another engine's write may have left the row at the very version this one expects).
   */
  appendToRun(req: AppendToRunRequest): Promise<void> {
    const out = new Promise<void>((resolve, reject) => {
      const pending = { req, resolve, reject };
      try {
        assertAppendSequence(req);
      } catch (e) {
        this.#failed(pending, e);
        return;
      }
      const held = this.#lingering.take(req.runId);
      if (held !== undefined && !isPlainAppend(req)) {
        // Committed alone, in order: this one's `after` (if it was decided on the held one)
        // waits for it.
        this.#commit([held]);
        this.#commit([pending]);
      } else if (held !== undefined) {
        this.#commit([held, pending]);
      } else if (req.linger === true && isPlainAppend(req) && !this.#closing) {
        this.#lingering.hold(pending);
      } else {
        this.#commit([pending]);
      }
    });
    this.#appending.set(req, out);
    return out;
  }

  /** Commits `chain` (appends to one run, in order) in one transaction, and answers each. */
  #commit(chain: readonly PendingAppend[]): void {
    const done = this.#commitChain(chain);
    this.#inFlight.add(done);
    void done.finally(() => this.#inFlight.delete(done));
  }

  async #commitChain(chain: readonly PendingAppend[]): Promise<void> {
    const outcomes = new Map<PendingAppend, unknown>();
    try {
      // Writes outside the chain that one in it was decided on commit (or fail) first.
      for (const { req } of chain) {
        const { after } = req;
        if (after !== undefined && !chain.some((p) => p.req === after)) {
          await this.#appending.get(after)?.catch(() => undefined);
        }
      }
      const create = chain.length === 1 ? chain[0]?.req.createRun : undefined;
      await this.#write(runWriteErrorContext('appendToRun', create), async (tx) => {
        outcomes.clear();
        const failedHere = new Set<AppendToRunRequest>();
        for (const p of chain) {
          const decidedOn = p.req.after;
          if (
            decidedOn !== undefined &&
            (failedHere.has(decidedOn) || this.#failedWrites.has(decidedOn))
          ) {
            outcomes.set(p, new RunConflictError(p.req.runId, p.req.expectedNextEventId));
            failedHere.add(p.req);
            continue;
          }
          try {
            await appendWrites(tx, p.req);
          } catch (e) {
            // A lost compare-and-set wrote nothing (it is the first statement) and leaves the
            // transaction usable: the others in the chain go on. Anything else fails them all.
            if (!(e instanceof RunConflictError)) throw e;
            outcomes.set(p, e);
            failedHere.add(p.req);
          }
        }
      });
    } catch (e) {
      for (const p of chain) this.#failed(p, e);
      return;
    }
    for (const p of chain) {
      const failure = outcomes.get(p);
      if (failure === undefined) p.resolve();
      else this.#failed(p, failure);
    }
  }

  /** Recorded before the caller (or a write `after` this one) sees the rejection. */
  #failed(pending: PendingAppend, e: unknown): void {
    this.#failedWrites.add(pending.req);
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
   * PostgreSQL cannot tell this cheaply and synchronously, so every call returns a new value
   * (the contract's safe answer): an engine on this store never acts as the store's only engine.
   */
  foreignWrites(): number {
    this.#db.assertOpen('foreignWrites');
    this.#foreignWrites++;
    return this.#foreignWrites;
  }
  #foreignWrites = 0;

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
   * Commits the appends still lingering, waits for the writes in flight and every other call made
   * before it (also one still waiting for a connection), then closes the pool. Closing twice is
   * a no-op; any other call after close throws.
   */
  async close(): Promise<void> {
    this.#closing = true;
    for (const held of this.#lingering.takeAll()) this.#commit([held]);
    await Promise.allSettled([...this.#inFlight]);
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
