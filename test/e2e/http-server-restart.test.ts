// A worker and a client over HTTP outlive their server: the engine closes, another opens on the
// same SQLite file and port, and the worker goes on. Real engines, real HTTP on loopback.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, Connection } from 'reprise/client';
import { Engine } from 'reprise/server';
import { Worker } from 'reprise/worker';
import {
  fixturesPath,
  recordingLogger,
  tempDir,
  uniqueQueue,
  waitFor,
} from '../helpers/test-env.ts';
import { testStoreUrl } from '../helpers/test-store.ts';

test('a worker over HTTP keeps polling while its server restarts, and runs what comes after', async () => {
  const tmp = tempDir();
  const store = await testStoreUrl(`${tmp.dir}/restart.db`);
  const first = await Engine.open({ store });
  const server = await first.listen({ port: 0 });
  const connection = await Connection.connect({ address: server.url });
  const taskQueue = uniqueQueue('restart');
  const { logger, warnings, errors } = recordingLogger();
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: fixturesPath('cli-workflows.ts'),
    // Several polls open as the engine closes: each is answered, and polls again.
    maxConcurrentWorkflowTaskPolls: 4,
    logger,
  });
  const running = worker.run();
  const client = new Client({ connection });
  let second: Engine | undefined;
  try {
    const add = (workflowId: string): Promise<unknown> =>
      client.workflow.execute('add', { taskQueue, workflowId, args: [1, 2] });
    assert.equal(await add('before'), 3);

    await first.close();
    // The server is down for a while, as a restart takes: the worker finds it gone.
    await waitFor(
      () => warnings.some((w) => w.startsWith('poll failed')),
      'the worker to find the server gone',
    );
    second = await Engine.open({ store });
    await second.listen({ port: server.port });

    assert.equal(await add('after'), 3);
    assert.equal(worker.getState(), 'RUNNING');
    assert.deepEqual(errors, []);
  } finally {
    if (worker.getState() === 'RUNNING') await worker.shutdown();
    await running.catch(() => undefined);
    await second?.close();
    await first.close();
    await connection.close();
    tmp.remove();
  }
});
