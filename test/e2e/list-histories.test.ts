// client.workflow.list().intoHistories(), as Temporal's: the listed runs' histories in list
// order, fetched a few at a time, that Worker.runReplayHistories replays; options that are not
// whole numbers of at least 1 are refused before anything is fetched.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InvalidArgumentError } from 'reprise/client';
import type { HistoryAndWorkflowId } from 'reprise/client';
import { Worker } from 'reprise/worker';
import * as activities from './fixtures/activities.ts';
import { sequence } from './fixtures/workflows.ts';
import { fixturesPath, startTestEnv } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('list().intoHistories()', () => {
  let env: TestEnv;
  const ids = ['hist-a', 'hist-b', 'hist-c', 'hist-d'];
  before(async () => {
    env = await startTestEnv({ activities });
    for (const [i, workflowId] of ids.entries()) {
      await env.client.workflow.execute(sequence, {
        workflowId,
        taskQueue: env.taskQueue,
        args: [i + 1],
      });
    }
  });
  after(async () => {
    await env.close();
  });

  const query = "WorkflowId STARTS_WITH 'hist-' ORDER BY StartTime";

  test('yields each listed run with its full history, in list order, and they replay', async () => {
    const histories: HistoryAndWorkflowId[] = [];
    for await (const h of env.client.workflow.list({ query, pageSize: 3 }).intoHistories({
      concurrency: 2,
    })) {
      histories.push(h);
    }
    assert.deepEqual(
      histories.map((h) => h.workflowId),
      ids,
    );
    for (const h of histories) {
      const fetched = await env.client.workflow.getHandle(h.workflowId).fetchHistory();
      assert.deepEqual(h.history, fetched);
    }
    // Four runs of 1–4 activities: each history holds its own steps.
    assert.deepEqual(
      histories.map(
        (h) => h.history.events.filter((e) => e.type === 'ActivityTaskCompleted').length,
      ),
      [1, 2, 3, 4],
    );
    const replays = Worker.runReplayHistories(
      { workflowsPath: fixturesPath('workflows.ts') },
      histories,
    );
    let replayed = 0;
    for await (const r of replays) {
      assert.equal(r.error, undefined, `${r.workflowId} replays`);
      replayed += 1;
    }
    assert.equal(replayed, ids.length);
  });

  test('a concurrency or bufferLimit that is not a whole number of at least 1 is refused', async () => {
    for (const options of [{ concurrency: 0 }, { concurrency: 1.5 }, { bufferLimit: -1 }]) {
      const histories = env.client.workflow.list({ query }).intoHistories(options);
      await assert.rejects(async () => {
        for await (const h of histories) assert.fail(`fetched ${h.workflowId}`);
      }, InvalidArgumentError);
    }
  });
});
