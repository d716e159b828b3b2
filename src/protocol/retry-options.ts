// Sandbox-safe: the retry policy as users write it (Temporal's RetryPolicy), compiled to ms.
import { msFromDuration } from './duration.ts';
import type { Duration } from './duration.ts';

/** Temporal's `RetryPolicy`. Durations are ms or strings such as '1s'. */
export interface RetryPolicy {
  initialInterval?: Duration | undefined;
  backoffCoefficient?: number | undefined;
  maximumInterval?: Duration | undefined;
  /** 0, Infinity or unset: unlimited. */
  maximumAttempts?: number | undefined;
  nonRetryableErrorTypes?: readonly string[] | undefined;
}

/** The wire form of a {@link RetryPolicy} (`RetryPolicyInput`), without unset fields. */
export interface CompiledRetryPolicy {
  initialIntervalMs?: number;
  backoffCoefficient?: number;
  maximumIntervalMs?: number;
  maximumAttempts?: number;
  nonRetryableErrorTypes?: string[];
}

/**
 * Checks and compiles a retry policy. Throws `TypeError` for a value Temporal refuses too: a
 * backoffCoefficient below 1, or a maximumAttempts that is negative or fractional (Infinity is
 * unlimited, as 0 is). Intervals are at least 1 ms.
 */
export function compileRetryPolicy(p: RetryPolicy): CompiledRetryPolicy {
  const out: CompiledRetryPolicy = {};
  if (p.initialInterval !== undefined) out.initialIntervalMs = atLeast1Ms(p.initialInterval);
  if (p.backoffCoefficient !== undefined) {
    if (!Number.isFinite(p.backoffCoefficient) || p.backoffCoefficient < 1) {
      throw new TypeError(
        `Invalid RetryPolicy.backoffCoefficient ${p.backoffCoefficient}: use a finite number of 1 or more (the default is 2).`,
      );
    }
    out.backoffCoefficient = p.backoffCoefficient;
  }
  if (p.maximumInterval !== undefined) out.maximumIntervalMs = atLeast1Ms(p.maximumInterval);
  if (p.maximumAttempts !== undefined && p.maximumAttempts !== Number.POSITIVE_INFINITY) {
    if (!Number.isInteger(p.maximumAttempts) || p.maximumAttempts < 0) {
      throw new TypeError(
        `Invalid RetryPolicy.maximumAttempts ${p.maximumAttempts}: use a whole number of attempts, or 0 or Infinity for unlimited.`,
      );
    }
    out.maximumAttempts = p.maximumAttempts;
  }
  if (p.nonRetryableErrorTypes !== undefined)
    out.nonRetryableErrorTypes = [...p.nonRetryableErrorTypes];
  return out;
}

function atLeast1Ms(duration: Duration): number {
  return Math.max(1, msFromDuration(duration));
}

/** A retry policy as the engine keeps it: every field set, durations in ms. */
export interface RetryPolicyMs {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  maximumAttempts: number;
  nonRetryableErrorTypes: readonly string[];
}

/**
 * A kept retry policy as `workflowInfo().retryPolicy` and `activityInfo().retryPolicy` show it
 * (Temporal's decompileRetryPolicy): durations as ms, `maximumAttempts` 0 for unlimited.
 */
export function decompileRetryPolicy(p: RetryPolicyMs): RetryPolicy {
  return {
    initialInterval: p.initialIntervalMs,
    backoffCoefficient: p.backoffCoefficient,
    maximumInterval: p.maximumIntervalMs,
    maximumAttempts: p.maximumAttempts,
    nonRetryableErrorTypes: [...p.nonRetryableErrorTypes],
  };
}
