import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import vm from 'node:vm';
import * as esbuild from 'esbuild';
import { InvalidArgumentError } from '../../errors.ts';
import { RUNTIME_NAME_HELPER, bundleWorkflows } from './bundle.ts';
import { VmSandbox } from './vm-sandbox.ts';

/** esbuild services running before this file bundled anything (the TypeScript loader's). */
const servicesBefore = new Set(existsSync('/proc/self/stat') ? esbuildServiceChildren() : []);

/** Bundles `source` written as a workflows.ts of its own, in a directory removed afterwards. */
async function bundleSource(
  source: string,
  options: { ignoreModules?: string[] } = {},
): Promise<Awaited<ReturnType<typeof bundleWorkflows>>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'reprise-source-'));
  try {
    const file = path.join(dir, 'workflows.ts');
    writeFileSync(file, source);
    return await bundleWorkflows({ workflowsPath: file, ...options });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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

  test("'url' and 'node:url' give workflow code the sandbox's URL and URLSearchParams", async () => {
    // Module-level code runs when the bundle is checked: a wrong class fails the bundle.
    const bundle = await bundleSource(
      "import { URL, URLSearchParams } from 'node:url';\n" +
        "import * as url from 'url';\n" +
        "import legacy from 'url';\n" +
        "const required = require('node:url');\n" +
        'for (const C of [URL, url.URL, legacy.URL, required.URL]) {\n' +
        "  if (C !== globalThis.URL) throw new TypeError('not the sandbox URL');\n" +
        '}\n' +
        'for (const C of [URLSearchParams, url.URLSearchParams, legacy.URLSearchParams, required.URLSearchParams]) {\n' +
        "  if (C !== globalThis.URLSearchParams) throw new TypeError('not the sandbox URLSearchParams');\n" +
        '}\n' +
        "if (new URL('https://a.example/p?q=1').searchParams.get('q') !== '1') throw new TypeError('parse');\n" +
        'export async function parses(): Promise<string> { return new URL("/x", "https://a.example").href; }\n',
    );
    assert.deepEqual(bundle.workflowTypes, ['parses']);
  });

  test("importing another export of 'url' (fileURLToPath) fails at bundle time, saying what to do", async () => {
    await assert.rejects(
      bundleSource(
        "import { fileURLToPath } from 'node:url';\n" +
          'export async function where(): Promise<string> { return fileURLToPath("file:///x"); }\n',
      ),
      (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError);
        assert.match(
          e.message,
          /workflows\.ts:1: Workflow code imports 'fileURLToPath' from 'node:url', which the sandbox does not have: its 'url' module exports only URL and URLSearchParams/,
        );
        return true;
      },
    );
  });

  test("using another export of a namespace import of 'url' fails at bundle time too", async () => {
    await assert.rejects(
      bundleSource(
        "import * as url from 'url';\n" +
          'export async function where(): Promise<string> { return url.fileURLToPath("file:///x"); }\n',
      ),
      (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError);
        assert.match(
          e.message,
          /workflows\.ts:2: Workflow code imports 'fileURLToPath' from 'url', which the sandbox does not have: its 'url' module exports only URL and URLSearchParams \(the sandbox's globals\)\. File paths and Node's legacy URL functions belong in an activity/,
        );
        return true;
      },
    );
  });

  test("a package's namespace import of 'url' using another export fails the bundle as well", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'reprise-url-package-'));
    try {
      const lib = path.join(dir, 'node_modules', 'paths');
      mkdirSync(lib, { recursive: true });
      writeFileSync(path.join(lib, 'package.json'), '{ "name": "paths", "module": "index.mjs" }');
      writeFileSync(
        path.join(lib, 'index.mjs'),
        "import * as url from 'node:url';\nexport const toPath = (u) => url.fileURLToPath(u);\n",
      );
      const file = path.join(dir, 'workflows.ts');
      writeFileSync(
        file,
        "import { toPath } from 'paths';\n" +
          'export async function where(): Promise<string> { return toPath("file:///x"); }\n',
      );
      await assert.rejects(bundleWorkflows({ workflowsPath: file }), (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError);
        assert.match(
          e.message,
          /index\.mjs:2: Workflow code imports 'fileURLToPath' from 'node:url', which the sandbox does not have/,
        );
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("another export of 'url' reached where the bundle cannot see it throws, saying what to do", async () => {
    // Module-level code runs when the bundle is checked: it reports what each access gave.
    await assert.rejects(
      bundleSource(
        "import * as url from 'node:url';\n" +
          "import legacy from 'url';\n" +
          "const required = require('url');\n" +
          "const name: string = ['parse'][0] ?? '';\n" +
          'const attempts = [\n' +
          '  () => { const { fileURLToPath } = url; return fileURLToPath; },\n' +
          '  () => (url as Record<string, unknown>)[name],\n' +
          '  () => legacy.pathToFileURL,\n' +
          '  () => required.format,\n' +
          '];\n' +
          'const seen = attempts.map((f) => {\n' +
          '  try { return `gave ${typeof f()}`; } catch (e) { return `${(e as Error).name}: ${(e as Error).message}`; }\n' +
          '});\n' +
          "if (Object.keys(url).join() !== 'URL,URLSearchParams,default') seen.push(Object.keys(url).join());\n" +
          "throw new Error(seen.join('\\n'));\n" +
          'export async function never(): Promise<void> {}\n',
      ),
      (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError);
        const seen = e.message.slice(e.message.indexOf('TypeError: ')).split('\n');
        const hint =
          "which the sandbox does not have: its 'url' module exports only URL and URLSearchParams (the sandbox's globals). File paths and Node's legacy URL functions belong in an activity; parse and build URLs with `new URL()`.";
        assert.deepEqual(seen, [
          `TypeError: Workflow code imports 'fileURLToPath' from 'node:url', ${hint}`,
          `TypeError: Workflow code imports 'parse' from 'node:url', ${hint}`,
          `TypeError: Workflow code imports 'pathToFileURL' from 'url', ${hint}`,
          `TypeError: Workflow code imports 'format' from 'url', ${hint}`,
        ]);
        return true;
      },
    );
  });

  test("an ignored module (a subpath too, or a package that is not installed) imports, and every use of it throws naming it, as Temporal's stub", async () => {
    // Module-level code runs when the bundle is checked: a use that does not throw so fails it.
    const source = `
      import fs from 'node:fs';
      import * as fsp from 'fs/promises';
      import { readFileSync } from 'fs';
      import missing from 'not-installed-pkg/sub';
      const uses: [string, () => unknown][] = [
        ['a default import', () => fs.readFileSync],
        ['a namespace import', () => fsp.readFile],
        ['a named import', () => readFileSync('x')],
        ['a call', () => (missing as unknown as () => unknown)()],
        ['a construction', () => new (missing as unknown as new () => unknown)()],
      ];
      for (const [what, use] of uses) {
        let message = 'nothing thrown';
        try { use(); } catch (e) { message = (e as Error).message; }
        if (!/^Workflow code used the module '(node:fs|fs[/]promises|fs|not-installed-pkg[/]sub)', which bundlerOptions.ignoreModules left out/.test(message)) {
          throw new Error(what + ': ' + message);
        }
      }
      export async function noop(): Promise<void> {}
    `;
    const bundle = await bundleSource(source, { ignoreModules: ['node:fs', 'not-installed-pkg'] });
    assert.deepEqual(bundle.workflowTypes, ['noop']);
    await assert.rejects(
      bundleSource(source, { ignoreModules: ['fs'] }),
      (e: unknown) => e instanceof InvalidArgumentError && /not-installed-pkg/.test(e.message),
    );
  });

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

  test('workflow code reaches the API through namespace and default imports too', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'reprise-imports-'));
    try {
      const file = path.join(dir, 'workflows.ts');
      // Module-level code runs when the bundle is checked: a missing function fails the bundle.
      writeFileSync(
        file,
        "import * as wf from 'reprise/workflow';\n" +
          "import api from 'reprise/workflow';\n" +
          'for (const f of [wf.sleep, wf.condition, api.sleep, api.proxyActivities]) {\n' +
          "  if (typeof f !== 'function') throw new TypeError('API function missing');\n" +
          '}\n' +
          'export async function napper(): Promise<void> { await wf.sleep(1); }\n',
      );
      const bundle = await bundleWorkflows({ workflowsPath: file });
      assert.deepEqual(bundle.workflowTypes, ['napper']);
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

  test("the workflows bundle leaves a function's name alone when it is already right", async () => {
    // keepNames redefines `name` on each function as it is made, and workflow code makes most
    // of them again in every run: a redefined name gives a function a dictionary of properties.
    const bundle = await bundleWorkflows({ workflowsPath: 'test/runtime/workflows/basics.ts' });
    const lean = /var __name = \(target, value\) => target\.name === value \? target :/;
    assert.match(bundle.code, lean);
  });

  test('the runtime names its classes but not the closures it makes in every activation', async () => {
    const bundle = await bundleWorkflows({ workflowsPath: 'test/runtime/workflows/basics.ts' });
    assert.ok(bundle.runtimeCode.includes(RUNTIME_NAME_HELPER), 'the runtime uses its own helper');
    const nameOf = vm.runInNewContext(
      `const __defProp = Object.defineProperty; ${RUNTIME_NAME_HELPER} __name`,
    ) as <T>(target: T, value: string) => T;
    // A class esbuild gives an inner name (`class _ApplicationFailure`): a failure's `name`.
    assert.equal(
      nameOf(class _ApplicationFailure extends Error {}, 'ApplicationFailure').name,
      'ApplicationFailure',
    );
    const declared = function declared(): void {};
    assert.equal(nameOf(declared, 'declared'), declared);
    // A closure passed straight to the helper has no name of its own: left so.
    assert.equal(nameOf(() => 1, 'closure').name, '');
  });

  test('a second bundle works after the first stopped esbuild', async () => {
    const first = await bundleWorkflows({ workflowsPath: 'test/runtime/workflows/basics.ts' });
    const second = await bundleWorkflows({ workflowsPath: 'test/runtime/workflows/basics.ts' });
    assert.equal(second.code, first.code);
    assert.deepEqual(second.workflowTypes, first.workflowTypes);
  });

  test('bundles made at once all succeed', async () => {
    const bundles = await Promise.all(
      ['basics.ts', 'default-signals.ts', 'basics.ts'].map((f) =>
        bundleWorkflows({ workflowsPath: `test/runtime/workflows/${f}` }),
      ),
    );
    assert.ok(bundles.every((b) => b.workflowTypes.length > 0));
  });

  test(
    'bundling leaves no esbuild service process behind',
    { skip: existsSync('/proc/self/stat') ? false : 'needs /proc (Linux) to list child processes' },
    async () => {
      await bundleWorkflows({ workflowsPath: 'test/runtime/workflows/basics.ts' });
      // The service is sent SIGTERM when the bundle is done; wait for it to exit.
      const deadline = Date.now() + 10_000;
      let left = esbuildServiceChildren().filter((pid) => !servicesBefore.has(pid));
      while (left.length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setImmediate(resolve));
        left = esbuildServiceChildren().filter((pid) => !servicesBefore.has(pid));
      }
      assert.deepEqual(left, []);
    },
  );

  test('an esbuild context that other code holds open keeps working', async () => {
    const ctx = await esbuild.context({
      stdin: { contents: 'export const answer = 42;', loader: 'js' },
      write: false,
      logLevel: 'silent',
    });
    try {
      await bundleWorkflows({ workflowsPath: 'test/runtime/workflows/basics.ts' });
      const result = await ctx.rebuild();
      assert.match(result.outputFiles[0]?.text ?? '', /answer = 42/);
    } finally {
      await ctx.dispose();
    }
  });
});

/** Living child processes of this one that run an esbuild service. */
function esbuildServiceChildren(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses: state, ppid, …
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) !== process.pid || state === 'Z') continue;
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmdline.includes('--service=')) out.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}
