// docs/child-workflows.md, runnable: an order ships its items in parallel child workflows, and
// a workflow starts a child that outlives it. In-process engine over a temporary SQLite file.
// Run: npx tsx examples/concepts/child-workflows/main.ts
import { pathToFileURL } from 'node:url';
import { Client } from 'reprise/client';
import { Engine } from 'reprise/server';
import { Worker } from 'reprise/worker';
import { tempStore } from '../temp-store.ts';
import type { shipItem } from './workflows.ts';
import { auditLater, shipOrder } from './workflows.ts';

export interface Outcome {
  /** `shipOrder`'s result: one child's result per item. */
  readonly shipped: string[];
  /** Who the child `ship-a` says its parent is (`workflowInfo().parent`, from its history). */
  readonly parentOfShipA: string | undefined;
  /** The abandoned child's result, read after its parent completed. */
  readonly audit: string;
}

export async function run(): Promise<Outcome> {
  const tmp = tempStore('child-workflows');
  const engine = await Engine.open({ store: tmp.store });
  try {
    const worker = await Worker.create({
      connection: engine.connection,
      taskQueue: 'orders',
      workflowsPath: new URL('./workflows.ts', import.meta.url).pathname,
    });
    const client = new Client({ connection: engine.connection });
    return await worker.runUntil(async () => {
      const shipped = await client.workflow.execute(shipOrder, {
        taskQueue: 'orders',
        workflowId: 'order-1',
        args: [['a', 'b']],
      });
      const started = (await client.workflow.getHandle('ship-a').fetchHistory()).events[0];
      await client.workflow.execute(auditLater, {
        taskQueue: 'orders',
        workflowId: 'order-2',
        args: ['order-2'],
      });
      // The parent has completed; the abandoned child ran on and completes on its own.
      const audit = await client.workflow.getHandle<typeof shipItem>('audit-order-2').result();
      return {
        shipped,
        parentOfShipA:
          started?.type === 'WorkflowExecutionStarted' ? started.parent?.workflowId : undefined,
        audit,
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
