import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KeyedMutex, Semaphore } from './semaphore.ts';

/** A promise settled from outside. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('KeyedMutex', () => {
  test('calls with one key run one at a time, in the order they came', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const first = gate();
    const calls = [
      mutex.run('k', async () => {
        log.push('1 start');
        await first.promise;
        log.push('1 end');
        return 1;
      }),
      mutex.run('k', () => {
        log.push('2');
        return Promise.resolve(2);
      }),
      mutex.run('k', () => {
        log.push('3');
        return Promise.resolve(3);
      }),
    ];
    assert.equal(mutex.isLocked('k'), true);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(log, ['1 start'], 'the first call runs; the others wait for it');
    first.open();
    assert.deepEqual(await Promise.all(calls), [1, 2, 3]);
    assert.deepEqual(log, ['1 start', '1 end', '2', '3']);
    assert.equal(mutex.isLocked('k'), false, 'the key is free once its last call settled');
  });

  test('a call on a free key starts at once, inside run', async () => {
    const mutex = new KeyedMutex();
    let started = false;
    const call = mutex.run('k', () => {
      started = true;
      return Promise.resolve('done');
    });
    assert.equal(started, true);
    assert.equal(await call, 'done');
    assert.equal(mutex.isLocked('k'), false);
  });

  test('calls with different keys do not wait for each other', async () => {
    const mutex = new KeyedMutex();
    const held = gate();
    const a = mutex.run('a', () => held.promise.then(() => 'a'));
    assert.equal(await mutex.run('b', () => Promise.resolve('b')), 'b');
    held.open();
    assert.equal(await a, 'a');
  });

  test('a call that throws or rejects passes its error on and frees the key', async () => {
    const mutex = new KeyedMutex();
    const thrown = new RangeError('thrown');
    await assert.rejects(
      mutex.run('k', () => {
        throw thrown;
      }),
      (e) => e === thrown,
    );
    assert.equal(mutex.isLocked('k'), false);
    const rejected = new TypeError('rejected');
    const failing = mutex.run('k', () => Promise.reject(rejected));
    const next = mutex.run('k', () => Promise.resolve('next'));
    await assert.rejects(failing, (e) => e === rejected);
    assert.equal(await next, 'next');
    assert.equal(mutex.isLocked('k'), false);
  });
});

describe('Semaphore', () => {
  test('hands a released slot to the first waiter', async () => {
    const semaphore = new Semaphore(1);
    await semaphore.acquire();
    assert.equal(semaphore.tryAcquire(), false);
    const order: number[] = [];
    const waiting = [1, 2].map((n) => semaphore.acquire().then(() => order.push(n)));
    semaphore.release();
    semaphore.release();
    await Promise.all(waiting);
    assert.deepEqual(order, [1, 2]);
    semaphore.release();
    assert.equal(semaphore.tryAcquire(), true);
  });
});

describe('Semaphore.acquireUnlessStopped', () => {
  test('takes a free slot, waits for a busy one, and gives up without a slot when stopped', async () => {
    const slots = new Semaphore(1);
    assert.equal(await slots.acquireUnlessStopped(), true);
    const waiting = slots.acquireUnlessStopped();
    slots.stop();
    assert.equal(await waiting, false, 'stopped while every slot was busy');
    slots.release();
    // The stopped waiter took nothing: the released slot is free for tryAcquire.
    assert.equal(slots.tryAcquire(), true);
    assert.equal(slots.tryAcquire(), false);
    slots.release();
    assert.equal(await slots.acquireUnlessStopped(), false, 'stopped: no slot, even a free one');
    await assert.rejects(slots.acquire(), /stopped/);
  });

  test('a waiter gets the slot released to it', async () => {
    const slots = new Semaphore(1);
    assert.equal(await slots.acquireUnlessStopped(), true);
    const waiting = slots.acquireUnlessStopped();
    slots.release();
    assert.equal(await waiting, true);
    slots.stop(); // after it got its slot: it keeps it
    assert.equal(slots.tryAcquire(), false);
  });
});

test('acquireUntil gives up its wait when its signal aborts, and leaves no slot taken', async () => {
  const s = new Semaphore(1);
  assert.equal(await s.acquireUntil(new AbortController().signal), true);
  const gaveUp = new AbortController();
  const waiting = s.acquireUntil(gaveUp.signal);
  const next = s.acquireUntil(new AbortController().signal);
  gaveUp.abort();
  assert.equal(await waiting, false);
  // The slot goes to the waiter behind the one that gave up, and back to the pool after it.
  s.release();
  assert.equal(await next, true);
  s.release();
  assert.equal(s.tryAcquire(), true);
  assert.equal(s.tryAcquire(), false);
  const aborted = new AbortController();
  aborted.abort();
  assert.equal(await s.acquireUntil(aborted.signal), false);
});
