// ADR 0012: when a process dies holding tasks — an activity attempt its worker runs, a workflow
// task it polled or that waits on its worker's sticky queue, timers its engine leased — another engine on the same store gives them
// out again within a quarter of a second, not after their timeouts (an hour here, two minutes for the
// workflow task). A real child process holds each and is SIGKILLed.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { activityInfo } from 'reprise/activity';
import { Client } from 'reprise/client';
import { Engine, ManualClock } from 'reprise/server';
import { Worker } from 'reprise/worker';
import Database from 'better-sqlite3';
import { forkUntilMessage, kill } from '../helpers/child-worker.ts';
import { tempDir, uniqueQueue, waitFor } from '../helpers/test-env.ts';
import { sqliteOnly, testStoreUrl } from '../helpers/test-store.ts';

const WORKFLOWS = new URL('./fixtures/holder-workflows.ts', import.meta.url).pathname;

/**
 * The real time, from the holder's death, within which a workflow task it held is given out
 * again and its run ends: far below the 2 minutes of the task's timeout that would otherwise
 * free it, and far above what a loaded machine takes (the promise is a quarter of a second, and
 * a worker's start). Only the workflow tasks need a bound: what else is held, for an hour, would
 * hold the test past the runner's timeout. Starting a holder process is not counted.
 */
const AT_ONCE_MS = 60_000;

/** Fails unless `since` (a `performance.now()`) is less than {@link AT_ONCE_MS} ago. */
function assertAtOnce(since: number): void {
  const tookMs = Math.round(performance.now() - since);
  assert.ok(tookMs < AT_ONCE_MS, `given out again ${tookMs} ms after its holder died`);
}

/** Starts fixtures/holder-process.ts and resolves once it holds what `hold` names. */
async function startHolder(
  db: string,
  taskQueue: string,
  hold: string,
): Promise<ChildProcess & { token?: string }> {
  const { child, message } = await forkUntilMessage(
    new URL('./fixtures/holder-process.ts', import.meta.url).pathname,
    {
      REPRISE_DB: db,
      REPRISE_STORE: await testStoreUrl(db),
      REPRISE_TASK_QUEUE: taskQueue,
      HOLD: hold,
    },
  );
  const token = (message as { token?: unknown }).token;
  return Object.assign(child, typeof token === 'string' ? { token } : {});
}

// A process's death is seen through /proc: Linux only (elsewhere the timeouts apply).
describe('tasks held by a process that died', { skip: process.platform !== 'linux' }, () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  let engine: Engine;
  let client: Client;
  const workers: { worker: Worker; running: Promise<void> }[] = [];

  before(async () => {
    tmp = tempDir();
    db = join(tmp.dir, 'shared.db');
    engine = await Engine.open({ store: await testStoreUrl(db) });
    client = new Client({ connection: engine.connection });
  });
  after(async () => {
    for (const w of workers) {
      await w.worker.shutdown();
      await w.running;
    }
    await engine.close();
    tmp.remove();
  });

  async function startWorker(taskQueue: string, withActivity: boolean): Promise<void> {
    const worker = await Worker.create({
      connection: engine.connection,
      taskQueue,
      workflowsPath: WORKFLOWS,
      ...(withActivity && {
        activities: { hold: () => Promise.resolve(`attempt ${activityInfo().attempt}`) },
      }),
    });
    workers.push({ worker, running: worker.run() });
  }

  /** Starts `heldActivity` (workflows run here), lets a holder take its activity, kills it. */
  async function heldActivityKilled(hold: 'activity' | 'async') {
    const taskQueue = uniqueQueue(`held-${hold}`);
    await startWorker(taskQueue, false);
    const handle = await client.workflow.start('heldActivity', {
      taskQueue,
      workflowId: taskQueue,
    });
    const holder = await startHolder(db, taskQueue, hold);
    await kill(holder);
    return { taskQueue, handle, holder };
  }

  test('an activity attempt is retried at once, failed as timed out', async () => {
    // The only worker with the activity was the holder's.
    const { taskQueue, handle, holder } = await heldActivityKilled('activity');
    await startWorker(taskQueue, true);
    assert.equal(await handle.result(), 'attempt 2');
    const events = (await handle.fetchHistory()).events;
    const started = events.find((e) => e.type === 'ActivityTaskStarted');
    assert.ok(started?.type === 'ActivityTaskStarted');
    assert.equal(started.attempt, 2);
    assert.match(
      started.lastFailure?.message ?? '',
      new RegExp(
        `timed out \\(StartToClose\\): its worker's process \\(pid ${String(holder.pid)}\\) exited`,
      ),
    );
  });

  test('an attempt completed asynchronously is not held: its process may exit', async () => {
    const { handle, holder } = await heldActivityKilled('async');
    // This engine has looked since the holder died: its record is gone.
    await waitFor(
      async () =>
        !(await engine.deps.store.listEngineProcesses()).some((p) => p.pid === holder.pid),
      'the holder’s record to be removed',
    );
    // The outside system completes it with the token it was given.
    await client.activity.complete(holder.token ?? '', 'approved');
    assert.equal(await handle.result(), 'approved');
  });

  test('a workflow task is scheduled again at once', async () => {
    const taskQueue = uniqueQueue('held-workflow-task');
    const handle = await client.workflow.start('heldWorkflowTask', {
      taskQueue,
      workflowId: taskQueue,
      workflowTaskTimeout: '2 minutes',
    });
    const holder = await startHolder(db, taskQueue, 'workflow-task');
    await kill(holder);
    const killedAt = performance.now();
    await startWorker(taskQueue, false);
    assert.equal(await handle.result(), 'answered');
    assertAtOnce(killedAt);
    const types = (await handle.fetchHistory()).events.map((e) => e.type);
    assert.deepEqual(types.slice(0, 5), [
      'WorkflowExecutionStarted',
      'WorkflowTaskScheduled',
      'WorkflowTaskStarted',
      'WorkflowTaskTimedOut',
      'WorkflowTaskScheduled',
    ]);
  });

  test(
    'an activity started before its answer committed runs again, scheduled once',
    sqliteOnly('an answer that waits in the store for its activity result (the linger window)'),
    async () => {
      // A file of its own: the holder must be alone on it for its answer to wait (ADR 0013).
      const taskQueue = uniqueQueue('held-deferred-answer');
      const deferredDb = join(tmp.dir, 'deferred-answer.db');
      const holder = await startHolder(deferredDb, taskQueue, 'deferred-answer');
      // The activity runs, and nothing after the start is durable: the answer that scheduled
      // it waits for its result.
      const reader = new Database(deferredDb, { readonly: true });
      try {
        const types = reader
          .prepare<[string], { type: string }>(
            'SELECT type FROM history_events WHERE run_id = ' +
              '(SELECT run_id FROM runs WHERE workflow_id = ?) ORDER BY event_id',
          )
          .all(taskQueue)
          .map((e) => e.type);
        assert.deepEqual(types, [
          'WorkflowExecutionStarted',
          'WorkflowTaskScheduled',
          'WorkflowTaskStarted',
        ]);
      } finally {
        reader.close();
        await kill(holder);
      }
      const killedAt = performance.now();
      // The next engine gives the task the dead process held out again; its workflow schedules
      // the activity again, which runs again.
      const next = await Engine.open({ store: `sqlite:${deferredDb}` });
      const worker = await Worker.create({
        connection: next.connection,
        taskQueue,
        workflowsPath: WORKFLOWS,
        activities: { hold: () => Promise.resolve(`attempt ${activityInfo().attempt}`) },
      });
      try {
        const handle = new Client({ connection: next.connection }).workflow.getHandle(taskQueue);
        assert.equal(await worker.runUntil(handle.result()), 'attempt 1');
        assertAtOnce(killedAt);
        const types = (await handle.fetchHistory()).events.map((e) => e.type);
        assert.deepEqual(types.slice(0, 9), [
          'WorkflowExecutionStarted',
          'WorkflowTaskScheduled',
          'WorkflowTaskStarted',
          'WorkflowTaskTimedOut',
          'WorkflowTaskScheduled',
          'WorkflowTaskStarted',
          'WorkflowTaskCompleted',
          'ActivityTaskScheduled',
          'ActivityTaskStarted',
        ]);
        assert.equal(types.filter((t) => t === 'ActivityTaskScheduled').length, 1);
      } finally {
        await next.close();
      }
    },
  );

  test('a workflow task queued for a worker of its process goes to the task queue at once', async () => {
    const taskQueue = uniqueQueue('held-sticky-task');
    const handle = await client.workflow.start('heldSignal', {
      taskQueue,
      workflowId: taskQueue,
    });
    const holder = await startHolder(db, taskQueue, 'sticky-task');
    await kill(holder);
    const killedAt = performance.now();
    await startWorker(taskQueue, false);
    const result = await Promise.race([
      handle.result(),
      new Promise((_, reject) => {
        setTimeout(() => {
          reject(new Error('the task stayed on the dead worker’s sticky queue'));
        }, AT_ONCE_MS).unref();
      }),
    ]);
    assert.equal(result, 'went');
    assertAtOnce(killedAt);
    const events = (await handle.fetchHistory()).events;
    const identities = events.flatMap((e) =>
      e.type === 'WorkflowTaskStarted' ? [e.identity] : [],
    );
    assert.equal(identities[0], 'holder');
    assert.notEqual(identities[1], 'holder', 'the signal’s task went to the new worker');
  });

  test('timers its engine leased are free again at once', async () => {
    const taskQueue = uniqueQueue('held-timers');
    // A file of its own: no engine with a running clock may fire the timer before the holder
    // takes it. An engine whose clock stands still creates a run whose start timer is due long
    // ago by the real clock.
    const timersDb = join(tmp.dir, 'timers.db');
    const still = await Engine.open({
      store: await testStoreUrl(timersDb),
      clock: new ManualClock(0),
    });
    try {
      await new Client({ connection: still.connection }).workflow.start('heldWorkflowTask', {
        taskQueue,
        workflowId: taskQueue,
        startDelay: '1 second',
      });
    } finally {
      await still.close();
    }
    const holder = await startHolder(timersDb, taskQueue, 'timers');
    await kill(holder);
    const late = await Engine.open({ store: await testStoreUrl(timersDb) });
    const worker = await Worker.create({
      connection: late.connection,
      taskQueue,
      workflowsPath: WORKFLOWS,
    });
    try {
      const result = new Client({ connection: late.connection }).workflow
        .getHandle(taskQueue)
        .result();
      assert.equal(await worker.runUntil(result), 'answered');
    } finally {
      await late.close();
    }
  });
});
