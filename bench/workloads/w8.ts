// W8 replay: a 10,000-event history (one workflow of 1,666 sequential activities, run once on
// the engine and fetched) replayed into a fresh sandbox; and the memory per cached run with
// 10,000 runs cached in one sandbox (the approach of scripts/measure-sandbox-memory.ts, with a
// real history of a workflow waiting on a signal). Uses the worker's internals for the parts
// the public API does not expose.
import { Worker } from 'reprise/worker';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';
import { bundleWorkflows } from '../../src/worker/sandbox/bundle.ts';
import { VmSandbox } from '../../src/worker/sandbox/vm-sandbox.ts';
import { WorkflowRun } from '../../src/worker/workflow-run.ts';
import { awaitSignal, steps } from '../fixtures/workflows.ts';
import { WORKFLOWS_PATH, openDeployment } from '../lib/deployment.ts';
import { StoreProbe } from '../lib/probe.ts';
import { median } from '../lib/stats.ts';
import { waitUntil } from '../lib/workload.ts';
import type { Workload } from '../lib/workload.ts';

/** 5 events to start and finish, 6 per step: 5 + 6 × 1,666 = 10,001. */
const STEPS = 1666;
const CACHED_RUNS = 10_000;
/**
 * Replays after the first that are run and not measured: V8 is still compiling the replay's path
 * on its own thread through about the third, and how far it has got by then decides whether they
 * take ~50 or ~100 ms here (a median of the 2nd to 5th moved by half from one process to the
 * next). The first replay in the process is reported on its own (`replayFirstMs`).
 */
const WARMING_REPLAYS = 4;
/** Replays measured once the JIT has settled; `replayMs` is their median. */
const MEASURED_REPLAYS = 6;

function gc(): void {
  const f = (globalThis as { gc?: () => void }).gc;
  if (f === undefined) throw new Error('W8 needs node --expose-gc');
  for (let i = 0; i < 3; i++) f();
}

function heapUsed(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

/** Replays `events` into a new sandbox and a new run; returns the milliseconds it took. */
function replayFresh(
  bundle: Awaited<ReturnType<typeof bundleWorkflows>>,
  events: readonly HistoryEvent[],
  i: number,
): number {
  const t0 = performance.now();
  const sandbox = VmSandbox.create(bundle);
  const run = new WorkflowRun({ sandbox, runId: `replay-${i}`, namespace: 'default' });
  const result = run.replay(events);
  const elapsed = performance.now() - t0;
  run.dispose();
  sandbox.dispose();
  if (result.status !== 'success') throw new Error(`W8 replay failed: ${JSON.stringify(result)}`);
  return elapsed;
}

export const w8: Workload = {
  id: 'W8',
  title: 'replay',
  timeLimitMs: 300_000,
  nodeFlags: ['--expose-gc'],
  processLabel: 'bench (engine+worker+client, then replay)',
  params: () => ({
    historySteps: STEPS,
    cachedRuns: CACHED_RUNS,
    warmingReplays: WARMING_REPLAYS,
    measuredReplays: MEASURED_REPLAYS,
  }),
  async rep(ctx) {
    const d = await openDeployment(ctx);
    let events: HistoryEvent[];
    let waiting: HistoryEvent[];
    const probe = new StoreProbe(d.dbPath);
    try {
      await d.startWorker();
      const t0 = performance.now();
      const handle = await d.client.workflow.start(steps, {
        taskQueue: d.taskQueue,
        workflowId: 'w8-history',
        args: [STEPS, 0],
      });
      await handle.result();
      ctx.log(
        `W8 rep ${ctx.rep}: history built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      events = (await handle.fetchHistory()).events;
      const idle = await d.client.workflow.start(awaitSignal, {
        taskQueue: d.taskQueue,
        workflowId: 'w8-idle',
      });
      await waitUntil(
        () => probe.countEvents('WorkflowTaskCompleted') >= STEPS + 2,
        'w8-idle waiting',
        30_000,
      );
      const idleHistory = (await idle.fetchHistory()).events;
      const firstStarted = idleHistory.findIndex((e) => e.type === 'WorkflowTaskStarted');
      waiting = idleHistory.slice(0, firstStarted + 1);
      await idle.terminate('benchmark done');
    } finally {
      probe.close();
      await d.close();
    }

    // Replay into a fresh sandbox: the first in this process, a few unmeasured, then settled ones.
    const bundle = await bundleWorkflows({ workflowsPath: WORKFLOWS_PATH });
    const first = replayFresh(bundle, events, 0);
    let i = 1;
    for (; i <= WARMING_REPLAYS; i++) replayFresh(bundle, events, i);
    const settled: number[] = [];
    for (; i <= WARMING_REPLAYS + MEASURED_REPLAYS; i++)
      settled.push(replayFresh(bundle, events, i));
    // The public API: bundles the code, parses the history, replays.
    const t1 = performance.now();
    await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, { events });
    const publicMs = performance.now() - t1;

    // Memory per cached run.
    const sandbox = VmSandbox.create(bundle);
    const runs: WorkflowRun[] = [];
    const heapBefore = heapUsed();
    const rssBefore = process.memoryUsage().rss;
    for (let i = 0; i < CACHED_RUNS; i++) {
      const run = new WorkflowRun({ sandbox, runId: `cached-${i}`, namespace: 'default' });
      const r = run.activate(waiting);
      if (r.status !== 'success') throw new Error(`W8 cached run failed: ${JSON.stringify(r)}`);
      runs.push(run);
    }
    const heapAfter = heapUsed();
    const rssAfter = process.memoryUsage().rss;
    for (const run of runs) run.dispose();
    sandbox.dispose();

    return {
      figures: {
        historyEvents: { value: events.length, unit: 'events' },
        replayMs: { value: median(settled), unit: 'ms' },
        replayFirstMs: { value: first, unit: 'ms' },
        runReplayHistoryMs: { value: publicMs, unit: 'ms' },
        kbPerCachedRun: { value: (heapAfter - heapBefore) / CACHED_RUNS / 1024, unit: 'KiB' },
        rssKbPerCachedRun: { value: (rssAfter - rssBefore) / CACHED_RUNS / 1024, unit: 'KiB' },
      },
    };
  },
};
