import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cloneData } from './clone-data.ts';

test('cloneData copies plain data as structuredClone does, sharing nothing with the source', () => {
  const source = {
    n: 1,
    s: 'x',
    b: false,
    nil: null,
    missing: undefined,
    list: [1, { deep: [2, 3] }, null],
    nested: { a: { b: { c: 'd' } } },
    bare: Object.assign(Object.create(null) as object, { k: 1 }),
  };
  const copy = cloneData(source);
  assert.deepStrictEqual(copy, structuredClone(source));
  assert.ok('missing' in copy, 'an undefined property is kept');
  (copy.list as unknown[])[1] = 'changed';
  copy.nested.a.b.c = 'changed';
  assert.deepEqual(source.list[1], { deep: [2, 3] });
  assert.equal(source.nested.a.b.c, 'd');
});

test('cloneData copies own keys only, as structuredClone does', () => {
  const inherited = Object.create({ fromProto: 1 }) as Record<string, unknown>;
  inherited['own'] = 2;
  const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { own: 3 });
  assert.deepEqual(cloneData({ nullProto }), { nullProto: { own: 3 } });
  assert.deepEqual(Object.keys(cloneData(inherited)), Object.keys(structuredClone(inherited)));
});

test('cloneData keeps an own __proto__ key as a key, as structuredClone does', () => {
  const source = JSON.parse('{"__proto__":{"evil":1},"ok":2}') as Record<string, unknown>;
  const copy = cloneData(source);
  assert.deepStrictEqual(copy, structuredClone(source));
  assert.ok(Object.hasOwn(copy, '__proto__'));
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.equal((copy as { evil?: unknown }).evil, undefined);
});

test('cloneData hands values that are not plain data to structuredClone', () => {
  const when = new Date(0);
  const copy = cloneData({ when, map: new Map([[1, 2]]) });
  assert.ok(copy.when instanceof Date && copy.when !== when);
  assert.equal(copy.when.getTime(), 0);
  assert.deepEqual([...copy.map], [[1, 2]]);
});
