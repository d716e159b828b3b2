// Before a workload measures, its fresh deployment is brought to the state a running engine is
// in: hot paths compiled by the JIT, and a store whose write-ahead log has passed its first
// checkpoint. A new SQLite file's log grows with every commit, and a commit that grows the file
// costs its fsync a metadata update (~0.2 ms here, measured); a long-running engine reuses
// the log's space instead. A running engine also parses the requests of every step through
// schemas compiled after their first USES_BEFORE_COMPILE parses (~15 ms each to generate, once):
// a measured phase that crossed that mark paid for generating them (W1: ~6 % of its time; W3:
// spikes of several milliseconds in its p99).
//
// The brief warm-up is one workflow of BRIEF_WARM_UP_STEPS steps: past that mark, and ~3,000 log
// pages, past the 1,000-page checkpoint. It leaves the JIT far from done: V8 goes on optimizing
// functions of a step's path for thousands of steps more (`node --trace-opt`: 9–28 every 200
// steps in the 1,200 after it, 0–4 after 4,000), and a step costs ~1.1 ms of W1's time after it
// against ~0.7 after 10,000 (twenty-fourth pass). The settled warm-up, the default, runs
// SETTLE_RUNS more workflows of SETTLE_STEPS steps after it (each under continue-as-new's
// suggested history length). W1-cold keeps the brief one: a process in its first seconds.
import { USES_BEFORE_COMPILE } from '../../src/util/compiled-schema.ts';
import { steps } from '../fixtures/workflows.ts';
import type { Deployment } from './deployment.ts';
import type { BenchOptions } from './workload.ts';

/** How far a workload's deployment is warmed before it measures (`none`: `--scale smoke`). */
export type WarmUp = 'settled' | 'brief' | 'none';

/** The warm-up a workload asks for, or none at `--scale smoke` (the runner's own tests). */
export function warmUpFor(options: BenchOptions, kind: WarmUp = 'settled'): WarmUp {
  return options.scale === 'smoke' ? 'none' : kind;
}

const BRIEF_WARM_UP_STEPS = USES_BEFORE_COMPILE + 100;
const SETTLE_RUNS = 12;
const SETTLE_STEPS = 800;

/** The steps a warm-up runs, for a workload's params. */
export function warmUpSteps(kind: WarmUp = 'settled'): number {
  if (kind === 'none') return 0;
  return BRIEF_WARM_UP_STEPS + (kind === 'settled' ? SETTLE_RUNS * SETTLE_STEPS : 0);
}

async function runSteps(d: Deployment, workflowId: string, n: number): Promise<void> {
  const result = await d.client.workflow.execute(steps, {
    taskQueue: d.taskQueue,
    workflowId,
    args: [n, 0],
  });
  if (result !== n) throw new Error(`${workflowId}: expected ${n}, got ${result}`);
}

export async function warmUp(d: Deployment, kind: WarmUp = 'settled'): Promise<void> {
  if (kind === 'none') return;
  await runSteps(d, 'warm-up', BRIEF_WARM_UP_STEPS);
  if (kind === 'brief') return;
  for (let i = 1; i <= SETTLE_RUNS; i++) await runSteps(d, `warm-up-${i}`, SETTLE_STEPS);
}
