// Temporal's bundleWorkflowCode / workflowBundle: workflows bundled ahead of time, a worker
// started from the bundle (in memory or from a file), a replay checked against it, and the
// refusals that say what to do.
import assert from 'node:assert/strict';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { InvalidArgumentError } from 'reprise/client';
import { Worker, bundleWorkflowCode } from 'reprise/worker';
import type { WorkflowBundleCode } from 'reprise/worker';
import * as activities from './fixtures/activities.ts';
import { fixturesPath, startTestEnv, tempDir, uniqueQueue } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('workflow bundles made ahead of time', () => {
  let env: TestEnv;
  let bundle: WorkflowBundleCode;
  let tmp: ReturnType<typeof tempDir>;
  before(async () => {
    env = await startTestEnv();
    tmp = tempDir();
    bundle = await bundleWorkflowCode({ workflowsPath: fixturesPath('workflows.ts') });
  });
  after(async () => {
    await env.close();
    tmp.remove();
  });

  async function runGreet(workflowBundle: Parameters<typeof Worker.create>[0]['workflowBundle']) {
    const taskQueue = uniqueQueue('bundle');
    const worker = await Worker.create({
      connection: env.engine.connection,
      taskQueue,
      workflowBundle,
      activities,
    });
    const handle = await env.client.workflow.start('greet', {
      taskQueue,
      workflowId: taskQueue,
      args: ['bundle'],
    });
    return { worker, result: await worker.runUntil(handle.result()), handle };
  }

  test('a worker runs workflows from the bundle’s code, or from a file holding it', async () => {
    // Bundled from a copy that is gone by the time the worker starts: the code is in the bundle.
    const copy = join(tmp.dir, 'workflows-copy.ts');
    copyFileSync(fixturesPath('workflows.ts'), copy);
    const fromCopy = await bundleWorkflowCode({ workflowsPath: copy });
    rmSync(copy);
    const fromCode = await runGreet(fromCopy);
    assert.equal(fromCode.result, 'Hello, bundle!');
    const codePath = join(tmp.dir, 'workflows.bundle');
    writeFileSync(codePath, bundle.code);
    const fromFile = await runGreet({ codePath });
    assert.equal(fromFile.result, 'Hello, bundle!');
    // A replay checks a history against the same bundle.
    await Worker.runReplayHistory(
      { workflowBundle: { codePath } },
      await fromFile.handle.fetchHistory(),
    );
  });

  test('what is not a bundle, or comes with workflowsPath or workflow modules, is refused', async () => {
    const create = (extra: object) =>
      Worker.create({ connection: env.engine.connection, taskQueue: 'refused', ...extra });
    const refusals: [object, RegExp][] = [
      [{ workflowBundle: { code: 'export const x = 1;' } }, /not a workflow bundle/],
      [{ workflowBundle: { codePath: join(tmp.dir, 'missing') } }, /cannot be read/],
      [
        {
          workflowBundle: {
            code: bundle.code.replace(/"version":"[^"]*"/, '"version":"0.0.0-old"'),
          },
        },
        /made by Reprise 0\.0\.0-old.*bundle the workflows again/,
      ],
      [
        { workflowBundle: { code: bundle.code.replace(/"runtime":"[^"]*"/, '"runtime":"older"') } },
        /workflow runtime older.*bundle the workflows again/,
      ],
      [{ workflowBundle: null, activities: {} }, /must be \{ code \}.*or \{ codePath \}/],
      [{ workflowBundle: { ...bundle, codePath: 'x' } }, /one of the two/],
      [
        { workflowBundle: bundle, workflowsPath: fixturesPath('workflows.ts') },
        /workflowsPath or workflowBundle, not both/,
      ],
      [
        { workflowBundle: bundle, interceptors: { workflowModules: ['x'] } },
        /pass them to bundleWorkflowCode/,
      ],
    ];
    for (const [options, message] of refusals) {
      await assert.rejects(
        create(options),
        (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message),
      );
    }
  });
});
