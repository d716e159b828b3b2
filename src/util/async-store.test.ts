import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Context } from '../activity/context.ts';
import { MockActivityEnvironment } from '../testing/mock-activity-environment.ts';
import { bundleWorkflows } from '../worker/sandbox/bundle.ts';
import { VmSandbox } from '../worker/sandbox/vm-sandbox.ts';
import { activation, startInfo } from '../../test/helpers/activations.ts';
import { asyncStore } from './async-store.ts';

/** The properties node's AsyncLocalStorage hooks put on a promise made now: one per storage. */
function storesOnAPromise(): number {
  return Object.getOwnPropertySymbols(Promise.resolve()).filter(
    (s) => s.description === 'kResourceStore',
  ).length;
}

describe('asyncStore', () => {
  test('activities and any number of sandboxes put one store on each promise, not one each', async () => {
    const bundle = await bundleWorkflows({ workflowsPath: 'test/runtime/workflows/isolation.ts' });
    const sandboxes = [VmSandbox.create(bundle), VmSandbox.create(bundle)];
    for (const [i, sandbox] of sandboxes.entries()) {
      // A cancellable scope: the sandbox's code sets the store while it runs.
      const runId = `scoped-${i}`;
      sandbox.createRun(runId, 'scopeSpinner', runId);
      const result = sandbox.activate(
        runId,
        activation([
          {
            type: 'initializeWorkflow',
            workflowType: 'scopeSpinner',
            args: [],
            info: startInfo(runId, 'scopeSpinner'),
          },
        ]),
      );
      assert.equal(result.status, 'success');
    }
    const env = new MockActivityEnvironment();
    assert.equal(await env.run(() => Context.current()), env.context);
    // Node 20 and 22 tag every promise per storage in use; newer ones may tag none.
    assert.ok(storesOnAPromise() <= 1, `${storesOnAPromise()} stores on a promise`);
    for (const sandbox of sandboxes) sandbox.dispose();
  });

  test('Context.current() outside an activity throws, whatever else the store holds', () => {
    assert.throws(() => Context.current(), /outside an activity/);
    assert.throws(
      () => asyncStore.run({ scope: true }, () => Context.current()),
      /outside an activity/,
    );
  });
});
