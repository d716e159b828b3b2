// W1 step latency: one workflow, 200 sequential steps, nothing else running, on an engine whose
// JIT has settled (bench/lib/warm-up.ts). W1-cold measures the same in a process's first seconds:
// after the brief warm-up only, V8 still compiling the step's path.
import { StoreCounter } from '../lib/counting-store.ts';
import { cpuFigures, openDeployment, startWorkers } from '../lib/deployment.ts';
import type { BenchOptions, Workload } from '../lib/workload.ts';
import { warmUp, warmUpFor, warmUpSteps } from '../lib/warm-up.ts';
import type { WarmUp } from '../lib/warm-up.ts';
import { steps } from '../fixtures/workflows.ts';

/** `--scale smoke`: a few steps, enough to go through every part. */
function stepsFor(options: BenchOptions): number {
  return options.scale === 'smoke' ? 10 : 200;
}

function stepLatency(id: string, title: string, warm: WarmUp): Workload {
  return {
    id,
    title,
    timeLimitMs: 120_000,
    processLabel: 'bench (engine+worker+client)',
    service: true,
    postgres: true,
    smoke: true,
    params: (options) => ({
      workflows: 1,
      steps: stepsFor(options),
      warmUpSteps: warmUpSteps(warmUpFor(options, warm)),
    }),
    async rep(ctx) {
      const stepCount = stepsFor(ctx.options);
      const counter = new StoreCounter();
      const d = await openDeployment(ctx, { counter });
      try {
        await startWorkers(d, ctx.options.workers);
        await warmUp(d, warmUpFor(ctx.options, warm));
        const measuring = await d.startMeasuring();
        ctx.mark('start');
        const t0 = performance.now();
        const result = await d.client.workflow.execute(steps, {
          taskQueue: d.taskQueue,
          workflowId: id.toLowerCase(),
          args: [stepCount, 0],
        });
        const wallMs = performance.now() - t0;
        const cpu = await measuring.end();
        ctx.mark('end');
        if (result !== stepCount) throw new Error(`${id}: expected ${stepCount}, got ${result}`);
        return {
          figures: {
            msPerStep: { value: wallMs / stepCount, unit: 'ms' },
            ...cpuFigures(cpu, stepCount, 'Step'),
            sysMsPerStep: { value: cpu.systemUs / 1000 / stepCount, unit: 'ms' },
            stepsPerSec: { value: (stepCount * 1000) / wallMs, unit: 'steps/s' },
            wallMs: { value: wallMs, unit: 'ms' },
            durableCommitsPerStep: { value: counter.durableCommits / stepCount, unit: 'commits' },
            storeCallsPerStep: { value: counter.total / stepCount, unit: 'calls' },
          },
          notes: [counter.describe(stepCount, 'step')],
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
