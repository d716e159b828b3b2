// The polls of a queue (engine/task-queues/matcher.ts): a poll reads the first tasks no other
// poll of this process is starting and the polls after it take the rest (read-ahead.ts), so a
// task goes to one poll, and the first free task goes first, also one whose start was lost or
// one more urgent (a lower priority key) queued after the read.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Client } from 'reprise/client';
import { Engine, ManualClock } from 'reprise/server';
import { pollTaskQueue } from '../../src/engine/task-queues/matcher.ts';
import { READ_AHEAD_TASKS } from '../../src/engine/task-queues/read-ahead.ts';
import type { FindTasksRequest } from '../../src/store/store.ts';
import { collect } from '../contract/fixtures/contract-workflows.ts';
import { asWorkflowTask } from '../helpers/commands.ts';
import { counted } from '../helpers/counted-store.ts';
import { recordingLogger, tempDir, uniqueQueue, waitFor } from '../helpers/test-env.ts';
import { openTestStoreAt } from '../helpers/test-store.ts';

describe('queued task order', () => {
  const tmp = tempDir();
  let n = 0;
  after(() => {
    tmp.remove();
  });

  /**
   * An engine alone on a fresh file; a 5 s linger (by default) keeps every start waiting for its
   * answer, and a manual clock that never moves keeps a read's tasks fresh (read-ahead.ts): only
   * a forget drops them.
   */
  async function alone(opts: { lingerMs?: number } = {}) {
    const path = join(tmp.dir, `order-${String(++n)}.db`);
    const store = await openTestStoreAt(path, { lingerMs: opts.lingerMs ?? 5_000 });
    const { store: countedStore, calls } = counted(store);
    const { logger, warnings } = recordingLogger();
    const clock = new ManualClock();
    const engine = await Engine.open({ store: countedStore, logger, clock });
    await waitFor(() => engine.deps.peers.alone(), 'the engine to be alone on the file');
    const client = new Client({ connection: engine.connection });
    const taskQueue = uniqueQueue('order');
    return {
      path,
      store,
      clock,
      taskQueue,
      engine,
      warnings,
      reads: () => calls.get('findTasks') ?? 0,
      start: (workflowId: string, priorityKey?: number) =>
        client.workflow.start(collect, {
          taskQueue,
          workflowId,
          args: [1],
          ...(priorityKey !== undefined && { priority: { priorityKey } }),
        }),
      poll: async (on: Engine = engine) =>
        on.connection.pollWorkflowTask({
          namespace: 'default',
          taskQueue,
          identity: on === engine ? 'here' : 'there',
          waitMs: 0,
        }),
      close: async () => {
        await engine.close();
        await store.close();
      },
    };
  }

  test('polls over a backlog each get a task of their own', async () => {
    const s = await alone();
    try {
      for (let i = 0; i < 70; i++) await s.start(`wf-${String(i)}`);
      const before = s.reads();
      const tasks = await Promise.all(Array.from({ length: 70 }, () => s.poll()));
      const runIds = tasks.map((t) => asWorkflowTask(t).runId);
      assert.equal(new Set(runIds).size, 70, 'no task went to two polls');
      // Each read passed over the tasks the polls before it were starting, and the polls after it
      // took the tasks it found behind the first: none found one taken, and none read again.
      assert.equal(s.reads() - before, Math.ceil(70 / READ_AHEAD_TASKS));
      assert.equal(await s.poll(), undefined, 'the queue is empty');
    } finally {
      await s.close();
    }
  });

  test('a task whose start was lost goes first again, before the tasks queued after it', async () => {
    const s = await alone();
    const rival = await openTestStoreAt(s.path);
    try {
      for (const id of ['a', 'b', 'c']) await s.start(id);
      const first = asWorkflowTask(await s.poll());
      assert.equal(first.workflowId, 'a');
      // Another writer moves a's row on while a's start waits for its answer: the start's write
      // loses its compare-and-set, and a's task row is free again.
      const row = await rival.getRun({ runId: first.runId });
      assert.ok(row);
      await rival.appendToRun({
        runId: row.runId,
        expectedNextEventId: row.nextEventId,
        expectedVersion: row.version,
        events: [],
        status: row.status,
        closeTimeMs: row.closeTimeMs,
        nextEventId: row.nextEventId,
        state: row.state,
        tasks: [],
        timers: [],
        deleteTimerKeys: [],
        deleteTaskIds: [],
      });
      await assert.rejects(
        s.engine.connection.completeWorkflowTask({
          taskToken: first.taskToken,
          identity: 'here',
          commands: [{ type: 'CompleteWorkflowExecution', result: 'a' }],
        }),
      );
      // The rival's write also tells the engine it may not be alone (peers.ts), which drops the
      // kept tasks at the next poll; its next look finds no other engine. The polls below come
      // after that look, so only the lost write's own forget (uncommitted-acks.ts) can put a first.
      await waitFor(() => s.engine.deps.peers.alone(), 'a look to find no other engine');
      const order: string[] = [];
      for (let task = await s.poll(); task !== undefined; task = await s.poll()) {
        order.push(asWorkflowTask(task).workflowId);
      }
      assert.deepEqual(order, ['a', 'b', 'c']);
      assert.deepEqual(s.warnings, [
        'A deferred write to the run was not committed; the writes that followed it will re-read the run.',
      ]);
    } finally {
      await rival.close();
      await s.close();
    }
  });

  test('a task whose start threw goes first again, before the tasks its read kept', async () => {
    const s = await alone();
    try {
      for (const id of ['a', 'b', 'c']) await s.start(id);
      const ids = new Map<string, string>();
      let failing = true;
      // The engine's own poll, with a start that fails once and otherwise names the run's id.
      const poll = () =>
        pollTaskQueue(
          s.engine.deps,
          { namespace: 'default', taskQueue: s.taskQueue, identity: 'here', waitMs: 0 },
          'workflow',
          (task) => {
            if (failing) {
              failing = false;
              return Promise.reject(new Error('the start failed'));
            }
            return Promise.resolve(ids.get(task.runId));
          },
          undefined,
        );
      for (const id of ['a', 'b', 'c']) {
        const row = await s.store.findRun({ namespace: 'default', workflowId: id });
        assert.ok(row);
        ids.set(row.runId, id);
      }
      await assert.rejects(poll(), /the start failed/);
      assert.deepEqual([await poll(), await poll(), await poll()], ['a', 'b', 'c']);
    } finally {
      await s.close();
    }
  });

  test('a task queued more urgent than the tasks a read kept goes before them', async () => {
    const s = await alone();
    try {
      for (const id of ['a', 'b', 'c']) await s.start(id);
      const before = s.reads();
      // The poll reads all three, takes a, and keeps b and c for the next polls.
      assert.equal(asWorkflowTask(await s.poll()).workflowId, 'a');
      await s.start('urgent', 1);
      await s.start('late'); // key 3, as b and c: after them
      const order: string[] = [];
      for (let task = await s.poll(); task !== undefined; task = await s.poll()) {
        order.push(asWorkflowTask(task).workflowId);
      }
      assert.deepEqual(order, ['urgent', 'b', 'c', 'late']);
      // The urgent start dropped what the first read kept: the next poll read again.
      assert.ok(s.reads() - before >= 2);
    } finally {
      await s.close();
    }
  });

  test('an engine that joins is noticed at the next poll, before its next look', async () => {
    // Starts commit after 1 ms, so the store shows which tasks are started.
    const s = await alone({ lingerMs: 1 });
    const queued = () =>
      s.store.findTasks({
        namespace: 'default',
        taskQueue: s.taskQueue,
        kind: 'workflow',
        skipTaskIds: [],
        limit: 10,
      });
    try {
      for (const id of ['a', 'b', 'c']) await s.start(id);
      // The poll reads all three, takes a, and keeps b and c for the next polls.
      assert.equal(asWorkflowTask(await s.poll()).workflowId, 'a');
      await waitFor(async () => (await queued()).length === 2, "a's start to be committed");
      // Another engine joins the file and starts b. This engine's look at the engine processes
      // comes every 250 ms; its next poll, within milliseconds, must not hand out its kept b.
      const otherStore = await openTestStoreAt(s.path);
      const other = await Engine.open({ store: otherStore, clock: s.clock });
      try {
        assert.equal(asWorkflowTask(await s.poll(other)).workflowId, 'b');
        assert.equal(asWorkflowTask(await s.poll()).workflowId, 'c');
        assert.equal(s.engine.deps.peers.others, true);
        assert.equal(await s.poll(), undefined, 'the queue is empty');
      } finally {
        await other.close();
        await otherStore.close();
      }
      assert.deepEqual(s.warnings, []);
    } finally {
      await s.close();
    }
  });

  test('while another engine shares the store, a read finds one task and keeps none', async () => {
    const path = join(tmp.dir, `order-${String(++n)}.db`);
    const store = await openTestStoreAt(path);
    const limits: number[] = [];
    const { store: watched } = counted(store, (method, args) => {
      if (method === 'findTasks') limits.push((args[0] as FindTasksRequest).limit);
    });
    const engine = await Engine.open({ store: watched });
    const otherStore = await openTestStoreAt(path);
    const other = await Engine.open({ store: otherStore });
    try {
      await waitFor(() => engine.deps.peers.others, 'the engine to see the other one');
      const client = new Client({ connection: engine.connection });
      const taskQueue = uniqueQueue('shared');
      for (const id of ['a', 'b', 'c']) {
        await client.workflow.start(collect, { taskQueue, workflowId: id, args: [1] });
      }
      const order: string[] = [];
      for (let i = 0; i < 3; i++) {
        const task = await engine.connection.pollWorkflowTask({
          namespace: 'default',
          taskQueue,
          identity: 'here',
          waitMs: 0,
        });
        order.push(asWorkflowTask(task).workflowId);
      }
      assert.deepEqual(order, ['a', 'b', 'c']);
      assert.ok(limits.length >= 3, 'each poll read the store');
      assert.deepEqual(new Set(limits), new Set([1]));
    } finally {
      await other.close();
      await engine.close();
      await otherStore.close();
      await store.close();
    }
  });
});
