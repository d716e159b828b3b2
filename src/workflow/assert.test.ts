import { test } from 'node:test';
import nodeAssert from 'node:assert';
import { AssertionError, assert } from './assert.ts';

/** Node's `assert` (the one this module checks against, as Temporal's sandbox hands it in). */
const theirs = nodeAssert as unknown as Record<string, unknown>;
const ours = assert as unknown as Record<string, unknown>;

class Custom extends Error {}
const cycle: Record<string, unknown> = { a: 1 };
cycle['self'] = cycle;
const cycle2: Record<string, unknown> = { a: 1 };
cycle2['self'] = cycle2;
const sym = Symbol('s');

/** [method, ...arguments]: each is called on Node's assert and on ours. */
const cases: [string, ...unknown[]][] = [
  // A falsy `ok` with no message: Node reads the calling source to make one (slowly, here).
  ['ok', 1],
  ['ok', 0, 'custom message'],
  ['ok', '', 'custom message'],
  ['equal', 1, '1'],
  ['equal', NaN, NaN],
  ['equal', 1, 2],
  ['notEqual', 1, '1'],
  ['notEqual', 1, 2],
  ['strictEqual', 1, 1],
  ['strictEqual', 1, '1'],
  ['strictEqual', NaN, NaN],
  ['strictEqual', 0, -0],
  ['notStrictEqual', 1, '1'],
  ['notStrictEqual', 1, 1],
  ['deepEqual', { a: 1 }, { a: '1' }],
  ['deepEqual', [1, 2], [1, 3]],
  ['notDeepEqual', { a: 1 }, { a: 2 }],
  ['deepStrictEqual', { a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }],
  ['deepStrictEqual', { a: 1 }, { a: '1' }],
  ['deepStrictEqual', { a: 1 }, { a: 1, b: undefined }],
  ['deepStrictEqual', [1, 2], { 0: 1, 1: 2, length: 2 }],
  ['deepStrictEqual', new Date(5), new Date(5)],
  ['deepStrictEqual', new Date(5), new Date(6)],
  ['deepStrictEqual', /a/g, /a/g],
  ['deepStrictEqual', /a/g, /a/i],
  ['deepStrictEqual', new Map([[1, { x: 1 }]]), new Map([[1, { x: 1 }]])],
  ['deepStrictEqual', new Map([[1, { x: 1 }]]), new Map([[1, { x: 2 }]])],
  ['deepStrictEqual', new Set([1, { x: 1 }]), new Set([{ x: 1 }, 1])],
  ['deepStrictEqual', new Set([1, 2]), new Set([1, 3])],
  ['deepStrictEqual', new Uint8Array([1, 2]), new Uint8Array([1, 2])],
  ['deepStrictEqual', new Uint8Array([1, 2]), new Uint8Array([1, 3])],
  ['deepStrictEqual', cycle, cycle2],
  ['deepStrictEqual', { [sym]: 1 }, { [sym]: 2 }],
  ['deepStrictEqual', new Error('a'), new Error('a')],
  ['deepStrictEqual', new Error('a'), new Error('b')],
  ['deepStrictEqual', Object.create(null) as object, {}],
  ['deepStrictEqual', NaN, NaN],
  ['notDeepStrictEqual', { a: 1 }, { a: 1 }],
  ['notDeepStrictEqual', { a: 1 }, { a: 2 }],
  ['match', 'abc', /b/],
  ['match', 'abc', /x/],
  ['doesNotMatch', 'abc', /b/],
  [
    'throws',
    () => {
      throw new Custom('x');
    },
    Custom,
  ],
  [
    'throws',
    () => {
      throw new TypeError('x');
    },
    RangeError,
  ],
  [
    'throws',
    () => {
      throw new Error('wrong value');
    },
    /wrong/,
  ],
  [
    'throws',
    () => {
      throw new Error('wrong value');
    },
    /right/,
  ],
  [
    'throws',
    () => {
      throw new Error('x');
    },
    { message: 'x', name: 'Error' },
  ],
  [
    'throws',
    () => {
      throw new Error('x');
    },
    { message: 'y' },
  ],
  [
    'throws',
    () => {
      throw new Error('x');
    },
    (e: unknown) => e instanceof Error,
  ],
  ['throws', () => 1],
  ['throws', () => 1, 'nothing thrown'],
  ['doesNotThrow', () => 1],
  [
    'doesNotThrow',
    () => {
      throw new Error('x');
    },
  ],
  ['fail'],
  ['fail', 'boom'],
  ['ifError', null],
  ['ifError', 'x'],
];

/** What a call did: returned, or threw (an AssertionError's fields, or the error itself). */
function outcome(on: Record<string, unknown>, method: string, args: unknown[]): unknown {
  try {
    (on[method] as (...a: unknown[]) => unknown)(...args);
    return 'returned';
  } catch (e) {
    if (e instanceof Error && e.name === 'AssertionError') {
      const error = e as Error & { code?: unknown; actual?: unknown; expected?: unknown };
      const primitive = (v: unknown): unknown => (typeof v === 'object' ? typeof v : v);
      return {
        assertion: true,
        code: error.code,
        // Node's AssertionError keeps copies of objects, not the objects compared.
        actual: primitive(error.actual),
        expected: primitive(error.expected),
        // Node's generated messages show a diff; a given message is kept as given.
        message: /custom message|nothing thrown|boom|Missing expected/.test(e.message)
          ? e.message
          : undefined,
      };
    }
    return e;
  }
}

/** A case's arguments in its test's name. */
function label(value: unknown): string {
  if (typeof value === 'function') return 'fn';
  if (typeof value === 'string') return JSON.stringify(value);
  return Object.prototype.toString.call(value).slice(8, -1);
}

for (const [method, ...args] of cases) {
  test(`assert.${method}(${args.map(label).join(', ')}) as Node's`, () => {
    nodeAssert.deepStrictEqual(outcome(ours, method, args), outcome(theirs, method, args));
  });
}

test('assert is callable as ok; assert.strict makes equal and deepEqual strict', () => {
  nodeAssert.throws(() => {
    (assert as (v: unknown) => void)(0);
  }, AssertionError);
  assert.strict.equal(NaN, NaN);
  nodeAssert.throws(() => {
    assert.strict.equal(1, '1');
  }, AssertionError);
  nodeAssert.throws(() => {
    assert.strict.deepEqual({ a: 1 }, { a: '1' });
  }, AssertionError);
  nodeAssert.equal(assert.strict.strict, assert.strict);
  nodeAssert.equal(assert.AssertionError, AssertionError);
});

test('rejects and doesNotReject await the promise', async () => {
  await assert.rejects(Promise.reject(new TypeError('x')), TypeError);
  await nodeAssert.rejects(assert.rejects(Promise.resolve(1)), AssertionError);
  await assert.doesNotReject(async () => Promise.resolve(1));
  await nodeAssert.rejects(assert.doesNotReject(Promise.reject(new Error('x'))), AssertionError);
});

test('an Error given as the message is thrown as it is', () => {
  const mine = new RangeError('mine');
  nodeAssert.throws(() => {
    assert.strictEqual(1, 2, mine);
  }, mine);
});
