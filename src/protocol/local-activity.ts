// Local activities (Temporal's model): the worker runs them itself, inside the workflow task
// that scheduled them, and records each outcome as a `core_local_activity` marker.
import * as z from 'zod';
import { Failure } from './failure.ts';
import { Payloads, WireHeadersSchema } from './payload.ts';
import { PrioritySchema } from './priority-schema.ts';
import { RetryPolicyInput } from './retry-policy.ts';

/** Marker name of a local activity's outcome; equal to `LOCAL_ACTIVITY_MARKER_NAME` in the sandbox. */
export const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/**
 * The details of a `core_local_activity` marker: one local activity's outcome, as the workflow
 * saw it. With `failure` and no `backoffMs` the activity failed for good (`failure` is the
 * `ActivityFailure`); with `backoffMs` the attempt failed and the next one (attempt + 1, a new
 * seq) runs after a durable timer of that length. Without `failure` it completed with `result`.
 */
export const LocalActivityMarkerDetails = z.object({
  seq: z.number().int().positive(),
  activityId: z.string().min(1),
  activityType: z.string().min(1),
  /** The attempt that produced this outcome. */
  attempt: z.number().int().positive(),
  /** When attempt 1 was scheduled (worker clock): schedule-to-close counts from it. */
  originalScheduleTimeMs: z.number().int(),
  result: z.unknown().optional(),
  failure: Failure.optional(),
  backoffMs: z.number().int().nonnegative().optional(),
});
export type LocalActivityMarkerDetails = z.infer<typeof LocalActivityMarkerDetails>;

/** What the workflow asks the worker to run: one `proxyLocalActivities` call (or its retry). */
export const LocalActivityRequest = z.object({
  seq: z.number().int().positive(),
  activityId: z.string().min(1),
  activityType: z.string().min(1),
  args: Payloads,
  /** What the `scheduleLocalActivity` interceptors set (absent when none). */
  header: WireHeadersSchema.optional(),
  /**
   * Set after a durable backoff when this call's activity id is not the first call's: that one,
   * which the idempotency key keeps. Not recorded.
   */
  callActivityId: z.string().min(1).optional(),
  /** 1, or the attempt after a durable backoff. */
  attempt: z.number().int().positive(),
  /** Set after a durable backoff: the first attempt's schedule time. */
  originalScheduleTimeMs: z.number().int().optional(),
  startToCloseTimeoutMs: z.number().int().positive().optional(),
  scheduleToCloseTimeoutMs: z.number().int().positive().optional(),
  /** How long each attempt may wait for one of the worker's local activity slots. */
  scheduleToStartTimeoutMs: z.number().int().positive().optional(),
  retry: RetryPolicyInput.optional(),
  localRetryThresholdMs: z.number().int().nonnegative(),
  /** The call's own priority (the run's fills the rest): for `activityInfo()`, not recorded. */
  priority: PrioritySchema.optional(),
});
export type LocalActivityRequest = z.infer<typeof LocalActivityRequest>;

/** The local-activity part of an activation's answer: what to start, and what to abort. */
export interface LocalActivityRequests {
  schedule: LocalActivityRequest[];
  /** Seqs of running local activities whose scope was cancelled: abort them. */
  cancel: number[];
  /**
   * Seqs the workflow settled itself, recording their cancellation marker (a TRY_CANCEL or
   * ABANDON call whose scope was cancelled): stop waiting for them, and ignore their outcome.
   */
  settled: number[];
}
