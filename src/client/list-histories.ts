// client.workflow.list()'s iterable, with Temporal's intoHistories(): the listed runs' histories,
// fetched a few at a time, for Worker.runReplayHistories.
import { InvalidArgumentError } from '../errors.ts';
import type { EngineApi } from '../transport/engine-api.ts';
import type { History } from './workflow-handle.ts';
import { listWorkflowExecutions } from './workflow-list.ts';
import type { ListOptions, WorkflowExecutionInfo } from './workflow-list.ts';

/** Options of `intoHistories()`. Temporal's `IntoHistoriesOptions`. */
export interface IntoHistoriesOptions {
  /** Histories fetched at once. Default 5. */
  readonly concurrency?: number | undefined;
  /**
   * Histories fetched and not yet read, at most; default `concurrency`. Below `concurrency`, it
   * limits the fetches at once too (histories are yielded in list order).
   */
  readonly bufferLimit?: number | undefined;
}

/** One listed run's history, as `Worker.runReplayHistories` takes it. Temporal's. */
export interface HistoryAndWorkflowId {
  readonly workflowId: string;
  readonly history: History;
}

/** What `client.workflow.list()` returns. Temporal's `AsyncWorkflowListIterable`. */
export interface AsyncWorkflowListIterable extends AsyncIterable<WorkflowExecutionInfo> {
  /**
   * The history of each listed run, in list order, fetched `concurrency` at a time: feed it to
   * `Worker.runReplayHistories` to replay production histories against new code.
   */
  intoHistories(options?: IntoHistoriesOptions): AsyncIterable<HistoryAndWorkflowId>;
}

const DEFAULT_CONCURRENCY = 5;

export function workflowListIterable(
  api: EngineApi,
  namespace: string,
  options: ListOptions,
): AsyncWorkflowListIterable {
  return {
    [Symbol.asyncIterator]: () => listWorkflowExecutions(api, namespace, options),
    intoHistories: (into = {}) =>
      historiesOf(listWorkflowExecutions(api, namespace, options), api, namespace, into),
  };
}

async function* historiesOf(
  runs: AsyncIterable<WorkflowExecutionInfo>,
  api: EngineApi,
  namespace: string,
  into: IntoHistoriesOptions,
): AsyncGenerator<HistoryAndWorkflowId, void, undefined> {
  const concurrency = positiveWhole('concurrency', into.concurrency ?? DEFAULT_CONCURRENCY);
  const window = Math.min(
    concurrency,
    positiveWhole('bufferLimit', into.bufferLimit ?? concurrency),
  );
  const fetch = async (run: WorkflowExecutionInfo): Promise<HistoryAndWorkflowId> => {
    const { runId, events } = await api.getHistory({
      namespace,
      workflowId: run.workflowId,
      runId: run.runId,
    });
    return { workflowId: run.workflowId, history: { workflowId: run.workflowId, runId, events } };
  };
  // In list order: a window of fetches under way, the oldest yielded first.
  const pending: Promise<HistoryAndWorkflowId>[] = [];
  const unawaited = (p: Promise<HistoryAndWorkflowId>) => {
    // Read in turn below; a rejection waiting for its turn is not unhandled meanwhile.
    p.catch(() => undefined);
    return p;
  };
  for await (const run of runs) {
    pending.push(unawaited(fetch(run)));
    const oldest = pending.length >= window ? pending.shift() : undefined;
    if (oldest !== undefined) yield await oldest;
  }
  for (const p of pending) yield await p;
}

function positiveWhole(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(
      `intoHistories option ${name} must be a whole number of at least 1 (got ${String(value)}).`,
    );
  }
  return value;
}
