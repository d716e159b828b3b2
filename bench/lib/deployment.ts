// How a workload reaches Reprise. Workloads ask for a Deployment and never build engines
// themselves, so that service mode (engine and workers in separate processes over HTTP, on
// SQLite or PostgreSQL) can be added here without touching them.
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

/** Thrown for a mode or store the engine cannot run yet; the runner exits non-zero. */
export class UnsupportedDeploymentError extends Error {}

export function assertSupported(mode: Mode, store: StoreKind): void {
  if (mode === 'service') {
    throw new UnsupportedDeploymentError(
      "--mode service is not available: Reprise has no service mode yet (engine and workers in separate processes over HTTP, on SQLite or PostgreSQL). Only '--mode embedded' runs today; when service mode lands, implement it in bench/lib/deployment.ts (openDeployment) and the worker hosts in bench/hosts/.",
    );
  }
  if (store === 'postgres') {
    throw new UnsupportedDeploymentError(
      "--store postgres is not available: Reprise has no PostgreSQL store yet. Only '--store sqlite' runs today (PostgreSQL is still measured as a physical limit by 'limits').",
    );
  }
}

/** Worker settings a workload may change; anything left out keeps the worker's default. */
export interface WorkerTuning {
  readonly maxCachedWorkflows?: number;
  readonly maxConcurrentWorkflowTaskExecutions?: number;
  readonly maxConcurrentActivityTaskExecutions?: number;
}

export interface RunningWorker {
  readonly worker: Worker;
  stop(): Promise<void>;
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
  close(): Promise<void>;
}

let queueCounter = 0;

/** A store location and a task queue with no engine in this process (for child-process hosts). */
export interface StoreSite {
  readonly taskQueue: string;
  readonly dbPath: string;
  readonly dir: string;
  close(): void;
}

/** A fresh temp directory for the store file, and a task queue name no one else uses. */
export function reserveStore(opts: { mode: Mode; store: StoreKind }): StoreSite {
  assertSupported(opts.mode, opts.store);
  const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-'));
  queueCounter += 1;
  return {
    taskQueue: `bench-${process.pid}-${queueCounter}`,
    dbPath: join(dir, 'reprise.db'),
    dir,
    close: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Opens a deployment: today an embedded engine on a fresh SQLite file in a temp directory, in
 * the engine's default durable configuration (WAL, synchronous=FULL).
 */
export async function openDeployment(opts: {
  mode: Mode;
  store: StoreKind;
  /** Counts the engine's store calls (the store is wrapped; calls go through unchanged). */
  counter?: StoreCounter;
}): Promise<Deployment> {
  const site = reserveStore(opts);
  const { dbPath, taskQueue, dir } = site;
  const url = `sqlite:${dbPath}`;
  const store = opts.counter ? countingStore(await openStore(url), opts.counter) : undefined;
  const engine = await Engine.open({ store: store ?? url });
  const workers: RunningWorker[] = [];
  const client = new Client({ connection: engine.connection });
  return {
    mode: opts.mode,
    store: opts.store,
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
        worker,
        stop: async () => {
          await worker.shutdown();
          await running;
          workers.splice(workers.indexOf(entry), 1);
        },
      };
      workers.push(entry);
      return entry;
    },
    close: async () => {
      for (const w of [...workers]) await w.stop();
      await engine.close();
      await store?.close();
      site.close();
    },
  };
}
