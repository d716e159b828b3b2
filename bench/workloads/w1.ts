// W1 step latency: one workflow, 200 sequential steps, nothing else running, on an engine whose
// JIT has settled (bench/lib/warm-up.ts). W1-cold measures the same in a process's first seconds:
// after the brief warm-up only, V8 still compiling the step's path.
import { StoreCounter } from '../lib/counting-store.ts';
import { openDeployment } from '../lib/deployment.ts';
import type { Workload } from '../lib/workload.ts';
import { warmUp, warmUpSteps } from '../lib/warm-up.ts';
import type { WarmUp } from '../lib/warm-up.ts';
import { steps } from '../fixtures/workflows.ts';

const STEPS = 200;

function stepLatency(id: string, title: string, warm: WarmUp): Workload {
  return {
    id,
    title,
    timeLimitMs: 120_000,
    processLabel: 'bench (engine+worker+client)',
    params: () => ({ workflows: 1, steps: STEPS, warmUpSteps: warmUpSteps(warm) }),
    async rep(ctx) {
      const counter = new StoreCounter();
      const d = await openDeployment({ ...ctx.options, counter });
      try {
        await d.startWorker();
        await warmUp(d, warm);
        counter.reset();
        ctx.mark('start');
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const result = await d.client.workflow.execute(steps, {
          taskQueue: d.taskQueue,
          workflowId: id.toLowerCase(),
          args: [STEPS, 0],
        });
        const wallMs = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        ctx.mark('end');
        const perStep = STEPS;
        if (result !== STEPS) throw new Error(`${id}: expected ${STEPS}, got ${result}`);
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
}

export const w1 = stepLatency('W1', 'step latency', 'settled');

export const w1Cold = stepLatency(
  'W1-cold',
  "step latency in a process's first seconds (brief warm-up, JIT still compiling)",
  'brief',
);
