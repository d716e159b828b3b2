import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ApplicationFailure,
  CancelledFailure,
  WorkflowContinuedAsNewError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from 'reprise/client';
import { Worker } from 'reprise/worker';
import {
  addNote,
  carryOver,
  countdown,
  longTaskTimeout,
  note,
  notebook,
  notesQuery,
  randomAfterContinue,
  reportsTaskTimeout,
  reportsTimeouts,
  restartOn,
  restartWith,
  restartsFromHandler,
  switchType,
  upsertsThenContinues,
} from './fixtures/advanced-workflows.ts';
import { fixturesPath, startTestEnv, takeWorkflowTask, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const workflows = 'advanced-workflows.ts';

describe('continue-as-new', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({ workflows });
  });
  after(async () => {
    await env.close();
  });

  test('handle.result() follows continue-as-new to the last run', async () => {
    const handle = await env.client.workflow.start(countdown, {
      taskQueue: env.taskQueue,
      workflowId: id('countdown'),
      args: [3, 0],
    });
    const result = await handle.result();
    assert.equal(result.total, 6);
    assert.notEqual(result.runId, handle.firstExecutionRunId);
    assert.equal(result.firstExecutionRunId, handle.firstExecutionRunId);
    assert.ok(result.continuedFrom !== undefined);
  });

  test('a run that continues as new closes ContinuedAsNew and its successor starts in the same workflow id', async () => {
    const workflowId = id('chain');
    const handle = await env.client.workflow.start(countdown, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [1, 0],
    });
    const last = await handle.result();
    const first = env.client.workflow.getHandle(workflowId, handle.firstExecutionRunId);
    assert.equal((await first.describe()).status, 'ContinuedAsNew');
    const firstHistory = await first.fetchHistory();
    const closing = firstHistory.events.at(-1);
    assert.ok(closing?.type === 'WorkflowExecutionContinuedAsNew');
    assert.equal(closing.newExecutionRunId, last.runId);
    assert.equal(closing.initiator, 'Workflow');
    const latest = env.client.workflow.getHandle(workflowId);
    assert.equal((await latest.describe()).runId, last.runId);
    const started = (await latest.fetchHistory()).events[0];
    assert.ok(started?.type === 'WorkflowExecutionStarted');
    assert.equal(started.continuedExecutionRunId, handle.firstExecutionRunId);
    assert.equal(started.initiator, 'Workflow', "Temporal's initiator: the workflow continued");
    assert.equal(started.firstExecutionRunId, handle.firstExecutionRunId);
  });

  test('handle.result() of a handle without a run id waits on the latest run', async () => {
    const workflowId = id('latest');
    await env.client.workflow.start(countdown, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [2, 10],
    });
    assert.equal(
      (await env.client.workflow.getHandle<typeof countdown>(workflowId).result()).total,
      13,
    );
  });

  test("followRuns: false: result() is the run's own outcome, WorkflowContinuedAsNewError with the next run for a run that continued as new", async () => {
    const workflowId = id('no-follow');
    const handle = await env.client.workflow.start(countdown, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [2, 0],
      followRuns: false,
    });
    const notFollowed = (runId: string | undefined): Promise<unknown> =>
      env.client.workflow.getHandle(workflowId, runId, { followRuns: false }).result();
    const nextRunOf = async (p: Promise<unknown>): Promise<string> => {
      const e = await p.then(
        () => assert.fail('expected WorkflowContinuedAsNewError'),
        (err: unknown) => err,
      );
      assert.ok(e instanceof WorkflowContinuedAsNewError);
      assert.equal(e.message, 'Workflow execution continued as new');
      return e.newExecutionRunId;
    };
    const second = await nextRunOf(handle.result());
    const closing = (
      await env.client.workflow.getHandle(workflowId, handle.firstExecutionRunId).fetchHistory()
    ).events.at(-1);
    assert.ok(closing?.type === 'WorkflowExecutionContinuedAsNew');
    assert.equal(second, closing.newExecutionRunId);
    assert.equal(await nextRunOf(notFollowed(handle.firstExecutionRunId)), second);
    const third = await nextRunOf(notFollowed(second));
    const last = (await notFollowed(third)) as Awaited<ReturnType<typeof countdown>>;
    assert.equal(last.runId, third);
    assert.equal(last.total, 3);
    // By default (followRuns true) the same handles follow the chain to its last run.
    const followed = await env.client.workflow
      .getHandle<typeof countdown>(workflowId, handle.firstExecutionRunId)
      .result();
    assert.equal(followed.runId, third);
    // No run id: the latest run when result() is called.
    assert.equal(
      ((await notFollowed(undefined)) as Awaited<ReturnType<typeof countdown>>).runId,
      third,
    );
  });

  test('a handle from start() acts on the run the workflow continued as, within its own chain', async () => {
    const workflowId = id('handle-follows');
    const handle = await env.client.workflow.start(notebook, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [0],
    });
    // As in Temporal: bound to no run; the run it started is the chain's first.
    assert.equal(handle.runId, undefined);
    const latest = env.client.workflow.getHandle(workflowId);
    await waitFor(
      async () => (await latest.describe()).runId !== handle.firstExecutionRunId,
      'the workflow to continue as new',
    );
    assert.deepEqual(await handle.query(notesQuery), ['round 1']);
    await handle.signal(note, 'a');
    assert.equal(await handle.executeUpdate(addNote, { args: ['b'] }), 'b');
    assert.deepEqual(await handle.query(notesQuery), ['round 1', 'signal a', 'update b']);
    assert.equal((await handle.describe()).runId, (await latest.describe()).runId);
    await handle.cancel();
    await assert.rejects(
      handle.result(),
      (e) => e instanceof WorkflowFailedError && e.cause instanceof CancelledFailure,
    );
    // The id started again is another chain: this handle's cancel, terminate and updates do not
    // reach it (Temporal's client sends the chain's first run id with each).
    const again = await env.client.workflow.start(notebook, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [1],
    });
    await assert.rejects(handle.terminate(), (e) => {
      assert.ok(e instanceof WorkflowNotFoundError);
      assert.match(e.message, /not of the chain that started with run/);
      return true;
    });
    await assert.rejects(handle.cancel(), WorkflowNotFoundError);
    await assert.rejects(handle.executeUpdate(addNote, { args: ['lost'] }), (e) => {
      assert.ok(e instanceof WorkflowNotFoundError);
      assert.match(e.message, /not of the chain that started with run/);
      return true;
    });
    await assert.rejects(
      handle.startUpdate(addNote, { args: ['lost'], waitForStage: 'ACCEPTED' }),
      WorkflowNotFoundError,
    );
    assert.deepEqual(await again.query(notesQuery), ['round 1']);
    assert.equal(await again.executeUpdate(addNote, { args: ['c'] }), 'c');
    const running = await again.describe();
    assert.equal(running.status, 'Running');
    assert.equal(running.runId, again.firstExecutionRunId);
    await again.terminate();
    assert.equal((await again.describe()).status, 'Terminated');
  });

  test('makeContinueAsNewFunc continues as another workflow type', async () => {
    const result = await env.client.workflow.execute(switchType, {
      taskQueue: env.taskQueue,
      workflowId: id('switch'),
      args: ['x'],
    });
    assert.equal(result, 'switched: x');
  });

  test('a workflow task timeout asked of continue-as-new is capped at 2 minutes, as at start', async () => {
    const handle = await env.client.workflow.start(longTaskTimeout, {
      taskQueue: env.taskQueue,
      workflowId: id('task-timeout'),
      args: [false],
    });
    assert.equal(await handle.result(), 120_000);
    const first = await env.client.workflow
      .getHandle(handle.workflowId, handle.firstExecutionRunId)
      .fetchHistory();
    const closing = first.events.at(-1);
    assert.ok(closing?.type === 'WorkflowExecutionContinuedAsNew');
    assert.equal(closing.workflowTaskTimeoutMs, 120_000);
  });

  test('the next run gets the memo and search attributes as the run left them, upserts included', async () => {
    const handle = await env.client.workflow.start(upsertsThenContinues, {
      taskQueue: env.taskQueue,
      workflowId: id('carry-attributes'),
      args: [false],
      memo: { kept: 1, dropped: 2 },
      searchAttributes: { CustomIntField: 3 },
    });
    assert.deepEqual(await handle.result(), {
      memo: { kept: 1, added: 'yes' },
      searchAttributes: { CustomIntField: 3, CustomKeywordField: 'k1' },
    });
  });

  test('the run continue-as-new starts keeps its run timeout within the execution timeout (as in Temporal)', async () => {
    const hour = 3_600_000;
    const timeouts = async (
      options: { workflowExecutionTimeout?: string; workflowRunTimeout?: string },
      nextRunTimeout: string | null = null,
    ): Promise<(number | null)[][]> =>
      env.client.workflow.execute(reportsTimeouts, {
        taskQueue: env.taskQueue,
        workflowId: id('timeouts'),
        args: [[], nextRunTimeout],
        ...options,
      });
    // Carried over as the start recorded it: the execution timeout, when no run timeout is given.
    assert.deepEqual(await timeouts({ workflowExecutionTimeout: '1 hour' }), [
      [hour, hour],
      [hour, hour],
    ]);
    // A longer one asked of makeContinueAsNewFunc is cut to the execution timeout.
    assert.deepEqual(await timeouts({ workflowExecutionTimeout: '1 hour' }, '2 hours'), [
      [hour, hour],
      [hour, hour],
    ]);
    assert.deepEqual(await timeouts({ workflowRunTimeout: '1 hour' }, '2 hours'), [
      [null, hour],
      [null, 2 * hour],
    ]);
    assert.deepEqual(await timeouts({}), [
      [null, null],
      [null, null],
    ]);
  });

  test('the run continue-as-new starts keeps its workflow task timeout within its run timeout (as in Temporal)', async () => {
    const result = await env.client.workflow.execute(reportsTaskTimeout, {
      taskQueue: env.taskQueue,
      workflowId: id('task-within-run'),
      args: [false, '3s'],
    });
    assert.deepEqual(result, [3000, 3000]);
  });

  test('continueAsNew from an update handler continues the run as new (as in Temporal)', async () => {
    const handle = await env.client.workflow.start(restartsFromHandler, {
      taskQueue: env.taskQueue,
      workflowId: id('from-update'),
      args: [null],
    });
    // The handler never returns: the run it was accepted in closes under it.
    const update = handle.executeUpdate(restartWith, { args: [7] }).catch((e: unknown) => e);
    const first = env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
    const outcomes = async (): Promise<string[]> =>
      (await first.fetchHistory()).events
        .map((e) => e.type)
        .filter((t) => t === 'WorkflowTaskFailed' || t === 'WorkflowExecutionContinuedAsNew');
    await waitFor(async () => (await outcomes()).length > 0, 'the first run to answer the update');
    assert.deepEqual(await outcomes(), ['WorkflowExecutionContinuedAsNew']);
    assert.equal(await handle.result(), 7);
    const e = await update;
    assert.ok(e instanceof WorkflowUpdateFailedError);
    assert.ok(e.cause instanceof ApplicationFailure);
    assert.equal(e.cause.type, 'AcceptedUpdateCompletedWorkflow');
  });

  test('continueAsNew from a signal handler continues the run as new', async () => {
    const handle = await env.client.workflow.start(restartsFromHandler, {
      taskQueue: env.taskQueue,
      workflowId: id('from-signal'),
      args: [null],
    });
    await handle.signal(restartOn, 8);
    assert.equal(await handle.result(), 8);
    const first = await env.client.workflow
      .getHandle(handle.workflowId, handle.firstExecutionRunId)
      .fetchHistory();
    assert.equal(first.events.at(-1)?.type, 'WorkflowExecutionContinuedAsNew');
  });

  test('a signal sent during the last task before continue-as-new is not lost', async () => {
    // A queue with no worker: the test plays the worker for the task that continues as new.
    const taskQueue = `${env.taskQueue}-manual`;
    const api = env.engine.connection;
    const handle = await env.client.workflow.start(carryOver, {
      taskQueue,
      workflowId: id('carry'),
      args: [[]],
    });
    await handle.signal('addItem', 'a');
    const task = await takeWorkflowTask(env, taskQueue);
    await handle.signal('addItem', 'b'); // arrives while the task is out
    const answer = await api.completeWorkflowTask({
      taskToken: task.taskToken,
      identity: 'test',
      commands: [
        {
          type: 'ContinueAsNewWorkflowExecution',
          workflowType: 'carryOver',
          taskQueue,
          args: [['a']],
        },
      ],
    });
    assert.deepEqual(answer, { accepted: false });
    const { stop } = await env.startWorker({ taskQueue });
    try {
      assert.deepEqual(await handle.result(), ['a', 'b']);
    } finally {
      await stop();
    }
    const first = await env.client.workflow
      .getHandle(handle.workflowId, handle.firstExecutionRunId)
      .fetchHistory();
    const failed = first.events.find((e) => e.type === 'WorkflowTaskFailed');
    assert.equal(failed?.type === 'WorkflowTaskFailed' && failed.cause, 'UnhandledCommand');
    assert.equal(first.events.at(-1)?.type, 'WorkflowExecutionContinuedAsNew');
  });

  test('a history that continued as new replays deterministically', async () => {
    const workflowId = id('replay');
    const handle = await env.client.workflow.start(countdown, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [2, 0],
    });
    await handle.result();
    const first = await env.client.workflow
      .getHandle(workflowId, handle.firstExecutionRunId)
      .fetchHistory();
    assert.equal(first.events.at(-1)?.type, 'WorkflowExecutionContinuedAsNew');
    await Worker.runReplayHistory({ workflowsPath: fixturesPath(workflows) }, first);
    const last = await env.client.workflow.getHandle(workflowId).fetchHistory();
    await Worker.runReplayHistory({ workflowsPath: fixturesPath(workflows) }, last);
  });

  test('a continued run replays from its events alone, seeded with its own id', async () => {
    const workflowId = id('replay-events');
    const handle = await env.client.workflow.start(randomAfterContinue, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [false],
    });
    const counts = await handle.result();
    const last = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const started = last.events[0];
    assert.ok(started?.type === 'WorkflowExecutionStarted');
    assert.equal(started.firstExecutionRunId, handle.firstExecutionRunId);
    // The start names the run itself, as the chain's first run's id is another's.
    assert.equal(started.originalExecutionRunId, last.runId);
    // The events alone, as JSON: the second run's Math.random must draw what it drew live.
    const events = JSON.parse(JSON.stringify(last.events)) as unknown[];
    assert.equal(
      events.filter((e) => (e as { type: string }).type === 'TimerStarted').length,
      counts[0]! + counts[1]!,
    );
    await Worker.runReplayHistory({ workflowsPath: fixturesPath(workflows) }, events);
    await Worker.runReplayHistory({ workflowsPath: fixturesPath(workflows) }, { events });
  });
});
