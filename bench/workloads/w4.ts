// W4 timers: 2,000 workflows each sleeping 2 s durably, then finishing. Lateness is read from
// history (TimerFired time − (TimerStarted time + duration)) and from the workflow's own clock
// after the sleep (the time of the workflow task that resumed it).
import { openDeployment } from '../lib/deployment.ts';
import { percentile } from '../lib/stats.ts';
import type { Workload } from '../lib/workload.ts';
import { sleeper } from '../fixtures/workflows.ts';

const WORKFLOWS = 2000;
const SLEEP_MS = 2000;

export const w4: Workload = {
  id: 'W4',
  title: 'timers',
  timeLimitMs: 300_000,
  processLabel: 'bench (engine+worker+client)',
  service: true,
  postgres: true,
  params: () => ({ workflows: WORKFLOWS, sleepMs: SLEEP_MS }),
  async rep(ctx) {
    const d = await openDeployment(ctx);
    try {
      await d.startWorker();
      const t0 = performance.now();
      const handles = await Promise.all(
        Array.from({ length: WORKFLOWS }, (_, i) =>
          d.client.workflow.start(sleeper, {
            taskQueue: d.taskQueue,
            workflowId: `w4-${i}`,
            args: [SLEEP_MS],
          }),
        ),
      );
      const startAllMs = performance.now() - t0;
      ctx.mark('start');
      const results = await Promise.all(handles.map((h) => h.result()));
      const wallMs = performance.now() - t0;
      ctx.mark('end');
      const fired: number[] = [];
      const observed: number[] = [];
      const dues: number[] = [];
      for (const [i, h] of handles.entries()) {
        const events = (await h.fetchHistory()).events;
        const started = events.find((e) => e.type === 'TimerStarted');
        const fire = events.find((e) => e.type === 'TimerFired');
        if (started?.type !== 'TimerStarted' || fire === undefined) {
          throw new Error(`W4: run ${h.workflowId} has no TimerStarted/TimerFired`);
        }
        const due = started.timeMs + started.startToFireTimeoutMs;
        dues.push(due);
        fired.push(fire.timeMs - due);
        const r = results[i];
        if (r !== undefined) observed.push(r.after - due);
      }
      const early = fired.filter((x) => x < 0).length;
      if (early > 0) throw new Error(`W4: ${early} timers fired early`);
      ctx.log(`W4 rep ${ctx.rep}: started ${WORKFLOWS} in ${startAllMs.toFixed(0)} ms`);
      return {
        figures: {
          firedLateP50Ms: { value: percentile(fired, 50), unit: 'ms' },
          firedLateP99Ms: { value: percentile(fired, 99), unit: 'ms' },
          firedLateMaxMs: { value: Math.max(...fired), unit: 'ms' },
          resumedLateP50Ms: { value: percentile(observed, 50), unit: 'ms' },
          resumedLateP99Ms: { value: percentile(observed, 99), unit: 'ms' },
          startAllMs: { value: startAllMs, unit: 'ms' },
          // The window the timers come due in: the burst's rate, which the lateness follows.
          dueSpanMs: { value: Math.max(...dues) - Math.min(...dues), unit: 'ms' },
          wallS: { value: wallMs / 1000, unit: 's' },
        },
      };
    } finally {
      await d.close();
    }
  },
};
