import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InvalidArgumentError, WorkflowExecutionAlreadyStartedError } from 'reprise/client';
import { Worker } from 'reprise/worker';
import * as activities from './fixtures/message-activities.ts';
import { addToCart, cart, checkout, itemsQuery } from './fixtures/message-workflows.ts';
import { fixturesPath, startTestEnv } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('signalWithStart', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;
  const signalWithStart = (workflowId: string, item: string) =>
    env.client.workflow.signalWithStart(cart, {
      workflowId,
      taskQueue: env.taskQueue,
      args: ['ann'],
      signal: addToCart,
      signalArgs: [item],
    });

  before(async () => {
    env = await startTestEnv({ workflows: 'message-workflows.ts', activities });
  });
  after(async () => {
    await env.close();
  });

  test('with no running workflow it starts one whose first event after the start is the signal', async () => {
    const workflowId = id('new');
    const handle = await signalWithStart(workflowId, 'apple');
    const history = await handle.fetchHistory();
    assert.equal(history.runId, handle.signaledRunId);
    const [started, signaled, scheduled] = history.events;
    assert.equal(started?.type, 'WorkflowExecutionStarted');
    assert.ok(signaled?.type === 'WorkflowExecutionSignaled');
    assert.equal(signaled.signalName, 'addToCart');
    assert.deepEqual(signaled.input, ['apple']);
    assert.equal(scheduled?.type, 'WorkflowTaskScheduled');
    await handle.signal(checkout);
    assert.deepEqual(await handle.result(), ['apple']);
  });

  test('with a running workflow it signals that run and starts nothing', async () => {
    const workflowId = id('running');
    const first = await signalWithStart(workflowId, 'apple');
    const second = await signalWithStart(workflowId, 'pear');
    assert.equal(second.signaledRunId, first.signaledRunId);
    await second.signal(checkout);
    assert.deepEqual(await second.result(), ['apple', 'pear']);
    const starts = (await second.fetchHistory()).events.filter(
      (e) => e.type === 'WorkflowExecutionStarted',
    );
    assert.equal(starts.length, 1);
  });

  test('concurrent calls start one run and deliver every signal once', async () => {
    const workflowId = id('race');
    const items = ['a', 'b', 'c', 'd', 'e'];
    const handles = await Promise.all(items.map((item) => signalWithStart(workflowId, item)));
    assert.equal(new Set(handles.map((h) => h.signaledRunId)).size, 1);
    const handle = handles[0];
    assert.ok(handle);
    await handle.signal(checkout);
    assert.deepEqual([...(await handle.result())].sort(), items);
  });

  test('after the workflow closed it starts a new run', async () => {
    const workflowId = id('again');
    const first = await signalWithStart(workflowId, 'apple');
    await first.signal(checkout);
    await first.result();
    const second = await signalWithStart(workflowId, 'pear');
    assert.notEqual(second.signaledRunId, first.signaledRunId);
    assert.deepEqual(await second.query(itemsQuery), ['pear']);
  });

  test("the handle's result() is the signalled run's chain, not a later start of the id", async () => {
    // As in Temporal: signalWithStart's handle waits for the result from the run it signalled.
    const workflowId = id('result-of-signalled');
    const first = await signalWithStart(workflowId, 'apple');
    await first.signal(checkout);
    await env.client.workflow.getHandle(workflowId, first.signaledRunId).result();
    const second = await signalWithStart(workflowId, 'pear');
    assert.notEqual(second.signaledRunId, first.signaledRunId);
    await second.signal(checkout);
    assert.deepEqual(await second.result(), ['pear']);
    assert.deepEqual(await first.result(), ['apple']);
  });

  test('workflowIdReusePolicy REJECT_DUPLICATE refuses a closed id and changes nothing', async () => {
    const workflowId = id('reject');
    const first = await signalWithStart(workflowId, 'apple');
    await first.signal(checkout);
    await first.result();
    const before = await first.fetchHistory();
    await assert.rejects(
      env.client.workflow.signalWithStart(cart, {
        workflowId,
        taskQueue: env.taskQueue,
        args: ['ann'],
        signal: addToCart,
        signalArgs: ['pear'],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      }),
      (e: unknown) => {
        assert.ok(e instanceof WorkflowExecutionAlreadyStartedError);
        assert.match(e.message, /REJECT_DUPLICATE/);
        return true;
      },
    );
    const latest = env.client.workflow.getHandle(workflowId);
    assert.equal((await latest.describe()).runId, first.signaledRunId);
    assert.deepEqual((await latest.fetchHistory()).events, before.events);
  });

  for (const [what, policy] of [
    [
      'workflowIdConflictPolicy TERMINATE_EXISTING',
      { workflowIdConflictPolicy: 'TERMINATE_EXISTING' },
    ],
    [
      'workflowIdReusePolicy TERMINATE_IF_RUNNING alone',
      { workflowIdReusePolicy: 'TERMINATE_IF_RUNNING' },
    ],
  ] as const) {
    test(`${what} replaces the running run`, async () => {
      const workflowId = id('replace');
      const first = await signalWithStart(workflowId, 'apple');
      const second = await env.client.workflow.signalWithStart(cart, {
        workflowId,
        taskQueue: env.taskQueue,
        args: ['ann'],
        signal: addToCart,
        signalArgs: ['pear'],
        ...policy,
      });
      assert.notEqual(second.signaledRunId, first.signaledRunId);
      const old = env.client.workflow.getHandle(workflowId, first.signaledRunId);
      assert.equal((await old.describe()).status, 'Terminated');
      await second.signal(checkout);
      assert.deepEqual(await second.result(), ['pear']);
    });
  }

  test('workflowIdConflictPolicy FAIL is refused: signalWithStart always reaches a run', async () => {
    await assert.rejects(
      env.client.workflow.signalWithStart(cart, {
        workflowId: id('fail'),
        taskQueue: env.taskQueue,
        args: ['ann'],
        signal: addToCart,
        signalArgs: ['pear'],
        workflowIdConflictPolicy: 'FAIL',
      }),
      (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError);
        assert.match(e.message, /USE_EXISTING/);
        return true;
      },
    );
  });

  test('a history started by signalWithStart replays with the same code', async () => {
    const handle = await signalWithStart(id('replay'), 'apple');
    await handle.signal(checkout);
    await handle.result();
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath('message-workflows.ts') },
      await handle.fetchHistory(),
    );
  });
});
