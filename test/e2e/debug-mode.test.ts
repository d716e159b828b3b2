import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from 'reprise/client';
import { Worker } from 'reprise/worker';
import { blockedFor } from './fixtures/workflows.ts';
import { fixturesPath, startTestEnv, waitFor } from '../helpers/test-env.ts';

/** Longer than the deadlock timeout (2 s, plus at most 50 ms for the shared watchdog). */
const BLOCKED_MS = 2_300;

describe('debug mode', () => {
  test('workflow code that blocks past the deadlock timeout runs to the end, live and in replay', async () => {
    const env = await startTestEnv({ worker: { debugMode: true } });
    try {
      const handle = await env.client.workflow.start(blockedFor, {
        taskQueue: env.taskQueue,
        workflowId: 'blocked',
        args: [BLOCKED_MS],
      });
      // Until the run completes or its task fails (as it would, with a deadlock, outside debug
      // mode: it would then be retried for ever).
      const ended = ['WorkflowExecutionCompleted', 'WorkflowTaskFailed'];
      await waitFor(
        async () => (await handle.fetchHistory()).events.some((e) => ended.includes(e.type)),
        'the run to complete or its task to fail',
      );
      const history = await handle.fetchHistory();
      assert.deepEqual(
        history.events.filter((e) => e.type === 'WorkflowTaskFailed'),
        [],
        'no task failed with a deadlock',
      );
      assert.equal(await handle.result(), BLOCKED_MS);
      await Worker.runReplayHistory(
        { workflowsPath: fixturesPath('workflows.ts'), debugMode: true },
        history,
      );
    } finally {
      await env.close();
    }
  });

  test('an unclear REPRISE_DEBUG is refused before the worker starts or a replay runs', async () => {
    const before = process.env['REPRISE_DEBUG'];
    process.env['REPRISE_DEBUG'] = 'on';
    try {
      const env = await startTestEnv().then(
        () => assert.fail('Worker.create should refuse REPRISE_DEBUG=on'),
        (e: unknown) => e,
      );
      assert.ok(env instanceof InvalidArgumentError, String(env));
      assert.match(env.message, /REPRISE_DEBUG must be 1, true, 0 or false \(got "on"\)/);
      await assert.rejects(
        Worker.runReplayHistory({ workflowsPath: fixturesPath('workflows.ts') }, []),
        /REPRISE_DEBUG must be 1, true, 0 or false/,
      );
    } finally {
      if (before === undefined) delete process.env['REPRISE_DEBUG'];
      else process.env['REPRISE_DEBUG'] = before;
    }
  });
});
