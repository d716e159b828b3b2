// The PostgreSQL backend of the store contract (store.ts), on node-postgres: several engine
// processes, on several machines, may share one database.
import { IllegalStateError } from '../../errors.ts';
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
import { migrate } from './migrate.ts';
import { PostgresDb } from './postgres-db.ts';
import type { PostgresDbOptions } from './postgres-db.ts';
import * as schedules from './schedules.ts';
import * as visibility from './visibility.ts';

export type PostgresStoreOptions = PostgresDbOptions;

const notBuilt = (what: string) => new IllegalStateError(`${what}: not built yet`);

export class PostgresStore implements Store {
  readonly #db: PostgresDb;

  private constructor(db: PostgresDb) {
    this.#db = db;
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
    return new PostgresStore(db);
  }

  async ensureNamespace(req: { namespace: string }): Promise<void> {
    await this.#db.write('ensureNamespace', (tx) =>
      tx.query('INSERT INTO namespaces (name) VALUES ($1) ON CONFLICT DO NOTHING', [req.namespace]),
    );
  }

  async hasNamespace(req: { namespace: string }): Promise<boolean> {
    return this.#db.read('hasNamespace', async (db) => {
      const { rowCount } = await db.query('SELECT 1 FROM namespaces WHERE name = $1', [
        req.namespace,
      ]);
      return (rowCount ?? 0) > 0;
    });
  }

  async createRun(req: CreateRunRequest): Promise<void> {
    throw notBuilt(`createRun ${req.run.runId}`);
  }

  async getRun(req: { runId: string }): Promise<RunRecord | undefined> {
    throw notBuilt(`getRun ${req.runId}`);
  }

  async findRun(req: {
    namespace: string;
    workflowId: string;
    runId?: string | undefined;
  }): Promise<RunRecord | undefined> {
    throw notBuilt(`findRun ${req.workflowId}`);
  }

  async appendToRun(req: AppendToRunRequest): Promise<void> {
    throw notBuilt(`appendToRun ${req.runId}`);
  }

  async readHistory(req: {
    runId: string;
    fromEventId?: number | undefined;
  }): Promise<HistoryEvent[]> {
    throw notBuilt(`readHistory ${req.runId}`);
  }

  async findTasks(req: FindTasksRequest): Promise<TaskRecord[]> {
    throw notBuilt(`findTasks ${req.taskQueue}`);
  }

  async deleteTask(req: { taskId: number }): Promise<void> {
    throw notBuilt(`deleteTask ${req.taskId}`);
  }

  async takeDueTimers(req: TakeDueTimersRequest): Promise<TimerRecord[]> {
    throw notBuilt(`takeDueTimers ${req.nowMs}`);
  }

  async deleteTimer(req: { runId: string; key: string }): Promise<void> {
    throw notBuilt(`deleteTimer ${req.key}`);
  }

  async nextTimerDueAt(): Promise<number | undefined> {
    throw notBuilt('nextTimerDueAt');
  }

  async registerWorker(req: WorkerRegistration): Promise<void> {
    throw notBuilt(`registerWorker ${req.identity}`);
  }

  async registerEngineProcess(req: EngineProcessRecord): Promise<void> {
    throw notBuilt(`registerEngineProcess ${req.processId}`);
  }

  async listEngineProcesses(): Promise<EngineProcessRecord[]> {
    throw notBuilt('listEngineProcesses');
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
    throw notBuilt(`removeEngineProcess ${req.processId}`);
  }

  async listRunsHeldBy(req: { processId: string }): Promise<string[]> {
    throw notBuilt(`listRunsHeldBy ${req.processId}`);
  }

  async listWorkerRegistrations(req: {
    namespace: string;
    taskQueue: string;
    sinceMs: number;
  }): Promise<WorkerRegistration[]> {
    throw notBuilt(`listWorkerRegistrations ${req.taskQueue}`);
  }

  async listRuns(req: { namespace: string; limit: number }): Promise<RunRecord[]> {
    throw notBuilt(`listRuns ${req.namespace}`);
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

  /** Closes the pool. Closing twice is a no-op; any other call after close throws. */
  async close(): Promise<void> {
    await this.#db.close();
  }
}
