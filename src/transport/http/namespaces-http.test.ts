// Namespaces over the HTTP API: the calls, their answers and their errors (as statuses, and as the
// classes the HTTP connection rebuilds). A real engine on a SQLite file, real HTTP on loopback.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../engine/engine.ts';
import type { EngineServer } from '../../engine/engine.ts';
import {
  InvalidArgumentError,
  NamespaceAlreadyExistsError,
  NamespaceNotFoundError,
} from '../../errors.ts';
import { tempDir } from '../../../test/helpers/test-env.ts';
import type { HttpConnection } from './http-connection.ts';
import { httpConnection } from './http-connection.ts';

async function post(
  server: EngineServer,
  method: string,
  body: unknown,
): Promise<{ status: number; body: { result?: unknown; error?: { code: string; type: string } } }> {
  const res = await fetch(`${server.url}/api/v1/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as never };
}

describe('namespaces over the HTTP API', () => {
  const tmp = tempDir();
  let engine: Engine;
  let server: EngineServer;
  let connection: HttpConnection;

  before(async () => {
    engine = await Engine.open({ store: `sqlite:${tmp.dir}/http-namespaces.db` });
    server = await engine.listen({ port: 0 });
    connection = httpConnection({ address: server.url });
  });
  after(async () => {
    await connection.close();
    await engine.close();
    tmp.remove();
  });

  test('createNamespace answers the namespace, which the engine then holds', async () => {
    const res = await post(server, 'createNamespace', {
      namespace: 'billing',
      description: 'Invoices',
    });
    assert.equal(res.status, 200);
    const created = res.body.result as { namespace: string; description: string };
    assert.equal(created.namespace, 'billing');
    assert.equal(created.description, 'Invoices');
    assert.deepEqual(await engine.namespaces.describe('billing'), res.body.result);
  });

  test('describe and list cross as the engine answers them', async () => {
    await engine.namespaces.create('listed', { description: 'over HTTP' });
    const described = await connection.describeNamespace({ namespace: 'listed' });
    assert.deepEqual(described, await engine.namespaces.describe('listed'));
    const listed = await connection.listNamespaces({});
    assert.deepEqual(listed.namespaces, await engine.namespaces.list());
    assert.ok(listed.namespaces.some((n) => n.namespace === 'default'));
  });

  test('a namespace that exists is 409 NamespaceAlreadyExists, rebuilt as its class', async () => {
    await connection.createNamespace({ namespace: 'twice' });
    const res = await post(server, 'createNamespace', { namespace: 'twice' });
    assert.equal(res.status, 409);
    assert.equal(res.body.error?.code, 'NamespaceAlreadyExists');
    await assert.rejects(connection.createNamespace({ namespace: 'twice' }), (e) => {
      assert.ok(e instanceof NamespaceAlreadyExistsError, String(e));
      assert.equal(e.namespace, 'twice');
      return true;
    });
  });

  test('an unknown namespace is 404 NamespaceNotFound; a bad name 400, and creates nothing', async () => {
    const missing = await post(server, 'describeNamespace', { namespace: 'nowhere' });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error?.code, 'NamespaceNotFound');
    await assert.rejects(
      connection.describeNamespace({ namespace: 'nowhere' }),
      NamespaceNotFoundError,
    );
    const before = await engine.namespaces.list();
    const bad = await post(server, 'createNamespace', { namespace: 'a b' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error?.code, 'InvalidArgument');
    await assert.rejects(connection.createNamespace({ namespace: '' }), InvalidArgumentError);
    assert.deepEqual(await engine.namespaces.list(), before);
  });
});
