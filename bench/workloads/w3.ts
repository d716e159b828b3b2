// W3 start latency: 200 one-step workflows, started one after another, each awaited.
import { StoreCounter } from '../lib/counting-store.ts';
import { openDeployment } from '../lib/deployment.ts';
import { mean, percentile } from '../lib/stats.ts';
import type { Workload } from '../lib/workload.ts';
import { USES_BEFORE_COMPILE } from '../../src/util/compiled-schema.ts';
import { warmUp, warmUpSteps } from '../lib/warm-up.ts';
import { steps } from '../fixtures/workflows.ts';

const WORKFLOWS = 200;
/**
 * One-step workflows started before measuring, 50 at a time: as for the steps of the warm-up
 * workflow, a running engine has compiled the code and the schemas (USES_BEFORE_COMPILE parses)
 * of a start and of a wait for a result, which a few starts leave cold.
 */
const WARM_UP_WORKFLOWS = USES_BEFORE_COMPILE + 50;

export const w3: Workload = {
  id: 'W3',
  title: 'start latency',
  timeLimitMs: 120_000,
  processLabel: 'bench (engine+worker+client)',
  params: () => ({
    workflows: WORKFLOWS,
    stepsEach: 1,
    warmUpSteps: warmUpSteps(),
    warmUpWorkflows: WARM_UP_WORKFLOWS,
  }),
  async rep(ctx) {
    const counter = new StoreCounter();
    const d = await openDeployment({ ...ctx.options, counter });
    try {
      await d.startWorker();
      await warmUp(d);
      for (let i = 0; i < WARM_UP_WORKFLOWS; i += 50) {
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
      counter.reset();
      ctx.mark('start');
      for (let i = 0; i < WORKFLOWS; i++) {
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
      ctx.mark('end');
      return {
        figures: {
          p50Ms: { value: percentile(latencies, 50), unit: 'ms' },
          p99Ms: { value: percentile(latencies, 99), unit: 'ms' },
          meanMs: { value: mean(latencies), unit: 'ms' },
          maxMs: { value: Math.max(...latencies), unit: 'ms' },
          durableCommitsPerWorkflow: { value: counter.durableCommits / WORKFLOWS, unit: 'commits' },
        },
        notes: [counter.describe(WORKFLOWS, 'workflow')],
      };
    } finally {
      await d.close();
    }
  },
};
