// Temporal's `bundleWorkflowCode` and `workflowBundle`: the workflow code bundled once, at build
// time, so that a worker starts without bundling (docs/workflows.md "Bundling ahead of time").
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as z from 'zod';
import { InvalidArgumentError } from '../errors.ts';
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
}

const FORMAT = 'reprise-workflow-bundle';

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
  const bundle = await bundleWorkflows({
    workflowsPath: options.workflowsPath,
    workflowInterceptorModules: options.workflowInterceptorModules,
  });
  const stamp = {
    format: FORMAT,
    version: repriseVersion(),
    runtime: runtimeFingerprint() ?? null,
  };
  return { code: JSON.stringify({ ...stamp, ...bundle }) };
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
 * `interceptors.workflowModules`) or `workflowBundle` (bundled before); undefined for neither.
 */
export function workflowSourceOf(options: {
  readonly workflowsPath?: string | undefined;
  readonly workflowBundle?: WorkflowBundleOption | undefined;
  readonly interceptors?: { readonly workflowModules?: readonly string[] | undefined } | undefined;
}): WorkflowSource | undefined {
  const modules = options.interceptors?.workflowModules ?? [];
  if (options.workflowBundle !== undefined) {
    if (options.workflowsPath !== undefined && options.workflowsPath !== '') {
      throw new InvalidArgumentError(
        'Give workflowsPath or workflowBundle, not both: the bundle already holds the workflow code.',
      );
    }
    if (modules.length > 0) {
      throw new InvalidArgumentError(
        'interceptors.workflowModules cannot be added to a workflowBundle: pass them to bundleWorkflowCode as workflowInterceptorModules.',
      );
    }
    return { bundle: readWorkflowBundle(options.workflowBundle) };
  }
  if (options.workflowsPath === undefined || options.workflowsPath === '') {
    if (modules.length > 0) {
      throw new InvalidArgumentError(
        'interceptors.workflowModules needs workflowsPath: workflow interceptors are bundled with the workflow code.',
      );
    }
    return undefined;
  }
  return { workflowsPath: options.workflowsPath, interceptorModules: modules };
}
