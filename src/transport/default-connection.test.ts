// A Client and a Worker given no connection reach a server on 127.0.0.1:7233, as Temporal's
// reach localhost:7233. A real engine listens there (the port must be free).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '../client/index.ts';
import { Engine } from '../engine/engine.ts';
import { Worker } from '../worker/index.ts';
import * as activities from '../../test/e2e/fixtures/activities.ts';
import { greet } from '../../test/e2e/fixtures/workflows.ts';
import { fixturesPath, tempDir, uniqueQueue } from '../../test/helpers/test-env.ts';

const tmp = tempDir();
let engine: Engine;

before(async () => {
  engine = await Engine.open({ store: `sqlite:${tmp.dir}/default.db` });
  await engine.listen({ port: 7233 });
});
after(async () => {
  await engine.close();
  tmp.remove();
});

test('new Client() and Worker.create() without a connection use 127.0.0.1:7233', async () => {
  const client = new Client();
  assert.equal((client.connection as { address?: string }).address, 'http://127.0.0.1:7233');
  const taskQueue = uniqueQueue('default-connection');
  const worker = await Worker.create({
    taskQueue,
    workflowsPath: fixturesPath('workflows.ts'),
    activities,
  });
  const result = await worker.runUntil(
    client.workflow.execute(greet, { taskQueue, workflowId: 'default-connection', args: ['Ada'] }),
  );
  assert.match(result, /Ada/);
  // The run is the engine's: the client and worker talked to it.
  const d = await engine.connection.describeWorkflow({
    namespace: 'default',
    workflowId: 'default-connection',
  });
  assert.equal(d.status, 'Completed');
});
