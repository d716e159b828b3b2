import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from './clock.ts';

describe('ManualClock', () => {
  test('scheduled calls run in due order, only once the clock reaches them', () => {
    const clock = new ManualClock(0);
    const ran: string[] = [];
    clock.schedule(300, () => ran.push('c'));
    clock.schedule(100, () => ran.push('a'));
    clock.schedule(200, () => ran.push('b'));
    clock.advance(99);
    assert.deepEqual(ran, []);
    clock.advance(150);
    assert.deepEqual(ran, ['a', 'b']);
    clock.set(300);
    assert.deepEqual(ran, ['a', 'b', 'c']);
  });

  test('a cancelled call never runs, and the clock never goes back', () => {
    const clock = new ManualClock(0);
    let ran = false;
    const cancel = clock.schedule(10, () => (ran = true));
    cancel();
    clock.advance(20);
    assert.equal(ran, false);
    assert.throws(() => {
      clock.set(5);
    }, /cannot go back/);
  });
});
