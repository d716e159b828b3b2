import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LazyMap, LazySet } from './lazy-collections.ts';

describe('LazyMap', () => {
  test('reads as an empty map before its first set', () => {
    const m = new LazyMap<string, number>();
    assert.equal(m.size, 0);
    assert.equal(m.get('a'), undefined);
    assert.equal(m.has('a'), false);
    assert.equal(m.delete('a'), false);
    m.clear();
    assert.deepEqual([...m], []);
    assert.deepEqual([...m.keys()], []);
    assert.deepEqual([...m.values()], []);
    assert.deepEqual([...m.entries()], []);
  });

  test('keeps entries in insertion order, as a Map does', () => {
    const m = new LazyMap<string, number>();
    assert.equal(m.set('b', 2).set('a', 1).set('c', 3), m);
    m.set('b', 20);
    assert.equal(m.delete('a'), true);
    assert.equal(m.size, 2);
    assert.equal(m.get('b'), 20);
    assert.equal(m.has('a'), false);
    assert.deepEqual(
      [...m],
      [
        ['b', 20],
        ['c', 3],
      ],
    );
    assert.deepEqual([...m.keys()], ['b', 'c']);
    assert.deepEqual([...m.values()], [20, 3]);
    m.clear();
    assert.equal(m.size, 0);
    m.set('d', 4);
    assert.deepEqual([...m.entries()], [['d', 4]]);
  });

  test('iterates as a Map does while entries are deleted and added', () => {
    const m = new LazyMap<number, string>();
    m.set(1, 'one').set(2, 'two').set(3, 'three');
    const seen: number[] = [];
    for (const [k] of m) {
      seen.push(k);
      if (k === 1) m.delete(2);
      if (k === 3) m.set(4, 'four');
    }
    assert.deepEqual(seen, [1, 3, 4]);
  });

  test('does not share entries between maps that were empty', () => {
    const a = new LazyMap<string, number>();
    const b = new LazyMap<string, number>();
    a.set('x', 1);
    assert.equal(b.has('x'), false);
    assert.deepEqual([...b], []);
  });
});

describe('LazySet', () => {
  test('reads as an empty set before its first add', () => {
    const s = new LazySet<string>();
    assert.equal(s.size, 0);
    assert.equal(s.has('a'), false);
    assert.equal(s.delete('a'), false);
    s.clear();
    assert.deepEqual([...s], []);
    assert.deepEqual([...s.values()], []);
  });

  test('keeps values once each, in insertion order', () => {
    const s = new LazySet<string>();
    assert.equal(s.add('b').add('a').add('b'), s);
    assert.equal(s.size, 2);
    assert.deepEqual([...s], ['b', 'a']);
    assert.equal(s.delete('b'), true);
    assert.deepEqual(
      Array.from(s, (v) => v.toUpperCase()),
      ['A'],
    );
    s.clear();
    assert.equal(s.has('a'), false);
    assert.deepEqual([...new LazySet<string>()], []);
  });
});
