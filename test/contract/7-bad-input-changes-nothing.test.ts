// DESIGN contract 7: bad input gets a clear error and changes nothing — unknown workflow types and
// signals, oversized payloads, duplicate ids, wrong namespaces, malformed requests.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  Client,
  InvalidArgumentError,
  NamespaceNotFoundError,
  PayloadTooLargeError,
  UnknownSignalError,
  UnknownWorkflowTypeError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from 'reprise/client';
import type { WorkflowHandle } from 'reprise/client';
import { TaskNotFoundError } from '../../src/errors.ts';
import * as activities from './fixtures/contract-activities.ts';
import { addItem, collect, completedFromOutside } from './fixtures/contract-workflows.ts';
import { contractWorkflows } from './fixtures/paths.ts';
import { startTestEnv, takeWorkflowTask, uniqueQueue, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('contract 7: bad input gets a clear error and changes nothing', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({ workflows: contractWorkflows, activities });
  });
  after(async () => {
    await env.close();
  });

  const assertNoWorkflow = async (workflowId: string): Promise<void> => {
    await assert.rejects(env.client.workflow.getHandle(workflowId).describe(), (e: unknown) => {
      assert.ok(e instanceof WorkflowNotFoundError);
      return true;
    });
  };

  /** Starts a `collect` run and waits until its first workflow task is done (history at rest). */
  const startCollector = async (workflowId: string): Promise<WorkflowHandle<typeof collect>> => {
    const handle = await env.client.workflow.start(collect, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [1],
    });
    await waitFor(
      async () =>
        (await handle.fetchHistory()).events.some((e) => e.type === 'WorkflowTaskCompleted'),
      'the first workflow task',
    );
    return handle;
  };

  test('an unknown workflow type is refused with UnknownWorkflowTypeError naming the known types; no run is created', async () => {
    const workflowId = id('unknown-type');
    await assert.rejects(
      env.client.workflow.start('noSuchWorkflow', { taskQueue: env.taskQueue, workflowId }),
      (e: unknown) => {
        assert.ok(e instanceof UnknownWorkflowTypeError);
        assert.equal(e.workflowType, 'noSuchWorkflow');
        assert.match(e.message, /'noSuchWorkflow'/);
        assert.match(e.message, /'collect'/);
        assert.match(e.message, /'sleeper'/);
        return true;
      },
    );
    await assertNoWorkflow(workflowId);
  });

  test('a signal the workflow code never defines is refused with UnknownSignalError; history is unchanged', async () => {
    const handle = await startCollector(id('unknown-signal'));
    const before = (await handle.fetchHistory()).events;
    await assert.rejects(handle.signal('noSuchSignal', 'x'), (e: unknown) => {
      assert.ok(e instanceof UnknownSignalError);
      assert.equal(e.signalName, 'noSuchSignal');
      assert.match(e.message, /'addItem'/);
      return true;
    });
    const after = (await handle.fetchHistory()).events;
    assert.equal(after.length, before.length);
    assert.deepEqual(after, before);
    await handle.terminate('test done');
  });

  test('workflow args over 2 MiB are refused with PayloadTooLargeError; no run is created', async () => {
    const workflowId = id('too-large');
    const big = 'x'.repeat(2 * 1024 * 1024 + 1);
    await assert.rejects(
      env.client.workflow.start(completedFromOutside, {
        taskQueue: env.taskQueue,
        workflowId,
        args: [big],
      }),
      (e: unknown) => {
        assert.ok(e instanceof PayloadTooLargeError);
        assert.ok(e.sizeBytes > e.limitBytes);
        assert.equal(e.limitBytes, 2 * 1024 * 1024);
        return true;
      },
    );
    await assertNoWorkflow(workflowId);
  });

  test('starting a workflow id that is running is refused with WorkflowExecutionAlreadyStartedError; the first run is untouched', async () => {
    const workflowId = id('duplicate');
    const first = await startCollector(workflowId);
    const before = await first.fetchHistory();
    await assert.rejects(
      env.client.workflow.start(collect, { taskQueue: env.taskQueue, workflowId, args: [5] }),
      (e: unknown) => {
        assert.ok(e instanceof WorkflowExecutionAlreadyStartedError);
        assert.equal(e.runId, first.firstExecutionRunId);
        return true;
      },
    );
    const latest = env.client.workflow.getHandle(workflowId);
    assert.equal((await latest.describe()).runId, first.firstExecutionRunId);
    assert.deepEqual(await latest.fetchHistory(), before);
    await first.signal(addItem, 'done');
    assert.deepEqual(await first.result(), ['done'], 'the first run still works');
  });

  test('an unknown namespace is refused with NamespaceNotFoundError', async () => {
    const client = new Client({ connection: env.engine.connection, namespace: 'nope' });
    const workflowId = id('no-namespace');
    await assert.rejects(
      client.workflow.start(collect, { taskQueue: env.taskQueue, workflowId, args: [1] }),
      (e: unknown) => {
        assert.ok(e instanceof NamespaceNotFoundError);
        assert.equal(e.namespace, 'nope');
        return true;
      },
    );
    await assert.rejects(client.workflow.getHandle(workflowId).describe(), NamespaceNotFoundError);
    await assertNoWorkflow(workflowId);
  });

  test('a start request with an empty workflowId is refused with InvalidArgumentError naming the field', async () => {
    await assert.rejects(
      env.engine.connection.startWorkflow({
        namespace: 'default',
        workflowId: '',
        workflowType: 'collect',
        taskQueue: env.taskQueue,
        args: [1],
      }),
      (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError);
        assert.match(e.message, /workflowId/);
        return true;
      },
    );
  });

  test('a retry policy Temporal refuses is refused before anything starts', async () => {
    const workflowId = id('bad-retry');
    for (const retry of [
      { maximumAttempts: -1 },
      { maximumAttempts: 2.5 },
      { backoffCoefficient: 0 },
    ]) {
      await assert.rejects(
        env.client.workflow.start(completedFromOutside, {
          taskQueue: env.taskQueue,
          workflowId,
          args: ['x'],
          retry,
        }),
        (e: unknown) => {
          assert.ok(e instanceof TypeError);
          assert.match(e.message, /^Invalid RetryPolicy\.(maximumAttempts|backoffCoefficient)/);
          return true;
        },
      );
    }
    await assertNoWorkflow(workflowId);
  });

  test('a garbage task token is refused with InvalidArgumentError naming the task token', async () => {
    await assert.rejects(
      env.engine.connection.completeActivityTask({
        taskToken: 'not-a-token',
        identity: 't',
        result: 1,
      }),
      (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError);
        assert.match(e.message, /task ?token/i);
        return true;
      },
    );
  });

  test('a well-formed task token naming a run that does not exist is refused as task not found', async () => {
    const runId = randomUUID();
    const token = (t: object) => Buffer.from(JSON.stringify(t)).toString('base64url');
    const workflowToken = token({ k: 'wt', runId, scheduledEventId: 2, startedEventId: 3 });
    const activityToken = token({
      k: 'at',
      namespace: 'default',
      runId,
      scheduledEventId: 5,
      attempt: 1,
    });
    const api = env.engine.connection;
    const refused = (kind: string) => (e: unknown) => {
      assert.ok(e instanceof TaskNotFoundError, `got ${String(e)}`);
      assert.equal(e.code, kind);
      assert.match(e.message, new RegExp(`Run ${runId}.*does not exist`));
      return true;
    };
    await assert.rejects(
      api.completeWorkflowTask({ taskToken: workflowToken, identity: 't', commands: [] }),
      refused('WorkflowTaskNotFound'),
    );
    await assert.rejects(
      api.failWorkflowTask({
        taskToken: workflowToken,
        identity: 't',
        cause: 'WorkflowError',
        failure: {
          message: 'x',
          info: { type: 'application', errorType: 'Error', nonRetryable: false },
        },
      }),
      refused('WorkflowTaskNotFound'),
    );
    await assert.rejects(
      api.completeActivityTask({ taskToken: activityToken, identity: 't', result: 1 }),
      refused('ActivityTaskNotFound'),
    );
    await assert.rejects(
      api.heartbeatActivityTask({ taskToken: activityToken, identity: 't', details: [] }),
      refused('ActivityTaskNotFound'),
    );
    assert.equal(await env.engine.deps.store.getRun({ runId }), undefined);
  });

  test('a workflow task answer with a malformed flag list is refused naming what is wrong; nothing is recorded', async () => {
    const taskQueue = uniqueQueue('flags'); // no worker: the test holds the task
    const handle = await env.client.workflow.start(collect, {
      taskQueue,
      workflowId: id('flags'),
      args: [1],
    });
    const task = await takeWorkflowTask(env, taskQueue);
    // The task's WorkflowTaskStarted commits with its answer, or once its deferral window ends
    // (docs/performance.md), whichever comes first: the refusals must record nothing else.
    const recorded = async () =>
      (await handle.fetchHistory()).events.filter((e) => e.type !== 'WorkflowTaskStarted');
    const before = await recorded();
    const answer = (sdkFlags: unknown) =>
      env.engine.connection.completeWorkflowTask({
        taskToken: task.taskToken,
        identity: 't',
        commands: [],
        sdkFlags: sdkFlags as string[],
      });
    const malformed: [unknown, RegExp][] = [
      ['reprise/one', /sdkFlags: the flags are an array of flag ids/],
      [[42], /sdkFlags\.0: a flag id is a string/],
      [['reprise/one', ''], /sdkFlags\.1: a flag id is empty/],
      [['x'.repeat(201)], /sdkFlags\.0: a flag id has at most 200 characters; this one has 201/],
      [
        Array.from({ length: 101 }, (_, i) => `reprise/rule-${String(i)}`),
        /sdkFlags: a workflow task carries at most 100 flags; this one has 101/,
      ],
    ];
    for (const [sdkFlags, message] of malformed) {
      await assert.rejects(answer(sdkFlags), (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError, `got ${String(e)}`);
        assert.match(e.message, message);
        return true;
      });
    }
    assert.deepEqual(await recorded(), before);
    // Ids this engine does not know are recorded: a newer worker may take rules it has not heard of.
    const unknownIds = ['reprise/a-rule-of-a-newer-worker', 'x'.repeat(200)];
    assert.equal((await answer(unknownIds)).accepted, true, 'the task was still current');
    const completed = (await handle.fetchHistory()).events.find(
      (e) => e.type === 'WorkflowTaskCompleted',
    );
    assert.ok(completed?.type === 'WorkflowTaskCompleted');
    assert.deepEqual(completed.sdkFlags, unknownIds);
  });

  test('signalling a closed workflow is refused with WorkflowNotFoundError; history is unchanged', async () => {
    const handle = await startCollector(id('closed'));
    await handle.signal(addItem, 'only');
    assert.deepEqual(await handle.result(), ['only']);
    const before = (await handle.fetchHistory()).events;
    await assert.rejects(handle.signal(addItem, 'late'), (e: unknown) => {
      assert.ok(e instanceof WorkflowNotFoundError);
      assert.match(e.message, /closed/);
      return true;
    });
    assert.deepEqual((await handle.fetchHistory()).events, before);
  });
});
