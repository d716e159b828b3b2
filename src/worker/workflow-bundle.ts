// Temporal's `bundleWorkflowCode` and `workflowBundle`: the workflow code bundled once, at build
// time, so that a worker starts without bundling (docs/workflows.md "Bundling ahead of time").
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as z from 'zod';
import { InvalidArgumentError } from '../errors.ts';
import { configureWithPlugins } from '../common/plugins.ts';
import type { BundlerPlugin } from './plugin.ts';
import { bundleWorkflows, runtimeFingerprint } from './sandbox/bundle.ts';
import type { WorkflowBundle } from './sandbox/bundle.ts';
import type { WorkflowSource } from './workflow-loader.ts';

/** What `bundleWorkflowCode` makes: pass it (or a file holding `code`) as `workflowBundle`. */
export interface WorkflowBundleCode {
  /** The bundle, opaque: the workflow code, its source map and the workflow runtime. */
  readonly code: string;
}

/** `Worker.create`'s `workflowBundle`: the bundle itself, or the path of a file holding `code`. */
export type WorkflowBundleOption = WorkflowBundleCode | { readonly codePath: string };

export interface BundleWorkflowCodeOptions {
  /** The workflows module: `.ts` or `.js`, ESM or CommonJS. */
  readonly workflowsPath: string;
  /** Temporal's name for `interceptors.workflowModules`: bundled with the workflows. */
  readonly workflowInterceptorModules?: readonly string[] | undefined;
  /**
   * Modules (and their subpaths) left out of the bundle, for imports whose code never runs in a
   * workflow (a Node built-in a library imports for another use): using one in workflow code
   * throws, naming it. As the worker's `bundlerOptions.ignoreModules`.
   */
  readonly ignoreModules?: readonly string[] | undefined;
  /**
   * Temporal's bundler plugins: each one's `configureBundler` is given these options, in the
   * order listed, and the code is bundled with what the last returns (docs/plugins.md).
   */
  readonly plugins?: readonly BundlerPlugin[] | undefined;
}

/** Temporal's name for {@link BundleWorkflowCodeOptions}. */
export type BundleOptions = BundleWorkflowCodeOptions;

/**
 * Temporal's worker option `bundlerOptions`: how the worker bundles `workflowsPath`. Of
 * Temporal's, `ignoreModules` only: `webpackConfigHook` has no webpack to configure (Reprise
 * bundles with esbuild).
 */
export interface BundlerOptions {
  /** As `bundleWorkflowCode`'s `ignoreModules`. */
  readonly ignoreModules?: readonly string[] | undefined;
}

const FORMAT = 'reprise-workflow-bundle';

/**
 * Temporal's bundle options that have no use here, each with what to do instead: the data
 * converter runs in the worker host, outside the sandbox, so no converter goes into the bundle;
 * the bundler is esbuild, not webpack. The types reject them; this tells a JavaScript caller.
 */
const NOT_BUNDLE_OPTIONS = {
  payloadConverterPath:
    "Reprise's payload converter runs in the worker host, outside the sandbox, so the bundle needs none: give it to Worker.create as dataConverter.payloadConverterPath.",
  failureConverterPath:
    'Reprise has no failure converter, and its data converter runs in the worker host, outside the sandbox: the bundle needs none.',
  webpackConfigHook:
    'Reprise bundles with esbuild and takes no bundler configuration: to leave a module out of the bundle, list it in ignoreModules.',
} as const;

/** Refuses in `options` (named `where`) any of Temporal's bundle options that have no use here. */
function refuseNotBundleOptions(options: object, where: string): void {
  for (const [name, instead] of Object.entries(NOT_BUNDLE_OPTIONS)) {
    if (name in options && (options as Record<string, unknown>)[name] !== undefined) {
      throw new InvalidArgumentError(`${where} takes no ${name}. ${instead}`);
    }
  }
}

/** This package's version: a bundle runs only with the runtime protocol it was made for. */
function repriseVersion(): string {
  const pkg = createRequire(import.meta.url)('../../package.json') as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

const Stored = z.object({
  format: z.literal(FORMAT),
  version: z.string(),
  runtime: z.string().nullable(),
  workflowsPath: z.string(),
  code: z.string(),
  sourceMap: z.string(),
  runtimeCode: z.string(),
  workflowTypes: z.array(z.string()),
  signalNames: z.array(z.string()).nullable(),
});

/**
 * Bundles the workflow code as `Worker.create` would, for a worker to start from later
 * (`workflowBundle`) without bundling: write `code` to a file at build time and pass
 * `{ codePath }`. Throws what `Worker.create` would for the same code.
 */
export async function bundleWorkflowCode(
  options: BundleWorkflowCodeOptions,
): Promise<WorkflowBundleCode> {
  options = await configureBundling(options.plugins, options, 'bundleWorkflowCode');
  const bundle = await bundleWorkflows({
    workflowsPath: options.workflowsPath,
    workflowInterceptorModules: options.workflowInterceptorModules,
    ignoreModules: options.ignoreModules,
  });
  const stamp = {
    format: FORMAT,
    version: repriseVersion(),
    runtime: runtimeFingerprint() ?? null,
  };
  return { code: JSON.stringify({ ...stamp, ...bundle }) };
}

/**
 * `options` passed through the `configureBundler` of each plugin of `plugins` that has one, in
 * order; Temporal's bundle options that have no use here are refused in what comes out.
 */
async function configureBundling(
  plugins: readonly BundlerPlugin[] | undefined,
  options: BundleWorkflowCodeOptions,
  where: string,
): Promise<BundleWorkflowCodeOptions> {
  const configured = await configureWithPlugins(plugins, 'configureBundler', options, where);
  refuseNotBundleOptions(configured, where);
  return configured;
}

/** The bundle a `workflowBundle` option names; a clear error for anything else. */
export function readWorkflowBundle(option: WorkflowBundleOption): WorkflowBundle {
  const given = option as { code?: unknown; codePath?: unknown } | null;
  const hasCode = typeof given === 'object' && given !== null && typeof given.code === 'string';
  const hasPath = typeof given === 'object' && given !== null && typeof given.codePath === 'string';
  if (hasCode === hasPath) {
    throw new InvalidArgumentError(
      'workflowBundle must be { code } (what bundleWorkflowCode returned) or { codePath } (a file holding that code), one of the two.',
    );
  }
  let code: string;
  let where: string;
  if ('codePath' in option) {
    where = `workflowBundle.codePath '${option.codePath}'`;
    try {
      code = readFileSync(option.codePath, 'utf8');
    } catch (e) {
      throw new InvalidArgumentError(
        `${where} cannot be read (${(e as Error).message}): write bundleWorkflowCode's code there.`,
        { cause: e },
      );
    }
  } else {
    where = 'workflowBundle.code';
    code = option.code;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(code);
  } catch {
    parsed = undefined;
  }
  const stored = Stored.safeParse(parsed);
  if (!stored.success) {
    throw new InvalidArgumentError(
      `${where} is not a workflow bundle: pass the code that bundleWorkflowCode from 'reprise/worker' returned.`,
    );
  }
  const b = stored.data;
  // Where either side cannot see the runtime's sources, the version alone must do.
  const here = runtimeFingerprint();
  const sameRuntime = here === undefined || b.runtime === null || b.runtime === here;
  if (b.version !== repriseVersion() || !sameRuntime) {
    throw new InvalidArgumentError(
      `${where} was made by Reprise ${b.version} (workflow runtime ${b.runtime ?? '?'}), and this is ${repriseVersion()} (workflow runtime ${here ?? '?'}): bundle the workflows again with this version.`,
    );
  }
  return {
    workflowsPath: b.workflowsPath,
    code: b.code,
    sourceMap: b.sourceMap,
    runtimeCode: b.runtimeCode,
    workflowTypes: b.workflowTypes,
    signalNames: b.signalNames,
  };
}

/**
 * Where the workflows of a worker (or a replay) come from: `workflowsPath` (bundled now, with
 * `interceptors.workflowModules` and `bundlerOptions`) or `workflowBundle` (bundled before);
 * undefined for neither.
 */
export function workflowSourceOf(options: {
  readonly workflowsPath?: string | undefined;
  readonly workflowBundle?: WorkflowBundleOption | undefined;
  readonly interceptors?: { readonly workflowModules?: readonly string[] | undefined } | undefined;
  readonly bundlerOptions?: BundlerOptions | undefined;
}): WorkflowSource | undefined {
  const modules = options.interceptors?.workflowModules ?? [];
  const { bundlerOptions } = options;
  if (bundlerOptions !== undefined) refuseNotBundleOptions(bundlerOptions, 'bundlerOptions');
  // An option that shapes the bundle: with a bundle made before, it goes to bundleWorkflowCode.
  const bundling =
    modules.length > 0
      ? {
          option: 'interceptors.workflowModules',
          there: 'workflowInterceptorModules',
          why: 'workflow interceptors are bundled with the workflow code',
        }
      : bundlerOptions !== undefined
        ? {
            option: 'bundlerOptions',
            there: 'its options (ignoreModules)',
            why: 'they say how the workflow code is bundled',
          }
        : undefined;
  if (options.workflowBundle !== undefined) {
    if (options.workflowsPath !== undefined && options.workflowsPath !== '') {
      throw new InvalidArgumentError(
        'Give workflowsPath or workflowBundle, not both: the bundle already holds the workflow code.',
      );
    }
    if (bundling !== undefined) {
      throw new InvalidArgumentError(
        `${bundling.option} cannot be added to a workflowBundle: pass them to bundleWorkflowCode as ${bundling.there}.`,
      );
    }
    return { bundle: readWorkflowBundle(options.workflowBundle) };
  }
  if (options.workflowsPath === undefined || options.workflowsPath === '') {
    if (bundling !== undefined) {
      throw new InvalidArgumentError(`${bundling.option} needs workflowsPath: ${bundling.why}.`);
    }
    return undefined;
  }
  return {
    workflowsPath: options.workflowsPath,
    interceptorModules: modules,
    ignoreModules: bundlerOptions?.ignoreModules,
  };
}

/**
 * {@link workflowSourceOf}, with a `workflowsPath` bundled as the bundler plugins among
 * `options.plugins` configure it (Temporal's worker hands its plugins to its bundler).
 */
export async function pluggedWorkflowSourceOf(
  options: Parameters<typeof workflowSourceOf>[0] & {
    readonly plugins?: readonly BundlerPlugin[] | undefined;
  },
  where: string,
): Promise<WorkflowSource | undefined> {
  const source = workflowSourceOf(options);
  if (source === undefined || 'bundle' in source || !options.plugins?.length) return source;
  const bundling = await configureBundling(
    options.plugins,
    {
      workflowsPath: source.workflowsPath,
      workflowInterceptorModules: source.interceptorModules,
      ignoreModules: source.ignoreModules,
    },
    where,
  );
  return {
    workflowsPath: bundling.workflowsPath,
    interceptorModules: bundling.workflowInterceptorModules,
    ignoreModules: bundling.ignoreModules,
  };
}
