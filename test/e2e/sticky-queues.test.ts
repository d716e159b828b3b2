// Sticky queues (engine/sticky.ts): a run's workflow tasks go to the worker that keeps it in
// memory while it polls, for a bounded time, and to any worker once that worker stops or lets a
// task wait past its schedule-to-start timeout.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from 'reprise/server';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';
import type { PollRequest, RunWorkflowTask } from '../../src/transport/engine-api.ts';
import * as messageActivities from './fixtures/message-activities.ts';
import { addItem, addToCart, cart, checkout } from './fixtures/message-workflows.ts';
import { taskKey } from '../../src/engine/notifier.ts';
import { thisProcess } from '../../src/engine/process-liveness.ts';
import { startTestEnv, uniqueQueue, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const startedBy = (events: readonly HistoryEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'WorkflowTaskStarted' ? [e.identity] : []));

/** Polls once as a worker with a sticky queue would; undefined if no task came in `waitMs`. */
async function poll(
  env: TestEnv,
  req: Partial<PollRequest> & { taskQueue: string },
): Promise<RunWorkflowTask | undefined> {
  const task = await env.engine.connection.pollWorkflowTask({
    namespace: 'default',
    identity: 'test',
    waitMs: 0,
    ...req,
  });
  if (task !== undefined && task.kind !== 'workflow') throw new Error('a query came');
  return task;
}

/**
 * Plays a worker that keeps its runs in memory: answers the next workflow task of `taskQueue`
 * (polled with its sticky queue) without commands, naming its sticky queue.
 */
async function answerKeeping(
  env: TestEnv,
  taskQueue: string,
  sticky: string,
  scheduleToStartTimeoutMs: number,
): Promise<void> {
  const task = await poll(env, { taskQueue, stickyTaskQueue: sticky, waitMs: 5000 });
  assert.ok(task);
  await env.engine.connection.completeWorkflowTask({
    taskToken: task.taskToken,
    identity: 'test',
    commands: [],
    stickyAttributes: { workerTaskQueue: sticky, scheduleToStartTimeoutMs },
  });
}

/**
 * Starts a `cart` run `workflowId` on a task queue of its own; `sticky` is the sticky queue the
 * test's worker names.
 */
async function startCart(env: TestEnv, workflowId: string) {
  const taskQueue = uniqueQueue(workflowId);
  const handle = await env.client.workflow.start(cart, { taskQueue, workflowId, args: ['ann'] });
  return { taskQueue, sticky: `${taskQueue}/sticky/test`, handle };
}

/** How many workflow tasks wait on `queue` in the store (up to 10). */
async function queuedTasks(env: TestEnv, queue: string): Promise<number> {
  const tasks = await env.engine.deps.store.findTasks({
    namespace: 'default',
    taskQueue: queue,
    kind: 'workflow',
    skipTaskIds: [],
    limit: 10,
  });
  return tasks.length;
}

/**
 * Plays another worker polling `taskQueue` beside the sticky one, once, finding nothing: while an
 * engine is alone on its store, a run's tasks go to its worker's sticky queue only while another
 * worker polls the task queue there (StickyQueues.routes).
 */
async function anotherWorkerPolls(env: TestEnv, taskQueue: string): Promise<void> {
  assert.equal(await poll(env, { taskQueue, identity: 'other' }), undefined);
}

describe('sticky queues', () => {
  test('each run’s workflow tasks go to the worker that keeps it in memory', async () => {
    const env = await startTestEnv({
      workflows: 'message-workflows.ts',
      activities: messageActivities,
      worker: { identity: 'first' },
    });
    try {
      const { worker: second } = await env.startWorker({ identity: 'second' });
      const handles = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          env.client.workflow.start(cart, {
            taskQueue: env.taskQueue,
            workflowId: `cart-${i}`,
            args: [`owner-${i}`],
          }),
        ),
      );
      // Each signal and update is a workflow task through a queue, while both workers poll.
      for (let round = 0; round < 4; round++) {
        await Promise.all(handles.map((h) => h.signal(addToCart, `item-${round}`)));
        await Promise.all(handles.map((h) => h.executeUpdate(addItem, { args: [`u-${round}`] })));
      }
      await Promise.all(handles.map((h) => h.signal(checkout)));
      for (const h of handles) {
        assert.equal((await h.result()).length, 8);
        const identities = startedBy((await h.fetchHistory()).events);
        assert.ok(identities.length >= 2, identities.join(', '));
        assert.equal(
          new Set(identities).size,
          1,
          `every task of ${h.workflowId} went to one worker: ${identities.join(', ')}`,
        );
      }
      // Only each run's first task built it from history.
      const replayed =
        env.worker.getStatus().workflowTasksReplayed + second.getStatus().workflowTasksReplayed;
      assert.equal(replayed, handles.length);
    } finally {
      await env.close();
    }
  });

  test('a lone worker’s runs’ tasks stay on the task queue until another worker polls beside it', async () => {
    const env = await startTestEnv({ workflows: 'message-workflows.ts' });
    try {
      const { taskQueue, sticky, handle } = await startCart(env, 'sticky-lone');
      const queued = (queue: string): Promise<number> => queuedTasks(env, queue);
      // The engine must know it is alone on its store first (its first look at the processes).
      await waitFor(() => env.engine.deps.peers.alone(), 'the engine to know it is alone');
      await answerKeeping(env, taskQueue, sticky, 3_600_000);
      await handle.signal(addToCart, 'pear');
      // No other worker could take it: it goes where any poll of this worker finds it.
      assert.deepEqual([await queued(taskQueue), await queued(sticky)], [1, 0]);
      await answerKeeping(env, taskQueue, sticky, 3_600_000);
      await anotherWorkerPolls(env, taskQueue);
      await handle.signal(addToCart, 'plum');
      assert.deepEqual([await queued(taskQueue), await queued(sticky)], [0, 1]);
      assert.equal(await poll(env, { taskQueue, identity: 'other' }), undefined);
      await answerKeeping(env, taskQueue, sticky, 3_600_000);
    } finally {
      await env.close();
    }
  });

  test('a task waits on the sticky queue no longer than its schedule-to-start timeout', async () => {
    const clock = new ManualClock(Date.now());
    const env = await startTestEnv({ workflows: 'message-workflows.ts', clock });
    try {
      const { taskQueue, sticky, handle } = await startCart(env, 'sticky-timeout');
      // The test plays a worker that keeps the run: it answers the first task, and names its
      // sticky queue.
      await answerKeeping(env, taskQueue, sticky, 5000);
      await anotherWorkerPolls(env, taskQueue);
      await handle.signal(addToCart, 'pear');
      // Queued for the sticky worker: another worker's poll of the task queue finds nothing.
      assert.equal(await poll(env, { taskQueue, identity: 'other' }), undefined);
      clock.advance(4999);
      assert.equal(await poll(env, { taskQueue, identity: 'other' }), undefined);
      clock.advance(1);
      let moved: RunWorkflowTask | undefined;
      await waitFor(async () => {
        moved = await poll(env, { taskQueue, identity: 'other' });
        return moved !== undefined;
      }, 'the task to move to the task queue');
      assert.equal(moved?.runId, handle.firstExecutionRunId);
      // The row it left on the sticky queue is gone too.
      await waitFor(
        async () => (await queuedTasks(env, sticky)) === 0,
        'the sticky queue to be empty',
      );
      // The run is no longer sticky: its next task goes to the task queue.
      assert.ok(moved);
      await env.engine.connection.completeWorkflowTask({
        taskToken: moved.taskToken,
        identity: 'other',
        commands: [],
      });
      await handle.signal(addToCart, 'plum');
      assert.ok(await poll(env, { taskQueue, identity: 'other', waitMs: 5000 }));
    } finally {
      await env.close();
    }
  });

  test('a worker that stops hands its runs’ queued tasks to the other workers at once', async () => {
    const env = await startTestEnv({
      workflows: 'message-workflows.ts',
      activities: messageActivities,
      // Far longer than the test: only the hand-back lets the runs go on.
      worker: { identity: 'leaving', stickyQueueScheduleToStartTimeout: '1 hour' },
    });
    try {
      const handle = await env.client.workflow.start(cart, {
        taskQueue: env.taskQueue,
        workflowId: 'hand-back',
        args: ['ann'],
      });
      // The signal comes after the first task, so that it is a task of its own.
      await waitFor(
        async () => (await handle.fetchHistory()).events.at(-1)?.type === 'WorkflowTaskCompleted',
        'the first task to complete',
      );
      await handle.signal(addToCart, 'pear');
      await waitFor(
        async () => startedBy((await handle.fetchHistory()).events).length === 2,
        'the worker to take the signal',
      );
      await env.stopWorkers();
      await env.startWorker({ identity: 'staying' });
      // The staying worker polls, so that a task for a leaving worker still seen polling would
      // go to its sticky queue.
      await waitFor(
        () => env.engine.deps.pollers.count('default', env.taskQueue, 'workflow') > 0,
        'the staying worker to poll',
      );
      await handle.signal(addToCart, 'plum');
      await handle.signal(checkout);
      assert.deepEqual(await handle.result(), ['pear', 'plum']);
      const identities = startedBy((await handle.fetchHistory()).events);
      assert.deepEqual(identities.slice(0, 2), ['leaving', 'leaving']);
      assert.ok(
        identities.slice(2).every((i) => i === 'staying'),
        identities.join(', '),
      );
    } finally {
      await env.close();
    }
  });

  test('a stopped worker’s queue gets no task, even from a late answer', async () => {
    const env = await startTestEnv({ workflows: 'message-workflows.ts' });
    try {
      const { taskQueue, sticky, handle } = await startCart(env, 'sticky-gone');
      const first = await poll(env, { taskQueue, stickyTaskQueue: sticky, waitMs: 5000 });
      assert.ok(first);
      await env.engine.connection.shutdownWorker({
        namespace: 'default',
        stickyTaskQueue: sticky,
        identity: 'test',
      });
      // Its answer after it said it stops still names the queue.
      await env.engine.connection.completeWorkflowTask({
        taskToken: first.taskToken,
        identity: 'test',
        commands: [],
        stickyAttributes: { workerTaskQueue: sticky, scheduleToStartTimeoutMs: 3_600_000 },
      });
      await anotherWorkerPolls(env, taskQueue);
      await handle.signal(addToCart, 'pear');
      assert.ok(await poll(env, { taskQueue, identity: 'other', waitMs: 5000 }));
    } finally {
      await env.close();
    }
  });

  test('a query goes to the worker that keeps the run, then to any worker if it does not poll', async () => {
    const env = await startTestEnv({ workflows: 'message-workflows.ts' });
    try {
      const { taskQueue, sticky, handle } = await startCart(env, 'sticky-query');
      await answerKeeping(env, taskQueue, sticky, 300);
      const answer = async (queryId: string, result: unknown) => {
        await env.engine.connection.respondQueryTask({
          queryId,
          result: { status: 'success', result },
        });
      };
      // Another worker waits on the task queue; the query still goes to the sticky worker.
      const other = env.engine.connection.pollWorkflowTask({
        namespace: 'default',
        taskQueue,
        identity: 'other',
        waitMs: 1000,
      });
      await waitFor(
        () => env.engine.deps.pollers.count('default', taskQueue, 'workflow') === 1,
        'the other worker to wait',
      );
      const asked = handle.query('items');
      const q = await env.engine.connection.pollWorkflowTask({
        namespace: 'default',
        taskQueue,
        stickyTaskQueue: sticky,
        identity: 'test',
        waitMs: 5000,
      });
      assert.equal(q?.kind, 'query');
      assert.equal(await other, undefined, 'the other worker got nothing');
      await answer(q.queryId, ['from memory']);
      assert.deepEqual(await asked, ['from memory']);
      // The sticky worker does not poll: after the run's schedule-to-start timeout, any worker.
      const later = handle.query('items');
      const replayed = await env.engine.connection.pollWorkflowTask({
        namespace: 'default',
        taskQueue,
        identity: 'other',
        waitMs: 5000,
      });
      assert.equal(replayed?.kind, 'query');
      await answer(replayed.queryId, ['replayed']);
      assert.deepEqual(await later, ['replayed']);
    } finally {
      await env.close();
    }
  });

  for (const beside of [false, true]) {
    test(`a worker takes its sticky queue’s and its task queue’s tasks oldest first${beside ? ', beside another engine' : ''}`, async () => {
      const env = await startTestEnv({ workflows: 'message-workflows.ts' });
      try {
        if (beside) {
          // Another engine process recorded on the store (this process's pid, so alive): no
          // read-ahead, each look at a queue is a read.
          await env.engine.deps.store.registerEngineProcess({
            processId: 'another-engine',
            ...thisProcess(),
            startedAtMs: Date.now(),
            seenAtMs: Date.now(),
          });
          await waitFor(() => !env.engine.deps.peers.mayReadAhead(), 'the other engine to be seen');
        }
        const taskQueue = uniqueQueue('sticky-backlog');
        const sticky = `${taskQueue}/sticky/test`;
        const start = (id: string) =>
          env.client.workflow.start(cart, { taskQueue, workflowId: id, args: ['ann'] });
        const kept = await Promise.all([0, 1, 2, 3].map((i) => start(`kept-${i}`)));
        for (let i = 0; i < kept.length; i++)
          await answerKeeping(env, taskQueue, sticky, 3_600_000);
        await anotherWorkerPolls(env, taskQueue);
        // Two tasks on the sticky queue, then a new run's first task on the task queue, then two
        // more on the sticky queue.
        const [k0, k1, k2, k3] = kept;
        assert.ok(k0 && k1 && k2 && k3);
        await k0.signal(addToCart, 'pear');
        await k1.signal(addToCart, 'pear');
        const fresh = await start('fresh');
        await k2.signal(addToCart, 'pear');
        await k3.signal(addToCart, 'pear');
        assert.equal(await queuedTasks(env, sticky), 4);
        const taken: string[] = [];
        for (let i = 0; i < 5; i++) {
          const task = await poll(env, { taskQueue, stickyTaskQueue: sticky });
          assert.ok(task);
          taken.push(task.workflowId);
        }
        assert.deepEqual(
          taken,
          [k0, k1, fresh, k2, k3].map((h) => h.workflowId),
        );
      } finally {
        await env.close();
      }
    });
  }

  test('a stopping worker’s queries go to the other workers at once', async () => {
    const env = await startTestEnv({ workflows: 'message-workflows.ts' });
    try {
      const { taskQueue, sticky, handle } = await startCart(env, 'sticky-query-gone');
      await answerKeeping(env, taskQueue, sticky, 3_600_000);
      // The query waits on the sticky queue (half the query timeout) unless its worker stops.
      const other = env.engine.connection.pollWorkflowTask({
        namespace: 'default',
        taskQueue,
        identity: 'other',
        waitMs: 3000,
      });
      let otherAnswered = false;
      void other.then(() => (otherAnswered = true));
      await waitFor(
        () => env.engine.deps.pollers.count('default', taskQueue, 'workflow') === 1,
        'the other worker to wait',
      );
      const queuedOnSticky = env.engine.deps.notifier.wait(
        taskKey('default', sticky, 'workflow'),
        10_000,
      );
      const asked = handle.query('items');
      await queuedOnSticky;
      assert.equal(otherAnswered, false, 'the query waits on the sticky queue');
      await env.engine.connection.shutdownWorker({
        namespace: 'default',
        stickyTaskQueue: sticky,
        identity: 'test',
      });
      const q = await other;
      assert.equal(q?.kind, 'query');
      await env.engine.connection.respondQueryTask({
        queryId: q.queryId,
        result: { status: 'success', result: ['replayed'] },
      });
      assert.deepEqual(await asked, ['replayed']);
    } finally {
      await env.close();
    }
  });

  test('shutdownWorker naming a task queue leaves that queue’s tasks', async () => {
    const env = await startTestEnv({ workflows: 'message-workflows.ts' });
    try {
      const taskQueue = uniqueQueue('not-sticky');
      const handle = await env.client.workflow.start(cart, {
        taskQueue,
        workflowId: 'not-sticky',
        args: ['ann'],
      });
      await env.engine.connection.shutdownWorker({
        namespace: 'default',
        stickyTaskQueue: taskQueue,
        identity: 'test',
      });
      const task = await poll(env, { taskQueue, waitMs: 5000 });
      assert.equal(task?.runId, handle.firstExecutionRunId);
    } finally {
      await env.close();
    }
  });

  test('bad sticky input is refused and changes nothing', async () => {
    const env = await startTestEnv({ workflows: 'message-workflows.ts' });
    try {
      const taskQueue = uniqueQueue('sticky-bad');
      await assert.rejects(
        poll(env, { taskQueue, stickyTaskQueue: taskQueue }),
        /stickyTaskQueue must be the worker’s own queue/,
      );
      const handle = await env.client.workflow.start(cart, {
        taskQueue,
        workflowId: 'sticky-bad',
        args: ['ann'],
      });
      const first = await poll(env, { taskQueue, waitMs: 5000 });
      assert.ok(first);
      // The start may commit just after the poll answers (RunTx.deferCommit): wait for it.
      let before: HistoryEvent[] = [];
      await waitFor(async () => {
        before = (await handle.fetchHistory()).events;
        return before.some((e) => e.type === 'WorkflowTaskStarted');
      }, 'the first task’s start to be recorded');
      await assert.rejects(
        env.engine.connection.completeWorkflowTask({
          taskToken: first.taskToken,
          identity: 'test',
          commands: [],
          stickyAttributes: { workerTaskQueue: 'mine', scheduleToStartTimeoutMs: 0 },
        }),
        (e: unknown) => e instanceof Error && e.name === 'InvalidArgumentError',
      );
      await assert.rejects(
        env.engine.connection.completeWorkflowTask({
          taskToken: first.taskToken,
          identity: 'test',
          commands: [],
          stickyAttributes: { workerTaskQueue: taskQueue, scheduleToStartTimeoutMs: 1000 },
        }),
        /is the run's own task queue/,
      );
      await assert.rejects(
        env.startWorker({ stickyQueueScheduleToStartTimeout: 0 }),
        /stickyQueueScheduleToStartTimeout must be a whole number of milliseconds from 1 ms to 1 day/,
      );
      await assert.rejects(
        env.startWorker({ stickyQueueScheduleToStartTimeout: 'soon' }),
        /stickyQueueScheduleToStartTimeout: .* It is how long a workflow task waits on the worker’s sticky queue/,
      );
      await assert.rejects(
        env.engine.connection.shutdownWorker({
          namespace: 'default',
          stickyTaskQueue: '',
          identity: 'test',
        }),
        (e: unknown) => e instanceof Error && e.name === 'InvalidArgumentError',
      );
      assert.deepEqual((await handle.fetchHistory()).events, before);
    } finally {
      await env.close();
    }
  });
});
