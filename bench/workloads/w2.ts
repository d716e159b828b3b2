// W2 throughput: 500 workflows started at once, each 10 sequential steps. W2-engine runs the
// same with a stub worker (bench/lib/stub-worker.ts) in place of the real one: the engine and
// its store alone, the ceiling the engine's process would reach if its workers cost it nothing.
import { StoreCounter } from '../lib/counting-store.ts';
import { openDeployment } from '../lib/deployment.ts';
import type { Deployment } from '../lib/deployment.ts';
import { startStubWorker } from '../lib/stub-worker.ts';
import type { Workload } from '../lib/workload.ts';
import { WARM_UP_STEPS, warmUp } from '../lib/warm-up.ts';
import { steps } from '../fixtures/workflows.ts';

const WORKFLOWS = 500;
const STEPS = 10;

/** W2's workload with `startWorkers` answering its tasks; resolves to how to stop them. */
function throughput(
  id: string,
  title: string,
  processLabel: string,
  startWorkers: (d: Deployment) => Promise<() => Promise<void>>,
): Workload {
  return {
    id,
    title,
    timeLimitMs: 300_000,
    processLabel,
    params: () => ({ workflows: WORKFLOWS, stepsEach: STEPS, warmUpSteps: WARM_UP_STEPS }),
    async rep(ctx) {
      const counter = new StoreCounter();
      const d = await openDeployment({ ...ctx.options, counter });
      let stopWorkers: (() => Promise<void>) | undefined;
      try {
        stopWorkers = await startWorkers(d);
        await warmUp(d);
        counter.reset();
        ctx.mark('start');
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const handles = await Promise.all(
          Array.from({ length: WORKFLOWS }, (_, i) =>
            d.client.workflow.start(steps, {
              taskQueue: d.taskQueue,
              workflowId: `w2-${i}`,
              args: [STEPS, 0],
            }),
          ),
        );
        const startedMs = performance.now() - t0;
        const results = await Promise.all(handles.map((h) => h.result()));
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

export const w2 = throughput('W2', 'throughput', 'bench (engine+worker+client)', async (d) => {
  const worker = await d.startWorker();
  return () => worker.stop();
});

export const w2Engine = throughput(
  'W2-engine',
  'throughput of the engine and store alone (stub worker)',
  'bench (engine+stub worker+client)',
  async (d) => {
    const stub = await startStubWorker(d.connection, d.taskQueue);
    return () => stub.stop();
  },
);
