// W3 start latency: 200 one-step workflows, started one after another, each awaited.
import { StoreCounter } from '../lib/counting-store.ts';
import { openDeployment, startWorkers } from '../lib/deployment.ts';
import { mean, percentile } from '../lib/stats.ts';
import type { BenchOptions, Workload } from '../lib/workload.ts';
import { USES_BEFORE_COMPILE } from '../../src/util/compiled-schema.ts';
import { warmUp, warmUpFor, warmUpSteps } from '../lib/warm-up.ts';
import { steps } from '../fixtures/workflows.ts';

/**
 * 200 workflows, after warm-up workflows started 50 at a time: as for the steps of the warm-up
 * workflow, a running engine has compiled the code and the schemas (USES_BEFORE_COMPILE parses)
 * of a start and of a wait for a result, which a few starts leave cold. `--scale smoke`: a few,
 * no warm-up.
 */
function shapeFor(options: BenchOptions): { workflows: number; warmUpWorkflows: number } {
  return options.scale === 'smoke'
    ? { workflows: 5, warmUpWorkflows: 0 }
    : { workflows: 200, warmUpWorkflows: USES_BEFORE_COMPILE + 50 };
}

export const w3: Workload = {
  id: 'W3',
  title: 'start latency',
  timeLimitMs: 120_000,
  processLabel: 'bench (engine+worker+client)',
  service: true,
  postgres: true,
  smoke: true,
  params: (options) => ({
    workflows: shapeFor(options).workflows,
    stepsEach: 1,
    warmUpSteps: warmUpSteps(warmUpFor(options)),
    warmUpWorkflows: shapeFor(options).warmUpWorkflows,
  }),
  async rep(ctx) {
    const { workflows, warmUpWorkflows } = shapeFor(ctx.options);
    const counter = new StoreCounter();
    const d = await openDeployment(ctx, { counter });
    try {
      await startWorkers(d, ctx.options.workers);
      await warmUp(d, warmUpFor(ctx.options));
      for (let i = 0; i < warmUpWorkflows; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, (_, j) =>
            d.client.workflow.execute(steps, {
              taskQueue: d.taskQueue,
              workflowId: `warmup-${i + j}`,
              args: [1, 0],
            }),
          ),
        );
      }
      const latencies: number[] = [];
      const measuring = await d.startMeasuring();
      ctx.mark('start');
      for (let i = 0; i < workflows; i++) {
        const t0 = performance.now();
        const handle = await d.client.workflow.start(steps, {
          taskQueue: d.taskQueue,
          workflowId: `w3-${i}`,
          args: [1, i],
        });
        const r = await handle.result();
        latencies.push(performance.now() - t0);
        if (r !== i + 1) throw new Error(`W3: expected ${i + 1}, got ${r}`);
      }
      await measuring.end();
      ctx.mark('end');
      return {
        figures: {
          p50Ms: { value: percentile(latencies, 50), unit: 'ms' },
          p99Ms: { value: percentile(latencies, 99), unit: 'ms' },
          meanMs: { value: mean(latencies), unit: 'ms' },
          maxMs: { value: Math.max(...latencies), unit: 'ms' },
          durableCommitsPerWorkflow: { value: counter.durableCommits / workflows, unit: 'commits' },
        },
        notes: [counter.describe(workflows, 'workflow')],
      };
    } finally {
      await d.close();
    }
  },
};
