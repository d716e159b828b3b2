// Client shapes ⇄ wire shapes of schedules: Dates and Durations to ms and back.
import { InvalidArgumentError } from '../errors.ts';
import { userMetadataOf } from '../protocol/user-metadata.ts';
import type { Workflow } from '../protocol/definitions.ts';
import { msFromDuration, msOptionalFromDuration } from '../protocol/duration.ts';
import { toPayloads } from '../protocol/payload.ts';
import { compileRetryPolicy } from '../protocol/retry-options.ts';
import type { RetryPolicy } from '../protocol/retry-options.ts';
import { DAYS, MONTHS } from '../protocol/schedules.ts';
import type {
  CalendarSpec,
  DayOfWeek,
  Month,
  ScheduleAction,
  ScheduleActionResult,
  ScheduleSpec as WireSpec,
} from '../protocol/schedules.ts';
import type { SchedulePoliciesInput } from '../transport/schedule-api.ts';
import { typedKeyTypes, typedSearchAttributesOf } from '../protocol/typed-search-attributes.ts';
import type { TypedSearchAttributesInput } from '../protocol/typed-search-attributes.ts';
import { searchAttributesForStart } from './workflow-id-options.ts';
import type {
  CalendarSpecDescription,
  Range,
  ScheduleDescriptionStartWorkflowAction,
  ScheduleExecutionResult,
  ScheduleOptionsStartWorkflowAction,
  SchedulePolicies,
  ScheduleSpec,
  ScheduleSpecDescription,
  ScheduleStateOptions,
} from './schedule-types.ts';

export function specToWire(spec: ScheduleSpec): WireSpec {
  const out: WireSpec = {};
  if (spec.cronExpressions !== undefined) out.cronExpressions = [...spec.cronExpressions];
  if (spec.intervals !== undefined) {
    out.intervals = spec.intervals.map((i) => ({
      everyMs: msFromDuration(i.every),
      ...(i.offset !== undefined && { offsetMs: msFromDuration(i.offset) }),
    }));
  }
  if (spec.calendars !== undefined) out.calendars = [...spec.calendars];
  if (spec.skip !== undefined) out.skip = [...spec.skip];
  // '' is UTC, as in Temporal (describe gives it for a spec with no time zone).
  if (spec.timezone !== undefined && spec.timezone !== '') out.timezone = spec.timezone;
  if (spec.startAt !== undefined) out.startAtMs = dateToMs(spec.startAt, 'spec.startAt');
  if (spec.endAt !== undefined) out.endAtMs = dateToMs(spec.endAt, 'spec.endAt');
  if (spec.jitter !== undefined) out.jitterMs = msFromDuration(spec.jitter);
  return out;
}

/**
 * A spec as describe and list give it (Temporal's SDK's decodeScheduleSpec): the engine gives it
 * in its canonical form (calendars of numeric ranges); months and days of the week get names.
 */
export function specFromWire(spec: WireSpec): ScheduleSpecDescription {
  return {
    calendars: (spec.calendars ?? []).map(calendarFromWire),
    intervals: (spec.intervals ?? []).map((i) => ({ every: i.everyMs, offset: i.offsetMs })),
    skip: (spec.skip ?? []).map(calendarFromWire),
    startAt: spec.startAtMs === undefined ? undefined : new Date(spec.startAtMs),
    endAt: spec.endAtMs === undefined ? undefined : new Date(spec.endAtMs),
    jitter: spec.jitterMs,
    timezone: spec.timezone ?? '',
    ...(spec.cronExpressions !== undefined && { cronExpressions: spec.cronExpressions }),
  };
}

function calendarFromWire(cal: CalendarSpec): CalendarSpecDescription {
  const number = (u: number | string): number => Number(u);
  const month = (u: number | string): Month => MONTHS[Number(u) - 1] ?? 'JANUARY';
  const day = (u: number | string): DayOfWeek => DAYS[Number(u) % 7] ?? 'SUNDAY';
  return {
    second: rangesFromWire(cal.second, number),
    minute: rangesFromWire(cal.minute, number),
    hour: rangesFromWire(cal.hour, number),
    dayOfMonth: rangesFromWire(cal.dayOfMonth, number),
    month: rangesFromWire(cal.month, month),
    year: rangesFromWire(cal.year, number),
    dayOfWeek: rangesFromWire(cal.dayOfWeek, day),
    comment: cal.comment ?? '',
  };
}

function rangesFromWire<Unit>(
  field: CalendarSpec['second'],
  unit: (u: number | string) => Unit,
): Range<Unit>[] {
  const ranges = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return ranges.map((r) =>
    typeof r === 'object'
      ? { start: unit(r.start), end: unit(r.end ?? r.start), step: r.step ?? 1 }
      : { start: unit(r), end: unit(r), step: 1 },
  );
}

/** The name of an action's workflow type; `InvalidArgumentError` if it has none. */
export function workflowTypeName(workflowType: string | Workflow): string {
  const name = typeof workflowType === 'string' ? workflowType : workflowType.name;
  if (!name) {
    throw new InvalidArgumentError(
      'The schedule action names no workflow type. Pass a named exported workflow function, or its name as a string.',
    );
  }
  return name;
}

/**
 * The action to send; `header` is what the schedule's interceptors set on `create` (an update
 * sends the one it described, so it is kept).
 */
export function actionToWire(
  action: ScheduleOptionsStartWorkflowAction,
  scheduleId: string,
  header: ScheduleAction['header'],
): ScheduleAction {
  const workflowType = workflowTypeName(action.workflowType);
  const out: ScheduleAction = {
    type: 'startWorkflow',
    workflowType,
    taskQueue: action.taskQueue,
    args: toPayloads([...(action.args ?? [])]),
    workflowId: action.workflowId ?? `${scheduleId}-workflow`,
  };
  if (action.memo !== undefined) out.memo = action.memo;
  const [untyped, typed] = searchAttributesToSend(action);
  const sa = searchAttributesForStart(untyped, typed);
  if (sa !== undefined) out.searchAttributes = sa;
  const types = typedKeyTypes(typed);
  if (types !== undefined) out.searchAttributeTypes = types;
  const wet = msOptionalFromDuration(action.workflowExecutionTimeout);
  if (wet !== undefined) out.workflowExecutionTimeoutMs = wet;
  const wrt = msOptionalFromDuration(action.workflowRunTimeout);
  if (wrt !== undefined) out.workflowRunTimeoutMs = wrt;
  const wtt = msOptionalFromDuration(action.workflowTaskTimeout);
  if (wtt !== undefined) out.workflowTaskTimeoutMs = wtt;
  if (action.retry !== undefined) out.retry = compileRetryPolicy(action.retry);
  if (header !== undefined) out.header = header;
  const userMetadata = userMetadataOf(action.staticSummary, action.staticDetails);
  if (userMetadata !== undefined) out.userMetadata = userMetadata;
  if (action.priority !== undefined) out.priority = action.priority;
  return out;
}

export function actionFromWire(a: ScheduleAction): ScheduleDescriptionStartWorkflowAction {
  return {
    type: 'startWorkflow',
    workflowType: a.workflowType,
    taskQueue: a.taskQueue,
    args: a.args,
    workflowId: a.workflowId,
    memo: a.memo,
    searchAttributes: described(a.searchAttributes),
    typedSearchAttributes: described(typedSearchAttributesOf(a.searchAttributes ?? {})),
    workflowExecutionTimeout: a.workflowExecutionTimeoutMs,
    workflowRunTimeout: a.workflowRunTimeoutMs,
    workflowTaskTimeout: a.workflowTaskTimeoutMs,
    retry: a.retry === undefined ? undefined : retryFromWire(a.retry),
    staticSummary: a.userMetadata?.summary as string | undefined,
    staticDetails: a.userMetadata?.details as string | undefined,
    priority: a.priority,
  };
}

/**
 * The search attributes objects a described action holds. `handle.update(fn)` gets both forms
 * and sends back what `fn` returns, often `{ ...d.action, <one of them changed> }`: the form
 * left as described is a stale copy of the other, and must not undo the change.
 */
const describedSearchAttributes = new WeakSet<object>();

function described<T extends object | undefined>(value: T): T {
  if (value !== undefined) describedSearchAttributes.add(value);
  return value;
}

/**
 * The untyped and typed search attributes of an action to send: both, unless one is still the
 * description's (see {@link describedSearchAttributes}); then the other alone.
 */
function searchAttributesToSend(
  action: ScheduleOptionsStartWorkflowAction,
): [
  ScheduleOptionsStartWorkflowAction['searchAttributes'],
  TypedSearchAttributesInput | undefined,
] {
  const untyped = action.searchAttributes;
  const typed = action.typedSearchAttributes;
  if (untyped === undefined || typed === undefined) return [untyped, typed];
  if (describedSearchAttributes.has(typed)) return [untyped, undefined];
  if (describedSearchAttributes.has(untyped)) return [undefined, typed];
  return [untyped, typed];
}

function retryFromWire(r: NonNullable<ScheduleAction['retry']>): RetryPolicy {
  return {
    ...(r.initialIntervalMs !== undefined && { initialInterval: r.initialIntervalMs }),
    ...(r.backoffCoefficient !== undefined && { backoffCoefficient: r.backoffCoefficient }),
    ...(r.maximumIntervalMs !== undefined && { maximumInterval: r.maximumIntervalMs }),
    ...(r.maximumAttempts !== undefined && { maximumAttempts: r.maximumAttempts }),
    ...(r.nonRetryableErrorTypes !== undefined && {
      nonRetryableErrorTypes: r.nonRetryableErrorTypes,
    }),
  };
}

export function policiesToWire(p: SchedulePolicies | undefined): SchedulePoliciesInput {
  return {
    overlap: p?.overlap,
    catchupWindowMs: msOptionalFromDuration(p?.catchupWindow),
    pauseOnFailure: p?.pauseOnFailure,
  };
}

export function stateToWire(s: ScheduleStateOptions | undefined): ScheduleStateOptions {
  return {
    paused: s?.paused,
    note: s?.note,
    remainingActions: s?.remainingActions,
    limitedActions: s?.limitedActions,
  };
}

export function actionResultFromWire(r: ScheduleActionResult): ScheduleExecutionResult {
  return {
    scheduledAt: new Date(r.scheduledAtMs),
    takenAt: new Date(r.takenAtMs),
    action: {
      type: 'startWorkflow',
      workflow: { workflowId: r.workflowId, firstExecutionRunId: r.runId },
    },
  };
}

export function dateToMs(d: Date, what: string): number {
  const ms = d instanceof Date ? d.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`${what} must be a valid Date.`);
  return ms;
}
