// Sandbox-safe: the retry policy as users write it (Temporal's RetryPolicy), compiled to ms.
import { msFromDuration } from './duration.ts';
import type { Duration } from './duration.ts';

/** Temporal's `RetryPolicy`. Durations are ms or strings such as '1s'. */
export interface RetryPolicy {
  initialInterval?: Duration | undefined;
  backoffCoefficient?: number | undefined;
  maximumInterval?: Duration | undefined;
  /** 0 or unset: unlimited. */
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

export function compileRetryPolicy(p: RetryPolicy): CompiledRetryPolicy {
  const out: CompiledRetryPolicy = {};
  if (p.initialInterval !== undefined) out.initialIntervalMs = msFromDuration(p.initialInterval);
  if (p.backoffCoefficient !== undefined) out.backoffCoefficient = p.backoffCoefficient;
  if (p.maximumInterval !== undefined) out.maximumIntervalMs = msFromDuration(p.maximumInterval);
  if (p.maximumAttempts !== undefined) out.maximumAttempts = p.maximumAttempts;
  if (p.nonRetryableErrorTypes !== undefined)
    out.nonRetryableErrorTypes = [...p.nonRetryableErrorTypes];
  return out;
}
