// The per-namespace registry of custom search attribute types (docs/visibility.md, "Types"):
// registered at first write, enforced at later ones, managed by engine.searchAttributes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  InvalidArgumentError,
  SearchAttributeType,
  defineSearchAttributeKey,
} from 'reprise/client';
import { quick, upsertOne, upsertTypedDouble } from './fixtures/visibility-workflows.ts';
import { startTestEnv, takeWorkflowTask, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';
import type { IndexedValueType } from 'reprise/server';

describe('search attribute registry', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({ workflows: 'visibility-workflows.ts', maxCachedWorkflows: 0 });
  });
  after(async () => {
    await env.close();
  });

  const refusedType = (name: string, type: string) => (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, String(e));
    assert.match(
      e.message,
      new RegExp(`'${name}' is registered as ${type} in namespace 'default'`),
    );
    return true;
  };

  test('the first value registers the type; a start with another type is refused, and nothing is started', async () => {
    await env.client.workflow.execute(quick, {
      taskQueue: env.taskQueue,
      workflowId: id('reg'),
      searchAttributes: { RegAmount: 120, RegWhen: new Date(0), RegTags: ['a'] },
    });
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(await env.engine.searchAttributes.list('default')).filter(([k]) =>
          k.startsWith('Reg'),
        ),
      ),
      { RegAmount: 'Double', RegTags: 'KeywordList', RegWhen: 'Datetime' },
    );
    const workflowId = id('reg-refused');
    await assert.rejects(
      env.client.workflow.start(quick, {
        taskQueue: env.taskQueue,
        workflowId,
        searchAttributes: { RegOther: 'x', RegAmount: 'a lot' },
      }),
      (e) => {
        refusedType('RegAmount', 'Double')(e);
        assert.match((e as Error).message, /the value is the string "a lot"/);
        return true;
      },
    );
    await assert.rejects(env.client.workflow.getHandle(workflowId).describe(), /No workflow/);
    // Nothing of the refused start was registered either.
    assert.equal((await env.engine.searchAttributes.list('default'))['RegOther'], undefined);
    // A number first written whole registers a Double, so a fraction still fits it later; any
    // string fits a Keyword, a Date a Datetime.
    await env.client.workflow.execute(quick, {
      taskQueue: env.taskQueue,
      workflowId: id('reg-ok'),
      searchAttributes: { RegAmount: 7.5, RegWhen: new Date(5) },
    });
    assert.equal((await env.engine.searchAttributes.list('default'))['RegAmount'], 'Double');
  });

  test('a typed key registers its own type', async () => {
    const Ratio = defineSearchAttributeKey('RegRatio', SearchAttributeType.DOUBLE);
    await env.client.workflow.execute(quick, {
      taskQueue: env.taskQueue,
      workflowId: id('typed'),
      typedSearchAttributes: [{ key: Ratio, value: 2 }],
    });
    assert.equal((await env.engine.searchAttributes.list('default'))['RegRatio'], 'Double');
    // A whole number with a DOUBLE key registers a Double too.
    await env.client.workflow.execute(quick, {
      taskQueue: env.taskQueue,
      workflowId: id('typed-2'),
      searchAttributes: { RegRatio: 2.5 },
    });
    // From workflow code too.
    await env.client.workflow.execute(upsertTypedDouble, {
      taskQueue: env.taskQueue,
      workflowId: id('typed-upsert'),
      args: ['RegUpsertRatio'],
    });
    assert.equal((await env.engine.searchAttributes.list('default'))['RegUpsertRatio'], 'Double');
    // An INT key's values fit a Double.
    await env.client.workflow.execute(quick, {
      taskQueue: env.taskQueue,
      workflowId: id('typed-3'),
      typedSearchAttributes: [
        { key: defineSearchAttributeKey('RegRatio', SearchAttributeType.INT), value: 2 },
      ],
    });
    // An INT key registers an Int, which refuses a fraction and a key of another type.
    const Count = defineSearchAttributeKey('RegTypedCount', SearchAttributeType.INT);
    await env.client.workflow.execute(quick, {
      taskQueue: env.taskQueue,
      workflowId: id('typed-4'),
      typedSearchAttributes: [{ key: Count, value: 3 }],
    });
    assert.equal((await env.engine.searchAttributes.list('default'))['RegTypedCount'], 'Int');
    await assert.rejects(
      env.client.workflow.start(quick, {
        taskQueue: env.taskQueue,
        workflowId: id('typed-5'),
        searchAttributes: { RegTypedCount: 1.5 },
      }),
      refusedType('RegTypedCount', 'Int'),
    );
    await assert.rejects(
      env.client.workflow.start(quick, {
        taskQueue: env.taskQueue,
        workflowId: id('typed-6'),
        typedSearchAttributes: [
          { key: defineSearchAttributeKey('RegTypedCount', SearchAttributeType.DOUBLE), value: 2 },
        ],
      }),
      /'RegTypedCount' is registered as Int in namespace 'default', and its typed key declares Double/,
    );
  });

  test("a schedule registers its typed keys' types: its own, its action's at create and update, and at each start", async () => {
    const int = (name: string) => defineSearchAttributeKey(name, SearchAttributeType.INT);
    const action = (key: string) => ({
      type: 'startWorkflow' as const,
      workflowType: quick,
      taskQueue: env.taskQueue,
      workflowId: id('sched-run'),
      typedSearchAttributes: [{ key: int(key), value: 4 }],
    });
    const scheduleId = id('sched');
    const handle = await env.client.schedule.create({
      scheduleId,
      spec: { cronExpressions: ['0 0 1 1 *'] },
      action: action('RegSchedActionCount'),
      typedSearchAttributes: [{ key: int('RegSchedCount'), value: 3 }],
      state: { paused: true },
    });
    const registered = async (name: string) =>
      (await env.engine.searchAttributes.list('default'))[name];
    assert.equal(await registered('RegSchedCount'), 'Int');
    assert.equal(await registered('RegSchedActionCount'), 'Int');
    await handle.update((d) => ({ ...d, action: action('RegSchedUpdatedCount') }));
    assert.equal(await registered('RegSchedUpdatedCount'), 'Int');
    // Removed since: the scheduled start registers it again with its key's type.
    await env.engine.searchAttributes.remove('default', ['RegSchedUpdatedCount']);
    await handle.trigger();
    await waitFor(
      async () => (await handle.describe()).info.numActionsTaken === 1,
      'the triggered start',
    );
    assert.equal(await registered('RegSchedUpdatedCount'), 'Int');
    await handle.delete();
  });

  test('an upsert of another type fails the workflow task with BadSearchAttributes, and changes nothing', async () => {
    await env.engine.searchAttributes.add('default', { RegStage: 'Keyword' });
    const handle = await env.client.workflow.start(upsertOne, {
      taskQueue: env.taskQueue,
      workflowId: id('upsert'),
      args: ['RegStage', 3],
    });
    await waitFor(
      async () => (await handle.describe()).lastWorkflowTaskFailure !== undefined,
      'a workflow task failure',
    );
    const d = await handle.describe();
    assert.equal(d.status, 'Running');
    assert.match(
      d.lastWorkflowTaskFailure?.failure.message ?? '',
      /'RegStage' is registered as Keyword in namespace 'default', which takes a string, and the value is the number 3/,
    );
    assert.equal(d.lastWorkflowTaskFailure?.cause, 'BadSearchAttributes');
    assert.deepEqual(d.searchAttributes, {});
    await handle.terminate('done');
  });

  test('a refused answer registers nothing: a continue-as-new turned down for a signal that came meanwhile', async () => {
    // A queue with no worker: the test plays the worker.
    const taskQueue = `${env.taskQueue}-manual`;
    const handle = await env.client.workflow.start(quick, { taskQueue, workflowId: id('refused') });
    const task = await takeWorkflowTask(env, taskQueue);
    await handle.signal('poke', 'x'); // arrives while the task is out
    const answer = await env.engine.connection.completeWorkflowTask({
      taskToken: task.taskToken,
      identity: 'test',
      commands: [
        {
          type: 'ContinueAsNewWorkflowExecution',
          workflowType: 'quick',
          taskQueue,
          args: [],
          searchAttributes: { RegNeverWritten: 1 },
        },
      ],
    });
    assert.deepEqual(answer, { accepted: false });
    assert.equal((await env.engine.searchAttributes.list('default'))['RegNeverWritten'], undefined);
    await handle.terminate('done');
  });

  test('add, list and remove: a name registered with another type is refused, one not registered cannot be removed', async () => {
    // From JavaScript, a type in any case or as a SearchAttributeType is taken too.
    await env.engine.searchAttributes.add('default', {
      RegA: 'Bool',
      RegB: 'keyword_list' as IndexedValueType,
    });
    const listed = await env.engine.searchAttributes.list('default');
    assert.equal(listed['RegA'], 'Bool');
    assert.equal(listed['RegB'], 'KeywordList');
    await env.engine.searchAttributes.add('default', { RegA: 'Bool' }); // the same: no change
    await assert.rejects(
      env.engine.searchAttributes.add('default', { RegC: 'Int', RegA: 'Int' }),
      /Cannot add search attribute 'RegA' as Int: it is registered as Bool in namespace 'default'/,
    );
    assert.equal((await env.engine.searchAttributes.list('default'))['RegC'], undefined);
    await assert.rejects(
      env.engine.searchAttributes.add('default', { RegT: 'Text' as IndexedValueType }),
      /"Text" is not supported/,
    );
    await assert.rejects(
      env.engine.searchAttributes.add('default', { WorkflowId: 'Keyword' }),
      /system search attribute/,
    );
    // A run holding a registered name: removing it is allowed (Temporal's rule), values stay.
    const workflowId = id('held');
    await env.client.workflow.execute(quick, {
      taskQueue: env.taskQueue,
      workflowId,
      searchAttributes: { RegA: true },
    });
    await env.engine.searchAttributes.remove('default', ['RegA']);
    assert.equal((await env.engine.searchAttributes.list('default'))['RegA'], undefined);
    assert.deepEqual(
      (await env.client.workflow.getHandle(workflowId).describe()).searchAttributes,
      { RegA: true },
    );
    // The next write registers it again, from its value.
    await env.client.workflow.execute(quick, {
      taskQueue: env.taskQueue,
      workflowId: id('held-2'),
      searchAttributes: { RegA: 'now a keyword' },
    });
    assert.equal((await env.engine.searchAttributes.list('default'))['RegA'], 'Keyword');
    await assert.rejects(
      env.engine.searchAttributes.remove('default', ['RegB', 'RegNever']),
      /Cannot remove search attribute 'RegNever': namespace 'default' does not register it/,
    );
    assert.equal((await env.engine.searchAttributes.list('default'))['RegB'], 'KeywordList');
  });

  test("a name Temporal reserves is refused at a start, a schedule and add; a schedule's two are taken with their types only, as Temporal's server takes them", async () => {
    const workflowId = id('reserved');
    const start = (searchAttributes: Record<string, unknown>) =>
      env.client.workflow.start(quick, { taskQueue: env.taskQueue, workflowId, searchAttributes });
    const refused = (name: string, problem: RegExp) => (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError, String(e));
      assert.match(e.message, new RegExp(`'${name}' ${problem.source}`));
      assert.match(e.message, /it cannot be set\. Use another name for an attribute of your own\./);
      assert.doesNotMatch(e.message, /is registered as/);
      return true;
    };
    const byTemporal = /is reserved for Temporal's own search attributes/;
    const ofType = (name: string, type: string) => (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError, String(e));
      assert.match(e.message, new RegExp(`'${name}' is a system search attribute of type ${type}`));
      assert.doesNotMatch(e.message, /is registered as/);
      return true;
    };
    await assert.rejects(
      start({ Customer: 'acme', TemporalScheduledById: 3 }),
      ofType('TemporalScheduledById', 'Keyword'),
    );
    await assert.rejects(
      start({ TemporalScheduledStartTime: 'yesterday' }),
      ofType('TemporalScheduledStartTime', 'Datetime'),
    );
    await assert.rejects(
      env.client.workflow.start(quick, {
        taskQueue: env.taskQueue,
        workflowId,
        typedSearchAttributes: [
          {
            key: defineSearchAttributeKey(
              'TemporalScheduledById',
              SearchAttributeType.KEYWORD_LIST,
            ),
            value: ['nightly'],
          },
        ],
      }),
      ofType('TemporalScheduledById', 'Keyword'),
    );
    for (const name of ['TemporalMine', 'TemporalSchedulePaused', 'BuildIds', 'ParentWorkflowId']) {
      await assert.rejects(start({ [name]: 'x' }), refused(name, byTemporal));
    }
    await assert.rejects(env.client.workflow.getHandle(workflowId).describe(), /No workflow/);
    // With their types, a schedule's names are taken (nothing is registered for them).
    const at = new Date('2026-01-02T03:04:05.000Z');
    const taken = await start({ TemporalScheduledById: 'nightly', TemporalScheduledStartTime: at });
    assert.deepEqual((await taken.describe()).searchAttributes, {
      TemporalScheduledById: 'nightly',
      TemporalScheduledStartTime: at.toISOString(),
    });
    await taken.result();
    assert.equal(
      (await env.engine.searchAttributes.list('default'))['TemporalScheduledById'],
      undefined,
    );

    // A schedule: its action's, and its own.
    const action = (searchAttributes: Record<string, unknown>) => ({
      type: 'startWorkflow' as const,
      workflowType: quick,
      taskQueue: env.taskQueue,
      workflowId: id('sched-run'),
      searchAttributes,
    });
    await assert.rejects(
      env.client.schedule.create({
        scheduleId: id('sched'),
        spec: { cronExpressions: ['0 0 1 1 *'] },
        action: action({ BuildIds: ['another'] }),
      }),
      refused('BuildIds', byTemporal),
    );
    await assert.rejects(
      env.client.schedule.create({
        scheduleId: id('sched'),
        spec: { cronExpressions: ['0 0 1 1 *'] },
        action: action({}),
        searchAttributes: { TemporalSchedulePaused: true },
      }),
      refused('TemporalSchedulePaused', byTemporal),
    );

    // Registering one is refused too (Temporal's "is reserved by system").
    for (const name of ['TemporalMine', 'BuildIds', 'TemporalScheduledById']) {
      await assert.rejects(
        env.engine.searchAttributes.add('default', { [name]: 'Keyword' }),
        new RegExp(`Cannot add search attribute '${name}': it is .*Use another name`),
      );
    }
  });

  test("from workflow code, a name Temporal reserves fails the task with BadSearchAttributes: an upsert (a removal too), a child, a continue-as-new; a continue-as-new may pass a schedule's names on", async () => {
    for (const [name, value] of [
      ['BuildIds', ['x']],
      ['TemporalMine', null],
      ['TemporalMine', 'x'],
    ] as const) {
      const handle = await env.client.workflow.start(upsertOne, {
        taskQueue: env.taskQueue,
        workflowId: id('reserved-upsert'),
        args: [name, value],
      });
      await waitFor(
        async () => (await handle.describe()).lastWorkflowTaskFailure !== undefined,
        'a workflow task failure',
      );
      const d = await handle.describe();
      assert.equal(d.status, 'Running');
      assert.equal(d.lastWorkflowTaskFailure?.cause, 'BadSearchAttributes');
      assert.match(
        d.lastWorkflowTaskFailure.failure.message,
        new RegExp(`'${name}' is .*: it cannot be set\\. Use another name`),
      );
      assert.deepEqual(d.searchAttributes, {});
      await handle.terminate('done');
    }

    // A child's and a continue-as-new's, answered by the test as a worker would.
    const taskQueue = `${env.taskQueue}-reserved`;
    for (const command of [
      {
        type: 'StartChildWorkflowExecution' as const,
        seq: 1,
        workflowId: id('reserved-child'),
        workflowType: 'quick',
        taskQueue,
        args: [],
        parentClosePolicy: 'TERMINATE' as const,
        searchAttributes: { ParentWorkflowId: 'p' },
      },
      {
        type: 'ContinueAsNewWorkflowExecution' as const,
        workflowType: 'quick',
        taskQueue,
        args: [],
        searchAttributes: { TemporalScheduledById: 'nightly', TemporalMine: 'x' },
      },
    ]) {
      const handle = await env.client.workflow.start(quick, {
        taskQueue,
        workflowId: id('reserved-commands'),
      });
      const task = await takeWorkflowTask(env, taskQueue);
      const answer = await env.engine.connection.completeWorkflowTask({
        taskToken: task.taskToken,
        identity: 'test',
        commands: [command],
      });
      assert.deepEqual(answer, { accepted: false });
      const d = await handle.describe();
      assert.equal(d.status, 'Running');
      assert.equal(d.lastWorkflowTaskFailure?.cause, 'BadSearchAttributes');
      assert.match(
        d.lastWorkflowTaskFailure.failure.message,
        /is reserved for Temporal's own search attributes.*: it cannot be set/,
      );
      await handle.terminate('done');
    }

    // A scheduled run's continue-as-new that passes its attributes on is taken.
    const handle = await env.client.workflow.start(quick, {
      taskQueue,
      workflowId: id('scheduled-can'),
    });
    const task = await takeWorkflowTask(env, taskQueue);
    const at = new Date(0).toISOString();
    const answer = await env.engine.connection.completeWorkflowTask({
      taskToken: task.taskToken,
      identity: 'test',
      commands: [
        {
          type: 'ContinueAsNewWorkflowExecution',
          workflowType: 'quick',
          taskQueue,
          args: [],
          searchAttributes: { TemporalScheduledById: 'nightly', TemporalScheduledStartTime: at },
        },
      ],
    });
    assert.deepEqual(answer, { accepted: true });
    const next = await env.client.workflow.getHandle(handle.workflowId).describe();
    assert.notEqual(next.runId, handle.firstExecutionRunId);
    assert.deepEqual(next.searchAttributes, {
      TemporalScheduledById: 'nightly',
      TemporalScheduledStartTime: at,
    });
    await env.client.workflow.getHandle(handle.workflowId).terminate('done');
  });

  test('list, count and schedule.list refuse a filter on a name the namespace does not register, or no longer does, as Temporal', async () => {
    const unknown = (name: string) => (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError, String(e));
      assert.match(
        e.message,
        new RegExp(
          `^Invalid list filter: ${name} is not a valid search attribute: namespace 'default' does not register it \\(it was never set, or was removed\\)\\. Register it with engine\\.searchAttributes\\.add\\('default', \\{ ${name}: 'Keyword' \\}\\)`,
        ),
      );
      return true;
    };
    const listAll = async (query: string) => {
      const out: string[] = [];
      for await (const wf of env.client.workflow.list({ query })) out.push(wf.workflowId);
      return out;
    };
    await assert.rejects(env.client.workflow.count("RegNeverSet = 'x'"), unknown('RegNeverSet'));
    await assert.rejects(listAll('RegNeverSet IS NULL'), unknown('RegNeverSet'));
    await assert.rejects(
      listAll("WorkflowType = 'quick' ORDER BY RegNeverSet"),
      unknown('RegNeverSet'),
    );

    // Removed while a run holds a value: the run keeps it, and a filter on it is refused.
    const workflowId = id('removed');
    await env.client.workflow.execute(quick, {
      taskQueue: env.taskQueue,
      workflowId,
      searchAttributes: { RegRemoved: 'kept' },
    });
    assert.deepEqual(await listAll("RegRemoved = 'kept'"), [workflowId]);
    await env.engine.searchAttributes.remove('default', ['RegRemoved']);
    await assert.rejects(env.client.workflow.count("RegRemoved = 'kept'"), unknown('RegRemoved'));
    // Registered again, its filter works again, and finds the kept value.
    await env.engine.searchAttributes.add('default', { RegRemoved: 'Keyword' });
    assert.deepEqual(await listAll("RegRemoved = 'kept'"), [workflowId]);

    const listSchedules = async (query: string) => {
      const out: string[] = [];
      for await (const sched of env.client.schedule.list({ query })) out.push(sched.scheduleId);
      return out;
    };
    await assert.rejects(listSchedules("RegNeverSet = 'x'"), unknown('RegNeverSet'));
    await assert.rejects(
      listSchedules("TemporalScheduledById = 'x'"),
      /TemporalScheduledById is a search attribute of the runs a schedule starts, not of a schedule/,
    );
    assert.deepEqual(
      await listSchedules('TemporalSchedulePaused = true AND RegRemoved IS NULL'),
      [],
    );
    await assert.rejects(
      env.client.workflow.count('TemporalSchedulePaused = true'),
      /TemporalSchedulePaused is a schedule's search attribute, not a workflow's: filter schedules on it with client\.schedule\.list/,
    );
    await assert.rejects(
      env.client.workflow.count("RootWorkflowId = 'x'"),
      /RootWorkflowId is reserved for Temporal's own search attributes.*Reprise does not record it: it cannot be queried/,
    );
  });

  test('a list filter is checked against the registry: STARTS_WITH on a registered Int is refused before any run holds it', async () => {
    await env.engine.searchAttributes.add('default', { RegCount: 'Int' });
    await assert.rejects(
      env.client.workflow.count("RegCount STARTS_WITH '1'"),
      /STARTS_WITH applies to Keyword search attributes, and RegCount is an Int \(namespace 'default' registers it as one\)/,
    );
  });
});
