// Before a workload measures, its fresh deployment is brought to the state a running engine is
// in: hot paths compiled by the JIT, and a store whose write-ahead log has passed its first
// checkpoint. A new SQLite file's log grows with every commit, and a commit that grows the file
// costs its fsync a metadata update (~0.2 ms here, measured); a long-running engine reuses
// the log's space instead. A running engine also parses the requests of every step through
// schemas compiled after their first USES_BEFORE_COMPILE parses (~15 ms each to generate, once):
// a measured phase that crossed that mark paid for generating them (W1: ~6 % of its time; W3:
// spikes of several milliseconds in its p99). The warm-up is one workflow of WARM_UP_STEPS steps:
// past that mark, and ~3,000 log pages, past the 1,000-page checkpoint.
import { USES_BEFORE_COMPILE } from '../../src/util/compiled-schema.ts';
import { steps } from '../fixtures/workflows.ts';
import type { Deployment } from './deployment.ts';

export const WARM_UP_STEPS = USES_BEFORE_COMPILE + 100;

export async function warmUp(d: Deployment): Promise<void> {
  const result = await d.client.workflow.execute(steps, {
    taskQueue: d.taskQueue,
    workflowId: 'warm-up',
    args: [WARM_UP_STEPS, 0],
  });
  if (result !== WARM_UP_STEPS)
    throw new Error(`warm-up: expected ${WARM_UP_STEPS}, got ${result}`);
}
