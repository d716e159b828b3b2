import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowUpdateFailedError } from 'reprise/client';
import type { WorkflowHandle } from 'reprise/client';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';
import type { EngineApi, RunWorkflowTask } from '../../src/transport/engine-api.ts';
import * as activities from './fixtures/activities.ts';
import * as messageActivities from './fixtures/message-activities.ts';
import {
  addItem,
  addToCart,
  cart,
  itemsQuery,
  release,
  spinQuery,
  spinningQuery,
} from './fixtures/message-workflows.ts';
import { sequence } from './fixtures/workflows.ts';
import { startTestEnv, uniqueQueue, waitFor } from '../helpers/test-env.ts';

describe('sticky cache', () => {
  test('a cached workflow takes each new event without a replay', async () => {
    const env = await startTestEnv({ activities });
    try {
      const result = await env.client.workflow.execute(sequence, {
        taskQueue: env.taskQueue,
        workflowId: 'cached',
        args: [10],
      });
      assert.equal(result, 10);
      const status = env.worker.getStatus();
      assert.equal(status.workflowTasksReplayed, 1, 'only the first task builds the run');
      assert.equal(
        status.workflowTasksFromCache,
        10,
        'each activity result is one cached activation',
      );
      // The worker drops the run once the engine acknowledged its last answer, which may be
      // just after the client got the result.
      await waitFor(
        () => env.worker.getStatus().numCachedWorkflows === 0,
        'the closed run to leave the cache',
      );
    } finally {
      await env.close();
    }
  });

  test('a query handler that never yields fails the query, and the run leaves the cache', async () => {
    const env = await startTestEnv({ workflows: 'message-workflows.ts', activities });
    try {
      const handle = await env.client.workflow.start(spinningQuery, {
        taskQueue: env.taskQueue,
        workflowId: 'spinning-query',
      });
      await idle(handle);
      assert.equal(env.worker.getStatus().numCachedWorkflows, 1);
      await assert.rejects(handle.query(spinQuery), /Potential deadlock detected/);
      // Cut short, the handler may have left the run's state half-changed: it is dropped now,
      // so the next task replays history instead of failing on the broken run.
      assert.equal(env.worker.getStatus().numCachedWorkflows, 0);
      await handle.signal(release);
      assert.equal(await handle.result(), 'released');
      const types = (await handle.fetchHistory()).events.map((e) => e.type);
      assert.ok(!types.includes('WorkflowTaskFailed'), types.join(', '));
    } finally {
      await env.close();
    }
  });

  test('with no cache every task replays the history, with the same result', async () => {
    const env = await startTestEnv({ activities, maxCachedWorkflows: 0 });
    try {
      const result = await env.client.workflow.execute(sequence, {
        taskQueue: env.taskQueue,
        workflowId: 'uncached',
        args: [4],
      });
      assert.equal(result, 4);
      const status = env.worker.getStatus();
      assert.equal(status.workflowTasksReplayed, 5);
      assert.equal(status.workflowTasksFromCache, 0);
    } finally {
      await env.close();
    }
  });

  test('a worker without the run cached answers an update to an idle run from the task’s events', async () => {
    const env = await startTestEnv({
      workflows: 'message-workflows.ts',
      activities: messageActivities,
      maxCachedWorkflows: 0,
    });
    try {
      const handle = await env.client.workflow.start(cart, {
        taskQueue: env.taskQueue,
        workflowId: 'uncached-cart',
        args: ['ann'],
      });
      const before = await idle(handle);
      // Each update travels in a speculative task, whose WorkflowTaskScheduled/Started are in the
      // task and not in stored history: the replay must take them from the task.
      await assert.rejects(
        handle.executeUpdate(addItem, { args: [''] }),
        (e: unknown) => e instanceof WorkflowUpdateFailedError,
      );
      assert.deepEqual((await handle.fetchHistory()).events, before, 'a rejection leaves no trace');
      assert.equal(await handle.executeUpdate(addItem, { args: ['apple'] }), 1);
      const after = (await handle.fetchHistory()).events.slice(before.length).map((e) => e.type);
      assert.deepEqual(after, [
        'WorkflowTaskScheduled',
        'WorkflowTaskStarted',
        'WorkflowTaskCompleted',
        'WorkflowExecutionUpdateAccepted',
        'WorkflowExecutionUpdateCompleted',
      ]);
    } finally {
      await env.close();
    }
  });

  test('a cached run that another worker moved on does not answer queries', async () => {
    const env = await startTestEnv({
      workflows: 'message-workflows.ts',
      activities: messageActivities,
    });
    try {
      const api = env.engine.connection;
      const taskQueue = uniqueQueue('stale');
      // This worker's workflow tasks go to the test while `divert` is set, as if another worker
      // had polled them; queries still reach it.
      let divert: ((task: RunWorkflowTask) => void) | undefined;
      const connection: EngineApi = {
        ...api,
        pollWorkflowTask: async (req, signal) => {
          for (;;) {
            const task = await api.pollWorkflowTask(req, signal);
            if (task?.kind !== 'workflow' || divert === undefined) return task;
            divert(task);
          }
        },
      };
      const { stop } = await env.startWorker({ taskQueue, connection });
      try {
        const handle = await env.client.workflow.start(cart, {
          taskQueue,
          workflowId: 'moved-on',
          args: ['ann'],
        });
        await idle(handle); // the worker ran the first task and keeps the run
        const diverted = new Promise<RunWorkflowTask>((resolve) => {
          divert = resolve;
        });
        await handle.signal(addToCart, 'pear');
        const task = await diverted;
        divert = undefined;
        // The other worker's answer: the signal handler issues no command.
        await api.completeWorkflowTask({
          taskToken: task.taskToken,
          identity: 'other',
          commands: [],
        });
        assert.deepEqual(await handle.query(itemsQuery), ['pear']);
      } finally {
        await stop();
      }
    } finally {
      await env.close();
    }
  });
});

/** Waits until the run's first workflow task completed (no task out); its history then. */
async function idle(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  let events: HistoryEvent[] = [];
  await waitFor(async () => {
    events = (await handle.fetchHistory()).events;
    return events.at(-1)?.type === 'WorkflowTaskCompleted';
  }, 'the first workflow task to complete');
  return events;
}
