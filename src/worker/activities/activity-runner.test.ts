import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heartbeatThrottleMs } from './activity-runner.ts';

test("heartbeats are throttled to 80% of the heartbeat timeout, 30 s without one, at most 60 s (Temporal's rule)", () => {
  assert.equal(heartbeatThrottleMs(200), 160);
  assert.equal(heartbeatThrottleMs(30_000), 24_000);
  assert.equal(heartbeatThrottleMs(75_000), 60_000);
  assert.equal(heartbeatThrottleMs(600_000), 60_000, 'a 10-minute heartbeat timeout: every minute');
  assert.equal(heartbeatThrottleMs(undefined), 30_000);
  assert.equal(heartbeatThrottleMs(1), 1);
});
