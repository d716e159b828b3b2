// docs/messages.md, runnable: signalWithStart, an update (accepted, then rejected by its
// validator), a query and a signal, on an in-process engine over a temporary SQLite file.
// Run: npx tsx examples/concepts/messages/main.ts
import { pathToFileURL } from 'node:url';
import { Client, WorkflowUpdateFailedError } from 'reprise/client';
import { Engine } from 'reprise/server';
import { Worker } from 'reprise/worker';
import { tempStore } from '../temp-store.ts';
import { addItem, addNote, cart, checkout, items } from './workflows.ts';

export interface Outcome {
  /** What the first `addItem` update answered: the item count. */
  readonly count: number;
  /** Why the validator rejected the second `addItem` of the same item. */
  readonly rejected: string;
  /** What the `items` query answered. */
  readonly items: string[];
  /** The workflow's result, after `checkout`. */
  readonly result: Awaited<ReturnType<typeof cart>>;
}

export async function run(): Promise<Outcome> {
  const tmp = tempStore('messages');
  const engine = await Engine.open({ store: tmp.store });
  try {
    const worker = await Worker.create({
      connection: engine.connection,
      taskQueue: 'shop',
      workflowsPath: new URL('./workflows.ts', import.meta.url).pathname,
    });
    const client = new Client({ connection: engine.connection });
    return await worker.runUntil(async () => {
      // Starts cart-ann with the note as its first signal (or signals it, if it already runs).
      const handle = await client.workflow.signalWithStart(cart, {
        workflowId: 'cart-ann',
        taskQueue: 'shop',
        args: ['ann'],
        signal: addNote,
        signalArgs: ['leave at the door'],
      });
      const count = await handle.executeUpdate(addItem, { args: ['apple'] });
      let rejected = '';
      try {
        await handle.executeUpdate(addItem, { args: ['apple'] }); // the validator rejects it
      } catch (e) {
        if (!(e instanceof WorkflowUpdateFailedError)) throw e;
        rejected = (e.cause as Error).message;
      }
      const queried = await handle.query(items);
      await handle.signal(checkout);
      return { count, rejected, items: queried, result: await handle.result() };
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
