import * as z from 'zod';

/** Why an activity or workflow stopped retrying. Temporal's `RetryState` names. */
export const RetryState = {
  InProgress: 'InProgress',
  NonRetryableFailure: 'NonRetryableFailure',
  Timeout: 'Timeout',
  MaximumAttemptsReached: 'MaximumAttemptsReached',
  RetryPolicyNotSet: 'RetryPolicyNotSet',
  CancelRequested: 'CancelRequested',
} as const;
export type RetryState = (typeof RetryState)[keyof typeof RetryState];
export const RetryStateSchema = z.enum(RetryState);

/** Temporal's `TimeoutType` names. */
export const TimeoutType = {
  StartToClose: 'StartToClose',
  ScheduleToStart: 'ScheduleToStart',
  ScheduleToClose: 'ScheduleToClose',
  Heartbeat: 'Heartbeat',
} as const;
export type TimeoutType = (typeof TimeoutType)[keyof typeof TimeoutType];
export const TimeoutTypeSchema = z.enum(TimeoutType);

export type FailureInfo =
  | {
      type: 'application';
      errorType: string;
      nonRetryable: boolean;
      details?: unknown[] | undefined;
      nextRetryDelayMs?: number | undefined;
      /** Temporal's `ApplicationFailureCategory`. */
      category?: 'BENIGN' | undefined;
    }
  | {
      type: 'activity';
      activityType: string;
      activityId: string;
      scheduledEventId: number;
      retryState: RetryState;
    }
  | {
      type: 'childWorkflow';
      namespace: string;
      workflowId: string;
      runId: string;
      workflowType: string;
      initiatedEventId: number;
      startedEventId: number;
      retryState: RetryState;
    }
  | { type: 'timeout'; timeoutType: TimeoutType; lastHeartbeatDetails?: unknown[] | undefined }
  | { type: 'cancelled'; details?: unknown[] | undefined }
  | { type: 'terminated' }
  | { type: 'server'; nonRetryable: boolean };

/**
 * The serialisable form of an error that crosses the sandbox, the history or the wire.
 * Rebuilt into the failure classes (`ApplicationFailure`, `ActivityFailure`, …) on each side.
 */
export interface Failure {
  message: string;
  stack?: string | undefined;
  source?: string | undefined;
  info: FailureInfo;
  cause?: Failure | undefined;
}

const FailureInfoSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('application'),
    errorType: z.string(),
    nonRetryable: z.boolean(),
    details: z.array(z.unknown()).optional(),
    nextRetryDelayMs: z.number().int().nonnegative().optional(),
    category: z.literal('BENIGN').optional(),
  }),
  z.object({
    type: z.literal('activity'),
    activityType: z.string(),
    activityId: z.string(),
    scheduledEventId: z.number().int(),
    retryState: RetryStateSchema,
  }),
  z.object({
    type: z.literal('childWorkflow'),
    namespace: z.string(),
    workflowId: z.string(),
    runId: z.string(),
    workflowType: z.string(),
    initiatedEventId: z.number().int(),
    startedEventId: z.number().int(),
    retryState: RetryStateSchema,
  }),
  z.object({
    type: z.literal('timeout'),
    timeoutType: TimeoutTypeSchema,
    lastHeartbeatDetails: z.array(z.unknown()).optional(),
  }),
  z.object({ type: z.literal('cancelled'), details: z.array(z.unknown()).optional() }),
  z.object({ type: z.literal('terminated') }),
  z.object({ type: z.literal('server'), nonRetryable: z.boolean() }),
]);

/** One failure without its cause (parsed level by level by {@link Failure}). */
const FailureLevel = z.object({
  message: z.string(),
  stack: z.string().optional(),
  source: z.string().optional(),
  info: FailureInfoSchema,
  cause: z.unknown().optional(),
});

/**
 * The longest chain of causes a failure may carry. Reprise's own encoding stops at 21 levels
 * (`encodeFailure`); a longer chain, or one that loops (built by hand in this process), is
 * refused rather than followed.
 */
export const MAX_FAILURE_CAUSES = 64;

/**
 * A failure and its chain of causes, parsed one level at a time. Not a recursive schema (a
 * `z.lazy` of itself): zod gives a schema that can contain itself cycle tracking on every parse,
 * which made parsing a workflow task's commands (which can hold a failure) ten times dearer.
 * Issues keep their codes and name their place in the chain (`cause.cause.message`).
 */
export const Failure: z.ZodType<Failure> = z.unknown().transform((value, ctx) => {
  const levels: z.infer<typeof FailureLevel>[] = [];
  let next: unknown = value;
  do {
    const at = levels.map(() => 'cause');
    if (levels.length > MAX_FAILURE_CAUSES) {
      ctx.issues.push({
        code: 'custom',
        message: `A failure may carry at most ${MAX_FAILURE_CAUSES} causes, one inside the other; this chain is longer, or loops.`,
        path: at,
        input: next,
      });
      return z.NEVER;
    }
    const parsed = FailureLevel.safeParse(next);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.issues.push({
          ...issue,
          path: [...at, ...issue.path],
          input: next,
        } as z.core.$ZodRawIssue);
      }
      return z.NEVER;
    }
    levels.push(parsed.data);
    next = parsed.data.cause;
  } while (next !== undefined);
  for (let i = levels.length - 2; i >= 0; i--)
    (levels[i] as { cause?: unknown }).cause = levels[i + 1];
  return levels[0] as Failure;
});
