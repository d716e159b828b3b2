import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveRetryPolicy, retryBackoffMs } from './retry-policy.ts';

describe('retry policy', () => {
  test("defaults are Temporal's: 1 s, ×2, cap 100 × initial, unlimited attempts", () => {
    assert.deepEqual(resolveRetryPolicy(undefined), {
      initialIntervalMs: 1000,
      backoffCoefficient: 2,
      maximumIntervalMs: 100_000,
      maximumAttempts: 0,
      nonRetryableErrorTypes: [],
    });
  });

  test('the cap follows a custom initial interval', () => {
    assert.equal(resolveRetryPolicy({ initialIntervalMs: 50 }).maximumIntervalMs, 5000);
  });

  test('backoff doubles from the initial interval and stops at the cap', () => {
    const p = resolveRetryPolicy({ initialIntervalMs: 1000, maximumIntervalMs: 5000 });
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => retryBackoffMs(p, n)),
      [1000, 2000, 4000, 5000, 5000],
    );
  });
});
