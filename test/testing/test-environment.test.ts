import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ActivityCancellationDetails,
  CancelledFailure,
  Context,
  activityInfo,
  cancellationSignal,
  cancelled,
  heartbeat,
  sleep,
} from 'reprise/activity';
import { InvalidArgumentError, NamespaceNotFoundError } from 'reprise/client';
import { Engine } from 'reprise/server';
import { MockActivityEnvironment, TestWorkflowEnvironment } from 'reprise/testing';
import { Worker } from 'reprise/worker';
import * as activities from '../e2e/fixtures/activities.ts';
import { sleeper, approvalWithDeadline } from '../e2e/fixtures/workflows.ts';
import { recordingLogger, waitFor } from '../helpers/test-env.ts';
import * as holdActivities from './fixtures/time-skipping-activities.ts';
import { asyncThenSleep, holdWithOneSecondTimeout } from './fixtures/time-skipping-workflows.ts';

/**
 * The real time within which these tests expect what they skip (hours, days) to pass: far less
 * than any span skipped, and far more than the few workflow tasks between take on a loaded
 * machine. Real time is what these bounds are about; a tighter one only measures the machine.
 */
const LITTLE_REAL_MS = 30_000;

const workflowsPath = new URL('../e2e/fixtures/workflows.ts', import.meta.url).pathname;
const holdWorkflowsPath = new URL('./fixtures/time-skipping-workflows.ts', import.meta.url)
  .pathname;

/**
 * Runs `body` on `worker`, then releases the held activity `key` (whatever `body` did) before
 * the worker's shutdown waits for it.
 */
async function runReleasing(worker: Worker, key: string, body: () => Promise<void>): Promise<void> {
  await worker.runUntil(async () => {
    try {
      await body();
    } finally {
      holdActivities.state.released.add(key);
    }
  });
}

describe('TestWorkflowEnvironment', () => {
  test('a workflow that sleeps 30 days finishes at once on a time-skipping environment', async () => {
    const env = await TestWorkflowEnvironment.createTimeSkipping();
    try {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue: 'ts',
        workflowsPath,
        activities,
      });
      const startedAt = env.currentTimeMs();
      const realStart = Date.now();
      const result = await worker.runUntil(
        env.client.workflow.execute(sleeper, {
          taskQueue: 'ts',
          workflowId: 'thirty-days',
          args: [30 * 24 * 3600 * 1000],
        }),
      );
      assert.equal(result, 'awake');
      assert.ok(
        env.currentTimeMs() - startedAt >= 30 * 24 * 3600 * 1000,
        'virtual time moved 30 days',
      );
      assert.ok(Date.now() - realStart < LITTLE_REAL_MS, 'real time did not');
    } finally {
      await env.teardown();
    }
  });

  test('env.sleep moves virtual time so a deadline passes', async () => {
    const env = await TestWorkflowEnvironment.createTimeSkipping();
    try {
      const worker = await Worker.create({
        connection: env.connection,
        taskQueue: 'ts2',
        workflowsPath,
      });
      await worker.runUntil(async () => {
        const handle = await env.client.workflow.start(approvalWithDeadline, {
          taskQueue: 'ts2',
          workflowId: 'deadline',
          args: [3 * 24 * 3600 * 1000],
        });
        await env.sleep('3 days');
        assert.equal(await handle.result(), 'timed out');
      });
    } finally {
      await env.teardown();
    }
  });

  test('an activity past its startToCloseTimeout times out in real time while it runs; its late result is not recorded', async () => {
    const env = await TestWorkflowEnvironment.createTimeSkipping();
    // The worker cut the attempt at its own deadline: it logs (at debug) that it reports nothing.
    const notes: string[] = [];
    const logger: ReturnType<typeof recordingLogger>['logger'] = {
      ...recordingLogger().logger,
      debug: (_obj, msg) => {
        notes.push(msg ?? '');
      },
      child: () => logger,
    };
    try {
      const worker = await Worker.create({
        connection: env.connection,
        taskQueue: 'hold-late',
        workflowsPath: holdWorkflowsPath,
        activities: holdActivities,
        logger,
      });
      await runReleasing(worker, 'late', async () => {
        const handle = await env.client.workflow.start(holdWithOneSecondTimeout, {
          taskQueue: 'hold-late',
          workflowId: 'hold-late',
          args: ['late', false],
        });
        // The activity still runs: only the engine's clock moving on can end the attempt. The
        // client awaiting the result lets the clock skip, but not past the running attempt.
        assert.equal(await handle.result(), 'timed out: StartToClose');
        // The worker cuts the attempt at its own deadline, counted from when it began running
        // it: later than the engine's, by as long as the task took to reach the activity. The
        // activity ignores the cut and returns once released: after it, the worker reports
        // nothing. (Released before it, the result would be reported, and refused.)
        await waitFor(
          () => holdActivities.state.aborted.get('late') === 'TIMED_OUT',
          "the worker's own start-to-close deadline",
        );
        holdActivities.state.released.add('late');
        await waitFor(
          () => notes.some((n) => n.includes('cut at its start-to-close timeout: not reported')),
          'the worker to drop the late result',
        );
        const types = (await handle.fetchHistory()).events.map((e) => e.type);
        assert.ok(types.includes('ActivityTaskTimedOut'));
        assert.ok(!types.includes('ActivityTaskCompleted'), 'the late result was not recorded');
      });
    } finally {
      await env.teardown();
    }
  });

  test('env.sleep while a heartbeating activity runs: real pace until its timeout, then a jump', async () => {
    const env = await TestWorkflowEnvironment.createTimeSkipping();
    try {
      const worker = await Worker.create({
        connection: env.connection,
        taskQueue: 'hold-sleep',
        workflowsPath: holdWorkflowsPath,
        activities: holdActivities,
        logger: recordingLogger().logger,
      });
      await runReleasing(worker, 'sleep', async () => {
        const handle = await env.client.workflow.start(holdWithOneSecondTimeout, {
          taskQueue: 'hold-sleep',
          workflowId: 'hold-sleep',
          args: ['sleep', true],
        });
        await waitFor(() => holdActivities.state.started.has('sleep'), 'the activity to start');
        const virtualStart = env.currentTimeMs();
        const realStart = Date.now();
        await env.sleep('2 hours');
        const realMs = Date.now() - realStart;
        assert.ok(env.currentTimeMs() - virtualStart >= 2 * 3600 * 1000, 'two hours passed');
        assert.ok(realMs < LITTLE_REAL_MS, `env.sleep took ${realMs} ms of real time`);
        assert.equal(await handle.result(), 'timed out: StartToClose');
        // The timeout fired when due, 1 s after the activity was scheduled (and what the machine's
        // load delayed it by): time did not jump past it, hours on, while the activity ran.
        const events = (await handle.fetchHistory()).events;
        const at = (type: string): number => {
          const e = events.find((x) => x.type === type);
          assert.ok(e, `${type} in the history`);
          return e.timeMs;
        };
        const ranMs = at('ActivityTaskTimedOut') - at('ActivityTaskScheduled');
        assert.ok(
          ranMs >= 1000 && ranMs < LITTLE_REAL_MS,
          `the activity timed out after ${ranMs} ms`,
        );
      });
    } finally {
      await env.teardown();
    }
  });

  test('an activity completing asynchronously holds the clock back until it is completed, as in Temporal', async () => {
    const env = await TestWorkflowEnvironment.createTimeSkipping();
    try {
      const worker = await Worker.create({
        connection: env.connection,
        taskQueue: 'async-hold',
        workflowsPath: holdWorkflowsPath,
        activities: holdActivities,
        logger: recordingLogger().logger,
      });
      await worker.runUntil(async () => {
        const handle = await env.client.workflow.start(asyncThenSleep, {
          taskQueue: 'async-hold',
          workflowId: 'async-hold',
          args: ['async'],
        });
        // While a client awaits the result, an idle clock jumps to the next due timer: here
        // the workflow's 30 minute timer.
        const result = handle.result();
        result.catch(() => undefined);
        await waitFor(() => holdActivities.state.tokens.has('async'), 'the task token');
        const virtualStart = env.currentTimeMs();
        let realStart = Date.now();
        await waitFor(
          () => env.currentTimeMs() - virtualStart >= 300,
          'virtual time to pass while the activity is out',
        );
        const virtualMs = env.currentTimeMs() - virtualStart;
        const realMs = Date.now() - realStart;
        assert.ok(
          virtualMs < realMs + 1000,
          `the clock ran at real pace (${virtualMs} ms in ${realMs} ms): it did not jump`,
        );
        realStart = Date.now();
        await env.client.activity.complete(holdActivities.state.tokens.get('async') ?? '', 'late');
        assert.equal(await result, 'late');
        assert.ok(env.currentTimeMs() - virtualStart >= 24 * 3600 * 1000, 'the day was skipped');
        assert.ok(Date.now() - realStart < LITTLE_REAL_MS, 'in little real time');
      });
    } finally {
      await env.teardown();
    }
  });

  test('an asynchronous activity completed by activity id stops holding the clock back at once', async () => {
    const env = await TestWorkflowEnvironment.createTimeSkipping();
    try {
      const worker = await Worker.create({
        connection: env.connection,
        taskQueue: 'async-hold-by-id',
        workflowsPath: holdWorkflowsPath,
        activities: holdActivities,
        logger: recordingLogger().logger,
      });
      await worker.runUntil(async () => {
        const handle = await env.client.workflow.start(asyncThenSleep, {
          taskQueue: 'async-hold-by-id',
          workflowId: 'async-hold-by-id',
          args: ['by-id'],
        });
        const result = handle.result();
        result.catch(() => undefined);
        await waitFor(() => holdActivities.state.tokens.has('by-id'), 'the task token');
        const [pending] = (await handle.describe()).pendingActivities;
        assert.ok(pending);
        const virtualStart = env.currentTimeMs();
        await env.client.activity.complete(
          { workflowId: handle.workflowId, activityId: pending.activityId },
          'by id',
        );
        // Its hour-long start-to-close deadline no longer holds time: the day is skipped.
        await waitFor(
          () => env.currentTimeMs() - virtualStart >= 24 * 3600 * 1000,
          'the day to be skipped',
          LITTLE_REAL_MS,
        );
        assert.equal(await result, 'by id');
      });
    } finally {
      await env.teardown();
    }
  });

  test('createLocal runs on real time', async () => {
    const env = await TestWorkflowEnvironment.createLocal();
    try {
      assert.equal(env.supportsTimeSkipping, false);
      const worker = await Worker.create({
        connection: env.connection,
        taskQueue: 'local',
        workflowsPath,
        activities,
      });
      const result = await worker.runUntil(
        env.client.workflow.execute('greet', { taskQueue: 'local', workflowId: 'g', args: ['Bo'] }),
      );
      assert.equal(result, 'Hello, Bo!');
    } finally {
      await env.teardown();
    }
  });

  test('createFromExistingServer runs on an engine the caller opened, and teardown leaves it open', async () => {
    const engine = await Engine.open({ store: 'sqlite::memory:' });
    try {
      const env = await TestWorkflowEnvironment.createFromExistingServer({ engine });
      assert.equal(env.engine, engine);
      assert.equal(env.supportsTimeSkipping, false);
      assert.equal(env.namespace, 'default');
      const worker = await Worker.create({
        connection: env.connection,
        taskQueue: 'existing',
        workflowsPath,
        activities,
      });
      const result = await worker.runUntil(
        env.client.workflow.execute('greet', {
          taskQueue: 'existing',
          workflowId: 'g',
          args: ['Al'],
        }),
      );
      assert.equal(result, 'Hello, Al!');
      await env.teardown();
      // The engine is still the caller's: a second environment on it sees the first one's run.
      const again = await TestWorkflowEnvironment.createFromExistingServer({ engine });
      assert.equal(await again.client.workflow.getHandle('g').result(), 'Hello, Al!');
      await again.teardown();
    } finally {
      await engine.close();
    }
  });

  test('createFromExistingServer refuses a namespace the engine does not have, and a missing engine', async () => {
    const engine = await Engine.open({ store: 'sqlite::memory:' });
    try {
      await assert.rejects(
        TestWorkflowEnvironment.createFromExistingServer({ engine, namespace: 'nowhere' }),
        NamespaceNotFoundError,
      );
      await assert.rejects(
        TestWorkflowEnvironment.createFromExistingServer({} as never),
        (e: unknown) => e instanceof InvalidArgumentError && e.message.includes('needs { engine }'),
      );
    } finally {
      await engine.close();
    }
  });

  test("workflowClient and asyncCompletionClient are Temporal's deprecated aliases of client.workflow and client.activity", async () => {
    const env = await TestWorkflowEnvironment.createLocal();
    try {
      /* eslint-disable @typescript-eslint/no-deprecated -- the deprecated aliases are the subject */
      assert.equal(env.workflowClient, env.client.workflow);
      assert.equal(env.asyncCompletionClient, env.client.activity);
      /* eslint-enable @typescript-eslint/no-deprecated */
    } finally {
      await env.teardown();
    }
  });
});

describe('MockActivityEnvironment', () => {
  test('runs an activity with its info and collects heartbeats', async () => {
    const env = new MockActivityEnvironment({ attempt: 3 });
    const result = await env.run(async (x: number) => {
      heartbeat({ progress: x });
      return Promise.resolve(activityInfo().attempt * x);
    }, 2);
    assert.equal(result, 6);
    assert.deepEqual(env.heartbeats, [{ progress: 2 }]);
  });

  test("emits each heartbeat as a 'heartbeat' event; a listener can cancel the activity", async () => {
    const env = new MockActivityEnvironment();
    const seen: unknown[] = [];
    env.on('heartbeat', (d: unknown) => {
      seen.push(d);
      if (d === 6) env.cancel();
    });
    await assert.rejects(
      env.run(async (x: number) => {
        heartbeat(x);
        await sleep(60_000);
        return x + 1;
      }, 6),
      CancelledFailure,
    );
    assert.deepEqual(seen, [6]);
    assert.deepEqual(env.heartbeats, [6]);
  });

  test("default info is Temporal's; idempotencyKey follows the run id and activity id given, base64TaskToken the task token", async () => {
    const info = await new MockActivityEnvironment().run(async () =>
      Promise.resolve(activityInfo()),
    );
    assert.equal(info.startToCloseTimeoutMs, 1000);
    assert.equal(info.scheduleToCloseTimeoutMs, 1000);
    assert.equal(info.scheduledTimestampMs, 1);
    assert.equal(info.currentAttemptScheduledTimestampMs, 1);
    assert.deepEqual(info.workflowExecution, {
      workflowId: 'test',
      runId: '00000000-0000-0000-0000-000000000000',
    });
    const given = new MockActivityEnvironment({
      activityId: 'charge',
      workflowExecution: { workflowId: 'order-1', runId: 'run-1' },
    });
    assert.equal(given.context.info.idempotencyKey, 'run-1:charge');
    assert.equal(
      new MockActivityEnvironment({ idempotencyKey: 'mine' }).context.info.idempotencyKey,
      'mine',
    );
    assert.equal(info.base64TaskToken, Buffer.from('test').toString('base64'));
    assert.equal(
      new MockActivityEnvironment({ taskToken: 'tok' }).context.info.base64TaskToken,
      Buffer.from('tok').toString('base64'),
    );
  });

  test('the top-level cancelled() rejects with a CancelledFailure once the activity is cancelled', async () => {
    const env = new MockActivityEnvironment();
    const outcome = env.run(async () => {
      await Promise.race([cancelled(), new Promise((r) => setTimeout(r, 60_000).unref())]);
      return 'not cancelled';
    });
    env.cancel('TIMED_OUT', new ActivityCancellationDetails({ timedOut: true }));
    await assert.rejects(outcome, (e: unknown) => {
      assert.ok(e instanceof CancelledFailure);
      assert.equal(e.message, 'TIMED_OUT');
      return true;
    });
  });

  test('cancel() aborts the activity cancellation signal', async () => {
    const env = new MockActivityEnvironment();
    const running = env.run(
      () =>
        new Promise<string>((resolve) => {
          cancellationSignal().addEventListener('abort', () => {
            resolve('aborted');
          });
        }),
    );
    env.cancel();
    assert.equal(await running, 'aborted');
  });

  test('an activity that first looks after its cancellation sees it: signal aborted, cancelled rejected', async () => {
    const env = new MockActivityEnvironment();
    env.cancel('WORKER_SHUTDOWN');
    const seen = await env.run(async () => {
      const ctx = Context.current();
      const rejection = await ctx.cancelled.then(
        () => 'resolved',
        (e: unknown) => e,
      );
      return { aborted: ctx.cancellationSignal.aborted, rejection };
    });
    assert.equal(seen.aborted, true);
    assert.ok(
      seen.rejection instanceof CancelledFailure,
      'cancelled rejects with a CancelledFailure',
    );
    assert.equal(seen.rejection.message, 'WORKER_SHUTDOWN');
  });

  test("cancel() with no arguments is Temporal's: reason CANCELLED, details cancelRequested", async () => {
    const env = new MockActivityEnvironment();
    env.cancel();
    const seen = await env.run(async () =>
      Promise.resolve({
        reason: (cancellationSignal().reason as Error).message,
        details: Context.current().cancellationDetails,
      }),
    );
    assert.deepEqual(seen, {
      reason: 'CANCELLED',
      details: new ActivityCancellationDetails({ cancelRequested: true }),
    });
  });

  test("takes Temporal's options: run goes through the interceptors, the context logs to the logger", async () => {
    const lines: { obj: object; msg: string | undefined }[] = [];
    const write = (obj: object, msg?: string): void => {
      lines.push({ obj, msg });
    };
    const logger = { debug: write, info: write, warn: write, error: write, child: () => logger };
    const calls: string[] = [];
    const env = new MockActivityEnvironment(
      { activityType: 'double' },
      {
        logger,
        interceptors: [
          () => ({
            inbound: {
              execute: async (input, next) => {
                calls.push(`in ${JSON.stringify(input.args)}`);
                const out = await next(input);
                calls.push(`out ${String(out)}`);
                return out;
              },
            },
          }),
        ],
      },
    );
    const result = await env.run(async (x: number) => {
      Context.current().log.info({ x }, 'doubling');
      return Promise.resolve(x * 2);
    }, 21);
    assert.equal(result, 42);
    assert.deepEqual(calls, ['in [21]', 'out 42']);
    const line = lines.find((l) => l.msg === 'doubling');
    assert.ok(line, 'the activity logged through the logger given');
  });
});
