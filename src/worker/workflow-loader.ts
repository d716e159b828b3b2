import { bundleWorkflows } from './sandbox/bundle.ts';
import { VmSandbox } from './sandbox/vm-sandbox.ts';
import { WorkflowRun } from './workflow-run.ts';
import type { RunIdentity } from './workflow-task-handler.ts';

/** A worker's workflows: bundled once, one shared sandbox, a fresh module instance per run. */
export interface LoadedWorkflows {
  readonly workflowTypes: string[];
  /** Signal names the bundle defines; null when a default signal handler takes any name. */
  readonly signalNames: string[] | null;
  createRun(id: RunIdentity): WorkflowRun;
  /** Releases the sandbox; no run may be used after. */
  dispose(): void;
}

/** Bundles `workflowsPath`, with `interceptorModules` (Temporal's `interceptors.workflowModules`). */
export async function loadWorkflows(
  workflowsPath: string,
  interceptorModules?: readonly string[],
): Promise<LoadedWorkflows> {
  const bundle = await bundleWorkflows({
    workflowsPath,
    workflowInterceptorModules: interceptorModules,
  });
  const sandbox = VmSandbox.create(bundle);
  return {
    workflowTypes: [...sandbox.workflowTypes],
    signalNames: sandbox.signalNames === null ? null : [...sandbox.signalNames],
    createRun: (id) => new WorkflowRun({ sandbox, runId: id.runId, namespace: id.namespace }),
    dispose: () => {
      sandbox.dispose();
    },
  };
}
