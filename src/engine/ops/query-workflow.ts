import * as z from 'zod';
import { QueryFailedError, QueryNotRegisteredError, UnavailableError } from '../../errors.ts';
import { RunStatus } from '../../protocol/run-status.ts';
import type { RunRecord } from '../../store/store.ts';
import { RECHECK_INTERVAL_MS, runKey } from '../notifier.ts';
import { parseRunState } from '../run-state.ts';
import type { RunState } from '../run-state.ts';
import { decodeFailure } from '../../failures.ts';
import type { QueryWorkflowRequest } from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';
import type { QueryDispatcher, StickyQueryRoute } from '../task-queues/query-dispatcher.ts';
import { findRunOrThrow } from './find-run.ts';
import { WireHeadersSchema } from '../../protocol/payload.ts';
import { parseRequest } from './parse-request.ts';

export const QuerySchema = z.object({
  namespace: z.string().min(1),
  workflowId: z.string().min(1),
  runId: z.string().optional(),
  queryType: z.string().min(1),
  args: z.array(z.unknown()),
  header: WireHeadersSchema.optional(),
});

/**
 * Asks a worker on the run's task queue to answer a query from the workflow's state: a cached
 * run answers at once; otherwise the worker replays history (also for closed runs).
 */
export async function queryWorkflow(
  deps: EngineDeps,
  queries: QueryDispatcher,
  input: QueryWorkflowRequest,
): Promise<unknown> {
  const req = parseRequest(QuerySchema, input, 'query');
  const { run, state } = await untilFirstTaskCompleted(deps, await findRunOrThrow(deps, req));
  const answer = await queries.submit(
    run.namespace,
    run.taskQueue,
    {
      workflowId: run.workflowId,
      runId: run.runId,
      workflowType: run.workflowType,
      previousStartedEventId: state.previousStartedEventId,
      queryType: req.queryType,
      args: req.args,
      ...(req.header !== undefined && { header: req.header }),
    },
    deps.limits.queryTimeoutMs,
    stickyRoute(deps, run, state),
  );
  if (answer.status === 'success') return answer.result;
  if (answer.notRegistered)
    throw new QueryNotRegisteredError(answer.failure.message, req.queryType);
  throw new QueryFailedError(answer.failure.message, { cause: decodeFailure(answer.failure) });
}

/**
 * A running run whose worker keeps it in memory is queried on that worker's sticky queue first,
 * while its tasks would go there (StickyQueues.routes): it answers from memory, where another
 * worker would replay the run's history. It waits there as long as the run's workflow tasks
 * would, at most half the query timeout.
 */
function stickyRoute(
  deps: EngineDeps,
  run: RunRecord,
  state: RunState,
): StickyQueryRoute | undefined {
  const sticky = state.sticky;
  if (
    sticky === undefined ||
    run.status !== RunStatus.Running ||
    !deps.stickyQueues.routes(run.namespace, sticky.taskQueue, run.taskQueue)
  ) {
    return undefined;
  }
  return {
    taskQueue: sticky.taskQueue,
    waitMs: Math.min(sticky.scheduleToStartTimeoutMs, deps.limits.queryTimeoutMs / 2),
  };
}

/**
 * A query is answered from the state the workflow reached in its last completed task; before
 * its first task completes a run has no handlers yet, so the query waits for it (as Temporal's
 * does), within the query timeout.
 */
async function untilFirstTaskCompleted(
  deps: EngineDeps,
  run: RunRecord,
): Promise<{ run: RunRecord; state: RunState }> {
  const deadline = Date.now() + deps.limits.queryTimeoutMs;
  let current = run;
  for (;;) {
    const state = parseRunState(current.state);
    if (state.previousStartedEventId > 0 || current.status !== RunStatus.Running) {
      return { run: current, state };
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new UnavailableError(
        `Workflow '${run.workflowId}' has not completed its first workflow task within ${deps.limits.queryTimeoutMs} ms, so it cannot answer queries yet. Is a worker running on task queue '${run.taskQueue}'?`,
      );
    }
    await deps.notifier.wait(runKey(run.runId), Math.min(remaining, RECHECK_INTERVAL_MS));
    current = (await deps.store.getRun({ runId: run.runId })) ?? current;
  }
}
