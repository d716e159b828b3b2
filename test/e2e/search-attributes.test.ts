import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InvalidArgumentError } from 'reprise/client';
import type { WorkflowExecutionInfo } from 'reprise/client';
import {
  badUpsert,
  failsAtOnce,
  finish,
  infoQuery,
  orderLifecycle,
  pay,
  quick,
  waitForFinish,
} from './fixtures/visibility-workflows.ts';
import { startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

async function collect(
  iterable: AsyncIterable<WorkflowExecutionInfo>,
): Promise<WorkflowExecutionInfo[]> {
  const out: WorkflowExecutionInfo[] = [];
  for await (const info of iterable) out.push(info);
  return out;
}

// No sticky cache: every workflow task and query replays the history, so what workflowInfo()
// shows after an upsert is rebuilt from history each time.
describe('search attributes, memo, list and count', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;
  const list = (query: string, pageSize?: number) =>
    collect(env.client.workflow.list({ query, pageSize }));

  before(async () => {
    env = await startTestEnv({ workflows: 'visibility-workflows.ts', maxCachedWorkflows: 0 });
  });
  after(async () => {
    await env.close();
  });

  test('search attributes and memo given at start reach workflowInfo, describe and list', async () => {
    const workflowId = id('start-attrs');
    const handle = await env.client.workflow.start(waitForFinish, {
      taskQueue: env.taskQueue,
      workflowId,
      searchAttributes: { Customer: 'acme', Priority: 2, Due: new Date(Date.UTC(2024, 0, 2)) },
      memo: { note: 'hello' },
    });
    const expected = {
      searchAttributes: { Customer: 'acme', Priority: 2, Due: '2024-01-02T00:00:00.000Z' },
      memo: { note: 'hello' },
    };
    const described = await handle.describe();
    assert.deepEqual(
      { searchAttributes: described.searchAttributes, memo: described.memo },
      expected,
    );
    const [listed] = await list(
      `WorkflowId = '${workflowId}' AND Customer = 'acme' AND Priority >= 2`,
    );
    assert.ok(listed);
    assert.deepEqual({ searchAttributes: listed.searchAttributes, memo: listed.memo }, expected);
    assert.equal(listed.type, 'waitForFinish');
    assert.equal(listed.status, 'Running');
    await handle.signal(finish);
    assert.deepEqual(await handle.result(), expected);
  });

  test('upsertSearchAttributes is visible to list queries', async () => {
    // Registered ahead, as Temporal needs: a filter on a name not registered yet is refused, and
    // the workflow's first upsert may come after the first list.
    await env.engine.searchAttributes.add('default', {
      Stage: 'Keyword',
      Tags: 'KeywordList',
      Amount: 'Double',
      Paid: 'Bool',
      PaidAt: 'Datetime',
    });
    const workflowId = id('order');
    const handle = await env.client.workflow.start(orderLifecycle, {
      taskQueue: env.taskQueue,
      workflowId,
    });
    const inStage = async (stage: string) =>
      (await list(`WorkflowId = '${workflowId}' AND Stage = '${stage}'`)).length === 1;
    await waitFor(() => inStage('received'), 'Stage = received');
    assert.equal((await list(`WorkflowId = '${workflowId}' AND Tags = 'web'`)).length, 1);

    await handle.signal(pay, 120);
    await waitFor(() => inStage('paid'), 'Stage = paid');
    const query = `WorkflowId = '${workflowId}' AND Amount > 100 AND Paid = true AND PaidAt >= '2024-05-01' AND Tags IS NULL`;
    assert.equal((await list(query)).length, 1);
    assert.deepEqual((await handle.describe()).memo, { paidBy: 'card' });
  });

  test('upserted search attributes and memo show in workflowInfo, also on replay', async () => {
    const handle = await env.client.workflow.start(orderLifecycle, {
      taskQueue: env.taskQueue,
      workflowId: id('replayed'),
    });
    await handle.signal(pay, 7);
    const expected = {
      searchAttributes: {
        Stage: 'paid',
        Amount: 7,
        Paid: true,
        PaidAt: '2024-05-01T00:00:00.000Z',
      },
      memo: { paidBy: 'card' },
    };
    await waitFor(
      async () => (await handle.describe()).memo['paidBy'] === 'card',
      'the second upsert',
    );
    assert.deepEqual(await handle.query(infoQuery), expected);
    await handle.signal(finish);
    assert.deepEqual(await handle.result(), expected);
    const history = await handle.fetchHistory();
    assert.deepEqual(
      history.events
        .filter(
          (e) =>
            e.type === 'UpsertWorkflowSearchAttributes' || e.type === 'WorkflowPropertiesModified',
        )
        .map((e) => e.type),
      [
        'UpsertWorkflowSearchAttributes',
        'WorkflowPropertiesModified',
        'UpsertWorkflowSearchAttributes',
        'WorkflowPropertiesModified',
      ],
    );
  });

  test('list pages through every matching run, and count agrees', async () => {
    const batch = id('batch');
    for (let i = 0; i < 5; i++) {
      await env.client.workflow.execute(quick, {
        taskQueue: env.taskQueue,
        workflowId: `${batch}-${i}`,
        searchAttributes: { Batch: batch, Index: i },
      });
    }
    const listed = await list(`Batch = '${batch}' ORDER BY Index DESC`, 2);
    assert.deepEqual(
      listed.map((w) => w.workflowId),
      [4, 3, 2, 1, 0].map((i) => `${batch}-${i}`),
    );
    assert.ok(listed.every((w) => w.status === 'Completed' && w.closeTime instanceof Date));
    assert.ok(listed.every((w) => w.historyLength > 0));
    // A page size of 0 is the default page size, as Temporal's server takes it.
    assert.deepEqual(
      (await list(`Batch = '${batch}' ORDER BY Index DESC`, 0)).map((w) => w.workflowId),
      [4, 3, 2, 1, 0].map((i) => `${batch}-${i}`),
    );
    assert.deepEqual(await env.client.workflow.count(`Batch = '${batch}'`), {
      count: 5,
      groups: [],
    });
    assert.deepEqual(
      await env.client.workflow.count(`TaskQueue = '${env.taskQueue}' AND Batch = '${batch}'`),
      { count: 5, groups: [] },
    );
    assert.deepEqual(
      await env.client.workflow.count(`TaskQueue != '${env.taskQueue}' AND Batch = '${batch}'`),
      { count: 0, groups: [] },
    );
    assert.deepEqual(
      await env.client.workflow.count(`Batch = '${batch}' AND Index BETWEEN 1 AND 3`),
      {
        count: 3,
        groups: [],
      },
    );
    assert.deepEqual(
      await env.client.workflow.count(`Batch = '${batch}' AND ExecutionStatus = 'Running'`),
      { count: 0, groups: [] },
    );
  });

  test('count with GROUP BY ExecutionStatus gives a group per status, its value the status list() shows', async () => {
    const batch = id('grouped');
    const options = (i: number) => ({
      taskQueue: env.taskQueue,
      workflowId: `${batch}-${i}`,
      searchAttributes: { Batch: batch },
    });
    await env.client.workflow.execute(quick, options(0));
    await env.client.workflow.execute(quick, options(1));
    await assert.rejects(env.client.workflow.execute(failsAtOnce, options(2)));
    const terminated = await env.client.workflow.start(waitForFinish, options(3));
    await terminated.terminate('done with it');
    const running = await env.client.workflow.start(waitForFinish, options(4));

    const counted = await env.client.workflow.count(`Batch = '${batch}' GROUP BY ExecutionStatus`);
    assert.deepEqual(counted, {
      count: 5,
      groups: [
        { groupValues: ['Running'], count: 1 },
        { groupValues: ['Completed'], count: 2 },
        { groupValues: ['Failed'], count: 1 },
        { groupValues: ['Terminated'], count: 1 },
      ],
    });
    const listed = await list(`Batch = '${batch}'`);
    for (const group of counted.groups) {
      assert.equal(listed.filter((w) => w.status === group.groupValues[0]).length, group.count);
    }
    assert.deepEqual(
      await env.client.workflow.count(
        `Batch = '${batch}' AND CloseTime IS NULL group by ExecutionStatus`,
      ),
      { count: 1, groups: [{ groupValues: ['Running'], count: 1 }] },
    );
    assert.deepEqual(await env.client.workflow.count(`Batch = 'none' GROUP BY ExecutionStatus`), {
      count: 0,
      groups: [],
    });
    await running.signal(finish);
  });

  test('GROUP BY in a list, on another attribute, or with ORDER BY is refused with what to do', async () => {
    const refused = async (run: () => Promise<unknown>, message: RegExp) =>
      assert.rejects(run, (e) => {
        assert.ok(e instanceof InvalidArgumentError, String(e));
        assert.match(e.message, message);
        return true;
      });
    await refused(
      () => list("WorkflowType = 'x' GROUP BY ExecutionStatus"),
      /position 20: GROUP BY applies to a count, not to a list: drop it here, or pass the query to client.workflow.count/,
    );
    await refused(
      () => env.client.workflow.count('GROUP BY WorkflowType'),
      /position 10: GROUP BY applies to ExecutionStatus only, as in Temporal, not to WorkflowType: write GROUP BY ExecutionStatus/,
    );
    await refused(
      () => env.client.workflow.count('GROUP BY ExecutionStatus, WorkflowType'),
      /GROUP BY takes one attribute, ExecutionStatus/,
    );
    await refused(
      () => env.client.workflow.count('GROUP BY ExecutionStatus ORDER BY StartTime'),
      /position 26: ORDER BY does not go with GROUP BY, as in Temporal: drop the ORDER BY/,
    );
    await refused(
      () => env.client.workflow.count('ORDER BY StartTime GROUP BY ExecutionStatus'),
      /ORDER BY does not go with GROUP BY/,
    );
  });

  test("a quote in a list query is written '' (or \\'), and STARTS_WITH matches a Keyword's prefix", async () => {
    const batch = id("it's");
    for (const [suffix, Code] of [
      ['match', '123'],
      ['other', '23'],
    ] as const) {
      await env.client.workflow.execute(quick, {
        taskQueue: env.taskQueue,
        workflowId: `${batch}-${suffix}`,
        searchAttributes: { Code },
      });
    }
    const quoted = batch.replaceAll("'", "''");
    const listed = await list(`WorkflowId STARTS_WITH '${quoted}-' AND Code STARTS_WITH '12'`);
    assert.deepEqual(
      listed.map((w) => w.workflowId),
      [`${batch}-match`],
    );
    assert.deepEqual(
      await env.client.workflow.count(`WorkflowId = "${batch.replaceAll("'", "\\'")}-other"`),
      { count: 1, groups: [] },
    );
  });

  test('STARTS_WITH on a custom attribute held as a string list, a Datetime or a number is refused', async () => {
    const batch = id('starts-with');
    const attrs = {
      [`${batch.replaceAll('-', '_')}_List`]: ['order-1'],
      [`${batch.replaceAll('-', '_')}_Due`]: new Date(Date.UTC(2024, 4, 1)),
      [`${batch.replaceAll('-', '_')}_Int`]: 120,
    };
    await env.client.workflow.execute(quick, {
      taskQueue: env.taskQueue,
      workflowId: batch,
      searchAttributes: attrs,
    });
    for (const [name, type, hint] of [
      [Object.keys(attrs)[0], 'KeywordList', /= or IN/],
      [Object.keys(attrs)[1], 'Datetime', /BETWEEN/],
      [Object.keys(attrs)[2], 'Double', /BETWEEN/],
    ] as const) {
      const query = `${name} STARTS_WITH '${type === 'Datetime' ? '2024' : type === 'Double' ? '12' : 'order-'}'`;
      for (const run of [() => list(query), () => env.client.workflow.count(query)]) {
        await assert.rejects(run(), (e) => {
          assert.ok(e instanceof InvalidArgumentError, String(e));
          assert.match(
            e.message,
            new RegExp(
              `STARTS_WITH applies to Keyword search attributes, and ${name} is an? ${type} \\(namespace '[^']+' registers it as one\\)`,
            ),
          );
          assert.match(e.message, hint);
          return true;
        });
      }
    }
    // = and IN match a string list's elements, and a Datetime compares as a range.
    assert.equal((await list(`${Object.keys(attrs)[0]} = 'order-1'`)).length, 1);
    assert.equal((await list(`${Object.keys(attrs)[1]} >= '2024-05-01T00:00:00.000Z'`)).length, 1);
  });

  test('a malformed list query is refused with InvalidArgumentError naming the position', async () => {
    await assert.rejects(
      collect(env.client.workflow.list({ query: "WorkflowType = 'x' AND" })),
      (e) => {
        assert.ok(e instanceof InvalidArgumentError);
        assert.match(e.message, /position 23: expected an attribute name or '\('/);
        return true;
      },
    );
    await assert.rejects(env.client.workflow.count('StartTime > 5'), InvalidArgumentError);
  });

  test('an invalid search attribute is refused at start, and nothing is started', async () => {
    const workflowId = id('bad-start');
    const start = (searchAttributes: Record<string, unknown>) =>
      env.client.workflow.start(quick, { taskQueue: env.taskQueue, workflowId, searchAttributes });
    await assert.rejects(start({ Nested: { a: 1 } }), InvalidArgumentError);
    await assert.rejects(start({ ExecutionStatus: 'Running' }), /system search attribute/);
    await assert.rejects(start({ 'bad-name': 1 }), /must be an identifier/);
    assert.deepEqual(await env.client.workflow.count(`WorkflowId = '${workflowId}'`), {
      count: 0,
      groups: [],
    });
  });

  test('upserting a system search attribute fails the workflow task, not the workflow', async () => {
    const handle = await env.client.workflow.start(badUpsert, {
      taskQueue: env.taskQueue,
      workflowId: id('bad-upsert'),
    });
    await waitFor(
      async () => (await handle.describe()).lastWorkflowTaskFailure !== undefined,
      'a workflow task failure',
    );
    const d = await handle.describe();
    assert.equal(d.status, 'Running');
    assert.match(d.lastWorkflowTaskFailure?.failure.message ?? '', /system search attribute/);
    await handle.terminate('done');
  });
});
