// Measures heap bytes per cached run in one shared sandbox (DESIGN.md target: ≤ 50 KB per run).
// Run: node --expose-gc --import tsx scripts/measure-sandbox-memory.ts [runs] [--steps N]
// With --steps, each run is a replay of N steps, cached: `chargeMany` (an activity and a timer a
// step) and `scopedCharges` (an activity in a cancellable scope of its own a step), against the
// same workflows after 10 steps: what a long run keeps that a short one does not.
import { bundleWorkflows } from '../src/worker/sandbox/bundle.ts';
import { VmSandbox } from '../src/worker/sandbox/vm-sandbox.ts';
import { WorkflowRun } from '../src/worker/workflow-run.ts';
import { HistoryBuilder } from '../test/helpers/history-builders.ts';

const args = process.argv.slice(2);
const stepsAt = args.indexOf('--steps');
const steps = stepsAt === -1 ? undefined : Number(args[stepsAt + 1]);
const positional = args.filter((_, i) => i !== stepsAt && i !== stepsAt + 1);
const runs = Number(positional[0] ?? (steps === undefined ? 2000 : 50));
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('Run with node --expose-gc');

/** Heap in use after full collections, with the event loop turning between them (a collected
 * scope's link leaves its parent in a FinalizationRegistry callback). */
async function heapUsed(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

const sandbox = VmSandbox.create(
  await bundleWorkflows({ workflowsPath: 'test/runtime/workflows/basics.ts' }),
);

/** KiB per run of `runs` runs, each fed `events` and kept. */
async function perRun(label: string, events: HistoryBuilder['events']): Promise<number> {
  const cached: WorkflowRun[] = [];
  const before = await heapUsed();
  for (let i = 0; i < runs; i++) {
    const run = new WorkflowRun({ sandbox, runId: `${label}-${i}`, namespace: 'default' });
    const result = run.replay(events);
    if (result.status !== 'success') throw new Error(JSON.stringify(result));
    cached.push(run);
  }
  const bytes = ((await heapUsed()) - before) / runs;
  for (const run of cached) run.dispose();
  return bytes / 1024;
}

if (steps === undefined) {
  const history = new HistoryBuilder().started('sleeper', [3_600_000]).startTask().events;
  const kib = await perRun('sleeper', history);
  process.stdout.write(
    `${runs} cached sleeping runs in one sandbox: ${Math.round(kib * runs)} KiB, ` +
      `${Math.round(kib * 1024)} bytes (${kib.toFixed(1)} KiB) per run\n`,
  );
} else {
  for (const workflowType of ['chargeMany', 'scopedCharges']) {
    const figures: string[] = [];
    for (const n of [10, steps]) {
      figures.push(
        `${n} steps ${(await perRun(workflowType, history(workflowType, n))).toFixed(1)}`,
      );
    }
    process.stdout.write(`${workflowType}: KiB per cached run after ${figures.join(', ')}\n`);
  }
}
sandbox.dispose();

/**
 * The history of `workflowType(n)` run live until its last activity is scheduled: every earlier
 * activity and timer done, the run still waiting (as a cached run is).
 */
function history(workflowType: string, n: number): HistoryBuilder['events'] {
  const h = new HistoryBuilder().started(workflowType, [n]);
  const live = new WorkflowRun({ sandbox, runId: 'live', namespace: 'default' });
  for (let done = 0; ;) {
    h.startTask();
    const result = live.activate(h.after(live.lastEventId));
    if (result.status !== 'success') throw new Error(JSON.stringify(result));
    h.completeTask(result.commands);
    const [command] = result.commands;
    if (command?.type === 'ScheduleActivityTask') {
      if (++done === n) break;
      h.activityCompleted(command.seq, 'receipt');
    } else if (command?.type === 'StartTimer') {
      h.timerFired(command.seq);
    } else {
      throw new Error(`Unexpected commands ${JSON.stringify(result.commands)}`);
    }
  }
  live.dispose();
  return h.events;
}
