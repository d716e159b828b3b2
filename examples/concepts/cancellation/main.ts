// docs/cancellation.md, runnable: a seat hold is cancelled while it sleeps; the workflow
// releases the seat and ends as Canceled. In-process engine over a temporary SQLite file.
// Run: npx tsx examples/concepts/cancellation/main.ts
import { pathToFileURL } from 'node:url';
import { CancelledFailure, Client, WorkflowFailedError } from 'reprise/client';
import { Engine } from 'reprise/server';
import { Worker } from 'reprise/worker';
import { tempStore, until } from '../temp-store.ts';
import { createActivities } from './activities.ts';
import { holdSeat } from './workflows.ts';

export interface Outcome {
  /** What the activities did, in order. */
  readonly log: readonly string[];
  /** What `result()` rejected with: `WorkflowFailedError` caused by `CancelledFailure`. */
  readonly error: string;
  /** The run's status once closed. */
  readonly status: string;
  /** The history's last events: the timer cancelled, the release, the close. */
  readonly lastEvents: readonly string[];
}

export async function run(): Promise<Outcome> {
  const tmp = tempStore('cancellation');
  const engine = await Engine.open({ store: tmp.store });
  try {
    const log: string[] = [];
    const worker = await Worker.create({
      connection: engine.connection,
      taskQueue: 'seats',
      workflowsPath: new URL('./workflows.ts', import.meta.url).pathname,
      activities: createActivities(log),
    });
    const client = new Client({ connection: engine.connection });
    return await worker.runUntil(async () => {
      const handle = await client.workflow.start(holdSeat, {
        taskQueue: 'seats',
        workflowId: 'hold-12A',
        args: ['12A'],
      });
      // Cancel once the seat is reserved and the 15-minute timer is running.
      await until(
        async () => (await handle.describe()).pendingTimers.length === 1,
        'the hold to wait for payment',
      );
      await handle.cancel();
      let error = '';
      try {
        await handle.result();
      } catch (e) {
        if (!(e instanceof WorkflowFailedError && e.cause instanceof CancelledFailure)) throw e;
        error = `${e.name} caused by ${e.cause.name}`;
      }
      const { events } = await handle.fetchHistory();
      return {
        log,
        error,
        status: (await handle.describe()).status,
        lastEvents: events
          .map((e) => e.type)
          .filter((t) => t.startsWith('Timer') || t.startsWith('WorkflowExecution'))
          .slice(-3),
      };
    });
  } finally {
    await engine.close();
    tmp.remove();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // eslint-disable-next-line no-console
  console.log(await run());
}
