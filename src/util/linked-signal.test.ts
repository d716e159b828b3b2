import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import { SharedSignal, withEitherSignal } from './linked-signal.ts';

/** Resolves with the reason `signal` aborts with. */
function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    signal.addEventListener(
      'abort',
      () => {
        resolve(signal.reason);
      },
      { once: true },
    );
  });
}

describe('withEitherSignal', () => {
  test("aborts the call's signal with the reason of whichever aborts first", async () => {
    for (const which of ['signal', 'other'] as const) {
      const signal = new AbortController();
      const other = new AbortController();
      const reason = await withEitherSignal(signal.signal, other.signal, (s) => {
        const seen = aborted(s);
        (which === 'signal' ? signal : other).abort(`${which} aborted`);
        return seen;
      });
      assert.equal(reason, `${which} aborted`);
    }
  });

  test('leaves no listener on either signal once the call settles, answered or thrown', async () => {
    const signal = new AbortController().signal;
    const other = new AbortController().signal;
    const value = await withEitherSignal(signal, other, () => {
      assert.equal(getEventListeners(signal, 'abort').length, 1);
      assert.equal(getEventListeners(other, 'abort').length, 1);
      return Promise.resolve(42);
    });
    assert.equal(value, 42);
    await assert.rejects(
      withEitherSignal(signal, other, () => Promise.reject(new Error('the call failed'))),
      /the call failed/,
    );
    assert.equal(getEventListeners(signal, 'abort').length, 0);
    assert.equal(getEventListeners(other, 'abort').length, 0);
  });

  test('passes the one signal there is, or the one already aborted, as it is', async () => {
    const other = new AbortController().signal;
    assert.equal(await withEitherSignal(undefined, other, (s) => Promise.resolve(s)), other);
    const done = AbortSignal.abort('already');
    assert.equal(await withEitherSignal(done, other, (s) => Promise.resolve(s)), done);
    assert.equal(await withEitherSignal(other, done, (s) => Promise.resolve(s)), done);
    assert.equal(getEventListeners(other, 'abort').length, 0);
  });
});

describe('SharedSignal', () => {
  test('listens to its signal once, however many listen to it, and calls each once', () => {
    const controller = new AbortController();
    const shared = new SharedSignal(controller.signal);
    const heard: number[] = [];
    const offs = Array.from({ length: 1000 }, (_, i) =>
      shared.listen(() => {
        heard.push(i);
      }),
    );
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    // Taken off again: not called.
    for (const off of offs.slice(0, 400)) off();
    controller.abort('closed');
    assert.equal(shared.aborted, true);
    assert.equal(shared.reason, 'closed');
    assert.deepEqual(
      heard,
      Array.from({ length: 600 }, (_, i) => 400 + i),
    );
    // Once aborted, a listener is never called, as with addEventListener.
    shared.listen(() => {
      heard.push(-1);
    })();
    controller.abort('again');
    assert.equal(heard.length, 600);
  });

  test('withEitherSignal hands a call a signal of its own, never the shared one', async () => {
    const controller = new AbortController();
    const shared = new SharedSignal(controller.signal);
    const seen = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        withEitherSignal(i % 2 === 0 ? undefined : new AbortController().signal, shared, (s) => {
          assert.notEqual(s, controller.signal);
          return Promise.resolve(s);
        }),
      ),
    );
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    assert.equal(new Set(seen).size, 100);
    // Settled calls are let go of: the abort reaches only the one still running.
    const running = withEitherSignal(undefined, shared, (s) => aborted(s));
    controller.abort('closing');
    assert.equal(await running, 'closing');
    assert.ok(seen.every((s) => !s.aborted));
    // Already aborted: the call gets the shared signal's own, aborted.
    assert.equal(
      await withEitherSignal(undefined, shared, (s) => Promise.resolve(s)),
      controller.signal,
    );
  });
});
