import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from './main.ts';

test('continue-as-new example: six monthly bills over a chain of three runs', async () => {
  const outcome = await run();
  assert.equal(outcome.monthsBilled, 6);
  assert.deepEqual(
    outcome.bills.map((b) => b.month),
    [1, 2, 3, 4, 5, 6],
  );
  assert.equal(outcome.runs, 3, 'a new run every two months');
  assert.equal(outcome.days, 180, 'six sleeps of 30 days, skipped');
  assert.ok(outcome.lastRun.continuedFromRunId, 'the last run names the run it continues');
  assert.equal(outcome.lastRun.closedAs, 'WorkflowExecutionCompleted');
});
