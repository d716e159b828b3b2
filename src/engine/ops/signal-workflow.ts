import * as z from 'zod';
import { UnknownSignalError, WorkflowNotFoundError } from '../../errors.ts';
import type { CachedRecord } from '../run-cache.ts';
import type { SignalWorkflowRequest } from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';
import { checkPayload } from '../payload-limits.ts';
import { updateRun } from '../update-run.ts';
import { cachedRunningRun, findRunOrThrow } from './find-run.ts';
import { WireHeadersSchema } from '../../protocol/payload.ts';
import { parseRequest } from './parse-request.ts';

export const SignalSchema = z.object({
  namespace: z.string().min(1),
  workflowId: z.string().min(1),
  runId: z.string().optional(),
  signalName: z.string().min(1),
  args: z.array(z.unknown()),
  header: WireHeadersSchema.optional(),
  identity: z.string().optional(),
});

/**
 * Appends WorkflowExecutionSignaled (and a workflow task unless one is out). Contract 4: the
 * signal is in the store before this returns, so an accepted signal is never lost.
 * Test: test/contract/4-signals-never-lost.test.ts.
 */
export async function signalWorkflow(
  deps: EngineDeps,
  input: SignalWorkflowRequest,
): Promise<void> {
  const req = parseRequest(SignalSchema, input, 'signal');
  checkPayload(deps, `The input of signal '${req.signalName}'`, req.args);
  if (req.header) checkPayload(deps, `The header of signal '${req.signalName}'`, req.header);
  // A run this process wrote last needs no read to be found. Only a hint: if another engine
  // process closed it meanwhile, the run is looked up after all.
  const hinted = cachedRunningRun(deps, req);
  if (hinted !== undefined) {
    try {
      await signalRun(deps, req, hinted);
      return;
    } catch (e) {
      // Closed, or (another engine started another run of the id since) of another type.
      if (!(e instanceof WorkflowNotFoundError || e instanceof UnknownSignalError)) throw e;
    }
  }
  await signalRun(deps, req, await findRunOrThrow(deps, req));
}

async function signalRun(
  deps: EngineDeps,
  req: z.infer<typeof SignalSchema>,
  run: CachedRecord,
): Promise<void> {
  await assertKnownSignal(deps, run.namespace, run.taskQueue, run.workflowType, req.signalName);
  await updateRun(deps, run.runId, (tx) => {
    if (!tx.isRunning) {
      throw new WorkflowNotFoundError(
        req.workflowId,
        run.runId,
        req.namespace,
        `The run is closed (${tx.state.status}); signals reach only running workflows.`,
      );
    }
    tx.append({
      type: 'WorkflowExecutionSignaled',
      signalName: req.signalName,
      input: req.args,
      ...(req.header !== undefined && { header: req.header }),
      ...(req.identity !== undefined && { identity: req.identity }),
    });
  });
}

export async function assertKnownSignal(
  deps: EngineDeps,
  namespace: string,
  taskQueue: string,
  workflowType: string,
  signalName: string,
): Promise<void> {
  await deps.registrations.check(namespace, taskQueue, (all) => {
    const regs = all.filter((r) => r.workflowTypes.includes(workflowType));
    if (regs.length === 0) return undefined;
    if (regs.some((r) => r.signalNames === null || r.signalNames.includes(signalName)))
      return undefined;
    const known = [...new Set(regs.flatMap((r) => r.signalNames ?? []))].sort();
    return new UnknownSignalError(signalName, workflowType, known);
  });
}
