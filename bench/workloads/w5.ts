// W5 signals: 500 workflows each waiting on a signal; all 500 signals sent at once.
// Send-to-completion is from the moment the 500 signal calls are issued to the moment each
// workflow's result() resolves in the client.
import { StoreCounter } from '../lib/counting-store.ts';
import { openDeployment } from '../lib/deployment.ts';
import { StoreProbe } from '../lib/probe.ts';
import { percentile } from '../lib/stats.ts';
import { delay, waitUntil } from '../lib/workload.ts';
import type { Workload } from '../lib/workload.ts';
import { warmUp, warmUpSteps } from '../lib/warm-up.ts';
import { awaitSignal, go } from '../fixtures/workflows.ts';

const WORKFLOWS = 500;

export const w5: Workload = {
  id: 'W5',
  title: 'signals',
  timeLimitMs: 180_000,
  processLabel: 'bench (engine+worker+client)',
  service: true,
  params: () => ({ workflows: WORKFLOWS, warmUpSteps: warmUpSteps() }),
  async rep(ctx) {
    const counter = new StoreCounter();
    const d = await openDeployment(ctx, { counter });
    const probe = new StoreProbe(d.dbPath);
    try {
      await d.startWorker();
      await warmUp(d);
      // The warm-up's workflow tasks are in the same store: count only the ones after it.
      const tasksBefore = probe.countEvents('WorkflowTaskCompleted');
      const handles = await Promise.all(
        Array.from({ length: WORKFLOWS }, (_, i) =>
          d.client.workflow.start(awaitSignal, {
            taskQueue: d.taskQueue,
            workflowId: `w5-${i}`,
          }),
        ),
      );
      // Every run has answered its first workflow task: it is waiting in condition().
      await waitUntil(
        () => probe.countEvents('WorkflowTaskCompleted') >= tasksBefore + WORKFLOWS,
        'all workflows waiting',
        60_000,
      );
      const doneAt: number[] = new Array<number>(WORKFLOWS).fill(Number.NaN);
      const results = handles.map((h, i) =>
        h.result().then((v) => {
          doneAt[i] = performance.now();
          return v;
        }),
      );
      // Let every result() call reach its long-poll before the clock starts.
      await delay(200);
      const measuring = await d.startMeasuring();
      ctx.mark('start');
      const t0 = performance.now();
      await Promise.all(handles.map((h, i) => h.signal(go, i)));
      const sentMs = performance.now() - t0;
      const values = await Promise.all(results);
      await measuring.end();
      ctx.mark('end');
      const wrong = values.filter((v, i) => v !== i).length;
      if (wrong > 0) throw new Error(`W5: ${wrong} workflows returned a wrong value`);
      const latencies = doneAt.map((t) => t - t0);
      return {
        figures: {
          p50Ms: { value: percentile(latencies, 50), unit: 'ms' },
          p99Ms: { value: percentile(latencies, 99), unit: 'ms' },
          maxMs: { value: Math.max(...latencies), unit: 'ms' },
          allSignalsAcceptedMs: { value: sentMs, unit: 'ms' },
          durableCommitsPerWorkflow: { value: counter.durableCommits / WORKFLOWS, unit: 'commits' },
        },
        notes: [counter.describe(WORKFLOWS, 'workflow')],
      };
    } finally {
      probe.close();
      await d.close();
    }
  },
};
