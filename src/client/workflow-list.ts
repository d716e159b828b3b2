// client.workflow.list and count: Temporal's list-filter queries, paged through the EngineApi.
import type { Priority } from '../protocol/priority.ts';
import type { SearchAttributes } from '../protocol/search-attributes.ts';
import { typedSearchAttributesOf } from '../protocol/typed-search-attributes.ts';
import type { TypedSearchAttributes } from '../protocol/typed-search-attributes.ts';
import type { RunStatus } from '../protocol/run-status.ts';
import type {
  EngineApi,
  WorkflowExecutionInfo as RawExecutionInfo,
} from '../transport/engine-api.ts';

/** Options of `client.workflow.list`. */
export interface ListOptions {
  /**
   * A list filter in Temporal's language, e.g.
   * `WorkflowType = 'order' AND ExecutionStatus = 'Running' ORDER BY StartTime DESC`.
   * Every run of the namespace when absent.
   */
  readonly query?: string | undefined;
  /**
   * Runs fetched per request (up to 1000; default, and for 0, 100); the iterable fetches pages
   * as needed.
   */
  readonly pageSize?: number | undefined;
}

/** One run as `client.workflow.list` yields it. Temporal's `WorkflowExecutionInfo`. */
export interface WorkflowExecutionInfo {
  readonly workflowId: string;
  readonly runId: string;
  /** The workflow type. */
  readonly type: string;
  readonly taskQueue: string;
  readonly status: RunStatus;
  readonly historyLength: number;
  readonly startTime: Date;
  /** When the first workflow task was due: `startTime` plus any `startDelay`. */
  readonly executionTime: Date;
  readonly closeTime: Date | undefined;
  readonly memo: Record<string, unknown>;
  readonly searchAttributes: SearchAttributes;
  /** `searchAttributes` as typed ones, with the types their values imply. */
  readonly typedSearchAttributes: TypedSearchAttributes;
  /**
   * The run's priority (a child's merged over its parent's), as `describe().priority` gives it:
   * `{}` when it sets none. Temporal's.
   */
  readonly priority: Priority;
}

/** The answer of `client.workflow.count`. */
export interface CountWorkflowExecution {
  readonly count: number;
  /**
   * With `GROUP BY ExecutionStatus` at the end of the query: one group per status that some
   * matching run has, in the order Running, Completed, Failed, Canceled, Terminated,
   * ContinuedAsNew, TimedOut, each with that status as its one `groupValues` entry (the strings
   * `list()` gives as `status`); empty without GROUP BY.
   */
  readonly groups: {
    readonly count: number;
    readonly groupValues: RunStatus[];
  }[];
}

/** Pages through the runs a query matches, one request per page, as they are iterated. */
export async function* listWorkflowExecutions(
  api: EngineApi,
  namespace: string,
  options: ListOptions,
): AsyncGenerator<WorkflowExecutionInfo, void, undefined> {
  let nextPageToken: string | undefined;
  do {
    const page = await api.listWorkflows({
      namespace,
      query: options.query,
      pageSize: options.pageSize,
      nextPageToken,
    });
    for (const raw of page.executions) yield toExecutionInfo(raw);
    nextPageToken = page.nextPageToken;
  } while (nextPageToken !== undefined);
}

function toExecutionInfo(raw: RawExecutionInfo): WorkflowExecutionInfo {
  return {
    workflowId: raw.workflowId,
    runId: raw.runId,
    type: raw.workflowType,
    taskQueue: raw.taskQueue,
    status: raw.status,
    historyLength: raw.historyLength,
    startTime: new Date(raw.startTimeMs),
    executionTime: new Date(raw.executionTimeMs),
    closeTime: raw.closeTimeMs === undefined ? undefined : new Date(raw.closeTimeMs),
    memo: raw.memo,
    searchAttributes: raw.searchAttributes as SearchAttributes,
    typedSearchAttributes: typedSearchAttributesOf(raw.searchAttributes),
    priority: raw.priority,
  };
}
