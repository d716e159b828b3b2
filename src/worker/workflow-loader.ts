import { bundleWorkflows } from './sandbox/bundle.ts';
import type { WorkflowBundle } from './sandbox/bundle.ts';
import { VmSandbox } from './sandbox/vm-sandbox.ts';
import type { WatchdogKind } from './sandbox/native-watchdog.ts';
import { resolveDebugMode } from './debug-mode.ts';
import { WorkflowRun } from './workflow-run.ts';
import type { Logger } from '../logger.ts';
import type { RunIdentity } from './workflow-task-handler.ts';

/** A worker's workflows: bundled once, one shared sandbox, a fresh module instance per run. */
export interface LoadedWorkflows {
  readonly workflowTypes: string[];
  /** Signal names the bundle defines; null when a default signal handler takes any name. */
  readonly signalNames: string[] | null;
  /** What times calls into workflow code; undefined in debug mode. */
  readonly watchdog: WatchdogKind | undefined;
  createRun(id: RunIdentity): WorkflowRun;
  /** Releases the sandbox; no run may be used after. */
  dispose(): void;
}

/** Where a worker's workflows come from: a module to bundle now, or a bundle made before. */
export type WorkflowSource =
  | {
      readonly workflowsPath: string;
      readonly interceptorModules?: readonly string[] | undefined;
      /** `bundlerOptions.ignoreModules`. */
      readonly ignoreModules?: readonly string[] | undefined;
    }
  | { readonly bundle: WorkflowBundle };

/**
 * Bundles the workflows (or takes a bundle made ahead of time) into one shared sandbox. In debug
 * mode (the option, else REPRISE_DEBUG: resolveDebugMode) the sandbox detects no deadlocks.
 */
export async function loadWorkflows(
  source: WorkflowSource,
  options: {
    readonly debugMode?: boolean | undefined;
    /** Where a promise rejection workflow code left unhandled, that fails no task, is logged. */
    readonly logger?: Logger | undefined;
    /** The worker's buildId: `workflowInfo().currentBuildId` in the tasks it runs live. */
    readonly buildId?: string | undefined;
  } = {},
): Promise<LoadedWorkflows> {
  const detectDeadlocks = !resolveDebugMode(options.debugMode);
  const bundle =
    'bundle' in source
      ? source.bundle
      : await bundleWorkflows({
          workflowsPath: source.workflowsPath,
          workflowInterceptorModules: source.interceptorModules,
          ignoreModules: source.ignoreModules,
        });
  const sandbox = VmSandbox.create(bundle, { detectDeadlocks, logger: options.logger });
  return {
    workflowTypes: [...sandbox.workflowTypes],
    signalNames: sandbox.signalNames === null ? null : [...sandbox.signalNames],
    watchdog: sandbox.watchdog,
    createRun: (id) =>
      new WorkflowRun({
        sandbox,
        runId: id.runId,
        namespace: id.namespace,
        buildId: options.buildId,
      }),
    dispose: () => {
      sandbox.dispose();
    },
  };
}
