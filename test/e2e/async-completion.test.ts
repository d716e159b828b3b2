import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ActivityCancelledError,
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
import { awaitsAsyncActivity, awaitsAsyncWithHeartbeat } from './fixtures/message-workflows.ts';
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

  test('a client of another engine process, which cached the run before the activity started, completes it', async () => {
    // The other engine writes the run's creation (and caches that row); this process's worker
    // starts its activity through this engine, so the other engine's cached row is stale.
    const other = await Engine.open({ store: `sqlite:${env.dbPath}` });
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

  test('a malformed task token gets InvalidArgumentError', async () => {
    await assert.rejects(env.client.activity.complete('not-a-token', 1), InvalidArgumentError);
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
});
