import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from './main.ts';

test('schedules example: a daily cron schedule in Paris time starts its run at 09:00', async () => {
  assert.deepEqual(await run(), {
    nextActionTime: '2026-01-01T08:00:00.000Z',
    startedWorkflowId: 'report-2026-01-01T08:00:00Z',
    result: 'report today',
    followingActionTime: '2026-01-02T08:00:00.000Z',
  });
});
