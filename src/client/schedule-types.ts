// The shapes of `client.schedule`: Temporal's TypeScript SDK names (ScheduleOptions, ScheduleSpec,
// ScheduleDescription…), with Dates and Durations where the wire has ms.
import type { Workflow } from '../protocol/definitions.ts';
import type { Duration } from '../protocol/duration.ts';
import type { Priority } from '../protocol/priority.ts';
import type { RetryPolicy } from '../protocol/retry-options.ts';
import type {
  CalendarSpec,
  DayOfWeek,
  Month,
  ScheduleOverlapPolicy,
} from '../protocol/schedules.ts';
import type {
  TypedSearchAttributes,
  TypedSearchAttributesInput,
} from '../protocol/typed-search-attributes.ts';

export type { CalendarSpec, CalendarRange, DayOfWeek, Month } from '../protocol/schedules.ts';

/** Matches `epoch + n * every + offset`; e.g. `{ every: '1 hour', offset: '5 minutes' }` is xx:05. */
export interface IntervalSpec {
  readonly every: Duration;
  readonly offset?: Duration | undefined;
}

/**
 * When a schedule acts: the union of its cron expressions, intervals and calendars, minus
 * `skip`, between `startAt` and `endAt`. Cron and calendar times are wall-clock times in
 * `timezone` (an IANA name; default UTC): where its clocks change, a skipped time does not
 * happen that day and a repeated one happens twice (Temporal's rule). Intervals ignore it.
 */
export interface ScheduleSpec {
  /**
   * Cron strings as Temporal's server reads them: 5 fields, 6 (the year last) or 7 (the second
   * first, the year last), every field must match (day of month and day of week both), `@daily`,
   * `@every 1h30m`, a `CRON_TZ=<zone> ` prefix.
   */
  readonly cronExpressions?: readonly string[] | undefined;
  readonly intervals?: readonly IntervalSpec[] | undefined;
  readonly calendars?: readonly CalendarSpec[] | undefined;
  readonly skip?: readonly CalendarSpec[] | undefined;
  readonly timezone?: string | undefined;
  readonly startAt?: Date | undefined;
  readonly endAt?: Date | undefined;
  /** Delays each action by a random amount below this (the same amount on every engine). */
  readonly jitter?: Duration | undefined;
}

/** Values of a calendar field from `start` to `end` (both included), `step` apart. Temporal's. */
export interface Range<Unit> {
  start: Unit;
  end: Unit;
  step: number;
}

/**
 * A calendar as `describe()` and `list()` give it (Temporal's `CalendarSpecDescription`): every
 * field a list of ranges, its default spelled out (second, minute and hour `[{ start: 0, end: 0,
 * step: 1 }]`; day of month 1-31, every month, every day of the week; `[]` for every year),
 * months and days of the week by name.
 */
export interface CalendarSpecDescription {
  second: Range<number>[];
  minute: Range<number>[];
  hour: Range<number>[];
  dayOfMonth: Range<number>[];
  month: Range<Month>[];
  year: Range<number>[];
  dayOfWeek: Range<DayOfWeek>[];
  /** `''` when none was given. */
  comment: string;
}

/** An interval as `describe()` gives it (Temporal's `IntervalSpecDescription`): in ms. */
export interface IntervalSpecDescription {
  every: number;
  /** Undefined when none was given. */
  offset: number | undefined;
}

/**
 * A spec as `describe()` and `list()` give it, as Temporal's server gives it back (Temporal's
 * `ScheduleSpecDescription`): cron expressions turned into calendars (`@every` into intervals,
 * a `CRON_TZ=` into `timezone`), after the calendars and intervals given. It can be passed back
 * as it is to `update`, and names the same times.
 */
export interface ScheduleSpecDescription {
  calendars: CalendarSpecDescription[];
  intervals: IntervalSpecDescription[];
  skip: CalendarSpecDescription[];
  startAt: Date | undefined;
  endAt: Date | undefined;
  /** In ms. */
  jitter: number | undefined;
  /** `''` for UTC (none given), as Temporal's. */
  timezone: string;
  /**
   * Only for a spec stored before a rule refused one of its cron expressions (it takes no
   * action): its cron expressions as they were given.
   */
  cronExpressions?: string[];
}

/**
 * Start a workflow. Each run's id is `${workflowId}-${scheduled time}` (RFC 3339, in seconds,
 * e.g. `report-2026-01-01T09:00:00Z`); `workflowId` defaults to `${scheduleId}-workflow`.
 */
export interface ScheduleOptionsStartWorkflowAction<W extends Workflow = Workflow> {
  readonly type: 'startWorkflow';
  readonly workflowType: string | W;
  readonly taskQueue: string;
  readonly args?: Parameters<W> | readonly unknown[] | undefined;
  readonly workflowId?: string | undefined;
  readonly memo?: Record<string, unknown> | undefined;
  readonly searchAttributes?: Record<string, unknown> | undefined;
  /**
   * The started runs' search attributes as typed pairs (or a `TypedSearchAttributes`); a typed
   * one wins over an untyped one of the same name.
   */
  readonly typedSearchAttributes?: TypedSearchAttributesInput | undefined;
  readonly workflowExecutionTimeout?: Duration | undefined;
  readonly workflowRunTimeout?: Duration | undefined;
  readonly workflowTaskTimeout?: Duration | undefined;
  readonly retry?: RetryPolicy | undefined;
  /** Each started run's `staticSummary` (one line, at most 400 bytes as stored). Temporal's. */
  readonly staticSummary?: string | undefined;
  /** Each started run's `staticDetails` (at most 20,000 bytes as stored). Temporal's. */
  readonly staticDetails?: string | undefined;
  /** Each started run's priority, as a start's `priority`. Temporal's. */
  readonly priority?: Priority | undefined;
}

export interface SchedulePolicies {
  /** Default `SKIP`. */
  readonly overlap?: ScheduleOverlapPolicy | undefined;
  /**
   * How late a missed action may still run, e.g. after the engine was down (default one year;
   * at least 10 s). Older ones are skipped and counted in `numActionsMissedCatchupWindow`.
   */
  readonly catchupWindow?: Duration | undefined;
  /** Pause the schedule when a workflow it started fails or times out (default false). */
  readonly pauseOnFailure?: boolean | undefined;
}

/** One time range of a backfill: the spec's times in [start, end] are run now. */
export interface Backfill {
  readonly start: Date;
  readonly end: Date;
  /** Default: the schedule's policy. */
  readonly overlap?: ScheduleOverlapPolicy | undefined;
}

export interface ScheduleStateOptions {
  readonly paused?: boolean | undefined;
  readonly note?: string | undefined;
  /** Limits the schedule to this many more scheduled actions (implies limitedActions). */
  readonly remainingActions?: number | undefined;
  readonly limitedActions?: boolean | undefined;
}

/** `client.schedule.create(options)`. Temporal's `ScheduleOptions`. */
export interface ScheduleOptions<W extends Workflow = Workflow> {
  readonly scheduleId: string;
  readonly spec: ScheduleSpec;
  readonly action: ScheduleOptionsStartWorkflowAction<W>;
  readonly policies?: SchedulePolicies | undefined;
  readonly state?:
    | (ScheduleStateOptions & {
        /** Take one action at once, under ALLOW_ALL (as Temporal's SDK does). */
        readonly triggerImmediately?: boolean | undefined;
        readonly backfill?: readonly Backfill[] | undefined;
      })
    | undefined;
  readonly memo?: Record<string, unknown> | undefined;
  readonly searchAttributes?: Record<string, unknown> | undefined;
  /**
   * The schedule's own search attributes as typed pairs (or a `TypedSearchAttributes`); a typed
   * one wins over an untyped one of the same name.
   */
  readonly typedSearchAttributes?: TypedSearchAttributesInput | undefined;
}

/**
 * The options of `client.schedule.create` as its interceptors see them: the action's workflow
 * type as its name and its `args` always set. Temporal's `CompiledScheduleOptions`.
 */
export type CompiledScheduleOptions = Omit<ScheduleOptions, 'action'> & {
  readonly action: Omit<ScheduleOptionsStartWorkflowAction, 'workflowType' | 'args'> & {
    readonly workflowType: string;
    readonly args: readonly unknown[];
  };
};

/** What `handle.update(fn)`'s function returns. Fields it does not know are ignored. */
export interface ScheduleUpdateOptions {
  readonly spec: ScheduleSpec;
  readonly action: ScheduleOptionsStartWorkflowAction;
  readonly policies?: SchedulePolicies | undefined;
  readonly state?: ScheduleStateOptions | undefined;
}

export interface ScheduleExecutionStartWorkflowActionResult {
  readonly type: 'startWorkflow';
  readonly workflow: { readonly workflowId: string; readonly firstExecutionRunId: string };
}

/** One action the schedule took. */
export interface ScheduleExecutionResult {
  /** When it was due (jitter included). */
  readonly scheduledAt: Date;
  /** When it was taken. */
  readonly takenAt: Date;
  readonly action: ScheduleExecutionStartWorkflowActionResult;
}

export interface ScheduleDescriptionStartWorkflowAction {
  readonly type: 'startWorkflow';
  readonly workflowType: string;
  readonly taskQueue: string;
  readonly args: unknown[];
  readonly workflowId: string;
  readonly memo: Record<string, unknown> | undefined;
  readonly searchAttributes: Record<string, unknown> | undefined;
  /** `searchAttributes` as typed ones (types inferred from the values; empty when none). */
  readonly typedSearchAttributes: TypedSearchAttributes;
  readonly workflowExecutionTimeout: number | undefined;
  readonly workflowRunTimeout: number | undefined;
  readonly workflowTaskTimeout: number | undefined;
  readonly retry: RetryPolicy | undefined;
  readonly staticSummary: string | undefined;
  readonly staticDetails: string | undefined;
  readonly priority: Priority | undefined;
}

/** `handle.describe()`. Temporal's `ScheduleDescription`: durations in ms. */
export interface ScheduleDescription {
  readonly scheduleId: string;
  readonly spec: ScheduleSpecDescription;
  readonly action: ScheduleDescriptionStartWorkflowAction;
  readonly policies: {
    readonly overlap: ScheduleOverlapPolicy;
    readonly catchupWindow: number;
    readonly pauseOnFailure: boolean;
  };
  readonly state: {
    readonly paused: boolean;
    readonly note: string | undefined;
    /** Undefined when the schedule's actions are not limited. */
    readonly remainingActions: number | undefined;
  };
  readonly info: {
    readonly recentActions: ScheduleExecutionResult[];
    readonly nextActionTimes: Date[];
    readonly runningActions: ScheduleExecutionStartWorkflowActionResult[];
    readonly numActionsTaken: number;
    readonly numActionsMissedCatchupWindow: number;
    readonly numActionsSkippedOverlap: number;
    readonly createdAt: Date;
    readonly lastUpdatedAt: Date | undefined;
  };
  readonly memo: Record<string, unknown>;
  readonly searchAttributes: Record<string, unknown>;
  /** `searchAttributes` as typed ones (types inferred from the values). */
  readonly typedSearchAttributes: TypedSearchAttributes;
}

/** One schedule as `client.schedule.list()` yields it. Temporal's `ScheduleSummary`. */
export interface ScheduleSummary {
  readonly scheduleId: string;
  readonly spec: ScheduleSpecDescription;
  readonly action: { readonly type: 'startWorkflow'; readonly workflowType: string };
  readonly state: { readonly paused: boolean; readonly note: string | undefined };
  readonly info: {
    readonly recentActions: ScheduleExecutionResult[];
    readonly nextActionTimes: Date[];
  };
  readonly memo: Record<string, unknown>;
  readonly searchAttributes: Record<string, unknown>;
  /** `searchAttributes` as typed ones (types inferred from the values). */
  readonly typedSearchAttributes: TypedSearchAttributes;
}

export interface ListScheduleOptions {
  /** Schedules fetched per request (up to 1000; default, and for 0, 100). */
  readonly pageSize?: number | undefined;
  /**
   * A list filter (the language of `client.workflow.list`) over the schedules' search attributes
   * and `TemporalSchedulePaused`, e.g. `"Team = 'billing' AND TemporalSchedulePaused = false"`.
   */
  readonly query?: string | undefined;
}
