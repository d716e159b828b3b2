import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRoute, runPath, workflowsPath } from './routes.ts';

describe('parseRoute', () => {
  test('the root shows the default namespace, or the one ?namespace= names, with ?query=', () => {
    assert.deepEqual(parseRoute('/', ''), { page: 'workflows', namespace: 'default', query: '' });
    assert.deepEqual(parseRoute('/', '?namespace=prod&query=WorkflowType%20%3D%20%27x%27'), {
      page: 'workflows',
      namespace: 'prod',
      query: "WorkflowType = 'x'",
    });
  });

  test('a run path gives its namespace, workflow id and run id, decoded', () => {
    assert.deepEqual(parseRoute('/namespaces/default/workflows/order%2F7%20a/r-1', ''), {
      page: 'run',
      namespace: 'default',
      workflowId: 'order/7 a',
      runId: 'r-1',
    });
  });

  test("a namespace's workflows path lists that namespace", () => {
    assert.deepEqual(parseRoute('/namespaces/prod/workflows', '?query=a'), {
      page: 'workflows',
      namespace: 'prod',
      query: 'a',
    });
  });

  test('any other path, or one badly encoded, is not found', () => {
    for (const path of [
      '/nope',
      '/namespaces/x',
      '/namespaces/x/workflows/w',
      '/namespaces/x/workflows/w/r/more',
      '/namespaces/%E0%A4%A/workflows',
    ]) {
      assert.equal(parseRoute(path, '').page, 'notFound', path);
    }
  });
});

describe('paths', () => {
  test('runPath and parseRoute agree on ids with slashes, spaces and unicode', () => {
    const workflowId = 'a/b c?d#é';
    const path = runPath('ns 1', workflowId, 'run/1');
    assert.equal(path.split('/').length, 6);
    assert.deepEqual(parseRoute(new URL(path, 'http://x').pathname, ''), {
      page: 'run',
      namespace: 'ns 1',
      workflowId,
      runId: 'run/1',
    });
  });

  test('workflowsPath leaves out the default namespace and an empty query', () => {
    assert.equal(workflowsPath('default'), '/');
    assert.equal(
      workflowsPath('default', "ExecutionStatus = 'Running'"),
      '/?query=ExecutionStatus+%3D+%27Running%27',
    );
    const url = new URL(workflowsPath('prod', 'a b'), 'http://x');
    assert.deepEqual(parseRoute(url.pathname, url.search), {
      page: 'workflows',
      namespace: 'prod',
      query: 'a b',
    });
  });
});
