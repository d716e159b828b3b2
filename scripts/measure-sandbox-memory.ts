// Measures heap bytes per cached run in one shared sandbox (DESIGN.md target: ≤ 50 KB per run).
// Run: node --expose-gc --import tsx scripts/measure-sandbox-memory.ts [runs]
import { bundleWorkflows } from '../src/worker/sandbox/bundle.ts';
import { VmSandbox } from '../src/worker/sandbox/vm-sandbox.ts';
import { WorkflowRun } from '../src/worker/workflow-run.ts';
import { HistoryBuilder } from '../test/helpers/history-builders.ts';

const runs = Number(process.argv[2] ?? 2000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('Run with node --expose-gc');

function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc?.();
  return process.memoryUsage().heapUsed;
}

const sandbox = VmSandbox.create(
  await bundleWorkflows({ workflowsPath: 'test/runtime/workflows/basics.ts' }),
);
const history = new HistoryBuilder().started('sleeper', [3_600_000]).startTask().events;
const cached: WorkflowRun[] = [];
const before = heapUsed();
for (let i = 0; i < runs; i++) {
  const run = new WorkflowRun({ sandbox, runId: `run-${i}`, namespace: 'default' });
  const result = run.activate(history);
  if (result.status !== 'success') throw new Error(JSON.stringify(result));
  cached.push(run);
}
const afterBytes = heapUsed();
const perRun = (afterBytes - before) / runs;
process.stdout.write(
  `${runs} cached sleeping runs in one sandbox: ${Math.round((afterBytes - before) / 1024)} KiB, ` +
    `${Math.round(perRun)} bytes (${(perRun / 1024).toFixed(1)} KiB) per run\n`,
);
for (const run of cached) run.dispose();
sandbox.dispose();
