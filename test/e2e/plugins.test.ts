// Temporal's plugins: `plugins` on `new Client`, `Worker.create`, the replay functions and
// `bundleWorkflowCode`, each plugin's `configure…` given the options in the order listed and its
// result used, `runWorker` wrapping `worker.run()`; `SimplePlugin` from `reprise/plugin`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, InvalidArgumentError } from 'reprise/client';
import type { ClientOptions, ClientPlugin, WorkflowClientInterceptor } from 'reprise/client';
import { SimplePlugin } from 'reprise/plugin';
import { Engine } from 'reprise/server';
import { Worker, bundleWorkflowCode } from 'reprise/worker';
import type { BundleOptions, BundlerPlugin, WorkerOptions, WorkerPlugin } from 'reprise/worker';
import { echo, greetThroughPlugin } from './fixtures/plugin-workflows.ts';
import { fixturesPath, tempDir, uniqueQueue } from '../helpers/test-env.ts';
import { testStoreUrl } from '../helpers/test-store.ts';

const workflowsPath = fixturesPath('plugin-workflows.ts');
const interceptorsA = fixturesPath('plugin-interceptors-a.ts');
const interceptorsB = fixturesPath('plugin-interceptors-b.ts');

/** A client interceptor that adds ` via client` to a start's first argument. */
const viaClient: WorkflowClientInterceptor = {
  startWithDetails: (input, next) =>
    next({
      ...input,
      options: { ...input.options, args: [`${String(input.options.args[0])} via client`] },
    }),
};

/** A plugin of each kind of hook, recording its calls in `log` and marking the identity. */
function recordingPlugin(
  name: string,
  log: string[],
): ClientPlugin & WorkerPlugin & { readonly name: string } {
  return {
    name,
    configureClient(options: ClientOptions): ClientOptions {
      log.push(`${name}:configureClient`);
      return { ...options, identity: `${options.identity ?? 'client'}-${name}` };
    },
    configureWorker(options: WorkerOptions): Promise<WorkerOptions> {
      log.push(`${name}:configureWorker ${options.identity ?? ''}`);
      return Promise.resolve({ ...options, identity: `${options.identity ?? ''}-${name}` });
    },
    async runWorker(worker, next): Promise<void> {
      log.push(`${name}:run`);
      await next(worker);
      log.push(`${name}:ran`);
    },
  };
}

describe('plugins', () => {
  let engine: Engine;
  let removeDir: () => void;
  before(async () => {
    const tmp = tempDir();
    removeDir = tmp.remove;
    engine = await Engine.open({ store: await testStoreUrl(`${tmp.dir}/reprise.db`) });
  });
  after(async () => {
    await engine.close();
    removeDir();
  });

  test("a SimplePlugin's activity, workflow interceptor module and client interceptor each take effect", async () => {
    const plugin = new SimplePlugin({
      name: 'greeter',
      activities: { pluginGreet: (name: string) => Promise.resolve(`hello ${name}`) },
      workerInterceptors: { workflowModules: [interceptorsA] },
      clientInterceptors: { workflow: [viaClient] },
    });
    const taskQueue = uniqueQueue('plugin');
    const client = new Client({ connection: engine.connection, plugins: [plugin] });
    const worker = await Worker.create({
      connection: engine.connection,
      taskQueue,
      workflowsPath,
      activities: { own: () => Promise.resolve('own') },
      plugins: [plugin],
    });
    // Merged with the worker's own, and appended.
    assert.deepEqual(Object.keys(worker.options.activities ?? {}).sort(), ['own', 'pluginGreet']);
    assert.deepEqual(worker.options.interceptors?.workflowModules, [interceptorsA]);
    const handle = await worker.runUntil(async () => {
      const h = await client.workflow.start(greetThroughPlugin, {
        taskQueue,
        workflowId: `plugin-greet-${taskQueue}`,
        args: ['ada'],
      });
      assert.equal(await h.result(), 'hello ada via client +a');
      return h;
    });

    // A replay takes a SimplePlugin too: here the workflow code comes from it alone.
    const replayed = new SimplePlugin({ name: 'replayed', workflowsPath });
    await Worker.runReplayHistory({ plugins: [replayed] }, await handle.fetchHistory());
  });

  test('plugins are applied in the order listed, and runWorker wraps run(), the first outermost', async () => {
    const log: string[] = [];
    const [a, b] = [recordingPlugin('a', log), recordingPlugin('b', log)];
    const taskQueue = uniqueQueue('plugin-order');
    const client = new Client({ connection: engine.connection, plugins: [a, b] });
    assert.deepEqual(log.splice(0), ['a:configureClient', 'b:configureClient']);
    const worker = await Worker.create({
      connection: engine.connection,
      taskQueue,
      identity: 'w',
      plugins: [a, b],
      workflowsPath,
      interceptors: { workflowModules: [interceptorsA] },
    });
    // Each is given what the one before returned.
    assert.deepEqual(log.splice(0), ['a:configureWorker w', 'b:configureWorker w-a']);
    assert.equal(worker.options.identity, 'w-a-b');
    const result = await worker.runUntil(async () => {
      log.push('running');
      return client.workflow.execute(echo, {
        taskQueue,
        workflowId: `plugin-order-${taskQueue}`,
        args: ['x'],
      });
    });
    assert.equal(result, 'x +a');
    assert.deepEqual(log, ['a:run', 'b:run', 'running', 'b:ran', 'a:ran']);
    assert.equal(worker.state, 'STOPPED');
  });

  test('two SimplePlugins append their workflow interceptor modules in the order listed', async () => {
    const taskQueue = uniqueQueue('plugin-modules');
    const plugins = [
      new SimplePlugin({ name: 'a', workerInterceptors: { workflowModules: [interceptorsA] } }),
      new SimplePlugin({ name: 'b', workerInterceptors: { workflowModules: [interceptorsB] } }),
    ];
    const client = new Client({ connection: engine.connection });
    const worker = await Worker.create({
      connection: engine.connection,
      taskQueue,
      workflowsPath,
      plugins,
    });
    const result = await worker.runUntil(
      client.workflow.execute(echo, { taskQueue, workflowId: `modules-${taskQueue}`, args: ['x'] }),
    );
    // a's interceptor is outermost: it marks the result last.
    assert.equal(result, 'x +b +a');
  });

  test(
    "a runWorker that starts the worker late still has it stopped when runUntil's promise settles first",
    {
      timeout: 20_000,
    },
    async () => {
      const late: WorkerPlugin = {
        name: 'late',
        async runWorker(worker, next) {
          // The promise given to runUntil settles in this turn, before the worker starts.
          await new Promise<void>((resolve) => setImmediate(resolve));
          await next(worker);
        },
      };
      const worker = await Worker.create({
        connection: engine.connection,
        taskQueue: uniqueQueue('plugin-late'),
        workflowsPath,
        plugins: [late],
      });
      assert.equal(await worker.runUntil(Promise.resolve('done')), 'done');
      assert.equal(worker.state, 'STOPPED');
    },
  );

  test("bundler plugins configure bundleWorkflowCode, and the bundling of a worker's workflowsPath", async () => {
    const withModuleB: BundlerPlugin = {
      name: 'module-b',
      configureBundler: (options: BundleOptions) => ({
        ...options,
        workflowInterceptorModules: [...(options.workflowInterceptorModules ?? []), interceptorsB],
      }),
    };
    const pathPlugin = new SimplePlugin({ name: 'path', workflowsPath });
    const bundle = await bundleWorkflowCode({
      workflowsPath: 'replaced',
      plugins: [pathPlugin, withModuleB],
    });
    const client = new Client({ connection: engine.connection });
    const fromBundle = uniqueQueue('plugin-bundle');
    const bundled = await Worker.create({
      connection: engine.connection,
      taskQueue: fromBundle,
      workflowBundle: bundle,
    });
    const start = (taskQueue: string) =>
      client.workflow.execute(echo, { taskQueue, workflowId: `bundle-${taskQueue}`, args: ['x'] });
    assert.equal(await bundled.runUntil(start(fromBundle)), 'x +b');

    // A worker's plugin with configureBundler configures how its workflowsPath is bundled.
    const fromPath = uniqueQueue('plugin-bundler');
    const worker = await Worker.create({
      connection: engine.connection,
      taskQueue: fromPath,
      workflowsPath,
      interceptors: { workflowModules: [interceptorsA] },
      plugins: [withModuleB],
    });
    assert.equal(await worker.runUntil(start(fromPath)), 'x +b +a');
  });

  test('what Reprise cannot honour is refused, not ignored', async () => {
    for (const [field, value] of [
      ['tls', true],
      ['apiKey', 'key'],
      ['nexusServices', []],
    ] as const) {
      assert.throws(
        () => new SimplePlugin({ name: 'p', [field]: value }),
        (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(field),
      );
    }
    assert.throws(
      () => new SimplePlugin({ name: 'p', workerInterceptors: { client: {} } as never }),
      (e: unknown) =>
        e instanceof InvalidArgumentError && e.message.includes('workerInterceptors.client'),
    );
    await assert.rejects(
      Connection.connect({ engine, plugins: [] } as never),
      (e: unknown) => e instanceof InvalidArgumentError && /takes no plugins/.test(e.message),
    );
    const forgetful = { name: 'forgetful', configureWorker: () => undefined } as never;
    await assert.rejects(
      Worker.create({
        connection: engine.connection,
        taskQueue: uniqueQueue('plugin-bad'),
        workflowsPath,
        plugins: [forgetful],
      }),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        /'forgetful': configureWorker returned/.test(e.message),
    );
    const later = { name: 'later', configureClient: (o: unknown) => Promise.resolve(o) } as never;
    assert.throws(
      () => new Client({ connection: engine.connection, plugins: [later] }),
      (e: unknown) => e instanceof InvalidArgumentError && /returned a promise/.test(e.message),
    );
  });
});
