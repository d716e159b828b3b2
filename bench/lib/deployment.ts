// How a workload reaches Reprise. Workloads ask for a Deployment and never build engines
// themselves: embedded (engine, worker and client in this process) here, service mode (engine
// and workers in processes of their own, over HTTP) in service-deployment.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'reprise/client';
import { Engine, openStore } from 'reprise/server';
import { Worker } from 'reprise/worker';
import type { EngineApi } from '../../src/transport/engine-api.ts';
import * as activities from '../fixtures/activities.ts';
import { countingStore } from './counting-store.ts';
import type { StoreCounter } from './counting-store.ts';
import type { Measured } from './stats.ts';
import { openServiceDeployment } from './service-deployment.ts';
import type { RepContext } from './workload.ts';

export type Mode = 'embedded' | 'service';
export type StoreKind = 'sqlite' | 'postgres';

/** The bench's workflow code, as a worker bundles it. */
export const WORKFLOWS_PATH = new URL('../fixtures/workflows.ts', import.meta.url).pathname;

/**
 * How the bench's workers get their workflow code: the bundle the runner built ahead of time
 * (BENCH_WORKFLOW_BUNDLE, set for every compiled process: a deployed app's way), otherwise
 * `workflowsPath`, bundled when the worker is created (inline repetitions under tsx).
 */
export function benchWorkflows():
  { workflowsPath: string } | { workflowBundle: { codePath: string } } {
  const codePath = process.env['BENCH_WORKFLOW_BUNDLE'];
  return codePath === undefined || codePath === ''
    ? { workflowsPath: WORKFLOWS_PATH }
    : { workflowBundle: { codePath } };
}

/**
 * The PostgreSQL server of `--store postgres`: the runner starts a throwaway cluster (fsync on:
 * the durable configuration) and gives its URL to every process it starts in this variable.
 */
export const BENCH_POSTGRES_URL = 'BENCH_POSTGRES_URL';

/** Worker settings a workload may change; anything left out keeps the worker's default. */
export interface WorkerTuning {
  readonly maxCachedWorkflows?: number;
  readonly maxConcurrentWorkflowTaskExecutions?: number;
  readonly maxConcurrentActivityTaskExecutions?: number;
}

export interface RunningWorker {
  stop(): Promise<void>;
}

/** CPU time spent between `startMeasuring()` and `end()`. */
export interface CpuSpent {
  /** User and system time of every process of the deployment, µs. */
  readonly totalUs: number;
  /** System time of every process of the deployment, µs. */
  readonly systemUs: number;
  /** Service mode: each kind of process's share of `totalUs` (engine, workers, client). */
  readonly byProcess: Readonly<Record<string, number>>;
}

/**
 * CPU figures a `unit` (`Step`, `Workflow`): `cpuMsPerStep` over every process of the
 * deployment, and in service mode each kind of process's share (`engineCpuMsPerStep`, …).
 */
export function cpuFigures(
  cpu: CpuSpent,
  per: number,
  unit: 'Step' | 'Workflow',
): Record<string, Measured> {
  const out: Record<string, Measured> = {
    [`cpuMsPer${unit}`]: { value: cpu.totalUs / 1000 / per, unit: 'ms' },
  };
  for (const [name, us] of Object.entries(cpu.byProcess)) {
    out[`${name}CpuMsPer${unit}`] = { value: us / 1000 / per, unit: 'ms' };
  }
  return out;
}

/** A measured phase under way: `end()` closes it. */
export interface Measuring {
  end(): Promise<CpuSpent>;
}

/** One engine, its store, a client, and workers on one task queue. */
export interface Deployment {
  readonly mode: Mode;
  readonly store: StoreKind;
  readonly client: Client;
  /** The engine's API, as a worker reaches it (bench/lib/stub-worker.ts answers tasks on it). */
  readonly connection: EngineApi;
  readonly taskQueue: string;
  /** The SQLite file (embedded): child-process hosts and progress probes open it too. */
  readonly dbPath: string;
  /** A directory removed by close(), for side-effect files and the like. */
  readonly dir: string;
  startWorker(tuning?: WorkerTuning): Promise<RunningWorker>;
  /**
   * Starts a measured phase: resets the store counter the deployment was opened with (which then
   * holds the phase's calls once `end()` resolved) and reads the CPU time of every process of
   * the deployment.
   */
  startMeasuring(): Promise<Measuring>;
  close(): Promise<void>;
}

/** Starts `count` workers at once (in service mode, a process each); stop() stops them all. */
export async function startWorkers(
  d: Deployment,
  count: number,
  tuning?: WorkerTuning,
): Promise<RunningWorker> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, () => d.startWorker(tuning)),
  );
  const running = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async (): Promise<void> => {
    for (const w of running) await w.stop();
  };
  const failed = started.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    await stop();
    throw failed.reason;
  }
  return { stop };
}

let queueCounter = 0;

/** A store location and a task queue with no engine in this process (for child-process hosts). */
export interface StoreSite {
  readonly taskQueue: string;
  /** The store's URL: `sqlite:<dbPath>`, or with `--store postgres` a schema of its own. */
  readonly storeUrl: string;
  /** The SQLite file (with `--store postgres`, a path nothing opens). */
  readonly dbPath: string;
  readonly dir: string;
  close(): void;
}

/**
 * A fresh store (a file in a temp directory, or a schema on the runner's PostgreSQL), and a task
 * queue name no one else uses.
 */
export function reserveStore(opts: { store: StoreKind }): StoreSite {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-'));
  queueCounter += 1;
  const name = `bench_${process.pid}_${queueCounter}`;
  const dbPath = join(dir, 'reprise.db');
  return {
    taskQueue: name.replaceAll('_', '-'),
    storeUrl: opts.store === 'postgres' ? postgresSchemaUrl(name) : `sqlite:${dbPath}`,
    dbPath,
    dir,
    close: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The runner's PostgreSQL server, with a schema of this name. */
function postgresSchemaUrl(schema: string): string {
  const server = process.env[BENCH_POSTGRES_URL];
  if (server === undefined || server === '') {
    throw new Error(`--store postgres: ${BENCH_POSTGRES_URL} is not set (the runner sets it)`);
  }
  const url = new URL(server);
  url.searchParams.set('schema', schema);
  return url.toString();
}

/**
 * Opens a deployment of `ctx.options.mode` on a fresh store, in the engine's default durable
 * configuration (SQLite: WAL, synchronous=FULL; PostgreSQL: fsync and synchronous_commit on).
 */
export async function openDeployment(
  ctx: RepContext,
  opts: {
    /** Counts the engine's store calls (the store is wrapped; calls go through unchanged). */
    counter?: StoreCounter;
  } = {},
): Promise<Deployment> {
  const site = reserveStore(ctx.options);
  if (ctx.options.mode === 'service') return openServiceDeployment(ctx, site, opts.counter);
  const { dbPath, taskQueue, dir, storeUrl: url } = site;
  const store = opts.counter ? countingStore(await openStore(url), opts.counter) : undefined;
  const engine = await Engine.open({ store: store ?? url });
  const workers: RunningWorker[] = [];
  const client = new Client({ connection: engine.connection });
  return {
    mode: 'embedded',
    store: ctx.options.store,
    client,
    connection: engine.connection,
    taskQueue,
    dbPath,
    dir,
    startWorker: async (tuning = {}) => {
      const worker = await Worker.create({
        connection: engine.connection,
        taskQueue,
        ...benchWorkflows(),
        activities,
        ...tuning,
      });
      const running = worker.run();
      const entry: RunningWorker = {
        stop: async () => {
          await worker.shutdown();
          await running;
          workers.splice(workers.indexOf(entry), 1);
        },
      };
      workers.push(entry);
      return entry;
    },
    startMeasuring: () => {
      opts.counter?.reset();
      const cpu0 = process.cpuUsage();
      return Promise.resolve({
        end: () => {
          const cpu = process.cpuUsage(cpu0);
          return Promise.resolve({
            totalUs: cpu.user + cpu.system,
            systemUs: cpu.system,
            byProcess: {},
          });
        },
      });
    },
    close: async () => {
      for (const w of [...workers]) await w.stop();
      await engine.close();
      await store?.close();
      site.close();
    },
  };
}
