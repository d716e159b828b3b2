// W1 step latency: one workflow, 200 sequential steps, nothing else running.
import { StoreCounter } from '../lib/counting-store.ts';
import { openDeployment } from '../lib/deployment.ts';
import type { Workload } from '../lib/workload.ts';
import { WARM_UP_STEPS, warmUp } from '../lib/warm-up.ts';
import { steps } from '../fixtures/workflows.ts';

const STEPS = 200;

export const w1: Workload = {
  id: 'W1',
  title: 'step latency',
  timeLimitMs: 120_000,
  processLabel: 'bench (engine+worker+client)',
  params: () => ({ workflows: 1, steps: STEPS, warmUpSteps: WARM_UP_STEPS }),
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
      const result = await d.client.workflow.execute(steps, {
        taskQueue: d.taskQueue,
        workflowId: 'w1',
        args: [STEPS, 0],
      });
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      ctx.mark('end');
      const perStep = STEPS;
      if (result !== STEPS) throw new Error(`W1: expected ${STEPS}, got ${result}`);
      return {
        figures: {
          msPerStep: { value: wallMs / STEPS, unit: 'ms' },
          cpuMsPerStep: { value: (cpu.user + cpu.system) / 1000 / STEPS, unit: 'ms' },
          sysMsPerStep: { value: cpu.system / 1000 / STEPS, unit: 'ms' },
          stepsPerSec: { value: (STEPS * 1000) / wallMs, unit: 'steps/s' },
          wallMs: { value: wallMs, unit: 'ms' },
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
