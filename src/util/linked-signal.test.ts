import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import { withEitherSignal } from './linked-signal.ts';

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
