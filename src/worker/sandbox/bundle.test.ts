import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '../../errors.ts';
import { bundleWorkflows } from './bundle.ts';
import { VmSandbox } from './vm-sandbox.ts';

describe('bundleWorkflows', () => {
  test('records the exported workflow types and the signals declared at module level', async () => {
    const bundle = await bundleWorkflows({ workflowsPath: 'test/runtime/workflows/basics.ts' });
    assert.ok(bundle.workflowTypes.includes('sleeper'));
    assert.ok(bundle.workflowTypes.includes('approval'));
    assert.deepEqual(bundle.signalNames, ['approve']);
  });

  test('signal names are null when a default signal handler accepts any signal', async () => {
    const bundle = await bundleWorkflows({
      workflowsPath: 'test/runtime/workflows/default-signals.ts',
    });
    assert.equal(bundle.signalNames, null);
  });

  for (const [fixture, specifier] of [
    ['imports-fs.ts', 'fs'],
    ['imports-child-process.ts', 'node:child_process'],
  ] as const) {
    test(`importing '${specifier}' into workflow code fails at bundle time`, async () => {
      await assert.rejects(
        bundleWorkflows({ workflowsPath: `test/runtime/workflows/${fixture}` }),
        (e: unknown) => {
          assert.ok(e instanceof InvalidArgumentError);
          assert.match(e.message, new RegExp(`'${specifier}'`));
          assert.match(e.message, new RegExp(fixture.replace('.', '\\.')));
          assert.match(
            e.message,
            /Workflow code runs in a deterministic sandbox and cannot do I\/O: move this call into an activity \(and use `import type` for activity modules\)/,
          );
          return true;
        },
      );
    });
  }

  test('a CommonJS .js workflows module bundles and runs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'reprise-cjs-'));
    try {
      const file = path.join(dir, 'workflows.js');
      writeFileSync(
        file,
        "const { sleep } = require('reprise/workflow');\n" +
          'exports.cjsSleeper = async function cjsSleeper(ms) { await sleep(ms); return "cjs"; };\n',
      );
      const bundle = await bundleWorkflows({ workflowsPath: file });
      assert.deepEqual(bundle.workflowTypes, ['cjsSleeper']);
      const sandbox = VmSandbox.create(bundle);
      assert.deepEqual(sandbox.workflowTypes, ['cjsSleeper']);
      sandbox.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a missing workflowsPath is an InvalidArgumentError', async () => {
    await assert.rejects(
      bundleWorkflows({ workflowsPath: 'test/runtime/workflows/does-not-exist.ts' }),
      InvalidArgumentError,
    );
  });

  test('the runtime evaluated in every sandbox context leaves zod out', async () => {
    // zod would be ~90 % of it: 10–25 ms and ~1 MB per context (issue 5). Workflow code checks
    // search attributes with protocol/search-attribute-checks.ts instead.
    const bundle = await bundleWorkflows({ workflowsPath: 'test/runtime/workflows/basics.ts' });
    assert.doesNotMatch(bundle.runtimeCode, /node_modules\/zod\//);
    assert.ok(bundle.runtimeCode.length < 300_000, `runtime is ${bundle.runtimeCode.length} B`);
  });
});
