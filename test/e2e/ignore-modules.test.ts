// Temporal's ignoreModules (bundleWorkflowCode's option, the worker's bundlerOptions): a module
// workflow code imports only for code that never runs in a workflow is left out of the bundle,
// and workflow code that does use it fails its task with an error naming the module.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InvalidArgumentError } from 'reprise/client';
import { Worker, bundleWorkflowCode } from 'reprise/worker';
import { slugOf, slugsOf } from './fixtures/ignored-module-workflows.ts';
import { fixturesPath, startTestEnv, uniqueQueue, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const workflowsPath = fixturesPath('ignored-module-workflows.ts');

describe('ignoreModules', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv();
  });
  after(async () => {
    await env.close();
  });

  test('without it, a workflows module that imports a Node built-in is refused, and the error points at ignoreModules', async () => {
    const refused = (e: unknown) =>
      e instanceof InvalidArgumentError &&
      e.message.includes("'node:fs'") &&
      e.message.includes('ignoreModules');
    await assert.rejects(bundleWorkflowCode({ workflowsPath }), refused);
    await assert.rejects(
      Worker.create({ connection: env.engine.connection, taskQueue: 'refused', workflowsPath }),
      refused,
    );
  });

  test('with bundlerOptions.ignoreModules the worker bundles it and runs the workflows that do not use the module, and a replay takes the option too', async () => {
    const taskQueue = uniqueQueue('ignored');
    const bundlerOptions = { ignoreModules: ['node:fs'] };
    const worker = await Worker.create({
      connection: env.engine.connection,
      taskQueue,
      workflowsPath,
      bundlerOptions,
    });
    const handle = await env.client.workflow.start(slugOf, {
      taskQueue,
      workflowId: taskQueue,
      args: ['Hello, ignored World'],
    });
    assert.equal(await worker.runUntil(handle.result()), 'hello-ignored-world');
    await Worker.runReplayHistory({ workflowsPath, bundlerOptions }, await handle.fetchHistory());
  });

  test('workflow code that uses an ignored module fails its workflow task with an error naming the module', async () => {
    const taskQueue = uniqueQueue('ignored-used');
    const worker = await Worker.create({
      connection: env.engine.connection,
      taskQueue,
      workflowsPath,
      bundlerOptions: { ignoreModules: ['fs'] },
    });
    const running = worker.run();
    try {
      const handle = await env.client.workflow.start(slugsOf, {
        taskQueue,
        workflowId: taskQueue,
        args: ['/etc/hostname'],
      });
      await waitFor(
        async () =>
          (await handle.fetchHistory()).events.some((e) => e.type === 'WorkflowTaskFailed'),
        'the workflow task to fail',
      );
      const failure = (await handle.describe()).lastWorkflowTaskFailure;
      assert.match(
        failure?.failure.message ?? '',
        /used the module 'node:fs', which bundlerOptions\.ignoreModules left out of the workflow bundle/,
      );
      assert.equal((await handle.describe()).status, 'Running', 'the task is retried');
      await handle.terminate('done');
    } finally {
      await worker.shutdown();
      await running;
    }
  });

  test("bundleWorkflowCode refuses Temporal's payloadConverterPath and failureConverterPath, saying the data converter runs outside the sandbox", async () => {
    for (const name of ['payloadConverterPath', 'failureConverterPath']) {
      await assert.rejects(
        bundleWorkflowCode({ workflowsPath, ignoreModules: ['fs'], [name]: './converter.ts' }),
        (e: unknown) =>
          e instanceof InvalidArgumentError &&
          e.message.startsWith(`bundleWorkflowCode takes no ${name}.`) &&
          e.message.includes('outside the sandbox'),
      );
    }
  });

  test('bundleWorkflowCode({ ignoreModules }) makes a bundle a worker runs; bundlerOptions with a bundle, or without workflowsPath, is refused', async () => {
    const bundle = await bundleWorkflowCode({ workflowsPath, ignoreModules: ['fs'] });
    const taskQueue = uniqueQueue('ignored-bundle');
    const worker = await Worker.create({
      connection: env.engine.connection,
      taskQueue,
      workflowBundle: bundle,
    });
    const handle = await env.client.workflow.start(slugOf, {
      taskQueue,
      workflowId: taskQueue,
      args: ['From a Bundle'],
    });
    assert.equal(await worker.runUntil(handle.result()), 'from-a-bundle');
    const create = (extra: object) =>
      Worker.create({ connection: env.engine.connection, taskQueue: 'refused', ...extra });
    await assert.rejects(
      create({ workflowBundle: bundle, bundlerOptions: { ignoreModules: ['fs'] } }),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        /bundlerOptions cannot be added to a workflowBundle: pass them to bundleWorkflowCode/.test(
          e.message,
        ),
    );
    await assert.rejects(
      create({ activities: {}, bundlerOptions: { ignoreModules: ['fs'] } }),
      (e: unknown) =>
        e instanceof InvalidArgumentError && /bundlerOptions needs workflowsPath/.test(e.message),
    );
    await assert.rejects(
      create({ workflowsPath, bundlerOptions: { webpackConfigHook: (c: unknown) => c } }),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        /bundlerOptions takes no webpackConfigHook.*esbuild/.test(e.message),
    );
    await assert.rejects(
      create({ workflowsPath, bundlerOptions: { ignoreModules: 'fs' } }),
      (e: unknown) =>
        e instanceof InvalidArgumentError && /ignoreModules must be an array/.test(e.message),
    );
  });
});
