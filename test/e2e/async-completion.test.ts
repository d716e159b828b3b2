import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ActivityCancelledError,
  ActivityCompletionError,
  ActivityFailure,
  ActivityNotFoundError,
  ApplicationFailure,
  CancelledFailure,
  InvalidArgumentError,
  WorkflowFailedError,
} from 'reprise/client';
import { Client } from 'reprise/client';
import type { WorkflowHandle } from 'reprise/client';
import { Engine } from 'reprise/server';
import { Worker } from 'reprise/worker';
import * as activities from './fixtures/message-activities.ts';
import {
  awaitsAsyncActivity,
  awaitsAsyncWithHeartbeat,
  awaitsAsyncWithRetry,
  awaitsUnpolledActivity,
} from './fixtures/message-workflows.ts';
import { fixturesPath, startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('async activity completion', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  /** Starts `workflow` and returns its handle with the task token its activity handed out. */
  async function startAndTakeToken(
    workflow: typeof awaitsAsyncActivity,
  ): Promise<{ handle: WorkflowHandle<typeof awaitsAsyncActivity>; token: string }> {
    const before = activities.asyncState.tokens.length;
    const handle = await env.client.workflow.start(workflow, {
      taskQueue: env.taskQueue,
      workflowId: id(workflow.name),
      args: ['label'],
    });
    await waitFor(() => activities.asyncState.tokens.length > before, 'the activity to start');
    // The answer that started the activity may still wait for it to answer (ADR 0013): the
    // worker's release of the attempt commits it.
    await waitFor(
      async () => (await handle.describe()).pendingActivities.length > 0,
      'the activity to be recorded',
    );
    return { handle, token: activities.asyncState.tokens.at(-1) as string };
  }

  before(async () => {
    env = await startTestEnv({ workflows: 'message-workflows.ts', activities });
  });
  after(async () => {
    await env.close();
  });

  test('an activity that throws CompleteAsyncError is completed by its task token', async () => {
    const { handle, token } = await startAndTakeToken(awaitsAsyncActivity);
    assert.equal((await handle.describe()).pendingActivities[0]?.state, 'Started');
    await env.client.activity.complete(token, 'approved by ann');
    assert.equal(await handle.result(), 'approved by ann');
  });

  test("an activity is completed by the bytes of its base64TaskToken, Temporal's form of a task token", async () => {
    const { handle, token } = await startAndTakeToken(awaitsAsyncActivity);
    const base64 = activities.asyncState.base64Tokens.at(-1) as string;
    const bytes = Buffer.from(base64, 'base64');
    assert.equal(bytes.toString('utf8'), token, 'the bytes are those of taskToken');
    // What a Temporal application stored (base64) and passes back (bytes).
    await env.client.activity.complete(new Uint8Array(bytes), 'approved from base64');
    assert.equal(await handle.result(), 'approved from base64');
  });

  test('a client of another engine process, which cached the run before the activity started, completes it', async () => {
    // The other engine writes the run's creation (and caches that row); this process's worker
    // starts its activity through this engine, so the other engine's cached row is stale.
    const other = await Engine.open({ store: env.storeUrl });
    try {
      // Once this engine knows of the other, it commits an answer before handing its activity
      // out (ADR 0013): the other engine then finds the attempt its client completes.
      await waitFor(() => env.engine.deps.peers.others, 'this engine to see the other');
      const otherClient = new Client({ connection: other.connection });
      const before = activities.asyncState.tokens.length;
      const handle = await otherClient.workflow.start(awaitsAsyncActivity, {
        taskQueue: env.taskQueue,
        workflowId: id('other-engine'),
        args: ['label'],
      });
      await waitFor(() => activities.asyncState.tokens.length > before, 'the activity to start');
      await otherClient.activity.complete(activities.asyncState.tokens.at(-1) as string, 'done');
      assert.equal(await handle.result(), 'done');
    } finally {
      await other.close();
    }
  });

  test('fail(taskToken, err) fails the activity with that error as its cause', async () => {
    const { handle, token } = await startAndTakeToken(awaitsAsyncActivity);
    await env.client.activity.fail(
      token,
      ApplicationFailure.create({ message: 'rejected', type: 'Rejected' }),
    );
    await assert.rejects(handle.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.ok(e.cause instanceof ActivityFailure);
      assert.ok(e.cause.cause instanceof ApplicationFailure);
      assert.equal(e.cause.cause.type, 'Rejected');
      return true;
    });
  });

  test('heartbeat(taskToken, details) records progress the workflow can describe', async () => {
    const { handle, token } = await startAndTakeToken(awaitsAsyncWithHeartbeat);
    await env.client.activity.heartbeat(token, { done: 3 });
    const [pending] = (await handle.describe()).pendingActivities;
    assert.deepEqual(pending?.heartbeatDetails, [{ done: 3 }]);
    await env.client.activity.complete(token, 'ok');
    assert.equal(await handle.result(), 'ok');
  });

  test('heartbeat throws ActivityCancelledError once cancellation is requested; reportCancellation confirms it', async () => {
    const { handle, token } = await startAndTakeToken(awaitsAsyncWithHeartbeat);
    await handle.cancel();
    await waitFor(
      async () => (await handle.describe()).pendingActivities[0]?.state === 'CancelRequested',
      'the cancel request to reach the activity',
    );
    await assert.rejects(env.client.activity.heartbeat(token), ActivityCancelledError);
    await env.client.activity.reportCancellation(token);
    await assert.rejects(handle.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.ok(e.cause instanceof CancelledFailure);
      return true;
    });
  });

  test('reportCancellation with no cancellation requested is refused (InvalidArgument), records nothing, and the attempt goes on', async () => {
    const { handle, token } = await startAndTakeToken(awaitsAsyncActivity);
    const length = (await handle.fetchHistory()).events.length;
    await assert.rejects(env.client.activity.reportCancellation(token), (e: unknown) => {
      assert.ok(e instanceof ActivityCompletionError);
      assert.ok(e.cause instanceof InvalidArgumentError);
      assert.match(e.message, /without activity being request canceled first/);
      return true;
    });
    assert.equal((await handle.fetchHistory()).events.length, length);
    const [pending] = (await handle.describe()).pendingActivities;
    assert.equal(pending?.attempt, 1);
    assert.equal(pending.lastFailure, undefined);
    await env.client.activity.complete(token, 'still running');
    assert.equal(await handle.result(), 'still running');
  });

  test('a stale task token gets ActivityNotFoundError and changes nothing', async () => {
    const { handle, token } = await startAndTakeToken(awaitsAsyncActivity);
    await env.client.activity.complete(token, 'first');
    assert.equal(await handle.result(), 'first');
    const length = (await handle.fetchHistory()).events.length;
    await assert.rejects(env.client.activity.complete(token, 'second'), ActivityNotFoundError);
    await assert.rejects(env.client.activity.fail(token, new Error('late')), ActivityNotFoundError);
    await assert.rejects(env.client.activity.heartbeat(token), ActivityNotFoundError);
    assert.equal((await handle.fetchHistory()).events.length, length);
  });

  test('a malformed task token gets ActivityCompletionError, its cause InvalidArgumentError', async () => {
    await assert.rejects(env.client.activity.complete('not-a-token', 1), (e: unknown) => {
      assert.ok(e instanceof ActivityCompletionError);
      assert.ok(e.cause instanceof InvalidArgumentError);
      return true;
    });
  });

  test('a history with an async-completed activity replays with the same code', async () => {
    const { handle, token } = await startAndTakeToken(awaitsAsyncActivity);
    await env.client.activity.complete(token, 'done');
    await handle.result();
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath('message-workflows.ts') },
      await handle.fetchHistory(),
    );
  });
  /** The id of the handle's only pending activity, as `{ workflowId, activityId }`. */
  async function activityIdOf(
    handle: WorkflowHandle,
  ): Promise<{ workflowId: string; activityId: string }> {
    const [pending] = (await handle.describe()).pendingActivities;
    assert.ok(pending, 'the workflow has a pending activity');
    return { workflowId: handle.workflowId, activityId: pending.activityId };
  }

  test('complete({ workflowId, activityId }) completes the activity by id', async () => {
    const { handle } = await startAndTakeToken(awaitsAsyncActivity);
    await env.client.activity.complete(await activityIdOf(handle), 'approved by id');
    assert.equal(await handle.result(), 'approved by id');
  });

  test('fail by id fails the activity with that error as its cause', async () => {
    const { handle } = await startAndTakeToken(awaitsAsyncActivity);
    await env.client.activity.fail(
      await activityIdOf(handle),
      ApplicationFailure.create({ message: 'rejected', type: 'Rejected', nonRetryable: true }),
    );
    await assert.rejects(handle.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.ok(e.cause instanceof ActivityFailure);
      assert.ok(e.cause.cause instanceof ApplicationFailure);
      assert.equal(e.cause.cause.type, 'Rejected');
      return true;
    });
  });

  test('heartbeat by id records details, throws ActivityCancelledError once cancelled; reportCancellation by id confirms', async () => {
    const { handle } = await startAndTakeToken(awaitsAsyncWithHeartbeat);
    const ref = await activityIdOf(handle);
    await env.client.activity.heartbeat(ref, { done: 5 });
    assert.deepEqual((await handle.describe()).pendingActivities[0]?.heartbeatDetails, [
      { done: 5 },
    ]);
    await handle.cancel();
    await waitFor(
      async () => (await handle.describe()).pendingActivities[0]?.state === 'CancelRequested',
      'the cancel request to reach the activity',
    );
    await assert.rejects(env.client.activity.heartbeat(ref), ActivityCancelledError);
    await env.client.activity.reportCancellation(ref, 'stopped');
    await assert.rejects(handle.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.ok(e.cause instanceof CancelledFailure);
      return true;
    });
  });

  test('by id acts on the current attempt: a retried activity is completed by id, not by the old token', async () => {
    const { handle, token } = await startAndTakeToken(awaitsAsyncWithRetry);
    const ref = await activityIdOf(handle);
    const before = activities.asyncState.tokens.length;
    await env.client.activity.fail(ref, new Error('first attempt fails'));
    await waitFor(() => activities.asyncState.tokens.length > before, 'the second attempt');
    await waitFor(
      async () => (await handle.describe()).pendingActivities[0]?.state === 'Started',
      'the second attempt to be recorded',
    );
    await assert.rejects(env.client.activity.complete(token, 'stale'), ActivityNotFoundError);
    await env.client.activity.complete(ref, 'second');
    assert.equal(await handle.result(), 'second');
  });

  test('complete by id completes an activity no worker has started; fail and heartbeat by id do not', async () => {
    const handle = await env.client.workflow.start(awaitsUnpolledActivity, {
      taskQueue: env.taskQueue,
      workflowId: id('unpolled'),
      args: [21],
    });
    await waitFor(
      async () => (await handle.describe()).pendingActivities.length > 0,
      'the activity to be scheduled',
    );
    const ref = await activityIdOf(handle);
    assert.equal((await handle.describe()).pendingActivities[0]?.state, 'Scheduled');
    await assert.rejects(env.client.activity.fail(ref, new Error('no')), ActivityNotFoundError);
    await assert.rejects(env.client.activity.heartbeat(ref), ActivityNotFoundError);
    await env.client.activity.complete(ref, 99);
    assert.equal(await handle.result(), 99);
    const events = (await handle.fetchHistory()).events.map((e) => e.type);
    assert.ok(events.includes('ActivityTaskStarted'));
    assert.ok(events.includes('ActivityTaskCompleted'));
  });

  test('without a runId, by id acts on the latest run of the workflow id; an older runId gets ActivityNotFoundError', async () => {
    const workflowId = id('latest-run');
    const first = await env.client.workflow.start(awaitsAsyncActivity, {
      taskQueue: env.taskQueue,
      workflowId,
      args: ['one'],
    });
    await waitFor(
      async () => (await first.describe()).pendingActivities.length > 0,
      "the first run's activity",
    );
    const { activityId } = await activityIdOf(first);
    await env.client.activity.complete({ workflowId, activityId }, 'first');
    assert.equal(await first.result(), 'first');
    const firstRunId = first.firstExecutionRunId;
    const second = await env.client.workflow.start(awaitsAsyncActivity, {
      taskQueue: env.taskQueue,
      workflowId,
      args: ['two'],
    });
    await waitFor(
      async () => (await second.describe()).pendingActivities.length > 0,
      "the second run's activity",
    );
    await assert.rejects(
      env.client.activity.complete({ workflowId, runId: firstRunId, activityId }, 'late'),
      ActivityNotFoundError,
    );
    // The first run is there, closed; the id without a run is the second run's activity.
    await env.client.activity.complete({ workflowId, activityId }, 'second');
    assert.equal(await second.result(), 'second');
  });

  test('by id, an unknown workflow, an unknown activity or a closed run gets ActivityNotFoundError and changes nothing', async () => {
    await assert.rejects(
      env.client.activity.complete({ workflowId: id('never-started'), activityId: '1' }, 1),
      ActivityNotFoundError,
    );
    const { handle } = await startAndTakeToken(awaitsAsyncActivity);
    const ref = await activityIdOf(handle);
    await assert.rejects(
      env.client.activity.complete({ ...ref, activityId: 'no-such-activity' }, 1),
      ActivityNotFoundError,
    );
    await env.client.activity.complete(ref, 'once');
    assert.equal(await handle.result(), 'once');
    const length = (await handle.fetchHistory()).events.length;
    await assert.rejects(env.client.activity.complete(ref, 'twice'), ActivityNotFoundError);
    await assert.rejects(env.client.activity.fail(ref, new Error('late')), ActivityNotFoundError);
    await assert.rejects(env.client.activity.heartbeat(ref), ActivityNotFoundError);
    await assert.rejects(env.client.activity.reportCancellation(ref), ActivityNotFoundError);
    assert.equal((await handle.fetchHistory()).events.length, length);
  });

  test('by id with an empty activityId gets ActivityCompletionError', async () => {
    await assert.rejects(
      env.client.activity.complete({ workflowId: 'any', activityId: '' }, 1),
      (e: unknown) => {
        assert.ok(e instanceof ActivityCompletionError);
        assert.ok(e.cause instanceof InvalidArgumentError);
        return true;
      },
    );
  });
});
