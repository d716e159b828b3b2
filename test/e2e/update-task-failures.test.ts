import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ErrorCode,
  ServiceError,
  WorkflowNotFoundError,
  WorkflowNotReadyError,
} from 'reprise/client';
import type { WorkflowHandle } from 'reprise/client';
import { brokenTask, echo } from './fixtures/update-failure-workflows.ts';
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

  /** Starts a run whose workflow task fails, and waits until it has failed twice in a row. */
  const startBroken = async (): Promise<WorkflowHandle<typeof brokenTask>> => {
    const handle = await env.client.workflow.start(brokenTask, {
      taskQueue: env.taskQueue,
      workflowId: id('broken'),
      args: [true],
    });
    await waitFor(
      async () => ((await handle.describe()).lastWorkflowTaskFailure?.attempt ?? 0) >= 2,
      'the workflow task to fail twice',
    );
    return handle;
  };

  const isNotReady = (e: unknown): boolean => {
    // As Temporal's client: a ServiceError whose cause is the engine's WorkflowNotReady.
    assert.ok(e instanceof ServiceError, String(e));
    assert.equal(e.code, ErrorCode.WorkflowNotReady);
    assert.ok(e.cause instanceof WorkflowNotReadyError);
    assert.match(e.message, /^Workflow Update failed: /);
    assert.match(e.cause.message, NOT_READY);
    assert.match(e.cause.message, /broken workflow code/);
    return true;
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
      await env.stopWorkers();
      const handle = await env.client.workflow.start(brokenTask, {
        taskQueue: env.taskQueue,
        workflowId: id('admitted'),
        args: [true],
      });
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
      await waitFor(
        async () => ((await handle.describe()).lastWorkflowTaskFailure?.attempt ?? 0) >= 2,
        'the workflow task to fail twice',
      );
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
});
