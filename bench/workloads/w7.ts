// W7 idle scale: many workflows started, each waiting on a signal. Scaled down by default
// (10,000 runs); `--scale full` runs the 100,000 of shared/BENCHMARKS.md.
// The engine and client run in this process; the worker runs in a child process (its own engine
// on the shared SQLite file) with a sticky cache of 0, so every run is evicted after its task:
// its RSS is the worker's cost once the runs are evicted.
import { statSync } from 'node:fs';
import { awaitSignal } from '../fixtures/workflows.ts';
import { openDeployment } from '../lib/deployment.ts';
import { APP_HOST, killHost, startHost } from '../lib/hosts.ts';
import type { Host } from '../lib/hosts.ts';
import { StoreProbe, checkpointedBytes } from '../lib/probe.ts';
import { procMemory, toMiB } from '../lib/procs.ts';
import { pool, waitUntil } from '../lib/workload.ts';
import type { BenchOptions, Workload } from '../lib/workload.ts';

const runsFor = (o: BenchOptions): number => (o.scale === 'full' ? 100_000 : 10_000);
const START_CONCURRENCY = 64;

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function gcNow(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) gc?.();
}

export const w7: Workload = {
  id: 'W7',
  title: 'idle scale',
  timeLimitMs: 1_800_000,
  nodeFlags: ['--expose-gc'],
  processLabel: 'engine+client',
  hosts: [APP_HOST],
  params: (o) => ({
    workflows: runsFor(o),
    scale: o.scale === 'full' ? 'full (100,000)' : 'scaled down (10,000; --scale full for 100,000)',
    workerMaxCachedWorkflows: 0,
  }),
  async rep(ctx) {
    const runs = runsFor(ctx.options);
    const d = await openDeployment(ctx);
    const probe = new StoreProbe(d.dbPath);
    let host: Host | undefined;
    try {
      host = await startHost(ctx, APP_HOST, 'worker-host (cache 0)', {
        BENCH_DB: d.dbPath,
        BENCH_QUEUE: d.taskQueue,
        BENCH_ROLE: 'worker',
        BENCH_MAX_CACHED: '0',
      });
      gcNow();
      const engineBaseline = process.memoryUsage().rss;
      const t0 = performance.now();
      const ids = Array.from({ length: runs }, (_, i) => `w7-${i}`);
      await pool(ids, START_CONCURRENCY, async (workflowId) => {
        await d.client.workflow.start(awaitSignal, { taskQueue: d.taskQueue, workflowId });
      });
      const startS = (performance.now() - t0) / 1000;
      ctx.log(`W7 rep ${ctx.rep}: started ${runs} in ${startS.toFixed(1)} s`);
      await waitUntil(
        () => probe.countEvents('WorkflowTaskCompleted') >= runs,
        'every run waiting on its signal',
        1_500_000,
        1000,
      );
      const allWaitingS = (performance.now() - t0) / 1000;
      const liveBytes =
        fileBytes(d.dbPath) + fileBytes(`${d.dbPath}-wal`) + fileBytes(`${d.dbPath}-shm`);
      host.child.send({ type: 'measure' });
      const mem = await host.next('memory');
      gcNow();
      const engineRss = process.memoryUsage().rss;
      const workerPeak = procMemory(host.pid)?.hwm ?? 0;
      const dbBytes = checkpointedBytes(d.dbPath);
      const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);
      return {
        figures: {
          storeBytesPerRun: { value: dbBytes / runs, unit: 'B' },
          storeFilesBytesPerRun: { value: liveBytes / runs, unit: 'B' },
          workerRssMiB: { value: toMiB(num(mem['rss'])), unit: 'MiB' },
          workerHeapMiB: { value: toMiB(num(mem['heapUsed'])), unit: 'MiB' },
          workerPeakRssMiB: { value: toMiB(workerPeak), unit: 'MiB' },
          workerCachedRuns: { value: num(mem['cached']), unit: 'runs' },
          engineRssMiB: { value: toMiB(engineRss), unit: 'MiB' },
          engineRssGrowthMiB: { value: toMiB(engineRss - engineBaseline), unit: 'MiB' },
          startRatePerSec: { value: runs / startS, unit: 'runs/s' },
          allWaitingS: { value: allWaitingS, unit: 's' },
        },
      };
    } finally {
      if (host) await killHost(ctx, host);
      probe.close();
      await d.close();
    }
  },
};
