import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  InvalidArgumentError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
} from 'reprise/client';
import {
  failsAtOnce,
  finish,
  poke,
  pokeCollector,
  quick,
  waitForFinish,
} from './fixtures/visibility-workflows.ts';
import { startTestEnv } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('workflow id policies and start delay', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;
  const runQuick = (workflowId: string, reuse?: WorkflowIdReusePolicy) =>
    env.client.workflow.execute(quick, {
      taskQueue: env.taskQueue,
      workflowId,
      workflowIdReusePolicy: reuse,
    });
  const startWaiting = (
    workflowId: string,
    opts: {
      reuse?: WorkflowIdReusePolicy | undefined;
      conflict?: WorkflowIdConflictPolicy | undefined;
    } = {},
  ) =>
    env.client.workflow.start(waitForFinish, {
      taskQueue: env.taskQueue,
      workflowId,
      workflowIdReusePolicy: opts.reuse,
      workflowIdConflictPolicy: opts.conflict,
    });
  const statuses = async (workflowId: string) => {
    const out: string[] = [];
    for await (const w of env.client.workflow.list({
      query: `WorkflowId = '${workflowId}' ORDER BY StartTime`,
    })) {
      out.push(w.status);
    }
    return out;
  };

  before(async () => {
    env = await startTestEnv({ workflows: 'visibility-workflows.ts' });
  });
  after(async () => {
    await env.close();
  });

  test('a second start of a running workflow id fails by default (FAIL)', async () => {
    const workflowId = id('fail');
    const first = await startWaiting(workflowId);
    await assert.rejects(startWaiting(workflowId), (e) => {
      assert.ok(e instanceof WorkflowExecutionAlreadyStartedError);
      assert.equal(e.runId, first.firstExecutionRunId);
      return true;
    });
    await first.signal(finish);
    await first.result();
  });

  test('USE_EXISTING returns the running run instead of starting one', async () => {
    const workflowId = id('use-existing');
    const first = await startWaiting(workflowId);
    const second = await startWaiting(workflowId, {
      conflict: WorkflowIdConflictPolicy.USE_EXISTING,
    });
    assert.equal(second.firstExecutionRunId, first.firstExecutionRunId);
    await second.signal(finish);
    await first.result();
    assert.deepEqual(await statuses(workflowId), ['Completed']);
  });

  test('TERMINATE_EXISTING terminates the running run and starts a new one', async () => {
    const workflowId = id('terminate-existing');
    const first = await startWaiting(workflowId);
    const second = await startWaiting(workflowId, {
      conflict: WorkflowIdConflictPolicy.TERMINATE_EXISTING,
    });
    assert.notEqual(second.firstExecutionRunId, first.firstExecutionRunId);
    await assert.rejects(
      env.client.workflow.getHandle(workflowId, first.firstExecutionRunId).result(),
      WorkflowFailedError,
    );
    assert.deepEqual(await statuses(workflowId), ['Terminated', 'Running']);
    await second.signal(finish);
    await second.result();
  });

  test('TERMINATE_IF_RUNNING replaces a running run, and cannot be combined with a conflict policy', async () => {
    const workflowId = id('terminate-if-running');
    const first = await startWaiting(workflowId);
    await assert.rejects(
      startWaiting(workflowId, {
        reuse: WorkflowIdReusePolicy.TERMINATE_IF_RUNNING,
        conflict: WorkflowIdConflictPolicy.FAIL,
      }),
      InvalidArgumentError,
    );
    const second = await startWaiting(workflowId, {
      reuse: WorkflowIdReusePolicy.TERMINATE_IF_RUNNING,
    });
    assert.notEqual(second.firstExecutionRunId, first.firstExecutionRunId);
    const firstRun = env.client.workflow.getHandle(workflowId, first.firstExecutionRunId);
    assert.equal((await firstRun.describe()).status, 'Terminated');
    await second.signal(finish);
    await second.result();
  });

  test('ALLOW_DUPLICATE (the default) starts a new run after a completed one', async () => {
    const workflowId = id('allow-duplicate');
    await runQuick(workflowId);
    await runQuick(workflowId);
    assert.deepEqual(await statuses(workflowId), ['Completed', 'Completed']);
  });

  test('REJECT_DUPLICATE refuses a closed workflow id', async () => {
    const workflowId = id('reject-duplicate');
    await runQuick(workflowId);
    await assert.rejects(runQuick(workflowId, WorkflowIdReusePolicy.REJECT_DUPLICATE), (e) => {
      assert.ok(e instanceof WorkflowExecutionAlreadyStartedError);
      assert.match(e.message, /workflowIdReusePolicy REJECT_DUPLICATE allows no second run/);
      return true;
    });
    assert.deepEqual(await statuses(workflowId), ['Completed']);
  });

  test("Temporal's deprecated WORKFLOW_ID_… aliases act as the policies they name", async () => {
    const workflowId = id('aliases');
    await runQuick(workflowId);
    /* eslint-disable @typescript-eslint/no-deprecated -- the aliases are what this test checks */
    await assert.rejects(
      runQuick(workflowId, WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE),
      WorkflowExecutionAlreadyStartedError,
    );
    const first = await startWaiting(workflowId, {
      reuse: WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED,
    });
    const second = await startWaiting(workflowId, {
      conflict: WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
    });
    /* eslint-enable @typescript-eslint/no-deprecated */
    assert.equal(second.firstExecutionRunId, first.firstExecutionRunId);
    await second.signal(finish);
    await first.result();
    assert.deepEqual(await statuses(workflowId), ['Completed', 'Completed']);
  });

  test('ALLOW_DUPLICATE_FAILED_ONLY refuses after a completed run and allows after a failed one', async () => {
    const completed = id('failed-only-completed');
    await runQuick(completed);
    await assert.rejects(
      runQuick(completed, WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY),
      WorkflowExecutionAlreadyStartedError,
    );

    const failed = id('failed-only-failed');
    await assert.rejects(
      env.client.workflow.execute(failsAtOnce, { taskQueue: env.taskQueue, workflowId: failed }),
      WorkflowFailedError,
    );
    assert.equal(await runQuick(failed, WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY), 'done');
    assert.deepEqual(await statuses(failed), ['Failed', 'Completed']);
  });

  test('startDelay holds the first workflow task back, and a signal sent meanwhile waits for it', async () => {
    const workflowId = id('delayed');
    const handle = await env.client.workflow.start(pokeCollector, {
      taskQueue: env.taskQueue,
      workflowId,
      startDelay: 300,
    });
    await handle.signal(poke, 'early');
    const { pokes, firstTaskAtMs } = await handle.result();
    assert.deepEqual(pokes, ['early']);
    const { events } = await handle.fetchHistory();
    const started = events[0];
    assert.ok(started?.type === 'WorkflowExecutionStarted');
    assert.equal(started.firstWorkflowTaskBackoffMs, 300);
    assert.ok(firstTaskAtMs - started.timeMs >= 300, 'the first task ran after the delay');
    assert.deepEqual(
      events.slice(0, 3).map((e) => e.type),
      ['WorkflowExecutionStarted', 'WorkflowExecutionSignaled', 'WorkflowTaskScheduled'],
    );
    for await (const w of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      assert.equal(w.executionTime.getTime() - w.startTime.getTime(), 300);
    }
    const [delayed] = await Promise.all([
      env.client.workflow
        .count(`WorkflowId = '${workflowId}' AND ExecutionTime > StartTime`)
        .catch((e: unknown) => e),
    ]);
    assert.ok(delayed instanceof InvalidArgumentError, 'attributes compare with literals only');
  });

  test('signalWithStart ends a start delay early', async () => {
    const workflowId = id('delay-skipped');
    const handle = await env.client.workflow.start(pokeCollector, {
      taskQueue: env.taskQueue,
      workflowId,
      startDelay: '1 hour',
    });
    await env.client.workflow.signalWithStart(pokeCollector, {
      taskQueue: env.taskQueue,
      workflowId,
      signal: poke,
      signalArgs: ['now'],
    });
    const { pokes } = await handle.result();
    assert.deepEqual(pokes, ['now']);
  });
});
