// The child-process hosts of bench/hosts/ run as a deployed application does: compiled ahead of
// time and started with plain node, so that a host's start-up (W6's restartReadyS) measures
// Reprise, not the TypeScript loader. The runner compiles them before the first workload.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as esbuild from 'esbuild';
import { bundleWorkflowCode } from 'reprise/worker';
import { WORKFLOWS_PATH } from './deployment.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Under node_modules so that the bundles' imports of the packages left out resolve. */
const CACHE = path.join(REPO, 'node_modules', '.cache', 'reprise-bench');

/** What the results say about the hosts (the `hosts` param of a workload that forks them). */
export const COMPILED_HOSTS_PARAM =
  'compiled ahead of time (esbuild, ESM, split where Reprise imports lazily), started with plain node (no tsx), workflows bundled ahead of time (workflowBundle)';

/**
 * Packages the bundles import from node_modules: better-sqlite3 loads a native addon, esbuild
 * runs its own binary found beside its package, pino starts transports from files by path, pg
 * may load pg-native (the limits workload). The others (zod, croner, ms) are bundled: one file
 * starts faster than zod's ~95 modules.
 */
const EXTERNAL = ['better-sqlite3', 'esbuild', 'pino', 'pg'];

const IMPORT_META = /\bimport\.meta\.(url|filename|dirname)\b/g;

/**
 * Reprise and the bench find files beside their modules (the SQL migrations, the workflow
 * runtime's sources that a worker bundles, the bench's workflows module): each bundled file
 * keeps its own `import.meta`, so those paths still point into the repository.
 */
const keepImportMeta: esbuild.Plugin = {
  name: 'keep-import-meta',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
      if (args.path.split(path.sep).includes('node_modules')) return undefined;
      const meta: Record<string, string> = {
        url: pathToFileURL(args.path).href,
        filename: args.path,
        dirname: path.dirname(args.path),
      };
      const contents = readFileSync(args.path, 'utf8').replace(IMPORT_META, (_, key: string) =>
        JSON.stringify(meta[key]),
      );
      return { contents, loader: /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js' };
    });
  },
};

/**
 * The bench's workflows bundled ahead of time, beside the compiled hosts of `dir` (a host gets
 * its path as BENCH_WORKFLOW_BUNDLE).
 */
export function workflowBundleOf(dir: string): string {
  return path.join(dir, 'workflows.bundle');
}

/** The directory of compileHosts' call that wrote the compiled `file`. */
export function compiledDirOf(file: string): string {
  return path.join(CACHE, path.relative(CACHE, file).split(path.sep)[0] ?? '');
}

export interface CompiledHosts {
  /** The compiled file of each host script, by the script's path. */
  readonly files: Readonly<Record<string, string>>;
  /** Removes the compiled files. */
  dispose(): void;
}

/**
 * Bundles each script and what it imports (Reprise included) into an ESM file under
 * node_modules/.cache/reprise-bench/, in a directory of this call's own (removed by `dispose`
 * unless BENCH_KEEP_HOSTS=1). What Reprise imports only when it is used (the PostgreSQL store
 * and node-postgres, the HTTP server) goes into chunks of its own, loaded as they are imported,
 * as a deployment compiled file by file loads them: one file would load them at every start
 * (60–100 ms more before a host is ready, the forty-fifth pass).
 */
export async function compileHosts(scripts: readonly string[]): Promise<CompiledHosts> {
  const entryPoints = [...new Set(scripts)];
  if (entryPoints.length === 0) return { files: {}, dispose: () => undefined };
  mkdirSync(CACHE, { recursive: true });
  const dir = mkdtempSync(path.join(CACHE, 'hosts-'));
  const dispose = (): void => {
    // Kept on request, so that a profile's or a heap sample's rep.mjs:line can be read.
    if (process.env['BENCH_KEEP_HOSTS'] === '1') return;
    rmSync(dir, { recursive: true, force: true });
  };
  let bundler: typeof esbuild | undefined;
  try {
    // Loaded here, not at the top: the repetitions import this module too
    // (compiledForkOptions), and should not load esbuild, as Reprise's worker does not with a
    // workflowBundle.
    bundler = await import('esbuild');
    const result = await bundler.build({
      entryPoints,
      absWorkingDir: REPO,
      outdir: dir,
      outbase: REPO,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      splitting: true,
      target: `node${process.versions.node}`,
      // As tsx does: the client names a workflow type after its function.
      keepNames: true,
      sourcemap: 'linked',
      external: EXTERNAL,
      plugins: [keepImportMeta],
      metafile: true,
      logLevel: 'silent',
    });
    const byEntry = new Map<string, string>();
    for (const [out, { entryPoint }] of Object.entries(result.metafile.outputs)) {
      if (entryPoint !== undefined)
        byEntry.set(path.resolve(REPO, entryPoint), path.resolve(REPO, out));
    }
    const files: Record<string, string> = {};
    for (const script of entryPoints) {
      const out = byEntry.get(path.resolve(REPO, script));
      if (out === undefined) throw new Error(`esbuild wrote no output for ${script}`);
      files[script] = out;
    }
    // The workflows too, as a deployment bundles them at build time (bundleWorkflowCode).
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
    writeFileSync(workflowBundleOf(dir), code);
    return { files, dispose };
  } catch (e) {
    dispose();
    throw e;
  } finally {
    // The runner has no more use for esbuild's service process.
    await bundler?.stop();
  }
}

/**
 * What a compiled file is forked with: the node flags `execArgv` minus tsx, and the environment
 * with BENCH_WORKFLOW_BUNDLE, the workflows bundled beside it (bench/lib/deployment.ts
 * `benchWorkflows`).
 */
export function compiledForkOptions(
  file: string,
  execArgv: readonly string[],
): { execArgv: string[]; env: NodeJS.ProcessEnv } {
  return {
    execArgv: compiledExecArgv(execArgv),
    env: { ...process.env, BENCH_WORKFLOW_BUNDLE: workflowBundleOf(compiledDirOf(file)) },
  };
}

const LOADER_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);

function isTsx(specifier: string): boolean {
  return /^tsx(\/|$)/.test(specifier) || /[/\\]node_modules[/\\]tsx[/\\]/.test(specifier);
}

/**
 * Node flags for a compiled host: the repetition's (`ctx.childExecArgv`, e.g. `--expose-gc`)
 * minus tsx, whether `node --import tsx` or the tsx CLI (`npm run bench`) put it there.
 */
export function compiledExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i] ?? '';
    const eq = a.indexOf('=');
    const flag = eq === -1 ? a : a.slice(0, eq);
    if (LOADER_FLAGS.has(flag)) {
      const value = eq === -1 ? (execArgv[i + 1] ?? '') : a.slice(eq + 1);
      if (isTsx(value)) {
        if (eq === -1) i++;
        continue;
      }
    }
    out.push(a);
  }
  return out;
}
