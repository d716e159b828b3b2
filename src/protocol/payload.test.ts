import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from '../errors.ts';
import { toPayload, toPayloads } from './payload.ts';

test('a value JSON cannot hold is refused with an error that names it and says what to pass', () => {
  const circular: Record<string, unknown> = {};
  circular['self'] = circular;
  for (const [value, kind] of [
    [() => 1, /a function .*JSON has no form/],
    [Symbol('s'), /a symbol/],
    [10n, /a bigint .*BigInt/],
    [circular, /an? object .*circular/],
  ] as const) {
    assert.throws(
      () => toPayload(value),
      (e: unknown) => e instanceof InvalidArgumentError && kind.test(e.message),
    );
  }
  assert.throws(() => toPayloads([1, { n: 2n }]), InvalidArgumentError);
});

test('data goes through as its JSON form', () => {
  assert.deepEqual(toPayload({ at: new Date(0), list: [1, undefined] }), {
    at: '1970-01-01T00:00:00.000Z',
    list: [1, null],
  });
  assert.equal(toPayload(undefined), undefined);
  assert.deepEqual(toPayloads([undefined, 'x']), [null, 'x']);
});
