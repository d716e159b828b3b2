import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deepFreeze } from './deep-freeze.ts';

test('freezes plain objects and arrays all the way down', () => {
  const value = deepFreeze({ a: { b: [1, { c: 2 }] }, d: [[3]] });
  assert.ok(Object.isFrozen(value));
  assert.ok(Object.isFrozen(value.a.b));
  assert.ok(Object.isFrozen(value.a.b[1]));
  assert.ok(Object.isFrozen(value.d[0]));
});

test('leaves what is not plain data as it is, typed arrays with elements included', () => {
  const bytes = new Uint8Array([1, 2, 3]);
  const when = new Date(0);
  const value = deepFreeze({ bytes, when, list: [bytes] });
  assert.ok(Object.isFrozen(value) && Object.isFrozen(value.list));
  assert.equal(Object.isFrozen(bytes), false);
  bytes[0] = 9;
  when.setTime(1);
  assert.equal(value.bytes[0], 9);
});
