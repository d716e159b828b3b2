// docs/continue-as-new.md, runnable: a subscription that sleeps 30 days between bills and
// continues as new every two months, on a time-skipping test engine over a temporary SQLite
// file, so that six months pass in well under a second. The result follows the chain; the last
// run's history replays on its own.
// Run: npx tsx examples/concepts/continue-as-new/main.ts
import { pathToFileURL } from 'node:url';
import { TestWorkflowEnvironment } from 'reprise/testing';
import { Worker } from 'reprise/worker';
import { tempStore } from '../temp-store.ts';
import { createActivities } from './activities.ts';
import type { Bill } from './activities.ts';
import { subscription } from './workflows.ts';

const workflowsPath = new URL('./workflows.ts', import.meta.url).pathname;

export interface Outcome {
  /** The chain's result: the months billed when the last run returned. */
  readonly monthsBilled: number;
  /** Every bill, in order, with the run that made it. */
  readonly bills: readonly Bill[];
  /** How many runs the chain had (one more than the continue-as-news). */
  readonly runs: number;
  /** Virtual days that passed. */
  readonly days: number;
  /** The last run's history: its start event names the run it continues. */
  readonly lastRun: { continuedFromRunId: string | undefined; closedAs: string | undefined };
}

export async function run(): Promise<Outcome> {
  const tmp = tempStore('continue-as-new');
  const env = await TestWorkflowEnvironment.createTimeSkipping({ store: tmp.store });
  try {
    const bills: Bill[] = [];
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'billing',
      workflowsPath,
      activities: createActivities(bills),
    });
    const startedAt = env.currentTimeMs();
    const handle = await env.client.workflow.start(subscription, {
      taskQueue: 'billing',
      workflowId: 'subscription-ann',
      args: ['ann', 0, 6],
    });
    // result() follows the chain to the run that returns; time skips while it waits.
    const monthsBilled = await worker.runUntil(handle.result());
    const history = await env.client.workflow.getHandle('subscription-ann').fetchHistory();
    await Worker.runReplayHistory({ workflowsPath }, history);
    const first = history.events[0];
    return {
      monthsBilled,
      bills,
      runs: new Set(bills.map((b) => b.runId)).size,
      days: Math.round((env.currentTimeMs() - startedAt) / 86_400_000),
      lastRun: {
        continuedFromRunId:
          first?.type === 'WorkflowExecutionStarted' ? first.continuedExecutionRunId : undefined,
        closedAs: history.events.at(-1)?.type,
      },
    };
  } finally {
    await env.teardown();
    tmp.remove();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // eslint-disable-next-line no-console
  console.log(await run());
}
