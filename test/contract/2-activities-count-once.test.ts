// DESIGN contract 2: activities run at least once, and count once. A completion is recorded once
// (a second one with the same task token changes nothing), and every attempt of one activity
// gets the same idempotency key so that its side effects can be made exactly-once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RepriseError } from 'reprise/client';
import * as activities from './fixtures/contract-activities.ts';
import { attemptsOf, state } from './fixtures/contract-activities.ts';
import { completedFromOutside, twoFlaky } from './fixtures/contract-workflows.ts';
import { contractWorkflows } from './fixtures/paths.ts';
import { startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('contract 2: activities run at least once, and count once', () => {
  let env: TestEnv;

  before(async () => {
    env = await startTestEnv({ workflows: contractWorkflows, activities });
  });
  after(async () => {
    await env.close();
  });

  test('a second completion with the same task token is refused with ActivityTaskNotFound and changes nothing', async () => {
    const key = 'async-complete';
    const handle = await env.client.workflow.start(completedFromOutside, {
      taskQueue: env.taskQueue,
      workflowId: key,
      args: [key],
    });
    await waitFor(() => state.tokens.has(key), 'the task token');
    const taskToken = state.tokens.get(key) ?? assert.fail('no task token');
    const { connection } = env.engine;

    await connection.completeActivityTask({ taskToken, identity: 't', result: 'first' });
    assert.equal(await handle.result(), 'first');
    const before = (await handle.fetchHistory()).events;
    const completed = before.filter((e) => e.type === 'ActivityTaskCompleted');
    assert.equal(completed.length, 1);
    assert.equal(completed[0]?.type === 'ActivityTaskCompleted' && completed[0].result, 'first');

    await assert.rejects(
      connection.completeActivityTask({ taskToken, identity: 't', result: 'second' }),
      (e: unknown) => {
        assert.ok(e instanceof RepriseError);
        assert.equal(e.code, 'ActivityTaskNotFound');
        return true;
      },
    );
    assert.deepEqual((await handle.fetchHistory()).events, before, 'history is unchanged');
    assert.equal(attemptsOf(key).length, 1);
  });

  test('every attempt of one activity gets the same idempotency key; two activities get different keys', async () => {
    const [keyA, keyB] = ['idem-a', 'idem-b'];
    const result = await env.client.workflow.execute(twoFlaky, {
      taskQueue: env.taskQueue,
      workflowId: 'idempotency',
      args: [keyA, keyB],
    });
    assert.deepEqual(result, [`${keyA}: attempt 2`, `${keyB}: attempt 2`]);
    const a = attemptsOf(keyA);
    const b = attemptsOf(keyB);
    assert.deepEqual(
      [a.map((r) => r.attempt), b.map((r) => r.attempt)],
      [
        [1, 2],
        [1, 2],
      ],
    );
    assert.equal(a[0]?.idempotencyKey, a[1]?.idempotencyKey, 'same key across retries');
    assert.equal(b[0]?.idempotencyKey, b[1]?.idempotencyKey, 'same key across retries');
    assert.notEqual(a[0]?.idempotencyKey, b[0]?.idempotencyKey, 'different activities differ');
  });
});
