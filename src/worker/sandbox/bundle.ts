// Bundles a workflows module with esbuild for the sandbox: no bundler configuration asked of the
// user; Node built-ins are refused at bundle time unless `ignoreModules` leaves them out (DESIGN.md
// "The deterministic sandbox").
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import * as nodeUrl from 'node:url';
import { fileURLToPath } from 'node:url';
import type * as esbuild from 'esbuild';
import { InvalidArgumentError } from '../../errors.ts';
import { WORKFLOW_INTERCEPTORS_KEY } from '../../protocol/interceptors.ts';
import { withEsbuild } from '../../util/with-esbuild.ts';
import { VmSandbox } from './vm-sandbox.ts';

/** A workflows module made ready for {@link VmSandbox}. */
export interface WorkflowBundle {
  /** The absolute path of the workflows module. */
  readonly workflowsPath: string;
  /** The module as a CommonJS body, compiled once per context and evaluated once per run. */
  readonly code: string;
  /** Source map (JSON) of `code`, to point stack traces at the user's files. */
  readonly sourceMap: string;
  /** The workflow runtime (`reprise/workflow`), evaluated once per sandbox context. */
  readonly runtimeCode: string;
  /** The exported workflow functions: the workflow types this bundle serves. */
  readonly workflowTypes: readonly string[];
  /** Signal names declared at module level, or null if a default signal handler accepts any. */
  readonly signalNames: readonly string[] | null;
}

/** Options of {@link bundleWorkflows}. */
export interface BundleWorkflowsOptions {
  /** The workflows module: `.ts` or `.js`, ESM or CommonJS. */
  readonly workflowsPath: string;
  /**
   * Temporal's `interceptors.workflowModules`: modules exporting `interceptors`, a
   * `WorkflowInterceptorsFactory`, bundled with the workflows and called once per run.
   */
  readonly workflowInterceptorModules?: readonly string[] | undefined;
  /**
   * Temporal's `ignoreModules`: modules (and their subpaths; `node:` optional) left out of the
   * bundle, for imports whose code never runs in a workflow. Workflow code importing one gets a
   * module that throws, naming it, as soon as anything of it is used.
   */
  readonly ignoreModules?: readonly string[] | undefined;
}

/** The file name the bundle's code carries in stack traces. */
export const WORKFLOWS_FILENAME = 'reprise-workflows.js';

/**
 * Bundles the workflows module at `workflowsPath` and everything it imports into one script for
 * the sandbox. Imports of `reprise/workflow` resolve to the sandbox's shared runtime.
 *
 * Throws `InvalidArgumentError` when the module imports a Node built-in (`fs`, `node:net`, …)
 * that `ignoreModules` does not name: workflow code cannot do I/O, that belongs in an activity. `assert`, `util` and `url` resolve
 * to the sandbox's own (`url` to its URL and URLSearchParams only). Also when it does not build or
 * throws while its module-level code runs.
 */
export async function bundleWorkflows(options: BundleWorkflowsOptions): Promise<WorkflowBundle> {
  const workflowsPath = path.resolve(options.workflowsPath);
  if (!existsSync(workflowsPath)) {
    throw new InvalidArgumentError(
      `workflowsPath '${options.workflowsPath}' does not exist: point it at the module that exports your workflow functions.`,
    );
  }
  const entry = workflowsEntry(workflowsPath, options.workflowInterceptorModules ?? []);
  const ignored = ignoredModules(options.ignoreModules);
  const [runtimeCode, user] = await Promise.all([buildRuntime(), buildUserModule(entry, ignored)]);
  const partial = { workflowsPath, runtimeCode, ...user, workflowTypes: [], signalNames: null };
  let sandbox: VmSandbox;
  try {
    sandbox = VmSandbox.create(partial);
  } catch (e) {
    throw new InvalidArgumentError(
      `The workflows module '${options.workflowsPath}' failed while its module-level code ran: ${errorMessage(e)}`,
      { cause: e },
    );
  }
  const bundle: WorkflowBundle = {
    ...partial,
    workflowTypes: sandbox.workflowTypes,
    signalNames: sandbox.signalNames,
  };
  sandbox.dispose();
  return bundle;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The runtime's files, next to this one in `src/` (`.ts`) or in a built `dist/` (`.js`). */
function runtimeFile(name: string): string {
  const ts = fileURLToPath(new URL(`../../workflow/${name}.ts`, import.meta.url));
  if (existsSync(ts)) return ts;
  return fileURLToPath(new URL(`../../workflow/${name}.js`, import.meta.url));
}

let fingerprint: { value: string | undefined } | undefined;

/**
 * A hash of what the sandbox contract is made of: the workflow runtime's sources and the host
 * side of the sandbox (this directory's `vm-sandbox`). A bundle made ahead of time carries it,
 * and a worker whose sources differ refuses the bundle (workflow-bundle.ts). Read once;
 * undefined where the sources are not beside this module (an application bundled whole).
 */
export function runtimeFingerprint(): string | undefined {
  fingerprint ??= { value: readFingerprint() };
  return fingerprint.value;
}

function readFingerprint(): string | undefined {
  try {
    const hash = createHash('sha256');
    const runtimeDir = path.dirname(runtimeFile('index'));
    const hostSide = fileURLToPath(new URL('./', import.meta.url));
    for (const [dir, only] of [
      [runtimeDir, undefined],
      [hostSide, 'vm-sandbox'],
    ] as const) {
      for (const name of readdirSync(dir).sort()) {
        if (!/\.[jt]s$/.test(name) || /\.test\.[jt]s$/.test(name)) continue;
        if (only !== undefined && !name.startsWith(only)) continue;
        hash.update(name).update(readFileSync(path.join(dir, name)));
      }
    }
    return hash.digest('hex').slice(0, 16);
  } catch {
    return undefined;
  }
}

let runtimeBuild: Promise<string> | undefined;

/** Builds the runtime once per process: every sandbox evaluates the same code. */
function buildRuntime(): Promise<string> {
  runtimeBuild ??= withEsbuild((bundler) =>
    bundler.build({
      entryPoints: [runtimeFile('sandbox-entry')],
      bundle: true,
      write: false,
      format: 'iife',
      globalName: '__reprise_runtime',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      target: 'es2022',
      keepNames: true,
      logLevel: 'silent',
      outfile: 'reprise-runtime.js',
    }),
  ).then((result) => withNameHelper(outputText(result, '.js'), RUNTIME_NAME_HELPER));
  return runtimeBuild;
}

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function nodeBuiltinMessage(specifier: string, importer: string): string {
  const from = importer === '' ? '' : ` (imported from ${path.relative(process.cwd(), importer)})`;
  return (
    `Workflow code imports the Node built-in '${specifier}'${from}. ` +
    'Workflow code runs in a deterministic sandbox and cannot do I/O: move this call into an ' +
    'activity (and use `import type` for activity modules). If the code that uses it never runs ' +
    "in a workflow, leave the module out with the worker's bundlerOptions.ignoreModules (or " +
    "bundleWorkflowCode's ignoreModules)."
  );
}

/** `ignoreModules` checked and without their `node:` prefix, which an import may add or omit. */
function ignoredModules(modules: readonly string[] | undefined): readonly string[] {
  if (modules === undefined) return [];
  if (!Array.isArray(modules) || modules.some((m) => typeof m !== 'string' || m === '')) {
    throw new InvalidArgumentError(
      'ignoreModules must be an array of module names (such as "fs" or "some-package").',
    );
  }
  return modules.map(withoutNodePrefix);
}

function withoutNodePrefix(specifier: string): string {
  return specifier.startsWith('node:') ? specifier.slice('node:'.length) : specifier;
}

/** Whether an import of `specifier` names one of `ignored` or a path inside it (`fs/promises`). */
function isIgnored(specifier: string, ignored: readonly string[]): boolean {
  const name = withoutNodePrefix(specifier);
  return ignored.some((m) => name === m || name.startsWith(`${m}/`));
}

/** Where an ignored module resolves: {@link ignoredModule}. */
const IGNORED_NAMESPACE = 'reprise-ignored';

/**
 * What an import of the ignored module `specifier` gives: a module that throws, naming it, when
 * any of it is read, called or constructed (Temporal's stub). Importing it passes: esbuild's
 * import helper reads only `__esModule`, and `then` is read of what a dynamic import returns.
 * The helper gives an ES import a copy of the module's own properties, none here, that inherits
 * from the module's prototype: that is `inherited`, so that a name read of the copy throws too.
 */
function ignoredModule(specifier: string): string {
  const message =
    `Workflow code used the module '${specifier}', which bundlerOptions.ignoreModules left out ` +
    'of the workflow bundle: move this use into an activity, or remove the module from ignoreModules.';
  return (
    `const message = ${JSON.stringify(message)};\n` +
    'const fail = () => { throw new Error(message); };\n' +
    "const passes = (key) => typeof key === 'symbol' || key === '__esModule' || key === 'then';\n" +
    'const get = (_, key) => (passes(key) ? undefined : fail());\n' +
    'const inherited = new Proxy(Object.create(null), { get });\n' +
    'module.exports = new Proxy(function ignored() {}, {\n' +
    '  get,\n' +
    '  apply: fail,\n' +
    '  construct: fail,\n' +
    '  getPrototypeOf: () => inherited,\n' +
    '});\n'
  );
}

/** Where `url` and `node:url` resolve: a module of the sandbox's URL and URLSearchParams. */
const URL_NAMESPACE = 'reprise-url';
const MISSING_URL_EXPORT = new RegExp(
  `^No matching export in "${URL_NAMESPACE}:((?:node:)?url)" for import "([^"]+)"$`,
);
/** esbuild's warning for `url.fileURLToPath` on a namespace import (it compiles it to undefined). */
const UNDEFINED_URL_EXPORT = new RegExp(
  `^Import "([^"]+)" will always be undefined because there is no matching export in "${URL_NAMESPACE}:((?:node:)?url)"$`,
);

/** Node's `url` exports that the sandbox's lacks (fileURLToPath, parse, …), from the host's. */
const NODE_ONLY_URL_EXPORTS = Object.keys(nodeUrl).filter(
  (name) => name !== 'URL' && name !== 'URLSearchParams' && name !== 'default',
);

/** What workflow code that reaches `name` of the sandbox's `url` is told to do instead. */
function missingUrlExportMessage(name: string, specifier: string): string {
  return (
    `Workflow code imports '${name}' from '${specifier}', which the sandbox does not have: ` +
    "its 'url' module exports only URL and URLSearchParams (the sandbox's globals). File paths " +
    "and Node's legacy URL functions belong in an activity; parse and build URLs with `new URL()`."
  );
}

/**
 * esbuild's message for an export the sandbox's `url` lacks, said as what to do instead: a named
 * import (an error) or a property of a namespace import (a warning: it would be undefined).
 */
function urlExportMessage(text: string): string | undefined {
  const named = MISSING_URL_EXPORT.exec(text);
  if (named !== null) return missingUrlExportMessage(named[2] ?? '', named[1] ?? '');
  const property = UNDEFINED_URL_EXPORT.exec(text);
  if (property !== null) return missingUrlExportMessage(property[1] ?? '', property[2] ?? '');
  return undefined;
}

/**
 * The sandbox's `url` module (as `specifier`): URL and URLSearchParams. Its namespace and its
 * default export also get a getter for each other export of Node's `url` that throws saying what
 * to do, for what the bundle cannot see: `const { parse } = url`, `url[name]`, `require('url')`.
 */
function urlModule(specifier: string): string {
  const messages = Object.fromEntries(
    NODE_ONLY_URL_EXPORTS.map((name) => [name, missingUrlExportMessage(name, specifier)]),
  );
  return (
    `import * as namespace from ${JSON.stringify(specifier)};\n` +
    'export const URL = globalThis.URL;\n' +
    'export const URLSearchParams = globalThis.URLSearchParams;\n' +
    'const legacy = { URL, URLSearchParams };\n' +
    `for (const [name, message] of Object.entries(${JSON.stringify(messages)})) {\n` +
    '  const get = () => { throw new TypeError(message); };\n' +
    '  for (const target of [namespace, legacy]) Object.defineProperty(target, name, { get });\n' +
    '}\n' +
    'export default legacy;\n'
  );
}

/** What esbuild starts from: the workflows module, or an entry that adds interceptor modules. */
type UserEntry = { workflowsPath: string; stdin?: esbuild.StdinOptions | undefined };

/**
 * With interceptor modules, the bundle's entry requires the workflows module and each interceptor
 * module, checks that each exports an `interceptors` function and hands them to the runtime on
 * the workflows module's exports (a `Symbol.for` key: not a workflow type). The entry runs once
 * per run, so each run calls the factories afresh, in the sandbox (Temporal's model).
 */
function workflowsEntry(workflowsPath: string, modules: readonly string[]): UserEntry {
  if (modules.length === 0) return { workflowsPath };
  const specifiers = modules.map((m) => {
    if (!path.isAbsolute(m) && !m.startsWith('.')) return m; // a package: esbuild resolves it
    const resolved = path.resolve(m);
    if (!existsSync(resolved)) {
      throw new InvalidArgumentError(
        `interceptors.workflowModules: '${m}' does not exist. List paths (absolute, or relative to the working directory) of modules that export \`interceptors\`.`,
      );
    }
    return resolved;
  });
  const lines = [
    `const workflows = require(${JSON.stringify(workflowsPath)});`,
    `const modules = [${specifiers.map((s) => `[${JSON.stringify(s)}, require(${JSON.stringify(s)})]`).join(', ')}];`,
    'const factories = modules.map(([name, mod]) => {',
    "  if (typeof mod.interceptors === 'function') return mod.interceptors;",
    '  throw new TypeError(`The workflow interceptor module ${name} does not export an \\`interceptors\\` function: export one returning { inbound, outbound }.`);',
    '});',
    `Object.defineProperty(workflows, Symbol.for(${JSON.stringify(WORKFLOW_INTERCEPTORS_KEY)}), { value: factories });`,
    'module.exports = workflows;',
  ];
  return {
    workflowsPath,
    stdin: {
      contents: lines.join('\n'),
      resolveDir: process.cwd(),
      sourcefile: 'reprise-workflows-entry.js',
      loader: 'js',
    },
  };
}

async function buildUserModule(
  entry: UserEntry,
  ignored: readonly string[],
): Promise<{ code: string; sourceMap: string }> {
  const { workflowsPath } = entry;
  const refused: string[] = [];
  // The module is instantiated for every run: with the API as the prototype of its exports
  // rather than the exports themselves, esbuild's import helper finds no own property to copy,
  // where it would give every run a getter per API function (~6 KiB per cached run).
  const shim = {
    contents: 'module.exports = Object.create(__reprise_api);',
    loader: 'js' as const,
  };
  const runtimeIndex = new Set([
    runtimeFile('index'),
    runtimeFile('index').replace(/\.ts$/, '.js'),
  ]);
  const plugin: esbuild.Plugin = {
    name: 'reprise-sandbox',
    setup(build) {
      // First: an ignored module is left out whatever it is (a built-in, a package, missing).
      if (ignored.length > 0) {
        build.onResolve({ filter: /.*/ }, (args) =>
          args.kind !== 'entry-point' &&
          args.path !== 'reprise/workflow' &&
          isIgnored(args.path, ignored)
            ? { path: args.path, namespace: IGNORED_NAMESPACE }
            : undefined,
        );
        build.onLoad({ filter: /.*/, namespace: IGNORED_NAMESPACE }, (args) => ({
          contents: ignoredModule(args.path),
          loader: 'js',
        }));
      }
      build.onResolve({ filter: /^reprise\/workflow$/ }, () => ({
        path: 'reprise/workflow',
        namespace: 'reprise-runtime',
      }));
      // Temporal's sandbox maps `assert` to its own: here the runtime's (src/workflow/assert.ts).
      build.onResolve({ filter: /^(node:)?assert(\/strict)?$/ }, (args) => ({
        path: args.path.endsWith('/strict') ? 'strict' : 'legacy',
        namespace: 'reprise-assert',
      }));
      build.onLoad({ filter: /.*/, namespace: 'reprise-assert' }, (args) => ({
        contents: `module.exports = globalThis.assert${args.path === 'strict' ? '.strict' : ''};`,
        loader: 'js',
      }));
      // And `util` to the runtime's TextEncoder and TextDecoder, as Temporal's sandbox maps it.
      build.onResolve({ filter: /^(node:)?util$/ }, () => ({
        path: 'util',
        namespace: 'reprise-util',
      }));
      build.onLoad({ filter: /.*/, namespace: 'reprise-util' }, () => ({
        contents:
          'module.exports = { TextEncoder: globalThis.TextEncoder, TextDecoder: globalThis.TextDecoder };',
        loader: 'js',
      }));
      // And `url` to the sandbox's URL and URLSearchParams (ADR 0024), and nothing else: importing
      // another of its exports (fileURLToPath, parse, …) by name, or using one of a namespace
      // import, fails the bundle (urlExportMessage); reaching one otherwise throws (urlModule).
      build.onResolve({ filter: /^(node:)?url$/ }, (args) => ({
        path: args.path,
        namespace: URL_NAMESPACE,
      }));
      build.onLoad({ filter: /.*/, namespace: URL_NAMESPACE }, (args) => ({
        contents: urlModule(args.path),
        loader: 'js',
      }));
      build.onResolve({ filter: /^(node:)?[a-z_][a-z0-9_/]*$/ }, (args) => {
        if (!builtins.has(args.path) && !args.path.startsWith('node:')) return undefined;
        const message = nodeBuiltinMessage(args.path, args.importer);
        refused.push(message);
        return { errors: [{ text: message }] };
      });
      build.onLoad({ filter: /.*/, namespace: 'reprise-runtime' }, () => shim);
      // A relative import of the runtime's own entry gets the shared runtime too.
      build.onLoad({ filter: /[/\\]workflow[/\\]index\.[jt]s$/ }, (args) =>
        runtimeIndex.has(args.path) ? shim : undefined,
      );
    },
  };
  let result: esbuild.BuildResult & { outputFiles: esbuild.OutputFile[] };
  try {
    result = await withEsbuild((bundler) =>
      bundler.build({
        ...(entry.stdin === undefined ? { entryPoints: [workflowsPath] } : { stdin: entry.stdin }),
        bundle: true,
        write: false,
        format: 'cjs',
        platform: 'neutral',
        mainFields: ['module', 'main'],
        target: 'es2022',
        keepNames: true,
        sourcemap: 'external',
        sourcesContent: false,
        outfile: path.join(process.cwd(), WORKFLOWS_FILENAME),
        logLevel: 'silent',
        // Reported in a package too (esbuild keeps it quiet in node_modules): see its use below.
        logOverride: { 'import-is-undefined': 'warning' },
        plugins: [plugin],
      }),
    );
  } catch (e) {
    if (refused.length > 0) throw new InvalidArgumentError(refused.join('\n'));
    const failure = e as { errors?: BuildMessage[] };
    throw bundleError(workflowsPath, failure.errors ?? [], e);
  }
  // `url.fileURLToPath` of a namespace import is only a warning to esbuild: it compiles to
  // undefined, which the workflow (or a package it imports) would call at run time.
  const undefinedUrlExports = result.warnings.filter((m) => UNDEFINED_URL_EXPORT.test(m.text));
  if (undefinedUrlExports.length > 0) throw bundleError(workflowsPath, undefinedUrlExports);
  return {
    code: withNameHelper(outputText(result, '.js'), LEAN_NAME_HELPER),
    sourceMap: outputText(result, '.js.map'),
  };
}

type BuildMessage = { text: string; location?: { file: string; line: number } | null };

function bundleError(
  workflowsPath: string,
  messages: readonly BuildMessage[],
  cause?: unknown,
): InvalidArgumentError {
  const details = messages
    .map((m) => {
      const text = urlExportMessage(m.text) ?? m.text;
      return m.location ? `${m.location.file}:${m.location.line}: ${text}` : text;
    })
    .join('\n');
  return new InvalidArgumentError(
    `Could not bundle the workflows module '${workflowsPath}': ${details || errorMessage(cause)}`,
    cause === undefined ? undefined : { cause },
  );
}

const ESBUILD_NAME_HELPER =
  'var __name = (target, value) => __defProp(target, "name", { value, configurable: true });';

/**
 * With `keepNames`, esbuild sets the `name` of each function and class as it is made, and the
 * workflow code makes most of its functions again for every run. Redefining `name` turns a
 * function's properties into a dictionary (~250 B); this helper leaves alone a function whose
 * name is already the one to keep (declarations, classes), with the same result.
 */
const LEAN_NAME_HELPER =
  'var __name = (target, value) => target.name === value ? target : __defProp(target, "name", { value, configurable: true });';

/**
 * The runtime's helper also leaves alone a function with no name of its own: a closure esbuild
 * names as it passes it on, which the runtime makes in every activation (W2's peak RSS was 4–7
 * MiB higher when each got its name). Its classes still get theirs (`this.name =
 * new.target.name` is how a failure crosses to the host), and so do its declarations; its
 * closures show as anonymous in a stack trace. The workflows bundle keeps the lean helper:
 * workflow code may pass an arrow function by name (`startChild`).
 */
export const RUNTIME_NAME_HELPER =
  'var __name = (target, value) => target.name === value || target.name === "" ? target : __defProp(target, "name", { value, configurable: true });';

/** Swaps esbuild's `keepNames` helper in `code` for `helper`. */
function withNameHelper(code: string, helper: string): string {
  return code.replace(ESBUILD_NAME_HELPER, helper);
}

function outputText(result: { outputFiles?: esbuild.OutputFile[] }, suffix: string): string {
  const file = result.outputFiles?.find((f) => f.path.endsWith(suffix));
  if (file === undefined) throw new Error(`esbuild produced no ${suffix} output`);
  return file.text;
}
