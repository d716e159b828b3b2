// Typed search attributes end to end: a real engine on SQLite, a worker and a client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  InvalidArgumentError,
  SearchAttributeType,
  TypedSearchAttributes,
  defineSearchAttributeKey,
} from 'reprise/client';
import type { WorkflowExecutionInfo } from 'reprise/client';
import type { InjectedSinks } from 'reprise/worker';
import type { WorkflowInfo } from 'reprise/workflow';
import {
  Amount,
  Customer,
  PaidAt,
  Stage,
  Tags,
  badTypedUpsert,
  badUntypedAttributes,
  finish,
  pay,
  typedOrder,
  typedContinuer,
  typedParent,
  typedQuery,
  typedReader,
  typedSinkCaller,
} from './fixtures/typed-search-attributes-workflows.ts';
import type { TypedSinks } from './fixtures/typed-search-attributes-workflows.ts';
import { startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const Region = defineSearchAttributeKey('Region', SearchAttributeType.KEYWORD);
const paidAt = new Date(Date.UTC(2024, 4, 1, 12));

// No sticky cache: every workflow task and query replays the history, so what workflowInfo()
// shows after a typed upsert is rebuilt from history each time.
describe('typed search attributes', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;
  const list = async (query: string): Promise<WorkflowExecutionInfo[]> => {
    const out: WorkflowExecutionInfo[] = [];
    for await (const info of env.client.workflow.list({ query })) out.push(info);
    return out;
  };

  before(async () => {
    env = await startTestEnv({
      workflows: 'typed-search-attributes-workflows.ts',
      maxCachedWorkflows: 0,
    });
  });
  after(async () => {
    await env.close();
  });

  test('typed attributes given at start are listed by, and read in workflowInfo and describe', async () => {
    const workflowId = id('typed-start');
    const handle = await env.client.workflow.start(typedOrder, {
      taskQueue: env.taskQueue,
      workflowId,
      typedSearchAttributes: [
        { key: Customer, value: 'acme' },
        { key: Amount, value: 40 },
        { key: PaidAt, value: new Date(Date.UTC(2024, 0, 2)) },
        { key: Tags, value: ['web', 'new'] },
      ],
    });
    const [listed] = await list(
      `WorkflowId = '${workflowId}' AND Customer = 'acme' AND Amount >= 40 AND PaidAt < '2024-01-03' AND Tags = 'web'`,
    );
    assert.ok(listed, 'listed by its typed attributes');
    assert.equal(listed.typedSearchAttributes.get(Customer), 'acme');
    assert.deepEqual(listed.typedSearchAttributes.get(PaidAt), new Date(Date.UTC(2024, 0, 2)));

    const described = await handle.describe();
    assert.deepEqual(described.searchAttributes, {
      Customer: 'acme',
      Amount: 40,
      PaidAt: '2024-01-02T00:00:00.000Z',
      Tags: ['web', 'new'],
    });
    assert.ok(described.typedSearchAttributes instanceof TypedSearchAttributes);
    assert.equal(described.typedSearchAttributes.get(Amount), 40);
    assert.deepEqual(described.typedSearchAttributes.get(Tags), ['web', 'new']);

    assert.deepEqual(await handle.query(typedQuery), {
      customer: 'acme',
      amount: 40,
      paidAtIsDate: true,
      paidAt: '2024-01-02T00:00:00.000Z',
      stage: null,
      types: { Customer: 'KEYWORD', Amount: 'INT', PaidAt: 'DATETIME', Tags: 'KEYWORD_LIST' },
      untyped: described.searchAttributes,
    });
    await handle.terminate('done');
  });

  test('a typed upsert sets and removes attributes: workflowInfo, describe and list see it, also on replay', async () => {
    const workflowId = id('typed-upsert');
    const handle = await env.client.workflow.start(typedOrder, {
      taskQueue: env.taskQueue,
      workflowId,
      typedSearchAttributes: [
        { key: Customer, value: 'acme' },
        { key: Tags, value: ['web'] },
      ],
    });
    await handle.signal(pay, 120);
    await waitFor(
      async () => (await handle.describe()).typedSearchAttributes.get(Stage) === 'paid',
      'the typed upsert',
    );
    const d = await handle.describe();
    assert.deepEqual(d.searchAttributes, {
      Amount: 120,
      PaidAt: '2024-05-01T12:00:00.000Z',
      Stage: 'paid',
    });
    assert.deepEqual(d.typedSearchAttributes.get(PaidAt), paidAt);
    assert.equal(d.typedSearchAttributes.has(Customer), false);
    assert.equal(
      (
        await list(
          `WorkflowId = '${workflowId}' AND Stage = 'paid' AND Amount = 120 AND PaidAt = '2024-05-01T12:00:00.000Z' AND Customer IS NULL AND Tags IS NULL`,
        )
      ).length,
      1,
    );
    const expected = {
      customer: null,
      amount: 120,
      paidAtIsDate: true,
      paidAt: '2024-05-01T12:00:00.000Z',
      stage: 'paid',
      types: { Amount: 'INT', PaidAt: 'DATETIME', Stage: 'KEYWORD' },
      untyped: d.searchAttributes,
    };
    // Answered after a replay of the whole history (no cache), so rebuilt from the upsert.
    assert.deepEqual(await handle.query(typedQuery), expected);
    await handle.signal(finish);
    const { before, after } = await handle.result();
    assert.equal(before.customer, 'acme');
    assert.deepEqual(after, expected);
  });

  test('a typed upsert of a value not of its key’s type fails the workflow task, saying why', async () => {
    const handle = await env.client.workflow.start(badTypedUpsert, {
      taskQueue: env.taskQueue,
      workflowId: id('bad-typed-upsert'),
    });
    await waitFor(
      async () => (await handle.describe()).lastWorkflowTaskFailure !== undefined,
      'a workflow task failure',
    );
    const d = await handle.describe();
    assert.equal(d.status, 'Running');
    assert.match(
      d.lastWorkflowTaskFailure?.failure.message ?? '',
      /'Amount' in upsertSearchAttributes: its key is declared INT.*the number 1.5/,
    );
    await handle.terminate('done');
  });

  test('a child start or continue-as-new with untyped search attributes a client start refuses fails the workflow task (BadSearchAttributes), saying why', async () => {
    for (const how of ['child', 'continueAsNew'] as const) {
      const handle = await env.client.workflow.start(badUntypedAttributes, {
        taskQueue: env.taskQueue,
        workflowId: id(`bad-untyped-${how}`),
        args: [how],
      });
      await waitFor(
        async () => (await handle.describe()).lastWorkflowTaskFailure !== undefined,
        'a workflow task failure',
      );
      const d = await handle.describe();
      assert.equal(d.status, 'Running');
      const failure = d.lastWorkflowTaskFailure;
      assert.ok(failure);
      assert.equal(failure.cause, 'BadSearchAttributes');
      assert.match(
        failure.failure.message,
        how === 'child'
          ? /'WorkflowId' is a system search attribute.*child workflow '.*-child' \(typedReader\)/
          : /'WorkflowId' is a system search attribute.*continue-as-new/,
      );
      if (how === 'child') {
        // Nothing was started.
        await assert.rejects(
          env.client.workflow.getHandle(`${handle.workflowId}-child`).describe(),
          { name: 'WorkflowNotFoundError' },
        );
      }
      await handle.terminate('done');
    }
  });

  test('a typed value not of its key’s type is refused at start, and nothing is started', async () => {
    const workflowId = id('bad-typed-start');
    await assert.rejects(
      env.client.workflow.start(typedReader, {
        taskQueue: env.taskQueue,
        workflowId,
        typedSearchAttributes: [{ key: PaidAt, value: '2024-01-01' as unknown as Date }],
      }),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        /'PaidAt'.*declared DATETIME, which takes a valid Date, and the value is the string "2024-01-01"/.test(
          e.message,
        ),
    );
    assert.deepEqual(await env.client.workflow.count(`WorkflowId = '${workflowId}'`), {
      count: 0,
      groups: [],
    });
  });

  test('given both at start, a typed attribute wins over an untyped one of the same name', async () => {
    const handle = await env.client.workflow.start(typedReader, {
      taskQueue: env.taskQueue,
      workflowId: id('both'),
      searchAttributes: { Customer: 'untyped', Region: 'eu' },
      typedSearchAttributes: new TypedSearchAttributes([{ key: Customer, value: 'typed' }]),
    });
    const d = await handle.describe();
    assert.deepEqual(d.searchAttributes, { Customer: 'typed', Region: 'eu' });
    assert.equal(d.typedSearchAttributes.get(Region), 'eu');
  });

  test('a child started with typed search attributes reads them in workflowInfo', async () => {
    const snapshot = await env.client.workflow.execute(typedParent, {
      taskQueue: env.taskQueue,
      workflowId: id('typed-parent'),
    });
    assert.deepEqual(snapshot.untyped, {
      Customer: 'globex',
      Stage: 'child',
      PaidAt: '2024-01-02T00:00:00.000Z',
    });
    assert.equal(snapshot.customer, 'globex');
    assert.equal(snapshot.paidAtIsDate, true);
  });

  test('continue-as-new with typed search attributes gives the next run those', async () => {
    const snapshot = await env.client.workflow.execute(typedContinuer, {
      taskQueue: env.taskQueue,
      workflowId: id('typed-continuer'),
      args: [false],
      searchAttributes: { Customer: 'first-run' },
    });
    assert.deepEqual(snapshot.untyped, { Amount: 9 });
    assert.equal(snapshot.amount, 9);
  });

  test("a schedule's action starts runs with its typed search attributes", async () => {
    const scheduleId = id('typed-schedule');
    const h = await env.client.schedule.create({
      scheduleId,
      spec: { cronExpressions: ['0 0 1 1 *'] },
      action: {
        type: 'startWorkflow',
        workflowType: typedReader,
        taskQueue: env.taskQueue,
        workflowId: scheduleId,
        searchAttributes: { Region: 'eu' },
        typedSearchAttributes: [
          { key: Customer, value: 'initech' },
          { key: PaidAt, value: paidAt },
        ],
      },
      typedSearchAttributes: [{ key: Stage, value: 'scheduled' }],
    });
    const d = await h.describe();
    assert.deepEqual(d.action.searchAttributes, {
      Region: 'eu',
      Customer: 'initech',
      PaidAt: '2024-05-01T12:00:00.000Z',
    });
    assert.deepEqual(d.action.typedSearchAttributes.get(PaidAt), paidAt);
    assert.equal(d.typedSearchAttributes.get(Stage), 'scheduled');

    await h.trigger();
    await waitFor(
      async () => (await h.describe()).info.recentActions.length === 1,
      'the triggered action',
    );
    const [action] = (await h.describe()).info.recentActions;
    assert.ok(action);
    const run = env.client.workflow.getHandle<typeof typedReader>(
      action.action.workflow.workflowId,
    );
    const snapshot = await run.result();
    assert.equal(snapshot.customer, 'initech');
    assert.equal(snapshot.paidAt, '2024-05-01T12:00:00.000Z');
    assert.equal(snapshot.paidAtIsDate, true);
    assert.equal((await run.describe()).typedSearchAttributes.get(Region), 'eu');
    await h.delete();
  });

  test("update(fn) that changes one form of an action's search attributes keeps the change", async () => {
    const scheduleId = id('typed-schedule-update');
    const h = await env.client.schedule.create({
      scheduleId,
      spec: { cronExpressions: ['0 0 1 1 *'] },
      action: {
        type: 'startWorkflow',
        workflowType: typedReader,
        taskQueue: env.taskQueue,
        typedSearchAttributes: [
          { key: Customer, value: 'acme' },
          { key: Region, value: 'eu' },
        ],
      },
    });
    // The description's typed form is a copy of its untyped one: changing the untyped one
    // alone must not be undone by it…
    await h.update((d) => ({
      ...d,
      action: { ...d.action, searchAttributes: { ...d.action.searchAttributes, Region: 'us' } },
    }));
    assert.deepEqual((await h.describe()).action.searchAttributes, {
      Customer: 'acme',
      Region: 'us',
    });
    // …nor the other way round: removing with the typed form removes.
    await h.update((d) => ({
      ...d,
      action: {
        ...d.action,
        typedSearchAttributes: d.action.typedSearchAttributes.updateCopy([
          { key: Customer, value: null },
        ]),
      },
    }));
    assert.deepEqual((await h.describe()).action.searchAttributes, { Region: 'us' });
    await h.delete();
  });

  test("a sink function's workflowInfo has the typed search attributes of the call", async () => {
    const infos: WorkflowInfo[] = [];
    const sinks: InjectedSinks<TypedSinks> = {
      seen: {
        record: {
          fn: (info) => {
            infos.push(info);
          },
        },
      },
    };
    const sinkEnv = await startTestEnv({
      workflows: 'typed-search-attributes-workflows.ts',
      worker: { sinks },
    });
    try {
      await sinkEnv.client.workflow.execute(typedSinkCaller, {
        taskQueue: sinkEnv.taskQueue,
        workflowId: id('typed-sink'),
        typedSearchAttributes: [{ key: Customer, value: 'acme' }],
      });
      const [info] = infos;
      assert.ok(info);
      assert.ok(info.typedSearchAttributes instanceof TypedSearchAttributes);
      assert.equal(info.typedSearchAttributes.get(Customer), 'acme');
      assert.deepEqual(info.typedSearchAttributes.get(PaidAt), paidAt);
    } finally {
      await sinkEnv.close();
    }
  });
});
