import { NamespaceNotFoundError, WorkflowNotFoundError } from '../../errors.ts';
import type { RunRecord } from '../../store/store.ts';
import type { ExecutionRef } from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';

/** The run a request names (the latest run of the workflow id without a run id), or throws. */
export async function findRunOrThrow(deps: EngineDeps, ref: ExecutionRef): Promise<RunRecord> {
  const run = await deps.store.findRun({
    namespace: ref.namespace,
    workflowId: ref.workflowId,
    runId: ref.runId,
  });
  if (run) return run;
  if (!(await deps.store.hasNamespace({ namespace: ref.namespace }))) {
    throw new NamespaceNotFoundError(ref.namespace);
  }
  throw new WorkflowNotFoundError(ref.workflowId, ref.runId, ref.namespace);
}

export async function assertNamespace(deps: EngineDeps, namespace: string): Promise<void> {
  if (!(await deps.store.hasNamespace({ namespace }))) throw new NamespaceNotFoundError(namespace);
}
