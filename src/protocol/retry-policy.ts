import * as z from 'zod';

/**
 * Temporal's retry policy, resolved to milliseconds. `maximumAttempts` 0 means unlimited.
 * Defaults (Temporal's): initial 1 s, coefficient 2, maximum 100 × initial, unlimited attempts.
 */
export const ResolvedRetryPolicy = z.object({
  initialIntervalMs: z.number().int().positive(),
  backoffCoefficient: z.number().min(1),
  maximumIntervalMs: z.number().int().positive(),
  maximumAttempts: z.number().int().nonnegative(),
  nonRetryableErrorTypes: z.array(z.string()),
});
export type ResolvedRetryPolicy = z.infer<typeof ResolvedRetryPolicy>;

/** A retry policy as a user writes it (durations in ms). */
export const RetryPolicyInput = z.object({
  initialIntervalMs: z.number().int().positive().optional(),
  backoffCoefficient: z.number().min(1).optional(),
  maximumIntervalMs: z.number().int().positive().optional(),
  maximumAttempts: z.number().int().nonnegative().optional(),
  nonRetryableErrorTypes: z.array(z.string()).optional(),
});
export type RetryPolicyInput = z.infer<typeof RetryPolicyInput>;

export function resolveRetryPolicy(input: RetryPolicyInput | undefined): ResolvedRetryPolicy {
  const initialIntervalMs = input?.initialIntervalMs ?? 1000;
  const maximumIntervalMs = input?.maximumIntervalMs ?? initialIntervalMs * 100;
  if (maximumIntervalMs < initialIntervalMs) {
    throw new RangeError(
      `Retry policy maximumInterval (${maximumIntervalMs} ms) is below initialInterval (${initialIntervalMs} ms): raise maximumInterval.`,
    );
  }
  return {
    initialIntervalMs,
    backoffCoefficient: input?.backoffCoefficient ?? 2,
    maximumIntervalMs,
    maximumAttempts: input?.maximumAttempts ?? 0,
    nonRetryableErrorTypes: input?.nonRetryableErrorTypes ?? [],
  };
}

/** The delay before attempt `failedAttempt + 1`, after `failedAttempt` attempts failed. */
export function retryBackoffMs(policy: ResolvedRetryPolicy, failedAttempt: number): number {
  const raw = policy.initialIntervalMs * policy.backoffCoefficient ** (failedAttempt - 1);
  return Math.min(Math.round(raw), policy.maximumIntervalMs);
}
