import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import { SharedSignal } from '../util/linked-signal.ts';
import { Notifier } from './notifier.ts';

describe('Notifier', () => {
  test("waits on the engine's close listen to it through one listener, and all end with it", async () => {
    const notifier = new Notifier();
    const closing = new AbortController();
    const shared = new SharedSignal(closing.signal);
    const waits = Array.from({ length: 2000 }, (_, i) => notifier.wait(`run-${i}`, 60_000, shared));
    // Node's EventTarget walks a signal's listeners on each add and remove: 2,000 there would
    // make each wait's start and end walk 2,000.
    assert.equal(getEventListeners(closing.signal, 'abort').length, 1);
    notifier.notify('run-0');
    await waits[0];
    closing.abort();
    await Promise.all(waits);
    // Aborted: a later wait answers at once.
    await notifier.wait('run-late', 60_000, shared);
  });

  test('a wait on a signal of its own takes its listener off when it ends', async () => {
    const notifier = new Notifier();
    const signal = new AbortController().signal;
    const wait = notifier.wait('run', 60_000, signal);
    assert.equal(getEventListeners(signal, 'abort').length, 1);
    notifier.notify('run');
    await wait;
    assert.equal(getEventListeners(signal, 'abort').length, 0);
  });
});
