// Service mode's worker: a process with one worker on BENCH_QUEUE, connected to the engine host
// at BENCH_ENGINE_URL over HTTP, running the bench's workflows (bundled ahead of time) and
// activities. BENCH_TUNING: the worker settings a workload changed (JSON of WorkerTuning).
import { Connection } from 'reprise/client';
import { Worker } from 'reprise/worker';
import * as activities from '../fixtures/activities.ts';
import { benchWorkflows } from '../lib/deployment.ts';
import type { WorkerTuning } from '../lib/deployment.ts';
import { env, serveParent } from './parent-link.ts';

const tuning = JSON.parse(process.env['BENCH_TUNING'] ?? '{}') as WorkerTuning;
const connection = await Connection.connect({ address: env('BENCH_ENGINE_URL') });
const worker = await Worker.create({
  connection,
  taskQueue: env('BENCH_QUEUE'),
  ...benchWorkflows(),
  activities,
  ...tuning,
});
const running = worker.run();

serveParent({
  ready: {},
  stop: async () => {
    await worker.shutdown();
    await running;
    await connection.close();
  },
});
