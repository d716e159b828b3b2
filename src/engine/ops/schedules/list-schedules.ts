import { InvalidArgumentError } from '../../../errors.ts';
import { parseListFilter } from '../../../protocol/list-filter.ts';
import type { ListFilter, ListFilterExpr } from '../../../protocol/list-filter.ts';
import type {
  ListSchedulesApiRequest,
  ListSchedulesApiResponse,
} from '../../../transport/schedule-api.ts';
import type { EngineDeps } from '../../deps.ts';
import { futureActionTimes } from '../../schedules/schedule-decisions.ts';
import { compileStoredSpec, describedSpec } from '../../schedules/schedule-spec.ts';
import { parseRequest } from '../parse-request.ts';
import { ListSchedulesSchema } from './schedule-requests.ts';

/**
 * How many next action times and recent actions a list entry shows (Temporal's
 * FutureActionCountForList and RecentActionCountForList).
 */
const LIST_FUTURE_ACTIONS = 5;
const LIST_RECENT_ACTIONS = 5;

/**
 * The schedules of a namespace in id order, one page at a time; the page token is the last id
 * of the page. Throws `InvalidArgumentError` for a malformed token.
 */
export async function listSchedules(
  deps: EngineDeps,
  input: ListSchedulesApiRequest,
): Promise<ListSchedulesApiResponse> {
  const req = parseRequest(ListSchedulesSchema, input, 'list schedules');
  const pageSize = req.pageSize === undefined || req.pageSize <= 0 ? 100 : req.pageSize;
  const after = req.nextPageToken === undefined ? undefined : decodeToken(req.nextPageToken);
  const filter =
    req.query === undefined || req.query.trim() === '' ? undefined : scheduleFilter(req.query);
  const rows = await deps.store.listSchedules({
    namespace: req.namespace,
    limit: pageSize + 1,
    afterScheduleId: after,
    filter,
  });
  const page = rows.slice(0, pageSize);
  const last = page.at(-1);
  return {
    schedules: page.map((s) => ({
      scheduleId: s.scheduleId,
      spec: describedSpec(s.spec),
      action: { type: 'startWorkflow', workflowType: s.action.workflowType },
      state: { paused: s.state.paused, note: s.state.note },
      info: {
        recentActions: s.info.recentActions.slice(-LIST_RECENT_ACTIONS),
        nextActionTimesMs: futureActionTimes(s, compileStoredSpec(s), LIST_FUTURE_ACTIONS),
      },
      memo: s.memo ?? {},
      searchAttributes: s.searchAttributes ?? {},
    })),
    nextPageToken:
      rows.length > pageSize && last !== undefined ? encodeToken(last.scheduleId) : undefined,
  };
}

/**
 * A schedule list's query, in the workflow list's language: over the schedules' custom search
 * attributes and `TemporalSchedulePaused` (a Bool), as Temporal's server takes it. A workflow's
 * system attribute (WorkflowId, ExecutionStatus, …) and ORDER BY (schedules come in id order)
 * are refused with InvalidArgumentError.
 */
function scheduleFilter(query: string): ListFilter {
  const filter = parseListFilter(query);
  if (filter.orderBy.length > 0) {
    throw new InvalidArgumentError(
      `Invalid schedule list query '${query}': ORDER BY is not supported (schedules are listed in id order). Drop it.`,
    );
  }
  const walk = (e: ListFilterExpr): void => {
    if (e.type === 'and' || e.type === 'or') {
      walk(e.left);
      walk(e.right);
    } else if (e.attribute.kind === 'system') {
      throw new InvalidArgumentError(
        `Invalid schedule list query '${query}': ${e.attribute.name} is a workflow's attribute, ` +
          "not a schedule's. Filter schedules on their search attributes and TemporalSchedulePaused.",
      );
    }
  };
  if (filter.where !== undefined) walk(filter.where);
  return filter;
}

function encodeToken(scheduleId: string): string {
  return Buffer.from(JSON.stringify({ after: scheduleId })).toString('base64url');
}

function decodeToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null && 'after' in parsed) {
      const after = parsed.after;
      if (typeof after === 'string') return after;
    }
  } catch {
    // fall through
  }
  throw new InvalidArgumentError(
    `Invalid schedule list page token '${token}'. Pass the nextPageToken of the previous page.`,
  );
}
