// Runs the claims example end to end in one process: an engine on a SQLite file, a worker and a
// client. Run: npx tsx examples/claims/main.ts  (REPRISE_DB=./claims.db keeps the database).
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, WorkflowExecutionAlreadyStartedError } from 'reprise/client';
import { Engine } from 'reprise/server';
import { Worker } from 'reprise/worker';
import * as activities from './activities.ts';
import { documentsUploaded, processClaim } from './workflows.ts';

const keepDb = process.env['REPRISE_DB'] !== undefined && process.env['REPRISE_DB'] !== '';
const dbPath = keepDb
  ? (process.env['REPRISE_DB'] as string)
  : join(tmpdir(), `reprise-claims-${process.pid}.db`);

const engine = await Engine.open({ store: `sqlite:${dbPath}` });
try {
  const worker = await Worker.create({
    connection: engine.connection,
    taskQueue: 'claims',
    workflowsPath: new URL('./workflows.ts', import.meta.url).pathname,
    activities,
  });
  const client = new Client({ connection: engine.connection });
  const handle = await client.workflow
    .start(processClaim, { taskQueue: 'claims', workflowId: 'claim-42', args: ['42'] })
    .catch((e: unknown) => {
      // A run left open by an earlier, interrupted run of this program (same REPRISE_DB) is
      // still Running: carry it on instead.
      if (e instanceof WorkflowExecutionAlreadyStartedError) {
        return client.workflow.getHandle<typeof processClaim>('claim-42');
      }
      throw e;
    });
  // Accepted signals are durable: this one waits in history until the workflow handles it.
  await handle.signal(documentsUploaded, { documents: ['photos', 'repair-estimate'] });
  // eslint-disable-next-line no-console
  console.log(await worker.runUntil(handle.result()));
} finally {
  await engine.close();
  if (!keepDb) for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
}
