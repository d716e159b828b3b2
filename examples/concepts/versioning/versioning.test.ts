import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from './main.ts';

test('versioning example: patched and deprecatePatch, checked by replaying recorded histories', async () => {
  assert.deepEqual(await run(), {
    results: { v1: 'notified: charged A-1', v2: 'notified: charged A-1 with tax' },
    markers: { v1: false, v2: true },
    replays: {
      'v2 replays v1': 'ok',
      'v3 replays v2': 'ok',
      'v3 replays v1': 'DeterminismViolationError',
    },
  });
});
