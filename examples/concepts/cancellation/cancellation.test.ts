import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from './main.ts';

test('cancellation example: a cancelled hold releases its seat and ends as Canceled', async () => {
  const outcome = await run();
  assert.deepEqual(outcome.log, ['reserved 12A', 'released 12A']);
  assert.equal(outcome.error, 'WorkflowFailedError caused by CancelledFailure');
  assert.equal(outcome.status, 'Canceled');
  assert.deepEqual(outcome.lastEvents, [
    'WorkflowExecutionCancelRequested',
    'TimerCanceled',
    'WorkflowExecutionCanceled',
  ]);
});
