// W2 throughput: 500 workflows started at once, each 10 sequential steps. W2-engine runs the
// same with a stub worker (bench/lib/stub-worker.ts) in place of the real one: the engine and
// its store alone, the ceiling the engine's process would reach if its workers cost it nothing.
// W2-warm measures W2 on a deployment that has just run one round of W2's own load, unmeasured:
// an engine that has been running. The common warm-up (workflows of sequential steps) does not
// run the paths of many concurrent starts and steps, and W2's ~2 s phase ends before V8's old
// generation first grows to its limit (its peak RSS ~25–30 MiB below what the same load holds as
// it runs on; ~60 MiB after the brief warm-up of the twenty-third pass).
import { StoreCounter } from '../lib/counting-store.ts';
import { cpuFigures, openDeployment, startWorkers } from '../lib/deployment.ts';
import type { Deployment } from '../lib/deployment.ts';
import { startStubWorker } from '../lib/stub-worker.ts';
import type { BenchOptions, RepContext, Workload } from '../lib/workload.ts';
import { warmUp, warmUpFor, warmUpSteps } from '../lib/warm-up.ts';
import { steps } from '../fixtures/workflows.ts';

interface Shape {
  readonly workflows: number;
  readonly steps: number;
}

/** 500 workflows of 10 steps; `--scale smoke`: a few, enough to go through every part. */
function shapeFor(options: BenchOptions): Shape {
  return options.scale === 'smoke' ? { workflows: 5, steps: 2 } : { workflows: 500, steps: 10 };
}

/** Starts W2's workflows (ids `prefix-0`…) and resolves to their results. */
async function runAll(
  d: Deployment,
  shape: Shape,
  prefix: string,
): Promise<{ startedMs: number; results: unknown[] }> {
  const t0 = performance.now();
  const handles = await Promise.all(
    Array.from({ length: shape.workflows }, (_, i) =>
      d.client.workflow.start(steps, {
        taskQueue: d.taskQueue,
        workflowId: `${prefix}-${i}`,
        args: [shape.steps, 0],
      }),
    ),
  );
  const startedMs = performance.now() - t0;
  return { startedMs, results: await Promise.all(handles.map((h) => h.result())) };
}

/**
 * W2's workload with `startWorkers` answering its tasks (which resolves to how to stop them),
 * after `warmRounds` unmeasured rounds of the same load.
 */
function throughput(
  id: string,
  title: string,
  processLabel: string,
  answerTasks: (d: Deployment, ctx: RepContext) => Promise<() => Promise<void>>,
  opts: { warmRounds?: number; service?: boolean } = {},
): Workload {
  const warmRounds = opts.warmRounds ?? 0;
  return {
    id,
    title,
    timeLimitMs: 300_000,
    processLabel,
    ...(opts.service === true && { service: true }),
    postgres: true,
    smoke: true,
    params: (options) => ({
      workflows: shapeFor(options).workflows,
      stepsEach: shapeFor(options).steps,
      warmUpSteps: warmUpSteps(warmUpFor(options)),
      ...(warmRounds > 0 && { unmeasuredRoundsFirst: warmRounds }),
    }),
    async rep(ctx) {
      const shape = shapeFor(ctx.options);
      const counter = new StoreCounter();
      const d = await openDeployment(ctx, { counter });
      let stopWorkers: (() => Promise<void>) | undefined;
      try {
        stopWorkers = await answerTasks(d, ctx);
        await warmUp(d, warmUpFor(ctx.options));
        for (let round = 1; round <= warmRounds; round++) await runAll(d, shape, `warm-${round}`);
        const measuring = await d.startMeasuring();
        ctx.mark('start');
        const t0 = performance.now();
        const { startedMs, results } = await runAll(d, shape, id.toLowerCase());
        const wallMs = performance.now() - t0;
        const cpu = await measuring.end();
        ctx.mark('end');
        const perStep = shape.workflows * shape.steps;
        const wrong = results.filter((r) => r !== shape.steps).length;
        if (wrong > 0) throw new Error(`${id}: ${wrong} workflows returned a wrong result`);
        ctx.log(`${id} rep ${ctx.rep}: ${perStep} steps in ${(wallMs / 1000).toFixed(2)} s`);
        return {
          figures: {
            stepsPerSec: { value: (perStep * 1000) / wallMs, unit: 'steps/s' },
            ...cpuFigures(cpu, perStep, 'Step'),
            wallS: { value: wallMs / 1000, unit: 's' },
            startAllMs: { value: startedMs, unit: 'ms' },
            durableCommitsPerStep: { value: counter.durableCommits / perStep, unit: 'commits' },
            storeCallsPerStep: { value: counter.total / perStep, unit: 'calls' },
          },
          notes: [counter.describe(perStep, 'step')],
        };
      } finally {
        await stopWorkers?.();
        await d.close();
      }
    },
  };
}

/** `--workers` real workers (in service mode, a process each). */
async function realWorkers(d: Deployment, ctx: RepContext): Promise<() => Promise<void>> {
  const workers = await startWorkers(d, ctx.options.workers);
  return () => workers.stop();
}

export const w2 = throughput('W2', 'throughput', 'bench (engine+worker+client)', realWorkers, {
  service: true,
});

export const w2Warm = throughput(
  'W2-warm',
  'throughput on an engine that has just run the same load (one round unmeasured)',
  'bench (engine+worker+client)',
  realWorkers,
  { warmRounds: 1, service: true },
);

export const w2Engine = throughput(
  'W2-engine',
  'throughput of the engine and store alone (stub worker)',
  'bench (engine+stub worker+client)',
  async (d) => {
    const stub = await startStubWorker(d.connection, d.taskQueue);
    return () => stub.stop();
  },
);
