import { NamespaceNotFoundError, WorkflowNotFoundError } from '../../errors.ts';
import type { RunRecord } from '../../store/store.ts';
import type { ExecutionRef } from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';
import { RunCache } from '../run-cache.ts';
import type { CachedRecord } from '../run-cache.ts';

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

/**
 * The running run a request names, from this process's run cache (a run it wrote last), with
 * no read: a hint, stale only when another engine process changed the run since — updateRun's
 * compare-and-set finds that out; a reader must know that it is alone on the store.
 */
export function cachedRunningRun(deps: EngineDeps, ref: ExecutionRef): CachedRecord | undefined {
  const cache = RunCache.of(deps.store);
  const run =
    ref.runId === undefined
      ? cache.runningRunOf(ref.namespace, ref.workflowId)?.record
      : cache.get(ref.runId)?.record;
  return run?.namespace === ref.namespace && run.workflowId === ref.workflowId ? run : undefined;
}

export async function assertNamespace(deps: EngineDeps, namespace: string): Promise<void> {
  if (!(await deps.store.hasNamespace({ namespace }))) throw new NamespaceNotFoundError(namespace);
}
