// How many long-polls a worker keeps open per task kind (maxConcurrentWorkflowTaskPolls: by
// default half the workflow task slots up to 20, never fewer than min(10, slots);
// maxConcurrentActivityTaskPolls: Temporal's min(10, slots)), counted at the worker's connection
// to a real engine, and the refusal of counts that make no sense.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InvalidArgumentError, NamespaceNotFoundError } from 'reprise/client';
import {
  CombinedWorkerRunError,
  IllegalStateError,
  PromiseCompletionTimeoutError,
} from 'reprise/worker';
import { UnavailableError, Worker } from 'reprise/worker';
import type { WorkerOptions } from 'reprise/worker';
import type { EngineApi } from '../../src/transport/engine-api.ts';
import {
  fixturesPath,
  recordingLogger,
  startTestEnv,
  uniqueQueue,
  waitFor,
} from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';
import * as raceActivities from './fixtures/cancel-race-activities.ts';
import { gates } from './fixtures/cancel-race-activities.ts';
import { cancelActivityAfterHold, go } from './fixtures/cancel-race-workflows.ts';
import * as statusActivities from './fixtures/worker-status-activities.ts';
import { release, statusGates } from './fixtures/worker-status-activities.ts';
import { quietBesideBeating } from './fixtures/worker-status-workflows.ts';

/** The engine's connection, counting the polls of each kind that are open right now. */
function countingPolls(api: EngineApi): {
  api: EngineApi;
  open: { workflow: number; activity: number };
} {
  const open = { workflow: 0, activity: 0 };
  const counting =
    <A extends unknown[], R>(kind: keyof typeof open, poll: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      open[kind]++;
      try {
        return await poll(...args);
      } finally {
        open[kind]--;
      }
    };
  const counted = Object.create(api) as EngineApi;
  counted.pollWorkflowTask = counting('workflow', api.pollWorkflowTask.bind(api));
  counted.pollActivityTask = counting('activity', api.pollActivityTask.bind(api));
  return { api: counted, open };
}

describe('worker polls', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv();
  });
  after(async () => {
    await env.close();
  });

  async function openPolls(
    extra: Partial<WorkerOptions>,
    expected: { workflow: number; activity: number },
  ): Promise<void> {
    const { api, open } = countingPolls(env.engine.connection);
    const worker = await Worker.create({
      connection: api,
      taskQueue: uniqueQueue('polls'),
      workflowsPath: fixturesPath('workflows.ts'),
      activities: { noop: () => undefined },
      ...extra,
    });
    const running = worker.run();
    try {
      await waitFor(
        () => open.workflow === expected.workflow && open.activity === expected.activity,
        `${JSON.stringify(expected)} polls open`,
      );
      assert.deepEqual(open, expected);
    } finally {
      await worker.shutdown();
      await running;
    }
  }

  test('by default an idle worker polls with half its workflow task slots (up to 20, at least min(10, slots)) and min(10, slots) activity slots', async () => {
    await openPolls({}, { workflow: 20, activity: 10 });
    await openPolls(
      { maxConcurrentWorkflowTaskExecutions: 3, maxConcurrentActivityTaskExecutions: 2 },
      { workflow: 3, activity: 2 },
    );
    await openPolls(
      { maxConcurrentWorkflowTaskExecutions: 30, maxConcurrentActivityTaskExecutions: 30 },
      { workflow: 15, activity: 10 },
    );
    await openPolls(
      { maxConcurrentWorkflowTaskExecutions: 100, maxConcurrentActivityTaskExecutions: 1 },
      { workflow: 20, activity: 1 },
    );
  });

  test('maxConcurrentWorkflowTaskPolls and maxConcurrentActivityTaskPolls set them', async () => {
    await openPolls(
      { maxConcurrentWorkflowTaskPolls: 2, maxConcurrentActivityTaskPolls: 5 },
      { workflow: 2, activity: 5 },
    );
  });

  test('runUntil shuts the worker down when the function it is given throws at once', async () => {
    const worker = await Worker.create({
      connection: env.engine.connection,
      taskQueue: uniqueQueue('run-until'),
      activities: { noop: () => undefined },
    });
    await assert.rejects(
      worker.runUntil((): Promise<void> => {
        throw new Error('setup failed');
      }),
      /setup failed/,
    );
    assert.equal(worker.state, 'STOPPED');
  });

  test('shutdown() throws IllegalStateError at once unless the worker is RUNNING (before run(), and a second time), and run() unless it is INITIALIZED, as in Temporal', async () => {
    const worker = await Worker.create({
      connection: env.engine.connection,
      taskQueue: uniqueQueue('shutdown-states'),
      activities: { noop: () => undefined },
    });
    const notRunning = (state: string) => (e: unknown) =>
      e instanceof IllegalStateError &&
      e.code === 'IllegalState' &&
      e.message.startsWith(`Not running. Current state: ${state}.`);
    // Thrown, not a rejected promise: Temporal's shutdown() returns nothing to catch it on.
    assert.throws(() => worker.shutdown(), notRunning('INITIALIZED'));
    assert.equal(worker.state, 'INITIALIZED');
    assert.equal(worker.getState(), 'INITIALIZED', "Temporal's getState() names it too");
    const running = worker.run();
    assert.equal(worker.state, 'RUNNING');
    assert.equal(worker.getState(), 'RUNNING');
    const startedTwice = (e: unknown) =>
      e instanceof IllegalStateError && e.message.startsWith('Poller was already started');
    assert.throws(() => worker.run(), startedTwice);
    const stopping = worker.shutdown();
    assert.throws(() => worker.shutdown(), notRunning('STOPPING'));
    assert.equal(worker.getState(), 'STOPPING');
    await stopping;
    await running;
    assert.equal(worker.state, 'STOPPED');
    assert.equal(worker.getState(), 'STOPPED');
    assert.throws(() => worker.shutdown(), notRunning('STOPPED'));
    assert.throws(() => worker.run(), startedTwice);
  });

  test('runUntil returns what the function did when the function shut the worker down itself', async () => {
    const worker = await Worker.create({
      connection: env.engine.connection,
      taskQueue: uniqueQueue('run-until-shutdown'),
      activities: { noop: () => undefined },
    });
    const result = await worker.runUntil(async () => {
      await worker.shutdown();
      return 'stopped from inside';
    });
    assert.equal(result, 'stopped from inside');
    assert.equal(worker.state, 'STOPPED');
  });

  test(
    'runUntil rejects with PromiseCompletionTimeoutError when the worker is shut down elsewhere before its promise settles, as in Temporal',
    { timeout: 10_000 },
    async () => {
      const worker = await Worker.create({
        connection: env.engine.connection,
        taskQueue: uniqueQueue('run-until-stopped'),
        activities: { noop: () => undefined },
      });
      // A workflow result that never comes: the worker stopping must not leave runUntil waiting.
      const untilNever = worker.runUntil(new Promise<never>(() => undefined));
      await worker.shutdown();
      await assert.rejects(
        untilNever,
        (e: unknown) =>
          e instanceof PromiseCompletionTimeoutError &&
          e.code === 'IllegalState' &&
          /promiseCompletionTimeout/.test(e.message),
      );
      assert.equal(worker.state, 'STOPPED');

      // With promiseCompletionTimeout, a promise that settles after the worker stopped is awaited.
      const other = await Worker.create({
        connection: env.engine.connection,
        taskQueue: uniqueQueue('run-until-stopped'),
        activities: { noop: () => undefined },
      });
      let stopped: Promise<void> | undefined;
      const late = new Promise<string>((resolve) => {
        queueMicrotask(() => {
          stopped = other.shutdown();
          void stopped.then(() => {
            setImmediate(() => {
              resolve('after the stop');
            });
          });
        });
      });
      const result = await other.runUntil(late, { promiseCompletionTimeout: '10 seconds' });
      assert.equal(result, 'after the stop');
      await stopped;
    },
  );

  test('Worker.create in a namespace that does not exist rejects with NamespaceNotFoundError, as Temporal validates the namespace', async () => {
    const { api, open } = countingPolls(env.engine.connection);
    await assert.rejects(
      Worker.create({
        connection: api,
        namespace: 'no-such-namespace',
        taskQueue: uniqueQueue('no-namespace'),
        workflowsPath: fixturesPath('workflows.ts'),
        activities: { noop: () => undefined },
      }),
      (e: unknown) => e instanceof NamespaceNotFoundError && e.namespace === 'no-such-namespace',
    );
    assert.deepEqual(open, { workflow: 0, activity: 0 });
  });

  test(
    'a worker whose engine closes stops polling, ends FAILED, and run() rejects with the UnavailableError, as a Temporal worker fails on a fatal error',
    { timeout: 10_000 },
    async () => {
      const own = await startTestEnv();
      const { logger, warnings, errors } = recordingLogger();
      const worker = await Worker.create({
        connection: own.engine.connection,
        taskQueue: uniqueQueue('engine-closes'),
        workflowsPath: fixturesPath('workflows.ts'),
        activities: { noop: () => undefined },
        logger,
      });
      const running = worker.run();
      running.catch(() => undefined);
      await own.close();
      await assert.rejects(
        running,
        (e: unknown) => e instanceof UnavailableError && /engine closed/.test(e.message),
      );
      assert.equal(worker.getState(), 'FAILED');
      // Both kinds polled the engine that closed: neither polls again.
      const status = worker.getStatus();
      assert.equal(status.workflowPollerState, 'FAILED');
      assert.equal(status.activityPollerState, 'FAILED');
      assert.equal(status.hasOutstandingWorkflowPoll, false);
      assert.equal(status.hasOutstandingActivityPoll, false);
      assert.deepEqual(warnings, [], 'no poll was retried');
      assert.equal(errors.length, 1, 'the stop is logged once');
      assert.throws(() => worker.shutdown(), IllegalStateError);
    },
  );

  test(
    "runUntil on a worker whose engine closes rejects with the worker's error, or CombinedWorkerRunError when its promise failed too, as in Temporal",
    { timeout: 10_000 },
    async () => {
      const own = await startTestEnv();
      const { logger } = recordingLogger();
      const worker = await Worker.create({
        connection: own.engine.connection,
        taskQueue: uniqueQueue('engine-closes'),
        activities: { noop: () => undefined },
        logger,
      });
      const client = own.client;
      await assert.rejects(
        worker.runUntil(
          async () => {
            await own.close();
            // The client's calls fail too: both errors are kept.
            await client.workflow.getHandle('anything').describe();
          },
          // The worker fails as soon as the engine's close begins; the promise, once the close
          // ended (a PostgreSQL store's pool takes a few turns to end).
          { promiseCompletionTimeout: '10 seconds' },
        ),
        (e: unknown) =>
          e instanceof CombinedWorkerRunError &&
          e.cause.workerError instanceof UnavailableError &&
          e.cause.innerError instanceof UnavailableError,
      );
      assert.equal(worker.getState(), 'FAILED');

      const other = await startTestEnv();
      const second = await Worker.create({
        connection: other.engine.connection,
        taskQueue: uniqueQueue('engine-closes'),
        activities: { noop: () => undefined },
        logger,
      });
      await assert.rejects(
        second.runUntil(
          async () => {
            await other.close();
            return 'done';
          },
          { promiseCompletionTimeout: '10 seconds' },
        ),
        UnavailableError,
      );
    },
  );

  test("getStatus() counts the workflow tasks, activities and local activities in flight, in Temporal's fields", async () => {
    const own = await startTestEnv({
      workflows: 'cancel-race-workflows.ts',
      activities: raceActivities,
    });
    const inFlight = () => {
      const s = own.worker.getStatus();
      return {
        activations: s.numInFlightWorkflowActivations,
        activities: s.numInFlightActivities,
        nonLocal: s.numInFlightNonLocalActivities,
        local: s.numInFlightLocalActivities,
      };
    };
    try {
      assert.deepEqual(inFlight(), { activations: 0, activities: 0, nonLocal: 0, local: 0 });
      const workKey = uniqueQueue('status-work');
      const holdKey = uniqueQueue('status-hold');
      const handle = await own.client.workflow.start(cancelActivityAfterHold, {
        taskQueue: own.taskQueue,
        workflowId: workKey,
        args: [workKey, holdKey, 'TRY_CANCEL'],
      });
      await waitFor(() => gates.started.has(workKey), 'the activity to start');
      await handle.signal(go);
      await waitFor(() => gates.started.has(holdKey), 'the local activity to hold the task');
      // The activity runs; the local activity holds its workflow task out.
      assert.deepEqual(inFlight(), { activations: 1, activities: 2, nonLocal: 1, local: 1 });
      gates.released.add(workKey);
      gates.released.add(holdKey);
      await waitFor(
        () => inFlight().activities === 0 && inFlight().activations === 0,
        'both to finish',
      );
      await handle.terminate('done');
    } finally {
      await own.close();
    }
  });

  test("getStatus() reports each kind of poll as Temporal's: POLLING with a long poll outstanding while the worker runs, SHUTDOWN with none once it has stopped", async () => {
    const worker = await Worker.create({
      connection: env.engine.connection,
      taskQueue: uniqueQueue('poll-status'),
      workflowsPath: fixturesPath('workflows.ts'),
      activities: { noop: () => undefined },
    });
    const polls = () => {
      const s = worker.getStatus();
      return {
        workflow: s.workflowPollerState,
        activity: s.activityPollerState,
        workflowOutstanding: s.hasOutstandingWorkflowPoll,
        activityOutstanding: s.hasOutstandingActivityPoll,
      };
    };
    // Before run(), as Temporal's: POLLING, with no poll sent yet.
    assert.deepEqual(polls(), {
      workflow: 'POLLING',
      activity: 'POLLING',
      workflowOutstanding: false,
      activityOutstanding: false,
    });
    const running = worker.run();
    await waitFor(
      () => polls().workflowOutstanding && polls().activityOutstanding,
      'a long poll of each kind to be open',
    );
    assert.equal(polls().workflow, 'POLLING');
    assert.equal(polls().activity, 'POLLING');
    await worker.shutdown();
    await running;
    assert.deepEqual(polls(), {
      workflow: 'SHUTDOWN',
      activity: 'SHUTDOWN',
      workflowOutstanding: false,
      activityOutstanding: false,
    });
  });

  test('a worker without activities reports its activity poller SHUTDOWN from run() on, with no poll outstanding, as Temporal', async () => {
    const worker = await Worker.create({
      connection: env.engine.connection,
      taskQueue: uniqueQueue('no-activities'),
      workflowsPath: fixturesPath('workflows.ts'),
    });
    const running = worker.run();
    try {
      assert.equal(worker.getStatus().activityPollerState, 'SHUTDOWN');
      await waitFor(() => worker.getStatus().hasOutstandingWorkflowPoll, 'a workflow poll');
      assert.equal(worker.getStatus().hasOutstandingActivityPoll, false);
      assert.equal(worker.getStatus().workflowPollerState, 'POLLING');
    } finally {
      await worker.shutdown();
      await running;
    }
  });

  test('getStatus().numHeartbeatingActivities counts the running activities that have heartbeated, until they end', async () => {
    const own = await startTestEnv({
      workflows: 'worker-status-workflows.ts',
      activities: statusActivities,
    });
    const counts = () => {
      const s = own.worker.getStatus();
      return {
        running: s.numInFlightNonLocalActivities,
        heartbeating: s.numHeartbeatingActivities,
      };
    };
    try {
      assert.deepEqual(counts(), { running: 0, heartbeating: 0 });
      const quietKey = uniqueQueue('quiet');
      const beatKey = uniqueQueue('beat');
      const handle = await own.client.workflow.start(quietBesideBeating, {
        taskQueue: own.taskQueue,
        workflowId: quietKey,
        args: [quietKey, beatKey],
      });
      await waitFor(
        () => statusGates.started.has(quietKey) && statusGates.started.has(beatKey),
        'both activities to run, one of them after its heartbeat',
      );
      assert.deepEqual(counts(), { running: 2, heartbeating: 1 });
      release(beatKey);
      await waitFor(() => counts().running === 1, 'the heartbeating activity to end');
      assert.deepEqual(counts(), { running: 1, heartbeating: 0 });
      release(quietKey);
      assert.deepEqual(await handle.result(), [`quiet ${quietKey}`, `beating ${beatKey}`]);
      await waitFor(() => counts().running === 0, 'the other activity to end');
      assert.deepEqual(counts(), { running: 0, heartbeating: 0 });
    } finally {
      await own.close();
    }
  });

  test('a count out of range or not whole, or a bad duration, is refused, naming the option', async () => {
    for (const bad of [
      { maxConcurrentWorkflowTaskPolls: 0 },
      { maxConcurrentActivityTaskPolls: 1.5 },
      { maxConcurrentWorkflowTaskExecutions: -1 },
      { maxConcurrentActivityTaskExecutions: Number.NaN },
      { maxCachedWorkflows: -1 },
      { maxCachedWorkflows: 2.5 },
      { shutdownGraceTime: 'soon' },
      { shutdownGraceTime: -5 },
    ]) {
      const name = Object.keys(bad)[0] ?? '';
      await assert.rejects(
        Worker.create({
          connection: env.engine.connection,
          taskQueue: 'q',
          activities: {},
          ...bad,
        }),
        (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(name),
      );
    }
  });
});
