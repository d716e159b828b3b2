import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TimeSkippingClock } from './time-skipping-clock.ts';

/**
 * A call to schedule and a promise it resolves; rejects if it is not called within 5 s (a
 * timer of the test's own, which also keeps the process up: the clock's timers do not).
 */
function called(): { fn: () => void; done: Promise<void> } {
  let fn: () => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    const bound = setTimeout(() => {
      reject(new Error('the scheduled call did not run within 5 s'));
    }, 5000);
    fn = () => {
      clearTimeout(bound);
      resolve();
    };
  });
  return { fn, done };
}

describe('TimeSkippingClock', () => {
  test('a jump runs what came due in due order, leaves the rest, and never goes back', () => {
    const clock = new TimeSkippingClock(0);
    const ran: string[] = [];
    const start = clock.now();
    clock.schedule(start + 3_000_000, () => ran.push('c'));
    clock.schedule(start + 1_000_000, () => ran.push('a'));
    clock.schedule(start + 2_000_000, () => ran.push('b'));
    clock.skipTo(start + 2_500_000);
    assert.deepEqual(ran, ['a', 'b']);
    assert.ok(clock.now() >= start + 2_500_000);
    const after = clock.now();
    clock.skipTo(start);
    assert.ok(clock.now() >= after, 'a jump backwards does nothing');
    assert.deepEqual(ran, ['a', 'b']);
  });

  test('without a jump, time runs at real pace: a call fires when real time reaches it', async () => {
    const clock = new TimeSkippingClock();
    let cancelledRan = false;
    const cancel = clock.schedule(clock.now() + 10, () => (cancelledRan = true));
    cancel();
    const atMs = clock.now() + 40;
    const c = called();
    clock.schedule(atMs, c.fn);
    await c.done;
    assert.ok(clock.now() >= atMs);
    assert.equal(cancelledRan, false, 'a cancelled call never runs');
  });

  test('a call still ahead after a jump fires after the real time left, not the time armed for', async () => {
    const clock = new TimeSkippingClock();
    const atMs = clock.now() + 3_600_000;
    const c = called();
    clock.schedule(atMs, c.fn);
    clock.skipTo(atMs - 20);
    // An hour of real time if it were not re-armed (the test would time out).
    await c.done;
    assert.ok(clock.now() >= atMs);
  });
});
