// List and count runs with Temporal's list-filter language. Reads only: the filter is parsed
// here (protocol/list-filter.ts) and evaluated by the store in SQL.
import * as z from 'zod';
import { InvalidArgumentError } from '../../errors.ts';
import { parseListFilter } from '../../protocol/list-filter.ts';
import type { RunRecord } from '../../store/store.ts';
import type {
  CountWorkflowsRequest,
  CountWorkflowsResponse,
  ListWorkflowsRequest,
  ListWorkflowsResponse,
  WorkflowExecutionInfo,
} from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';
import { runPriorityOf } from '../run-state.ts';
import { assertNamespace } from './find-run.ts';
import { parseRequest } from './parse-request.ts';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export const ListSchema = z.object({
  namespace: z.string().min(1),
  query: z.string().max(10_000).optional(),
  // Temporal's: 0 (or less) is the default page size.
  pageSize: z.number().int().max(MAX_PAGE_SIZE).optional(),
  nextPageToken: z.string().max(1000).optional(),
});
export const CountSchema = z.object({
  namespace: z.string().min(1),
  query: z.string().max(10_000).optional(),
});

/**
 * The page token: where the next page starts in the query's order. An offset, so a run started
 * or closed between two pages can shift the rest by one (as with Temporal's SQL visibility).
 */
const PageToken = z.object({ offset: z.number().int().nonnegative() });

export async function listWorkflows(
  deps: EngineDeps,
  input: ListWorkflowsRequest,
): Promise<ListWorkflowsResponse> {
  const req = parseRequest(ListSchema, input, 'list workflows');
  const filter = parseListFilter(req.query ?? '');
  await assertNamespace(deps, req.namespace);
  const pageSize =
    req.pageSize === undefined || req.pageSize <= 0 ? DEFAULT_PAGE_SIZE : req.pageSize;
  const offset = req.nextPageToken === undefined ? 0 : decodePageToken(req.nextPageToken);
  // One more than a page: whether it comes back says if there is a next page.
  const runs = await deps.store.listRunsByQuery({
    namespace: req.namespace,
    filter,
    limit: pageSize + 1,
    offset,
  });
  const more = runs.length > pageSize;
  return {
    executions: runs.slice(0, pageSize).map(executionInfo),
    nextPageToken: more ? encodePageToken(offset + pageSize) : undefined,
  };
}

export async function countWorkflows(
  deps: EngineDeps,
  input: CountWorkflowsRequest,
): Promise<CountWorkflowsResponse> {
  const req = parseRequest(CountSchema, input, 'count workflows');
  const filter = parseListFilter(req.query ?? '', 'count');
  await assertNamespace(deps, req.namespace);
  const { count, groups } = await deps.store.countRuns({ namespace: req.namespace, filter });
  return {
    count,
    groups: groups.map((g) => ({ groupValues: [g.status], count: g.count })),
  };
}

export function executionInfo(run: RunRecord): WorkflowExecutionInfo {
  return {
    workflowId: run.workflowId,
    runId: run.runId,
    workflowType: run.workflowType,
    taskQueue: run.taskQueue,
    status: run.status,
    startTimeMs: run.startTimeMs,
    executionTimeMs: run.executionTimeMs ?? run.startTimeMs,
    closeTimeMs: run.closeTimeMs,
    historyLength: run.nextEventId - 1,
    memo: run.memo ?? {},
    searchAttributes: run.searchAttributes ?? {},
    priority: runPriorityOf(run.state),
  };
}

function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

function decodePageToken(token: string): number {
  try {
    const json: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    return PageToken.parse(json).offset;
  } catch {
    throw new InvalidArgumentError(
      `Invalid nextPageToken '${token}': pass the token of the previous page as it came.`,
    );
  }
}
