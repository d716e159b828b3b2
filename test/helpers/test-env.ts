import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from 'reprise/client';
import { Engine } from 'reprise/server';
import type { Clock, EngineLimits, EngineOptions } from 'reprise/server';
import { Worker } from 'reprise/worker';
import type { WorkerOptions } from 'reprise/worker';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { testStoreUrl } from './test-store.ts';
import type { RunWorkflowTask } from '../../src/transport/engine-api.ts';

/** A logger for an engine or worker that keeps the messages of its info lines, warnings and errors. */
export function recordingLogger(): {
  logger: NonNullable<EngineOptions['logger']>;
  infos: string[];
  warnings: string[];
  errors: string[];
} {
  const infos: string[] = [];
  const warnings: string[] = [];
  const errors: string[] = [];
  const logger: NonNullable<EngineOptions['logger']> = {
    debug: () => undefined,
    info: (_obj, msg) => {
      infos.push(msg ?? '');
    },
    warn: (_obj, msg) => {
      warnings.push(msg ?? '');
    },
    error: (_obj, msg) => {
      errors.push(msg ?? '');
    },
    child: () => logger,
  };
  return { logger, infos, warnings, errors };
}

export const fixturesPath = (name: string): string =>
  new URL(`../e2e/fixtures/${name}`, import.meta.url).pathname;

let counter = 0;
/** A task queue name no other test uses. */
export function uniqueQueue(prefix = 'q'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

/** A fresh directory under the OS temp dir, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-test-'));
  return {
    dir,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** How the suites' clients and workers reach their engine: `REPRISE_TEST_TRANSPORT=http|inprocess`. */
export const testTransport: 'http' | 'inprocess' =
  process.env['REPRISE_TEST_TRANSPORT'] === 'http' ? 'http' : 'inprocess';

/**
 * A connection to `engine` over the suites' transport: in-process, or over HTTP on loopback
 * (the engine then listens on a free port until it closes).
 */
export async function testConnection(engine: Engine): Promise<Connection> {
  if (testTransport === 'inprocess') return Connection.connect({ engine });
  const server = await engine.listen({ port: 0 });
  return Connection.connect({ address: server.url });
}

export interface TestEnv {
  engine: Engine;
  client: Client;
  worker: Worker;
  taskQueue: string;
  /** The SQLite file, when the env runs on SQLite (see `storeUrl`). */
  dbPath: string;
  /** The URL of the env's store, for more engines on it (test-store.ts: SQLite or PostgreSQL). */
  storeUrl: string;
  /** Starts another worker on the same queue (e.g. with other workflow code). */
  startWorker(
    opts?: Partial<WorkerOptions>,
  ): Promise<{ worker: Worker; stop: () => Promise<void> }>;
  /** Shuts down every worker still running (`worker` and those `startWorker` started). */
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

/** An engine on a real SQLite file, a running worker and a client, all in this process. */
export async function startTestEnv(
  opts: {
    clock?: Clock;
    workflows?: string;
    activities?: object;
    maxCachedWorkflows?: number;
    /** Engine limits (small ones for limit tests). */
    limits?: Partial<EngineLimits>;
    /** The engine's logger. */
    logger?: EngineOptions['logger'];
    /** More options of the first worker (e.g. its buildId). */
    worker?: Partial<WorkerOptions>;
    /**
     * The store's linger window (SqliteStoreOptions.lingerMs), for tests that look at what waits
     * in it: one far longer than any step of the test (the default is 20 ms).
     */
    lingerMs?: number;
  } = {},
): Promise<TestEnv> {
  const tmp = tempDir();
  const dbPath = join(tmp.dir, 'reprise.db');
  // A linger window is the SQLite store's: such a test runs on SQLite on every pass.
  const storeUrl = opts.lingerMs === undefined ? await testStoreUrl(dbPath) : `sqlite:${dbPath}`;
  const store =
    opts.lingerMs === undefined
      ? undefined
      : await SqliteStore.open({ path: dbPath, lingerMs: opts.lingerMs });
  const engine = await Engine.open({
    store: store ?? storeUrl,
    clock: opts.clock,
    limits: opts.limits,
    logger: opts.logger,
  }).catch(async (e: unknown) => {
    await store?.close();
    throw e;
  });
  const taskQueue = uniqueQueue();
  const connection = await testConnection(engine);
  const client = new Client({ connection });
  const workers: { worker: Worker; running: Promise<void> }[] = [];
  const startWorker = async (
    extra: Partial<WorkerOptions> = {},
  ): Promise<{ worker: Worker; stop: () => Promise<void> }> => {
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: fixturesPath(opts.workflows ?? 'workflows.ts'),
      activities: opts.activities,
      maxCachedWorkflows: opts.maxCachedWorkflows,
      ...extra,
    });
    const running = worker.run();
    const entry = { worker, running };
    workers.push(entry);
    return {
      worker,
      stop: async () => {
        // A test may have shut it down itself (shutdown() throws unless the worker is RUNNING).
        if (worker.state === 'RUNNING') await worker.shutdown();
        await running;
        workers.splice(workers.indexOf(entry), 1);
      },
    };
  };
  const stopWorkers = async (): Promise<void> => {
    for (const w of workers.splice(0)) {
      if (w.worker.state === 'RUNNING') await w.worker.shutdown();
      await w.running;
    }
  };
  const { worker } = await startWorker(opts.worker).catch(async (e: unknown) => {
    // A worker the options refuse: nothing else of the environment may outlive the test (an
    // HTTP server would keep the process alive).
    await connection.close();
    await engine.close();
    await store?.close();
    tmp.remove();
    throw e;
  });
  return {
    engine,
    client,
    worker,
    taskQueue,
    dbPath,
    storeUrl,
    startWorker,
    stopWorkers,
    close: async () => {
      await stopWorkers();
      await connection.close();
      await engine.close();
      await store?.close();
      tmp.remove();
    },
  };
}

/** Awaits `predicate` becoming true, re-checking every few ms; fails after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * The stage an update has reached in run `runId` ('Admitted', 'Accepted', 'Completed') as the
 * engine answers at once; undefined if the run does not have it (or is not found).
 */
export function updateStageIn(
  env: TestEnv,
  workflowId: string,
  runId: string,
  updateId: string,
): Promise<string | undefined> {
  return env.engine.connection
    .pollWorkflowUpdate({
      namespace: 'default',
      workflowId,
      runId,
      updateId,
      waitForStage: 'Accepted',
      waitMs: 0,
    })
    .then(
      (r) => r.stage,
      () => undefined,
    );
}

/** Takes the next workflow task of `taskQueue` as a worker would (the test plays the worker). */
export async function takeWorkflowTask(env: TestEnv, taskQueue: string): Promise<RunWorkflowTask> {
  const task = await env.engine.connection.pollWorkflowTask({
    namespace: 'default',
    taskQueue,
    identity: 'test',
    waitMs: 5000,
  });
  if (task?.kind !== 'workflow') throw new Error(`No workflow task came on ${taskQueue}`);
  return task;
}
