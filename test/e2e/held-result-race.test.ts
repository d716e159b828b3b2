// An activity result whose workflow task went straight back to the worker is held for the
// answer's commit (ADR 0007). If another engine process writes the run meanwhile, the held write
// loses its compare-and-set: the result is recorded again on a fresh read, not lost until the
// attempt's start-to-close timeout runs it again.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Client } from 'reprise/client';
import { Engine } from 'reprise/server';
import { addItem, collect } from '../contract/fixtures/contract-workflows.ts';
import { asWorkflowTask, scheduleWork } from '../helpers/commands.ts';
import { tempDir, uniqueQueue, waitFor } from '../helpers/test-env.ts';
import { openTestStoreAt, testStoreUrl } from '../helpers/test-store.ts';

describe('a held activity result and another engine', () => {
  const tmp = tempDir();
  after(() => {
    tmp.remove();
  });

  test('a held result that loses a race with another engine’s write is recorded again, once', async () => {
    const path = join(tmp.dir, 'held-race.db');
    // A 5 s linger: the result stays held until the answer comes, however slow the machine.
    const store = await openTestStoreAt(path, { lingerMs: 5_000 });
    const engine = await Engine.open({ store });
    const other = await Engine.open({ store: await testStoreUrl(path) });
    try {
      const api = engine.connection;
      const taskQueue = uniqueQueue('held-race');
      const workflowId = 'held-race';
      const handle = await new Client({ connection: api }).workflow.start(collect, {
        taskQueue,
        workflowId,
        args: [1],
      });
      const poll = async () =>
        asWorkflowTask(
          await api.pollWorkflowTask({
            namespace: 'default',
            taskQueue,
            identity: 'me',
            waitMs: 5_000,
          }),
        );
      // 60 s start-to-close: without the result recorded again, the attempt would run again
      // only after that.
      const schedule = scheduleWork(taskQueue, 1, { requestEagerExecution: true });
      const answered = await api.completeWorkflowTask({
        taskToken: (await poll()).taskToken,
        identity: 'me',
        commands: [schedule],
      });
      const [activity] = answered.activityTasks ?? [];
      assert.ok(activity, 'the activity came back with the answer');
      // The result is held, waiting for the answer to the task handed back with it.
      const done = await api.completeActivityTask({
        taskToken: activity.taskToken,
        identity: 'me',
        result: 'out',
        eagerWorkflowTask: true,
      });
      assert.ok(done.workflowTask, 'the next workflow task came back with the result');
      // Another engine writes the run first: the held write's compare-and-set will fail.
      await new Client({ connection: other.connection }).workflow
        .getHandle(workflowId)
        .signal(addItem, 'from the other engine');
      // The answer was built on the held write, and fails with it: its task is gone.
      await assert.rejects(
        api.completeWorkflowTask({
          taskToken: done.workflowTask.taskToken,
          identity: 'me',
          commands: [],
        }),
        { code: 'WorkflowTaskNotFound' },
      );
      const types = async () => (await handle.fetchHistory()).events.map((e) => e.type);
      await waitFor(
        async () => (await types()).includes('ActivityTaskCompleted'),
        'the result to be recorded again',
      );
      const count = (list: string[], type: string) => list.filter((t) => t === type).length;
      const history = await types();
      assert.equal(count(history, 'ActivityTaskStarted'), 1);
      assert.equal(count(history, 'ActivityTaskCompleted'), 1);
      assert.equal(count(history, 'ActivityTaskTimedOut'), 0);
      const completed = (await handle.fetchHistory()).events.find(
        (e) => e.type === 'ActivityTaskCompleted',
      );
      assert.deepEqual(completed?.type === 'ActivityTaskCompleted' && completed.result, 'out');
      // The run goes on: its next workflow task carries the signal and the result.
      const next = await poll();
      const seen = next.events.map((e) => e.type);
      assert.ok(seen.includes('WorkflowExecutionSignaled'), seen.join());
      assert.ok(seen.includes('ActivityTaskCompleted'), seen.join());
      const finished = await api.completeWorkflowTask({
        taskToken: next.taskToken,
        identity: 'me',
        commands: [{ type: 'CompleteWorkflowExecution', result: ['from the other engine'] }],
      });
      assert.equal(finished.accepted, true);
      assert.deepEqual(await handle.result(), ['from the other engine']);
    } finally {
      await other.close();
      await engine.close();
      await store.close();
    }
  });
});
