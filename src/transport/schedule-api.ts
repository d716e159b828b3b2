// The schedule requests and responses of EngineApi (engine-api.ts): JSON-serialisable, times and
// durations in ms. The client turns them into Temporal's shapes (Date, Duration).
import type {
  ScheduleAction,
  ScheduleActionResult,
  ScheduleOverlapPolicy,
  SchedulePolicies,
  ScheduleSpec,
} from '../protocol/schedules.ts';
import type { SearchAttributeTypes } from '../protocol/search-attribute-types.ts';

export interface ScheduleRef {
  namespace: string;
  scheduleId: string;
}

/** The owner-set part of a schedule's state. */
export interface ScheduleStateInput {
  paused?: boolean | undefined;
  note?: string | undefined;
  /** With `limitedActions` (implied when this is set), how many scheduled actions remain. */
  remainingActions?: number | undefined;
  limitedActions?: boolean | undefined;
}

/** Policies as given: absent fields take Temporal's defaults (SKIP, one year, false). */
export interface SchedulePoliciesInput {
  overlap?: ScheduleOverlapPolicy | undefined;
  catchupWindowMs?: number | undefined;
  pauseOnFailure?: boolean | undefined;
}

export interface ScheduleBackfillInput {
  startMs: number;
  endMs: number;
  /** Absent: the schedule's policy. */
  overlap?: ScheduleOverlapPolicy | undefined;
}

export interface CreateScheduleApiRequest extends ScheduleRef {
  spec: ScheduleSpec;
  action: ScheduleAction;
  policies?: SchedulePoliciesInput | undefined;
  state?:
    | (ScheduleStateInput & {
        /** Take one action at once (manual, under the schedule's overlap policy). */
        triggerImmediately?: boolean | undefined;
        backfill?: ScheduleBackfillInput[] | undefined;
      })
    | undefined;
  memo?: Record<string, unknown> | undefined;
  searchAttributes?: Record<string, unknown> | undefined;
  /**
   * The types of the typed keys among `searchAttributes` (name → type): a name not registered
   * in the namespace yet is registered with its key's type rather than its value's.
   */
  searchAttributeTypes?: SearchAttributeTypes | undefined;
}

/** Replaces what the owner set; the schedule's info (counters, running workflows) is kept. */
export interface UpdateScheduleApiRequest extends ScheduleRef {
  spec: ScheduleSpec;
  action: ScheduleAction;
  policies?: SchedulePoliciesInput | undefined;
  state?: ScheduleStateInput | undefined;
}

/** Temporal's PatchSchedule: any of pause, unpause, trigger, backfill. */
export interface PatchScheduleApiRequest extends ScheduleRef {
  /** Pause with this note. */
  pause?: string | undefined;
  /** Unpause with this note. */
  unpause?: string | undefined;
  /** Take one action now; `overlap` absent: the schedule's policy. */
  trigger?: { overlap?: ScheduleOverlapPolicy | undefined } | undefined;
  backfill?: ScheduleBackfillInput[] | undefined;
}

export interface ScheduleInfoDescription {
  numActionsTaken: number;
  numActionsMissedCatchupWindow: number;
  numActionsSkippedOverlap: number;
  /** The most recent actions, oldest first. */
  recentActions: ScheduleActionResult[];
  /** Workflows the schedule started that were running when it last looked. */
  runningActions: { workflowId: string; runId: string }[];
  nextActionTimesMs: number[];
  createdAtMs: number;
  lastUpdatedAtMs: number | undefined;
  /** Actions waiting for a running workflow to close. */
  bufferSize: number;
}

export interface ScheduleDescriptionResponse {
  scheduleId: string;
  spec: ScheduleSpec;
  action: ScheduleAction;
  policies: SchedulePolicies;
  state: {
    paused: boolean;
    note: string | undefined;
    limitedActions: boolean;
    remainingActions: number;
  };
  info: ScheduleInfoDescription;
  memo: Record<string, unknown>;
  searchAttributes: Record<string, unknown>;
}

export interface ListSchedulesApiRequest {
  namespace: string;
  /** 1 to 1000, default 100. */
  pageSize?: number | undefined;
  nextPageToken?: string | undefined;
  /**
   * A list filter over the schedules' search attributes and `TemporalSchedulePaused` (Temporal's
   * `ScheduleClient.list({ query })`).
   */
  query?: string | undefined;
}

/** One schedule as a list shows it (Temporal's ScheduleSummary). */
export interface ScheduleSummaryResponse {
  scheduleId: string;
  spec: ScheduleSpec;
  action: { type: 'startWorkflow'; workflowType: string };
  state: { paused: boolean; note: string | undefined };
  info: { recentActions: ScheduleActionResult[]; nextActionTimesMs: number[] };
  memo: Record<string, unknown>;
  searchAttributes: Record<string, unknown>;
}

export interface ListSchedulesApiResponse {
  schedules: ScheduleSummaryResponse[];
  /** Absent on the last page. */
  nextPageToken: string | undefined;
}
