// A child process holding its own engine on the shared SQLite file, as a deployed host does.
// BENCH_ROLE=worker: a worker host (engine + worker).
// BENCH_ROLE=client: engine + client, no worker.
// BENCH_ROLE=app: engine, worker and client in one process (an embedded application).
// With a client, it starts BENCH_RUNS workflows of BENCH_STEPS steps (or, with BENCH_ATTACH=1,
// attaches to them by id after a restart), awaits their results and exits. W6 SIGKILLs it
// and starts another. BENCH_MAX_CACHED sets the worker's sticky cache size (W7: 0).
// Messages to the parent: {type:'ready'}, {type:'started'}, {type:'done', wrong, peakBytes},
// and {type:'memory', …} in answer to {type:'measure'}.
import { Client } from 'reprise/client';
import { Engine } from 'reprise/server';
import { Worker } from 'reprise/worker';
import * as activities from '../fixtures/activities.ts';
import { effectSteps } from '../fixtures/workflows.ts';
import { benchWorkflows } from '../lib/deployment.ts';

function env(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`${name} must be set`);
  return v;
}

function send(message: object): void {
  process.send?.(message);
}

const db = env('BENCH_DB');
const taskQueue = env('BENCH_QUEUE');
const role = env('BENCH_ROLE');
if (role !== 'worker' && role !== 'client' && role !== 'app')
  throw new Error(`BENCH_ROLE ${role}?`);
const maxCached = process.env['BENCH_MAX_CACHED'];

const engine = await Engine.open({ store: `sqlite:${db}` });
const worker =
  role === 'client'
    ? undefined
    : await Worker.create({
        connection: engine.connection,
        taskQueue,
        // Bundled at build time when the runner compiled this host (a deployed app's way).
        ...benchWorkflows(),
        activities,
        ...(maxCached !== undefined &&
          maxCached !== '' && { maxCachedWorkflows: Number(maxCached) }),
      });

// {type:'measure'} → collect garbage if allowed (--expose-gc), then report memory.
process.on('message', (m: unknown) => {
  if (typeof m !== 'object' || m === null || (m as { type?: unknown }).type !== 'measure') return;
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) gc?.();
  const mem = process.memoryUsage();
  send({
    type: 'memory',
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    peakBytes: process.resourceUsage().maxRSS * 1024,
    cached: worker?.cachedWorkflowCount ?? 0,
  });
});
const running = worker?.run();
send({ type: 'ready' });

if (role === 'worker') {
  await running;
  await engine.close();
} else {
  const runs = Number(env('BENCH_RUNS'));
  const steps = Number(env('BENCH_STEPS'));
  const attach = process.env['BENCH_ATTACH'] === '1';
  const client = new Client({ connection: engine.connection });
  const ids = Array.from({ length: runs }, (_, i) => `w6-${i}`);
  const handles = attach
    ? ids.map((workflowId) => client.workflow.getHandle<typeof effectSteps>(workflowId))
    : await Promise.all(
        ids.map((workflowId) =>
          client.workflow.start(effectSteps, {
            taskQueue,
            workflowId,
            args: [steps],
            workflowTaskTimeout: '1 second',
          }),
        ),
      );
  send({ type: 'started' });
  const results = await Promise.all(handles.map((h) => h.result()));
  const wrong = results.filter((r) => r !== steps).length;
  await worker?.shutdown();
  await running;
  await engine.close();
  send({ type: 'done', wrong, peakBytes: process.resourceUsage().maxRSS * 1024 });
  process.disconnect();
}
