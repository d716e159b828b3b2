// A queued workflow task that a poll starts is handed out before its start commits, and the
// start commits with the answer (docs/performance.md) — unless another engine shares the file,
// whose polls would find the task row meanwhile. When a second engine appears inside the window
// and starts the task too, only the answer to the start that committed counts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Client } from 'reprise/client';
import { Engine } from 'reprise/server';
import { TaskNotFoundError } from '../../src/errors.ts';
import type { RunWorkflowTask } from '../../src/transport/engine-api.ts';
import { collect } from '../contract/fixtures/contract-workflows.ts';
import { asWorkflowTask } from '../helpers/commands.ts';
import { tempDir, uniqueQueue, waitFor } from '../helpers/test-env.ts';
import { openTestStoreAt, testStoreUrl } from '../helpers/test-store.ts';

describe('deferred workflow task starts', () => {
  const tmp = tempDir();
  const path = join(tmp.dir, 'deferred.db');
  let n = 0;
  after(() => {
    tmp.remove();
  });

  const poll = (engine: Engine, taskQueue: string, identity: string) =>
    engine.connection.pollWorkflowTask({ namespace: 'default', taskQueue, identity, waitMs: 0 });
  const complete = (engine: Engine, task: RunWorkflowTask, identity: string) =>
    engine.connection.completeWorkflowTask({
      taskToken: task.taskToken,
      identity,
      commands: [{ type: 'CompleteWorkflowExecution', result: identity }],
    });

  async function queued(engine: Engine, taskQueue: string) {
    return new Client({ connection: engine.connection }).workflow.start(collect, {
      taskQueue,
      workflowId: `deferred-${++n}`,
      args: [1],
    });
  }

  test('a queued task’s start commits with its answer, and this engine’s other polls pass it over meanwhile', async () => {
    // A 5 s linger: the starts wait for their answers however slow this machine is today.
    const store = await openTestStoreAt(path, { lingerMs: 5_000 });
    const engine = await Engine.open({ store });
    try {
      await waitFor(() => engine.deps.peers.alone(), 'the engine to be alone on the file');
      const taskQueue = uniqueQueue('alone');
      const handles = [await queued(engine, taskQueue), await queued(engine, taskQueue)];
      const commitsBefore = store.writeTransactions;
      // The first poll's start is not committed when the second poll reads the queue: the second
      // must pass its row over (taking it again would write, and commit the first start alone).
      const first = asWorkflowTask(await poll(engine, taskQueue, 'me'));
      const second = asWorkflowTask(await poll(engine, taskQueue, 'me'));
      assert.notEqual(first.runId, second.runId);
      for (const task of [first, second]) {
        assert.equal((await complete(engine, task, 'me')).accepted, true);
      }
      // Both starts with the first answer, then the second answer.
      assert.equal(store.writeTransactions - commitsBefore, 2);
      for (const handle of handles) {
        assert.deepEqual(
          (await handle.fetchHistory()).events.map((e) => e.type),
          [
            'WorkflowExecutionStarted',
            'WorkflowTaskScheduled',
            'WorkflowTaskStarted',
            'WorkflowTaskCompleted',
            'WorkflowExecutionCompleted',
          ],
        );
      }
    } finally {
      await engine.close();
      await store.close();
    }
  });

  test('with another engine on the file, a started task is committed before it is handed out', async () => {
    const store = await openTestStoreAt(path, { lingerMs: 5_000 });
    const a = await Engine.open({ store });
    const b = await Engine.open({ store: await testStoreUrl(path) });
    try {
      await waitFor(() => a.deps.peers.others, 'engine a to see engine b');
      const taskQueue = uniqueQueue('shared');
      const handle = await queued(a, taskQueue);
      const task = asWorkflowTask(await poll(a, taskQueue, 'worker-a'));
      // Committed already (a 5 s linger would hold a deferred start): b finds no task.
      assert.equal(await poll(b, taskQueue, 'worker-b'), undefined);
      assert.equal((await complete(a, task, 'worker-a')).accepted, true);
      assert.equal(await handle.result(), 'worker-a');
    } finally {
      await b.close();
      await a.close();
      await store.close();
    }
  });

  test('an engine that starts the task inside the window wins; the deferred start’s answer is refused', async () => {
    const store = await openTestStoreAt(path, { lingerMs: 5_000 });
    const a = await Engine.open({ store });
    let b: Engine | undefined;
    try {
      await waitFor(() => a.deps.peers.alone(), 'engine a to be alone on the file');
      const taskQueue = uniqueQueue('window');
      const handle = await queued(a, taskQueue);
      const first = asWorkflowTask(await poll(a, taskQueue, 'worker-a'));
      // a's start waits (5 s linger) for its answer; b opens and finds the task row meanwhile.
      b = await Engine.open({ store: await testStoreUrl(path) });
      const second = asWorkflowTask(await poll(b, taskQueue, 'worker-b'));
      assert.equal(second.runId, first.runId);
      assert.equal(second.startedEventId, first.startedEventId, 'the same task, started twice');
      await assert.rejects(complete(a, first, 'worker-a'), TaskNotFoundError);
      assert.equal((await complete(b, second, 'worker-b')).accepted, true);
      assert.equal(await handle.result(), 'worker-b');
      const starters = (await handle.fetchHistory()).events.flatMap((e) =>
        e.type === 'WorkflowTaskStarted' ? [e.identity] : [],
      );
      assert.deepEqual(starters, ['worker-b']);
    } finally {
      await b?.close();
      await a.close();
      await store.close();
    }
  });
});
