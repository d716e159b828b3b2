// W2 throughput: 500 workflows started at once, each 10 sequential steps. W2-engine runs the
// same with a stub worker (bench/lib/stub-worker.ts) in place of the real one: the engine and
// its store alone, the ceiling the engine's process would reach if its workers cost it nothing.
// W2-warm measures W2 on a deployment that has just run one round of W2's own load, unmeasured:
// an engine that has been running. The common warm-up (workflows of sequential steps) does not
// run the paths of many concurrent starts and steps, and W2's ~2 s phase ends before V8's old
// generation first grows to its limit (its peak RSS ~25–30 MiB below what the same load holds as
// it runs on; ~60 MiB after the brief warm-up of the twenty-third pass).
import { StoreCounter } from '../lib/counting-store.ts';
import { openDeployment } from '../lib/deployment.ts';
import type { Deployment } from '../lib/deployment.ts';
import { startStubWorker } from '../lib/stub-worker.ts';
import type { Workload } from '../lib/workload.ts';
import { warmUp, warmUpSteps } from '../lib/warm-up.ts';
import { steps } from '../fixtures/workflows.ts';

const WORKFLOWS = 500;
const STEPS = 10;

/** Starts W2's workflows (ids `prefix-0`…) and resolves to their results. */
async function runAll(
  d: Deployment,
  prefix: string,
): Promise<{ startedMs: number; results: unknown[] }> {
  const t0 = performance.now();
  const handles = await Promise.all(
    Array.from({ length: WORKFLOWS }, (_, i) =>
      d.client.workflow.start(steps, {
        taskQueue: d.taskQueue,
        workflowId: `${prefix}-${i}`,
        args: [STEPS, 0],
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
  startWorkers: (d: Deployment) => Promise<() => Promise<void>>,
  warmRounds = 0,
): Workload {
  return {
    id,
    title,
    timeLimitMs: 300_000,
    processLabel,
    params: () => ({
      workflows: WORKFLOWS,
      stepsEach: STEPS,
      warmUpSteps: warmUpSteps(),
      ...(warmRounds > 0 && { unmeasuredRoundsFirst: warmRounds }),
    }),
    async rep(ctx) {
      const counter = new StoreCounter();
      const d = await openDeployment({ ...ctx.options, counter });
      let stopWorkers: (() => Promise<void>) | undefined;
      try {
        stopWorkers = await startWorkers(d);
        await warmUp(d);
        for (let round = 1; round <= warmRounds; round++) await runAll(d, `warm-${round}`);
        counter.reset();
        ctx.mark('start');
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const { startedMs, results } = await runAll(d, id.toLowerCase());
        const wallMs = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        ctx.mark('end');
        const perStep = WORKFLOWS * STEPS;
        const wrong = results.filter((r) => r !== STEPS).length;
        if (wrong > 0) throw new Error(`${id}: ${wrong} workflows returned a wrong result`);
        ctx.log(`${id} rep ${ctx.rep}: ${perStep} steps in ${(wallMs / 1000).toFixed(2)} s`);
        return {
          figures: {
            stepsPerSec: { value: (perStep * 1000) / wallMs, unit: 'steps/s' },
            cpuMsPerStep: { value: (cpu.user + cpu.system) / 1000 / perStep, unit: 'ms' },
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

async function realWorker(d: Deployment): Promise<() => Promise<void>> {
  const worker = await d.startWorker();
  return () => worker.stop();
}

export const w2 = throughput('W2', 'throughput', 'bench (engine+worker+client)', realWorker);

export const w2Warm = throughput(
  'W2-warm',
  'throughput on an engine that has just run the same load (one round unmeasured)',
  'bench (engine+worker+client)',
  realWorker,
  1,
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
