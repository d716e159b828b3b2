// What a durable call passes is copied where it is made, as a wire (or Temporal's conversion at
// the call) would: neither the workflow, nor an activity, nor an engine's deferred write sees
// another's later changes to the same object.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Context } from 'reprise/activity';
import {
  changedAfterCall,
  continuedThenChanged,
  startedWith,
  touchedTwice,
} from './fixtures/argument-workflows.ts';
import { startTestEnv, uniqueQueue, waitFor } from '../helpers/test-env.ts';

/** Adds a mark to the order it gets; the first attempt then fails. */
function touch(order: { items: string[] }): Promise<string[]> {
  const attempt = Context.current().info.attempt;
  order.items.push(`touched-by-attempt-${attempt}`);
  if (attempt === 1) return Promise.reject(new Error('transient'));
  return Promise.resolve(order.items);
}

describe('arguments are copied at the call', () => {
  test('each attempt of an activity gets the input history records, whatever the last one did to it', async () => {
    const env = await startTestEnv({ workflows: 'argument-workflows.ts', activities: { touch } });
    try {
      // Alone on the file, the run's first answer waits for its activity's result (ADR 0013).
      await waitFor(() => env.engine.deps.peers.alone(), 'the engine to be alone on the file');
      const handle = await env.client.workflow.start(touchedTwice, {
        taskQueue: env.taskQueue,
        workflowId: 'touched-twice',
      });
      assert.deepEqual(await handle.result(), [
        ['order-1', 'touched-by-attempt-2'],
        ['order-2', 'touched-by-attempt-2'],
      ]);
      const inputs = (await handle.fetchHistory()).events.flatMap((e) =>
        e.type === 'ActivityTaskScheduled' ? [e.input] : [],
      );
      assert.deepEqual(inputs, [[{ items: ['order-1'] }], [{ items: ['order-2'] }]]);
    } finally {
      await env.close();
    }
  });

  test('a workflow gets the input it was started with, not as the client changed it after', async () => {
    const env = await startTestEnv({ workflows: 'argument-workflows.ts', activities: { touch } });
    try {
      const taskQueue = uniqueQueue(); // no worker yet: the first task waits, its events cached
      const order = { items: ['as-started'] };
      const handle = await env.client.workflow.start(startedWith, {
        taskQueue,
        workflowId: 'started-with',
        args: [order],
      });
      order.items.push('changed-after-the-start');
      const { stop } = await env.startWorker({ taskQueue });
      try {
        assert.deepEqual(await handle.result(), ['as-started']);
      } finally {
        await stop();
      }
    } finally {
      await env.close();
    }
  });

  test('an activity gets its arguments as the workflow passed them, not as changed after', async () => {
    const env = await startTestEnv({ workflows: 'argument-workflows.ts', activities: { touch } });
    try {
      const result = await env.client.workflow.execute(changedAfterCall, {
        taskQueue: env.taskQueue,
        workflowId: 'changed-after-call',
      });
      assert.deepEqual(result, ['as-called', 'touched-by-attempt-2']);
    } finally {
      await env.close();
    }
  });
  test('continue-as-new passes its arguments as they were at the call, not as changed after', async () => {
    const env = await startTestEnv({ workflows: 'argument-workflows.ts', activities: { touch } });
    try {
      const result = await env.client.workflow.execute(continuedThenChanged, {
        taskQueue: env.taskQueue,
        workflowId: 'continued-then-changed',
        args: [null],
      });
      assert.deepEqual(result, ['as-continued']);
    } finally {
      await env.close();
    }
  });
});
