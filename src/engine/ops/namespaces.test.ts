import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '../../client/index.ts';
import {
  InvalidArgumentError,
  NamespaceAlreadyExistsError,
  NamespaceNotFoundError,
  WorkflowNotFoundError,
} from '../../errors.ts';
import { Worker } from '../../worker/index.ts';
import * as activities from '../../../test/e2e/fixtures/activities.ts';
import { greet } from '../../../test/e2e/fixtures/workflows.ts';
import { fixturesPath, tempDir, uniqueQueue } from '../../../test/helpers/test-env.ts';
import { testStoreUrl } from '../../../test/helpers/test-store.ts';
import { ManualClock } from '../clock.ts';
import { Engine } from '../engine.ts';

describe('engine.namespaces', () => {
  const tmp = tempDir();
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  let storeUrl: string;
  let engine: Engine;

  before(async () => {
    storeUrl = await testStoreUrl(join(tmp.dir, 'namespaces.db'));
    engine = await Engine.open({ store: storeUrl, clock });
  });
  after(async () => {
    await engine.close();
    tmp.remove();
  });

  test('create records the description and the engine clock’s time, which describe and list show', async () => {
    const created = await engine.namespaces.create('billing', {
      description: 'Invoices and payments',
    });
    const billing = {
      namespace: 'billing',
      description: 'Invoices and payments',
      createdAtMs: Date.UTC(2026, 2, 1),
    };
    assert.deepEqual(created, billing);
    assert.deepEqual(await engine.namespaces.describe('billing'), billing);
    clock.advance(1_000);
    const plain = await engine.namespaces.create('team-a.prod_2');
    assert.deepEqual(plain, {
      namespace: 'team-a.prod_2',
      description: '',
      createdAtMs: Date.UTC(2026, 2, 1) + 1_000,
    });
    const listed = await engine.namespaces.list();
    assert.deepEqual(
      listed.map((n) => n.namespace),
      ['billing', 'default', 'team-a.prod_2'],
    );
    assert.deepEqual(listed[0], billing);
    assert.equal(listed[1]?.description, '');
  });

  test('creating a namespace that exists is refused with NamespaceAlreadyExistsError and changes nothing', async () => {
    const first = await engine.namespaces.create('orders', { description: 'first' });
    for (const name of ['orders', 'default']) {
      const before = await engine.namespaces.describe(name);
      await assert.rejects(engine.namespaces.create(name, { description: 'again' }), (e) => {
        assert.ok(e instanceof NamespaceAlreadyExistsError, String(e));
        assert.equal(e.namespace, name);
        assert.match(e.message, new RegExp(`Namespace '${name}' already exists`));
        return true;
      });
      assert.deepEqual(await engine.namespaces.describe(name), before);
    }
    assert.equal((await engine.namespaces.describe('orders')).description, first.description);
  });

  test('a bad name or description is refused with InvalidArgumentError that gives the rule, and creates nothing', async () => {
    const before = await engine.namespaces.list();
    const bad = ['', ' ', 'has space', 'a/b', '.hidden', '-dash', 'émile', 'x'.repeat(101)];
    for (const name of bad) {
      await assert.rejects(engine.namespaces.create(name), (e) => {
        assert.ok(e instanceof InvalidArgumentError, `${name}: ${String(e)}`);
        assert.match(e.message, /letters, digits, '\.', '-' and '_', starting with a letter/);
        return true;
      });
    }
    await assert.rejects(
      engine.namespaces.create('long-description', { description: 'd'.repeat(1_001) }),
      /at most 1000 characters/,
    );
    assert.deepEqual(await engine.namespaces.list(), before);
    // The longest name taken is 100 characters.
    const longest = 'x'.repeat(100);
    assert.equal((await engine.namespaces.create(longest)).namespace, longest);
  });

  test('describe of a namespace that does not exist throws NamespaceNotFoundError', async () => {
    await assert.rejects(engine.namespaces.describe('nowhere'), (e) => {
      assert.ok(e instanceof NamespaceNotFoundError, String(e));
      assert.equal(e.namespace, 'nowhere');
      assert.match(e.message, /reprise namespace create nowhere/);
      return true;
    });
  });

  test('a namespace one engine creates is served by another engine on the same store that found it missing', async () => {
    const other = await Engine.open({ store: storeUrl });
    try {
      await assert.rejects(other.namespaces.describe('shared'), NamespaceNotFoundError);
      await assert.rejects(
        other.connection.listWorkflows({ namespace: 'shared', query: '' }),
        NamespaceNotFoundError,
      );
      await engine.namespaces.create('shared');
      assert.equal((await other.namespaces.describe('shared')).namespace, 'shared');
      const page = await other.connection.listWorkflows({ namespace: 'shared', query: '' });
      assert.deepEqual(page.executions, []);
      await assert.rejects(other.namespaces.create('shared'), NamespaceAlreadyExistsError);
    } finally {
      await other.close();
    }
  });
});

describe('a created namespace', () => {
  const tmp = tempDir();
  let engine: Engine;

  before(async () => {
    engine = await Engine.open({ store: await testStoreUrl(join(tmp.dir, 'created.db')) });
  });
  after(async () => {
    await engine.close();
    tmp.remove();
  });

  test('runs a workflow end to end with a worker and a client in it, apart from default', async () => {
    const connection = await Connection.connect({ engine });
    const client = new Client({ connection, namespace: 'payments' });
    const taskQueue = uniqueQueue('namespaced');
    await assert.rejects(
      client.workflow.start(greet, { taskQueue, workflowId: 'wf-1', args: ['Ada'] }),
      NamespaceNotFoundError,
    );
    await engine.namespaces.create('payments');
    const worker = await Worker.create({
      connection,
      namespace: 'payments',
      taskQueue,
      workflowsPath: fixturesPath('workflows.ts'),
      activities,
    });
    const result = await worker.runUntil(
      client.workflow.execute(greet, { taskQueue, workflowId: 'wf-1', args: ['Ada'] }),
    );
    assert.match(result, /Ada/);
    const d = await client.workflow.getHandle('wf-1').describe();
    assert.equal(d.status, 'Completed');
    // The run is the namespace's own: default has no workflow of that id.
    await assert.rejects(
      new Client({ connection, namespace: 'default' }).workflow.getHandle('wf-1').describe(),
      WorkflowNotFoundError,
    );
  });
});
