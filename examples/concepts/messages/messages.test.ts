import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from './main.ts';

test('messages example: signalWithStart, an update and its validator, a query, a signal', async () => {
  const outcome = await run();
  assert.equal(outcome.count, 1);
  assert.equal(outcome.rejected, 'apple is already in the cart');
  assert.deepEqual(outcome.items, ['apple']);
  assert.deepEqual(outcome.result, {
    owner: 'ann',
    items: ['apple'],
    notes: ['leave at the door'],
    done: true,
  });
});
