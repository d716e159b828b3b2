import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withDeprecationsMuted } from './async-id-stack.ts';

/** Runs `fn` with process.noDeprecation as `descriptor` made it (absent if undefined). */
function withNoDeprecation(descriptor: PropertyDescriptor | undefined, fn: () => void): void {
  const saved = Object.getOwnPropertyDescriptor(process, 'noDeprecation');
  delete process.noDeprecation;
  try {
    if (descriptor !== undefined) Object.defineProperty(process, 'noDeprecation', descriptor);
    fn();
  } finally {
    delete process.noDeprecation;
    if (saved !== undefined) Object.defineProperty(process, 'noDeprecation', saved);
  }
}

const writable = { value: false, writable: true, enumerable: true, configurable: true };

test('deprecations are muted during the call, and the property is left as it was', () => {
  for (const before of [undefined, writable, { ...writable, value: 0 }]) {
    withNoDeprecation(before, () => {
      let during: unknown;
      withDeprecationsMuted(() => (during = process.noDeprecation));
      assert.equal(during, true);
      assert.deepEqual(Object.getOwnPropertyDescriptor(process, 'noDeprecation'), before);
    });
  }
});

test('the property is restored when the call throws', () => {
  withNoDeprecation(writable, () => {
    assert.throws(() =>
      withDeprecationsMuted(() => {
        throw new Error('boom');
      }),
    );
    assert.deepEqual(Object.getOwnPropertyDescriptor(process, 'noDeprecation'), writable);
  });
});

test('with deprecations off and read-only (--no-deprecation), the call runs and nothing is set', () => {
  const readOnly = { value: true, writable: false, enumerable: true, configurable: true };
  withNoDeprecation(readOnly, () => {
    assert.equal(
      withDeprecationsMuted(() => 7),
      7,
    );
    assert.deepEqual(Object.getOwnPropertyDescriptor(process, 'noDeprecation'), readOnly);
  });
});

test('taking the async_wrap binding muted emits no deprecation warning', async () => {
  const deprecations: string[] = [];
  const onWarning = (w: Error & { code?: string }): void => {
    if (w.name === 'DeprecationWarning') deprecations.push(w.code ?? w.message);
  };
  process.on('warning', onWarning);
  try {
    withDeprecationsMuted(() =>
      (process as unknown as { binding(name: string): unknown }).binding('async_wrap'),
    );
    // Node emits warnings on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(deprecations, []);
});
