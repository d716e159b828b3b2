// W2 throughput: 500 workflows started at once, each 10 sequential steps.
import { StoreCounter } from '../lib/counting-store.ts';
import { openDeployment } from '../lib/deployment.ts';
import type { Workload } from '../lib/workload.ts';
import { WARM_UP_STEPS, warmUp } from '../lib/warm-up.ts';
import { steps } from '../fixtures/workflows.ts';

const WORKFLOWS = 500;
const STEPS = 10;

export const w2: Workload = {
  id: 'W2',
  title: 'throughput',
  timeLimitMs: 300_000,
  processLabel: 'bench (engine+worker+client)',
  params: () => ({ workflows: WORKFLOWS, stepsEach: STEPS, warmUpSteps: WARM_UP_STEPS }),
  async rep(ctx) {
    const counter = new StoreCounter();
    const d = await openDeployment({ ...ctx.options, counter });
    try {
      await d.startWorker();
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
      if (wrong > 0) throw new Error(`W2: ${wrong} workflows returned a wrong result`);
      ctx.log(`W2 rep ${ctx.rep}: ${WORKFLOWS * STEPS} steps in ${(wallMs / 1000).toFixed(2)} s`);
      return {
        figures: {
          stepsPerSec: { value: (WORKFLOWS * STEPS * 1000) / wallMs, unit: 'steps/s' },
          cpuMsPerStep: { value: (cpu.user + cpu.system) / 1000 / perStep, unit: 'ms' },
          wallS: { value: wallMs / 1000, unit: 's' },
          startAllMs: { value: startedMs, unit: 'ms' },
          durableCommitsPerStep: { value: counter.durableCommits / perStep, unit: 'commits' },
          storeCallsPerStep: { value: counter.total / perStep, unit: 'calls' },
        },
        notes: [counter.describe(perStep, 'step')],
      };
    } finally {
      await d.close();
    }
  },
};
