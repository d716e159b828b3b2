import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Context } from '../activity/index.ts';
import { Client } from '../client/client.ts';
import { Engine } from '../engine/engine.ts';
import { GracefulShutdownPeriodExpiredError } from '../errors.ts';
import { Worker } from './worker.ts';
import { fixturesPath, waitFor } from '../../test/helpers/test-env.ts';
import { shoutLocally } from '../../test/e2e/fixtures/local-activity-workflows.ts';
import { greet } from '../../test/e2e/fixtures/workflows.ts';

/** An activity that ignores its cancellation until the test releases it. */
function ignoresCancellation() {
  const state = { started: false, cancelledWith: undefined as string | undefined, ended: false };
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => (release = r));
  const fn = async (): Promise<string> => {
    state.started = true;
    const ctx = Context.current();
    ctx.cancellationSignal.addEventListener('abort', () => {
      state.cancelledWith = ctx.cancellationDetails?.workerShutdown ? 'WORKER_SHUTDOWN' : 'other';
    });
    await released;
    state.ended = true;
    return 'ended';
  };
  return { state, fn, release };
}

test("shutdown() resolves only once a local activity's code that ignored its cancellation has ended, as Temporal's, and getStatus() counts that code in flight meanwhile", async () => {
  const engine = await Engine.open({ store: 'sqlite::memory:' });
  const act = ignoresCancellation();
  try {
    const worker = await Worker.create({
      connection: engine.connection,
      taskQueue: 'ls',
      workflowsPath: fixturesPath('local-activity-workflows.ts'),
      activities: { shout: act.fn },
    });
    const running = worker.run();
    const client = new Client({ connection: engine.connection });
    const handle = await client.workflow.start(shoutLocally, {
      taskQueue: 'ls',
      workflowId: 'ls',
      args: ['k', 'x'],
    });
    await waitFor(() => act.state.started, 'the local activity to start');
    let stopped = false;
    const stopping = worker.shutdown().then(() => (stopped = true));
    // The task no longer waits for it: it is handed back, while the activity's code goes on.
    await waitFor(
      async () => (await handle.fetchHistory()).events.some((e) => e.type === 'WorkflowTaskFailed'),
      'the workflow task to be handed back',
    );
    assert.equal(act.state.cancelledWith, 'WORKER_SHUTDOWN');
    assert.equal(act.state.ended, false);
    assert.equal(stopped, false, 'shutdown waits for the code still running');
    assert.equal(worker.getState(), 'STOPPING');
    const inFlight = () => {
      const s = worker.getStatus();
      return { all: s.numInFlightActivities, local: s.numInFlightLocalActivities };
    };
    // No task waits for it, but it is what the shutdown waits for.
    assert.deepEqual(inFlight(), { all: 1, local: 1 });
    act.release();
    await stopping;
    await running;
    assert.equal(act.state.ended, true);
    assert.deepEqual(inFlight(), { all: 0, local: 0 });
    assert.equal(worker.getState(), 'STOPPED');
  } finally {
    act.release();
    await engine.close();
  }
});

for (const isLocal of [false, true]) {
  test(`with shutdownForceTime, run() rejects with GracefulShutdownPeriodExpiredError (FAILED) when a${isLocal ? ' local' : 'n'} activity ignores its cancellation past it`, async () => {
    const engine = await Engine.open({ store: 'sqlite::memory:' });
    const act = ignoresCancellation();
    let timer: NodeJS.Timeout | undefined;
    try {
      const worker = await Worker.create({
        connection: engine.connection,
        taskQueue: 'force',
        workflowsPath: fixturesPath(isLocal ? 'local-activity-workflows.ts' : 'workflows.ts'),
        activities: { shout: act.fn, greet: act.fn },
        shutdownForceTime: '200ms',
      });
      const running = worker.run();
      const client = new Client({ connection: engine.connection });
      if (isLocal) {
        await client.workflow.start(shoutLocally, {
          taskQueue: 'force',
          workflowId: 'force',
          args: ['k', 'x'],
        });
      } else {
        await client.workflow.start(greet, {
          taskQueue: 'force',
          workflowId: 'force',
          args: ['x'],
        });
      }
      await waitFor(() => act.state.started, 'the activity to start');
      const stopping = worker.shutdown();
      // Without shutdownForceTime the worker would wait for the test's release: a guard against
      // that hang, with room for a loaded machine.
      const notForced = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error('run() did not fail within 30 s'));
        }, 30_000);
      });
      await assert.rejects(Promise.race([running, notForced]), (e: unknown) => {
        assert.ok(e instanceof GracefulShutdownPeriodExpiredError, String(e));
        assert.match(e.message, /^Timed out while waiting for worker to shutdown gracefully/);
        assert.match(e.message, /200 ms \(shutdownForceTime\)/);
        return true;
      });
      await assert.rejects(stopping, GracefulShutdownPeriodExpiredError);
      assert.equal(worker.getState(), 'FAILED');
      assert.equal(act.state.cancelledWith, 'WORKER_SHUTDOWN');
      assert.equal(act.state.ended, false, 'abandoned, still running');
    } finally {
      clearTimeout(timer);
      act.release();
      await engine.close();
    }
  });
}

test('Worker.create refuses a shutdownForceTime that is not a duration', async () => {
  const engine = await Engine.open({ store: 'sqlite::memory:' });
  try {
    await assert.rejects(
      Worker.create({
        connection: engine.connection,
        taskQueue: 'bad',
        activities: { a: () => 1 },
        shutdownForceTime: 'a while',
      }),
      /Worker option shutdownForceTime: Invalid duration 'a while'/,
    );
  } finally {
    await engine.close();
  }
});
