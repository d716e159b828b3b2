// DESIGN contract 4: an accepted signal is never lost, whether the workflow is mid-task, its
// worker is down, or the engine restarts right after accepting it. Signals are delivered in the
// order the engine accepted them: the order of the WorkflowExecutionSignaled events.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from 'reprise/client';
import type { WorkflowHandle } from 'reprise/client';
import { Engine } from 'reprise/server';
import { Worker } from 'reprise/worker';
import { addItem, collect } from './fixtures/contract-workflows.ts';
import { contractFixture, contractWorkflows } from './fixtures/paths.ts';
import { startTestEnv, tempDir, uniqueQueue, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';
import { testStoreUrl } from '../helpers/test-store.ts';

const items = (count: number, prefix: string): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

/** The signal inputs in history order: the order the engine accepted them. */
async function signaledItems(handle: WorkflowHandle): Promise<string[]> {
  return (await handle.fetchHistory()).events.flatMap((e) =>
    e.type === 'WorkflowExecutionSignaled' ? [e.input[0] as string] : [],
  );
}

describe('contract 4: an accepted signal is never lost', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({ workflows: contractWorkflows });
  });
  after(async () => {
    await env.close();
  });

  /** Starts `collect(count)`, fires `count` signals at once, and returns how each request ended. */
  const fireConcurrently = async (count: number, prefix: string) => {
    const handle = await env.client.workflow.start(collect, {
      taskQueue: env.taskQueue,
      workflowId: id(prefix),
      args: [count],
    });
    const sent = items(count, prefix);
    const outcomes = await Promise.allSettled(sent.map((item) => handle.signal(addItem, item)));
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
    return { handle, sent, refused };
  };

  test('10 signals fired concurrently at a running workflow are all delivered, in accepted order', async () => {
    const { handle, sent, refused } = await fireConcurrently(10, 'ten');
    assert.deepEqual(refused, [], 'every signal is accepted');
    const delivered = await handle.result();
    assert.deepEqual(delivered, await signaledItems(handle));
    assert.deepEqual([...delivered].sort(), [...sent].sort());
  });

  test('20 signals fired concurrently at a running workflow are all accepted and delivered, in accepted order', async () => {
    const { handle, sent, refused } = await fireConcurrently(20, 'twenty');
    assert.deepEqual(refused, [], 'every signal is accepted');
    const delivered = await handle.result();
    assert.deepEqual(delivered, await signaledItems(handle));
    assert.deepEqual([...delivered].sort(), [...sent].sort());
  });

  test('signals accepted while a workflow task is out are delivered by the next task', async () => {
    // No worker serves this queue yet: the test takes the first task itself and holds it.
    const taskQueue = uniqueQueue('held');
    const handle = await env.client.workflow.start(collect, {
      taskQueue,
      workflowId: id('mid-task'),
      args: [20],
    });
    const { connection } = env.engine;
    const task = await connection.pollWorkflowTask({
      namespace: 'default',
      taskQueue,
      identity: 'slow-worker',
      waitMs: 5000,
    });
    assert.ok(task?.kind === 'workflow', 'the first workflow task');
    const sent = items(20, 'm');
    for (const item of sent) await handle.signal(addItem, item);
    // The slow worker answers as `collect` does before any signal: no commands.
    const { accepted } = await connection.completeWorkflowTask({
      taskToken: task.taskToken,
      identity: 'slow-worker',
      commands: [],
    });
    assert.equal(accepted, true);

    await env.startWorker({ taskQueue });
    const delivered = await handle.result();
    assert.deepEqual(delivered, await signaledItems(handle));
    assert.deepEqual([...delivered].sort(), [...sent].sort());
    const types = (await handle.fetchHistory()).events.map((e) => e.type);
    const firstCompleted = types.indexOf('WorkflowTaskCompleted');
    assert.ok(
      types.indexOf('WorkflowExecutionSignaled') > types.indexOf('WorkflowTaskStarted') &&
        types.lastIndexOf('WorkflowExecutionSignaled') < firstCompleted,
      'every signal arrived while the first task was out',
    );
  });

  test('signals accepted while no worker serves the queue are delivered once one starts', async () => {
    const taskQueue = uniqueQueue('down');
    const handle = await env.client.workflow.start(collect, {
      taskQueue,
      workflowId: id('worker-down'),
      args: [5],
    });
    const sent = items(5, 'd');
    for (const item of sent) await handle.signal(addItem, item);
    await env.startWorker({ taskQueue });
    assert.deepEqual(await handle.result(), sent);
  });
});

describe('contract 4: across an engine restart', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    tmp = tempDir();
  });
  after(() => {
    tmp.remove();
  });

  test('a signal accepted by an engine that then closes is delivered by a new engine on the same store', async () => {
    const store = await testStoreUrl(join(tmp.dir, 'restart.db'));
    const taskQueue = uniqueQueue('restart');
    const workflowsPath = contractFixture('contract-workflows.ts');

    const engine1 = await Engine.open({ store });
    const client1 = new Client({ connection: engine1.connection });
    const worker1 = await Worker.create({
      connection: engine1.connection,
      taskQueue,
      workflowsPath,
    });
    const running1 = worker1.run();
    const handle = await client1.workflow.start(collect, {
      taskQueue,
      workflowId: 'restart',
      args: [2],
    });
    await handle.signal(addItem, 'before');
    await waitFor(
      async () => (await handle.fetchHistory()).events.at(-1)?.type === 'WorkflowTaskCompleted',
      'the first signal to be handled',
    );
    await worker1.shutdown();
    await running1;
    await handle.signal(addItem, 'accepted-then-restart');
    await engine1.close();

    const engine2 = await Engine.open({ store });
    const worker2 = await Worker.create({
      connection: engine2.connection,
      taskQueue,
      workflowsPath,
    });
    const running2 = worker2.run();
    try {
      const client2 = new Client({ connection: engine2.connection });
      const result = await client2.workflow.getHandle<typeof collect>('restart').result();
      assert.deepEqual(result, ['before', 'accepted-then-restart']);
    } finally {
      await worker2.shutdown();
      await running2;
      await engine2.close();
    }
  });
});
