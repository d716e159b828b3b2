import { IllegalStateError } from '../errors.ts';
import { defaultLogger } from '../logger.ts';
import type { Logger } from '../logger.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import type { SearchAttributeTypes } from '../protocol/search-attribute-types.ts';
import type {
  EngineApi,
  NamespaceDescription,
  RegisterWorkerRequest,
} from '../transport/engine-api.ts';
import { SystemClock } from './clock.ts';
import type { Clock } from './clock.ts';
import { DEFAULT_LIMITS } from './deps.ts';
import type { EngineDeps, EngineLimits } from './deps.ts';
import { Notifier, engineClosedError } from './notifier.ts';
import { CloseWatch } from './close-watch.ts';
import { WaitingPollers } from './task-queues/waiting-pollers.ts';
import { StickyQueues } from './task-queues/sticky-queues.ts';
import { WorkerRegistrations } from './worker-registrations.ts';
import { RecentCloses } from './recent-closes.ts';
import { EngineProcesses, newProcessId } from './engine-processes.ts';
import { Peers } from './peers.ts';
import {
  completeActivityTask,
  failActivityTask,
  heartbeatActivityTask,
  pollActivityTask,
  releaseActivityTask,
  reportActivityTaskCanceled,
} from './ops/activity-tasks.ts';
import { cancelWorkflow, terminateWorkflow } from './ops/cancel-workflow.ts';
import { parseRequest } from './ops/parse-request.ts';
import { RegisterWorkerSchema } from './ops/register-worker-schema.ts';
import { assertNamespace } from './ops/find-run.ts';
import { countWorkflows, listWorkflows } from './ops/list-workflows.ts';
import { createNamespace, describeNamespace, listNamespaces } from './ops/namespaces.ts';
import { shutdownWorker } from './sticky.ts';
import { queryWorkflow } from './ops/query-workflow.ts';
import { describeWorkflow, getHistory, getWorkflowOutcome } from './ops/read-workflow.ts';
import { signalWorkflow } from './ops/signal-workflow.ts';
import { signalWithStartWorkflow } from './ops/signal-with-start.ts';
import { pollWorkflowUpdate } from './ops/poll-workflow-update.ts';
import { updateWorkflow } from './ops/update-workflow.ts';
import { updateWithStartWorkflow } from './ops/update-with-start.ts';
import { startWorkflow } from './ops/start-workflow.ts';
import { completeWorkflowTask, failWorkflowTask, pollWorkflowTask } from './ops/workflow-tasks.ts';
import { createSchedule } from './ops/schedules/create-schedule.ts';
import { deleteSchedule } from './ops/schedules/delete-schedule.ts';
import { describeSchedule } from './ops/schedules/describe-schedule.ts';
import { listSchedules } from './ops/schedules/list-schedules.ts';
import {
  addSearchAttributes,
  listSearchAttributes,
  removeSearchAttributes,
} from './ops/search-attributes.ts';
import { patchSchedule } from './ops/schedules/patch-schedule.ts';
import { updateSchedule } from './ops/schedules/update-schedule.ts';
import { QueryDispatcher } from './task-queues/query-dispatcher.ts';
import { SharedSignal, withEitherSignal } from '../util/linked-signal.ts';
import { TimerLoop } from './timers/timer-loop.ts';
import type { EngineServer, HttpApiOptions } from '../transport/http/http-server.ts';

export type { EngineServer } from '../transport/http/http-server.ts';

/** Where and how `engine.listen()` serves the HTTP API. */
export interface ListenOptions extends Omit<HttpApiOptions, 'logger'> {
  /** Default 7233; 0 takes a free port (read it from the server's `port`). */
  readonly port?: number | undefined;
  /**
   * Default `'127.0.0.1'`: only this machine. `'0.0.0.0'` serves every interface. A name is
   * answered as a Host (see `allowedHosts`).
   */
  readonly host?: string | undefined;
}

export interface EngineOptions {
  /** `'sqlite::memory:'`, `'sqlite:./reprise.db'`, or a Store instance. */
  readonly store: string | Store;
  readonly clock?: Clock | undefined;
  readonly logger?: Logger | undefined;
  readonly limits?: Partial<EngineLimits> | undefined;
}

/**
 * The engine: the only writer of histories. It holds no state the store does not have, so
 * several engines may share one store and any of them may die at any moment (contract 6).
 */
export class Engine {
  readonly #deps: EngineDeps;
  readonly #timers: TimerLoop;
  readonly #processes: EngineProcesses;
  readonly #queries: QueryDispatcher;
  readonly #ownsStore: boolean;
  readonly #closing = new AbortController();
  #closed = false;
  readonly #servers = new Set<EngineServer>();
  /** Serves `Client` and `Worker` in this process. */
  readonly connection: EngineApi;

  private constructor(store: Store, ownsStore: boolean, options: EngineOptions) {
    const notifier = new Notifier();
    const timerRef: { loop?: TimerLoop } = {};
    const logger = options.logger ?? defaultLogger({ component: 'engine' });
    const peers = new Peers(store);
    this.#deps = {
      processId: newProcessId(),
      peers,
      store,
      clock: options.clock ?? new SystemClock(),
      notifier,
      pollers: new WaitingPollers(),
      stickyQueues: new StickyQueues({ alone: () => peers.alone() }),
      closeWatch: new CloseWatch({ store, notifier, logger }),
      recentCloses: new RecentCloses(),
      registrations: new WorkerRegistrations(store),
      logger,
      limits: { ...DEFAULT_LIMITS, ...options.limits },
      onTimerWritten: (dueAtMs) => {
        timerRef.loop?.onTimerWritten(dueAtMs);
      },
    };
    this.#timers = new TimerLoop(this.#deps);
    this.#processes = new EngineProcesses(this.#deps);
    timerRef.loop = this.#timers;
    this.#queries = new QueryDispatcher(notifier);
    this.#ownsStore = ownsStore;
    this.connection = this.#makeConnection();
  }

  /**
   * Opens an engine on a store and starts its timer loop.
   * @example const engine = await Engine.open({ store: 'sqlite:./reprise.db' });
   */
  static async open(options: EngineOptions): Promise<Engine> {
    const store =
      typeof options.store === 'string' ? await openStore(options.store) : options.store;
    await store.ensureNamespace({ namespace: 'default' });
    const engine = new Engine(store, typeof options.store === 'string', options);
    // Before serving: what engine processes that died held is given out again first.
    await engine.#processes.start();
    engine.#timers.start();
    return engine;
  }

  /**
   * The namespaces' search attribute registries (Temporal's operator service calls): each
   * custom search attribute has one type per namespace, registered the first time a value is
   * written (or ahead of time here). Calls go through `connection`, as a client's would.
   *
   * @example
   * await engine.searchAttributes.add('default', { Amount: 'Double', Tags: 'KeywordList' });
   * await engine.searchAttributes.list('default'); // { Amount: 'Double', Tags: 'KeywordList', … }
   * await engine.searchAttributes.remove('default', ['Tags']);
   */
  readonly searchAttributes = {
    add: (namespace: string, types: Readonly<SearchAttributeTypes>): Promise<void> =>
      this.connection.addSearchAttributes({ namespace, searchAttributes: types }),
    list: async (namespace: string): Promise<SearchAttributeTypes> =>
      (await this.connection.listSearchAttributes({ namespace })).customAttributes,
    remove: (namespace: string, names: readonly string[]): Promise<void> =>
      this.connection.removeSearchAttributes({ namespace, searchAttributes: [...names] }),
  };

  /**
   * The store's namespaces (Temporal's RegisterNamespace, ListNamespaces, DescribeNamespace):
   * every engine on the store serves one from its creation on, and none is ever removed. A name
   * is 1 to 100 letters, digits, `.`, `-` and `_`, starting with a letter or a digit; a bad one
   * is refused with `InvalidArgumentError`, one that exists with `NamespaceAlreadyExistsError`,
   * and `describe` of one that does not exist throws `NamespaceNotFoundError`. Calls go through
   * `connection`, as a client's would.
   *
   * @example
   * await engine.namespaces.create('billing', { description: 'Invoices and payments' });
   * await engine.namespaces.list(); // [{ namespace: 'billing', … }, { namespace: 'default', … }]
   * await engine.namespaces.describe('billing'); // { namespace: 'billing', description, createdAtMs }
   */
  readonly namespaces = {
    create: (
      name: string,
      options?: { readonly description?: string | undefined },
    ): Promise<NamespaceDescription> =>
      this.connection.createNamespace({ namespace: name, description: options?.description }),
    list: async (): Promise<NamespaceDescription[]> =>
      (await this.connection.listNamespaces({})).namespaces,
    describe: (name: string): Promise<NamespaceDescription> =>
      this.connection.describeNamespace({ namespace: name }),
  };

  /**
   * Serves the engine's HTTP API (`POST /api/v1/<method>`, for `Connection.connect({ address })`
   * in other processes) on `host:port`, until the server's `close()` or `engine.close()`.
   * Requests whose Host header names a host other than an IP address, `localhost` or `host` are
   * refused (403 `HostNotAllowed`), API key or not, against DNS rebinding: name the others in
   * `allowedHosts`. Throws `InvalidArgumentError` for a port in use or an `allowedHosts` entry
   * that is not a host name.
   *
   * @example
   * const server = await engine.listen({ port: 7233 });
   * const connection = await Connection.connect({ address: server.url }); // in any process
   */
  async listen(options: ListenOptions = {}): Promise<EngineServer> {
    if (this.#closed) {
      throw new IllegalStateError(
        'This engine is closed: open one with Engine.open() and call listen() on it.',
      );
    }
    // Loaded when first asked for: an embedded engine never loads the HTTP server (Hono, the
    // OpenAPI document, the web UI).
    const { engineHttp, serveHttp } = await import('../transport/http/http-server.ts');
    const http = engineHttp(this.connection, { ...options, logger: this.#deps.logger });
    const server = await serveHttp(http, options);
    if (this.#closing.signal.aborted) {
      // close() ran while the server started: it did not see this one.
      await server.close();
      throw new IllegalStateError('The engine closed while listen() started its server.');
    }
    this.#servers.add(server);
    return {
      url: server.url,
      port: server.port,
      close: (graceMs) => {
        this.#servers.delete(server);
        return server.close(graceMs);
      },
    };
  }

  /** The engine's dependencies, for wiring (testing environments, the HTTP server). */
  get deps(): EngineDeps {
    return this.#deps;
  }

  /** Wakes the timer loop: after a manual clock moved. */
  wakeTimers(): void {
    this.#timers.wake();
  }

  /**
   * Stops the timer loop, answers open long-polls, and closes the store if it opened it. From
   * then on every call on `connection` fails with `Unavailable`, and so do result and update
   * waits it cut short (shut workers down first: a worker whose engine closed fails, its `run()`
   * rejecting with that `UnavailableError`).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort();
    // After the abort: long-polls and waits in flight get their answer (the engine closed) first.
    await Promise.all([...this.#servers].map((s) => s.close()));
    this.#servers.clear();
    this.#deps.closeWatch.close();
    await this.#timers.close();
    await this.#processes.close();
    this.#queries.close();
    if (this.#ownsStore) await this.#deps.store.close();
  }

  #makeConnection(): EngineApi {
    const d = this.#deps;
    const q = this.#queries;
    // Every long-poll and every result and update wait listens on it at once, each for as long
    // as it runs: through a SharedSignal, which takes a listener on and off in O(1).
    const closing = new SharedSignal(this.#closing.signal);
    return refusedOnceClosed(closing, {
      startWorkflow: (req) => startWorkflow(d, req),
      signalWorkflow: (req) => signalWorkflow(d, req),
      queryWorkflow: (req) => queryWorkflow(d, q, req),
      cancelWorkflow: (req) => cancelWorkflow(d, req),
      terminateWorkflow: (req) => terminateWorkflow(d, req),
      describeWorkflow: (req) => describeWorkflow(d, req),
      getWorkflowOutcome: (req) => getWorkflowOutcome(d, req, closing),
      getHistory: (req) => getHistory(d, req),
      listWorkflows: (req) => listWorkflows(d, req),
      countWorkflows: (req) => countWorkflows(d, req),
      updateWorkflow: (req) => updateWorkflow(d, req, closing),
      pollWorkflowUpdate: (req) => pollWorkflowUpdate(d, req, closing),
      signalWithStartWorkflow: (req) => signalWithStartWorkflow(d, req),
      updateWithStartWorkflow: (req) => updateWithStartWorkflow(d, req, closing),
      registerWorker: async (input: RegisterWorkerRequest) => {
        const req = parseRequest(RegisterWorkerSchema, input, 'register worker');
        // As Temporal's worker validates its namespace: one in a namespace that does not exist
        // would poll for nothing, without end.
        await assertNamespace(d, req.namespace);
        await d.store.registerWorker({
          ...req,
          buildId: req.buildId,
          seenAtMs: Date.now(),
        });
        d.registrations.forget(req.namespace, req.taskQueue);
        return { maxPayloadBytes: d.limits.maxPayloadBytes };
      },
      // Ended by the caller's signal or by close(); linked to neither once it answers.
      pollWorkflowTask: (req, signal) =>
        withEitherSignal(signal, closing, (s) => pollWorkflowTask(d, q, req, s)),
      completeWorkflowTask: (req) => completeWorkflowTask(d, req),
      failWorkflowTask: (req) => failWorkflowTask(d, req),
      respondQueryTask: (req) => {
        q.respond(req);
        return Promise.resolve();
      },
      pollActivityTask: (req, signal) =>
        withEitherSignal(signal, closing, (s) => pollActivityTask(d, req, s)),
      shutdownWorker: (req) => shutdownWorker(d, q, req),
      completeActivityTask: (req) => completeActivityTask(d, req),
      failActivityTask: (req) => failActivityTask(d, req),
      reportActivityTaskCanceled: (req) => reportActivityTaskCanceled(d, req),
      heartbeatActivityTask: (req) => heartbeatActivityTask(d, req),
      releaseActivityTask: (req) => releaseActivityTask(d, req),
      createSchedule: (req) => createSchedule(d, req),
      describeSchedule: (req) => describeSchedule(d, req),
      updateSchedule: (req) => updateSchedule(d, req),
      patchSchedule: (req) => patchSchedule(d, req),
      deleteSchedule: (req) => deleteSchedule(d, req),
      listSchedules: (req) => listSchedules(d, req),
      addSearchAttributes: (req) => addSearchAttributes(d, req),
      removeSearchAttributes: (req) => removeSearchAttributes(d, req),
      listSearchAttributes: (req) => listSearchAttributes(d, req),
      createNamespace: (req) => createNamespace(d, req),
      listNamespaces: (req) => listNamespaces(d, req),
      describeNamespace: (req) => describeNamespace(d, req),
    });
  }
}

/**
 * `api`, answering every call with Unavailable once `closing` aborted: a closed engine serves no
 * more calls, whatever the store (a worker's polls back off, where answers of "nothing yet" from
 * a store its owner keeps open had it poll again at once, without end).
 */
function refusedOnceClosed(closing: SharedSignal, api: EngineApi): EngineApi {
  const guarded: Record<string, unknown> = {};
  for (const [name, call] of Object.entries(api) as [string, (...a: unknown[]) => unknown][]) {
    guarded[name] = (...args: unknown[]) =>
      closing.aborted ? Promise.reject(engineClosedError()) : call(...args);
  }
  return guarded as unknown as EngineApi;
}
