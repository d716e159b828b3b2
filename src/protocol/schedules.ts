// Sandbox-safe: schedules as they cross the EngineApi and as they are stored (times and durations
// in ms). The client's friendlier shapes (Date, Duration strings) live in client/schedule-types.ts.
import * as z from 'zod';
import { UserMetadataSchema, WireHeadersSchema } from './payload.ts';
import { PrioritySchema } from './priority-schema.ts';
import { RetryPolicyInput } from './retry-policy.ts';
import { SearchAttributeKeyTypes, SearchAttributesUpsert } from './search-attributes.ts';

/**
 * What a schedule does when an action is due while a workflow it started is still running.
 * Temporal's `ScheduleOverlapPolicy`; SKIP is the default.
 */
export const ScheduleOverlapPolicy = {
  /** Don't start anything; the next action after the running one closes is considered. */
  SKIP: 'SKIP',
  /** Start one more as soon as the running one closes; further actions meanwhile are skipped. */
  BUFFER_ONE: 'BUFFER_ONE',
  /** Start every action that came due, one after another, as each previous one closes. */
  BUFFER_ALL: 'BUFFER_ALL',
  /** Request cancellation of the running one, then start once it has closed. */
  CANCEL_OTHER: 'CANCEL_OTHER',
  /** Terminate the running one, then start. */
  TERMINATE_OTHER: 'TERMINATE_OTHER',
  /** Start regardless: runs may overlap. */
  ALLOW_ALL: 'ALLOW_ALL',
} as const;
export type ScheduleOverlapPolicy =
  (typeof ScheduleOverlapPolicy)[keyof typeof ScheduleOverlapPolicy];
export const ScheduleOverlapPolicySchema = z.enum(ScheduleOverlapPolicy);

/** The search attributes Temporal sets on every run a schedule starts. */
export { SCHEDULED_BY_ID, SCHEDULED_START_TIME } from './search-attribute-types.ts';

/** Temporal's default catch-up window: one year. */
export const DEFAULT_CATCHUP_WINDOW_MS = 365 * 24 * 60 * 60 * 1000;
/** Temporal's minimum catch-up window: shorter ones are raised to it. */
export const MIN_CATCHUP_WINDOW_MS = 10_000;

/** Month names, January first (Temporal's `Month`); day names, Sunday first (`DayOfWeek`). */
export const MONTHS = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
] as const;
export const DAYS = [
  'SUNDAY',
  'MONDAY',
  'TUESDAY',
  'WEDNESDAY',
  'THURSDAY',
  'FRIDAY',
  'SATURDAY',
] as const;
export type Month = (typeof MONTHS)[number];
export type DayOfWeek = (typeof DAYS)[number];

const int = z.number().int();
const CalendarUnit = z.union([int, z.string().min(1)]);
/** One value or range of a calendar field: `5`, `'MONDAY'`, `{ start: 1, end: 10, step: 2 }`. */
export const CalendarRange = z.union([
  CalendarUnit,
  z.object({ start: CalendarUnit, end: CalendarUnit.optional(), step: int.positive().optional() }),
]);
export type CalendarRange = z.infer<typeof CalendarRange>;
const CalendarField = z.union([CalendarRange, z.array(CalendarRange)]);

/**
 * Matches times whose every field matches (Temporal's `CalendarSpec`): `second`, `minute` and
 * `hour` default to 0, the other fields to every value. `dayOfWeek`: 0 (or 'SUNDAY') to 6;
 * `month`: 1 (or 'JANUARY') to 12.
 */
export const CalendarSpecSchema = z.object({
  second: CalendarField.optional(),
  minute: CalendarField.optional(),
  hour: CalendarField.optional(),
  dayOfMonth: CalendarField.optional(),
  month: CalendarField.optional(),
  year: CalendarField.optional(),
  dayOfWeek: CalendarField.optional(),
  comment: z.string().optional(),
});
export type CalendarSpec = z.infer<typeof CalendarSpecSchema>;

/** Matches `epoch + n * every + offset` for every integer n. */
export const IntervalSpecSchema = z.object({
  everyMs: int.positive(),
  offsetMs: int.nonnegative().optional(),
});
export type IntervalSpec = z.infer<typeof IntervalSpecSchema>;

/** When a schedule acts: the union of its cron, interval and calendar times, minus `skip`. */
export const ScheduleSpecSchema = z.object({
  cronExpressions: z.array(z.string().min(1)).optional(),
  intervals: z.array(IntervalSpecSchema).optional(),
  calendars: z.array(CalendarSpecSchema).optional(),
  /** Times matching any of these calendars are left out. */
  skip: z.array(CalendarSpecSchema).optional(),
  /** IANA time zone of cron and calendar times (default UTC). Intervals ignore it. */
  timezone: z.string().min(1).optional(),
  startAtMs: int.optional(),
  endAtMs: int.optional(),
  /** Each action is delayed by a random (deterministic per time) amount below this. */
  jitterMs: int.nonnegative().optional(),
});
export type ScheduleSpec = z.infer<typeof ScheduleSpecSchema>;

/** Start a workflow: its id is `${workflowId}-${scheduled time, RFC 3339 in seconds}`. */
export const ScheduleActionSchema = z.object({
  type: z.literal('startWorkflow'),
  workflowType: z.string().min(1),
  taskQueue: z.string().min(1),
  args: z.array(z.unknown()),
  workflowId: z.string().min(1).max(900),
  memo: z.record(z.string(), z.unknown()).optional(),
  searchAttributes: SearchAttributesUpsert.optional(),
  /**
   * The types of the typed keys among `searchAttributes`: a name not registered in the
   * namespace is registered with its key's type (at the create or update, and at each start).
   */
  searchAttributeTypes: SearchAttributeKeyTypes.optional(),
  workflowExecutionTimeoutMs: int.positive().optional(),
  workflowRunTimeoutMs: int.positive().optional(),
  workflowTaskTimeoutMs: int.positive().optional(),
  retry: RetryPolicyInput.optional(),
  /**
   * Headers each started run gets (on its `WorkflowExecutionStarted`, for the workflow's inbound
   * interceptors): those the client's schedule interceptors set on `create`.
   */
  header: WireHeadersSchema.optional(),
  /** Each started run's `staticSummary` and `staticDetails` (payloads). */
  userMetadata: UserMetadataSchema.optional(),
  /** Each started run's priority (Temporal's), the fields it sets. */
  priority: PrioritySchema.optional(),
});
export type ScheduleAction = z.infer<typeof ScheduleActionSchema>;

export const SchedulePoliciesSchema = z.object({
  overlap: ScheduleOverlapPolicySchema,
  catchupWindowMs: int.positive(),
  pauseOnFailure: z.boolean(),
});
export type SchedulePolicies = z.infer<typeof SchedulePoliciesSchema>;

export const ScheduleStateSchema = z.object({
  paused: z.boolean(),
  note: z.string().optional(),
  /** When true, each scheduled (not triggered or backfilled) action uses up one of remainingActions. */
  limitedActions: z.boolean(),
  remainingActions: int.nonnegative(),
});
export type ScheduleState = z.infer<typeof ScheduleStateSchema>;

/** An action that came due and waits for its turn under the overlap policy. */
export const BufferedStartSchema = z.object({
  nominalMs: int,
  /** The nominal time plus jitter: when it was due. */
  actualMs: int,
  /** Absent: the schedule's policy at the time it is considered. */
  overlap: ScheduleOverlapPolicySchema.optional(),
  /** Triggered or backfilled: not subject to pause, remainingActions or the catch-up window. */
  manual: z.boolean(),
});
export type BufferedStart = z.infer<typeof BufferedStartSchema>;

/** A start decided and committed, not yet carried out (the outbox: see process-schedule.ts). */
export const PendingStartSchema = BufferedStartSchema.extend({
  workflowId: z.string(),
  decidedAtMs: int,
  /**
   * The id of the run the action starts, chosen when it is decided: a retry of the start knows the
   * run as its own by it. Absent in an outbox written before it was added: a run of the workflow
   * id started since `decidedAtMs` is taken as the action's own then.
   */
  runId: z.string().optional(),
  /**
   * Started under ALLOW_ALL. As in Temporal, such a run is not one of the schedule's running
   * workflows: later actions do not overlap it, CANCEL_OTHER / TERMINATE_OTHER leave it alone, it
   * gets no lastCompletionResult, and its close neither sets that nor pauses the schedule.
   */
  overlapping: z.boolean().optional(),
});
export type PendingStart = z.infer<typeof PendingStartSchema>;

/** A backfill not yet all in the buffer: the spec's times after `afterMs`, up to `endMs` included. */
export const PendingBackfillSchema = z.object({
  afterMs: int,
  endMs: int,
  overlap: ScheduleOverlapPolicySchema.optional(),
});
export type PendingBackfill = z.infer<typeof PendingBackfillSchema>;

export const ScheduleActionResultSchema = z.object({
  scheduledAtMs: int,
  takenAtMs: int,
  workflowId: z.string(),
  runId: z.string(),
});
export type ScheduleActionResult = z.infer<typeof ScheduleActionResultSchema>;

/** What the engine keeps about a schedule besides what its owner set. */
export const ScheduleInfoSchema = z.object({
  createdAtMs: int,
  updatedAtMs: int.optional(),
  /** When it was last unpaused: an idle schedule's retention counts from there too. */
  unpausedAtMs: int.optional(),
  /** Spec times at or before this were taken into account (run, skipped or missed). */
  lastProcessedMs: int,
  numActionsTaken: int,
  numActionsMissedCatchupWindow: int,
  numActionsSkippedOverlap: int,
  /** The last 10 actions taken, oldest first. */
  recentActions: z.array(ScheduleActionResultSchema),
  /**
   * Workflows the schedule started that were running when it last looked, but for those started
   * under ALLOW_ALL (Temporal does not track them).
   */
  running: z.array(ScheduleActionResultSchema),
  buffered: z.array(BufferedStartSchema),
  /** Backfills whose times are moved into the buffer a part at a time, oldest first. */
  backfills: z.array(PendingBackfillSchema).optional(),
  starting: z.array(PendingStartSchema),
  /** Running workflows to cancel or terminate (CANCEL_OTHER / TERMINATE_OTHER), not yet done. */
  stopRunning: z.enum(['cancel', 'terminate']).optional(),
  /**
   * The result of the last workflow the schedule started that completed (Temporal's
   * LastCompletionResult): given to each run it starts next as `workflowInfo().lastResult`. A
   * failed run leaves it as it was.
   */
  lastCompletionResult: z.unknown().optional(),
});
export type ScheduleInfo = z.infer<typeof ScheduleInfoSchema>;
