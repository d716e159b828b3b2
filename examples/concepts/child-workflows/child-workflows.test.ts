import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from './main.ts';

test('child-workflows example: parallel children, and a child that outlives its parent', async () => {
  assert.deepEqual(await run(), {
    shipped: ['shipped a', 'shipped b'],
    parentOfShipA: 'order-1',
    audit: 'shipped order-2',
  });
});
