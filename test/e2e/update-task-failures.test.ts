import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Client,
  ErrorCode,
  ServiceError,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowNotReadyError,
} from 'reprise/client';
import type { WorkflowHandle } from 'reprise/client';
import { brokenTask, echo } from './fixtures/update-failure-workflows.ts';
import { steppedUpdateCalls } from '../helpers/stepped-update-calls.ts';
import { startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

/** Temporal's server text for WorkflowNotReady on an update. */
const NOT_READY =
  /Unable to perform workflow execution update due to Workflow Task in failed state\./;

describe('updates to a run whose workflow task keeps failing', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({ workflows: 'update-failure-workflows.ts' });
  });
  after(async () => {
    await env.close();
  });

  /** Stops the workers and starts a run whose workflow task will fail: its updates stay admitted. */
  const startUnworked = async (prefix: string): Promise<WorkflowHandle<typeof brokenTask>> => {
    await env.stopWorkers();
    return env.client.workflow.start(brokenTask, {
      taskQueue: env.taskQueue,
      workflowId: id(prefix),
      args: [true],
    });
  };

  /** Starts a run whose workflow task fails, and waits until it has failed twice in a row. */
  const startBroken = async (): Promise<WorkflowHandle<typeof brokenTask>> => {
    const handle = await env.client.workflow.start(brokenTask, {
      taskQueue: env.taskQueue,
      workflowId: id('broken'),
      args: [true],
    });
    await failedTwice(handle);
    return handle;
  };

  /** As Temporal's client: a ServiceError whose cause is the engine's WorkflowNotReady. */
  const notReady =
    (call = 'Workflow Update failed') =>
    (e: unknown): boolean => {
      assert.ok(e instanceof ServiceError, String(e));
      assert.equal(e.code, ErrorCode.WorkflowNotReady);
      assert.ok(e.cause instanceof WorkflowNotReadyError);
      assert.ok(e.message.startsWith(`${call}: `), e.message);
      assert.match(e.cause.message, NOT_READY);
      assert.match(e.cause.message, /broken workflow code/);
      return true;
    };
  const isNotReady = notReady();

  /** Waits until the run's workflow task has failed twice in a row. */
  const failedTwice = (handle: WorkflowHandle<typeof brokenTask>): Promise<void> =>
    waitFor(
      async () => ((await handle.describe()).lastWorkflowTaskFailure?.attempt ?? 0) >= 2,
      'the workflow task to fail twice',
    );

  /**
   * Lets the first long poll of `call` (through `stepped`) end with the update only admitted, then
   * a worker fail the run's task twice: the client sends the update again, as Temporal's does,
   * and that call is refused. Terminates the run.
   */
  const refusedWhenSentAgain = async (
    handle: WorkflowHandle<typeof brokenTask>,
    stepped: ReturnType<typeof steppedUpdateCalls>,
    call: Promise<unknown>,
    refusal: (e: unknown) => boolean,
  ): Promise<void> => {
    call.catch(() => undefined); // awaited below
    assert.equal(await stepped.firstAnswer, 'Admitted');
    await env.startWorker();
    await failedTwice(handle);
    stepped.release();
    await assert.rejects(call, refusal);
    assert.deepEqual(stepped.stages, ['Admitted'], 'the second call is refused, not answered');
    await handle.terminate();
  };

  /** Update-with-start of `echo` to workflow `workflowId` (args: whether its task fails). */
  const echoWithStart = (
    client: Client,
    workflowId: string,
    conflict: 'USE_EXISTING' | 'TERMINATE_EXISTING',
    updateId?: string,
  ) => {
    const op = new WithStartWorkflowOperation(brokenTask, {
      workflowId,
      taskQueue: env.taskQueue,
      args: [false],
      workflowIdConflictPolicy: conflict,
    });
    const call = client.workflow.executeUpdateWithStart(echo, {
      args: ['hi'],
      startWorkflowOperation: op,
      ...(updateId !== undefined && { updateId }),
    });
    return { op, call };
  };

  test(
    'is refused at once with WorkflowNotReady, and nothing is recorded',
    { timeout: 20_000 },
    async () => {
      const handle = await startBroken();
      await assert.rejects(
        handle.executeUpdate(echo, { args: ['hi'], updateId: 'refused' }),
        isNotReady,
      );
      await assert.rejects(
        handle.startUpdate(echo, { args: ['hi'], waitForStage: 'ACCEPTED' }),
        isNotReady,
      );
      // Nothing was admitted: the engine has no such update, and history no update event.
      await assert.rejects(handle.getUpdateHandle('refused').result(), WorkflowNotFoundError);
      const { events } = await handle.fetchHistory();
      assert.deepEqual(
        events.filter((e) => e.type.startsWith('WorkflowExecutionUpdate')),
        [],
      );
      await handle.terminate();
    },
  );

  test(
    'an update admitted before the task failed is refused when sent again',
    { timeout: 20_000 },
    async () => {
      // No worker yet: the update is only admitted; then the task fails twice on a worker.
      const handle = await startUnworked('admitted');
      const first = await env.engine.connection.updateWorkflow({
        namespace: 'default',
        workflowId: handle.workflowId,
        updateId: 'early',
        name: echo.name,
        args: ['hi'],
        waitForStage: 'Completed',
        waitMs: 0,
      });
      assert.equal(first.stage, 'Admitted');
      await env.startWorker();
      await failedTwice(handle);
      // Sent again, as Temporal's client does while an update is only admitted: refused.
      await assert.rejects(
        handle.executeUpdate(echo, { args: ['hi'], updateId: 'early' }),
        isNotReady,
      );
      await handle.terminate();
    },
  );

  test(
    'a run of the same workflow whose task does not fail takes updates',
    { timeout: 20_000 },
    async () => {
      const handle = await env.client.workflow.start(brokenTask, {
        taskQueue: env.taskQueue,
        workflowId: id('healthy'),
        args: [false],
      });
      assert.equal(await handle.executeUpdate(echo, { args: ['fine'] }), 'fine');
      await handle.terminate();
    },
  );
  test(
    'a caller whose long poll ended with the update only admitted sees the refusal once the task has failed twice',
    { timeout: 20_000 },
    async () => {
      // No worker yet: the update is only admitted, and the first long poll says so.
      const handle = await startUnworked('resent');
      const stepped = steppedUpdateCalls(env.engine.connection, 'updateWorkflow');
      const client = new Client({ connection: stepped.api });
      const call = client.workflow
        .getHandle(handle.workflowId)
        .executeUpdate(echo, { args: ['hi'], updateId: 'resent' });
      await refusedWhenSentAgain(handle, stepped, call, isNotReady);
    },
  );

  test(
    'update-with-start to a running run whose task keeps failing is refused, and starts nothing',
    { timeout: 20_000 },
    async () => {
      const handle = await startBroken();
      const { op, call } = echoWithStart(env.client, handle.workflowId, 'USE_EXISTING', 'uws');
      // As Temporal's client: ServiceError, and the operation's handle rejects with it too.
      await assert.rejects(call, notReady('Update-With-Start failed'));
      await assert.rejects(op.workflowHandle(), notReady('Update-With-Start failed'));
      await assert.rejects(handle.getUpdateHandle('uws').result(), WorkflowNotFoundError);
      const latest = await env.client.workflow.getHandle(handle.workflowId).describe();
      assert.equal(latest.runId, handle.firstExecutionRunId, 'no run was started');
      await handle.terminate();
    },
  );

  test(
    'update-with-start of an updateId the failing run has admitted is refused when the client sends it again',
    { timeout: 20_000 },
    async () => {
      const handle = await startUnworked('uws-admitted');
      const stepped = steppedUpdateCalls(env.engine.connection, 'updateWithStartWorkflow');
      const { op, call } = echoWithStart(
        new Client({ connection: stepped.api }),
        handle.workflowId,
        'USE_EXISTING',
      );
      await refusedWhenSentAgain(handle, stepped, call, notReady('Update-With-Start failed'));
      // The first answer found the run: the operation's handle is that run's.
      const found = await op.workflowHandle();
      assert.equal((await found.describe()).runId, handle.firstExecutionRunId);
    },
  );

  test(
    'update-with-start with TERMINATE_EXISTING replaces a run whose task keeps failing',
    { timeout: 20_000 },
    async () => {
      const handle = await startBroken();
      const { op, call } = echoWithStart(env.client, handle.workflowId, 'TERMINATE_EXISTING');
      assert.equal(await call, 'hi');
      const started = await op.workflowHandle();
      assert.notEqual(started.firstExecutionRunId, handle.firstExecutionRunId);
      const old = env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
      assert.equal((await old.describe()).status, 'Terminated');
      await started.terminate();
    },
  );
});
