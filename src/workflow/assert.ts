// Sandbox-safe: the `assert` that workflow code (and the libraries it bundles) gets from
// `import assert from 'assert'` (or 'node:assert', 'assert/strict', 'node:assert/strict') and as
// a global, as in Temporal's sandbox, which hands in Node's. Node's cannot be handed in: its
// prototypes lead to the worker's built-ins, which the sandbox freezes. This is a small one, of
// the sandbox's own realm, with Node's names, comparisons and `AssertionError` fields.

type Message = string | Error | undefined;

interface AssertionErrorOptions {
  message?: string | undefined;
  actual?: unknown;
  expected?: unknown;
  operator?: string | undefined;
}

/** Node's `assert.AssertionError`: `code` 'ERR_ASSERTION', with the values compared. */
export class AssertionError extends Error {
  readonly code = 'ERR_ASSERTION';
  readonly actual: unknown;
  readonly expected: unknown;
  readonly operator: string | undefined;
  readonly generatedMessage: boolean;

  constructor(options: AssertionErrorOptions) {
    const generated = options.message === undefined;
    super(
      options.message ??
        `${show(options.actual)} ${options.operator ?? '=='} ${show(options.expected)}`,
    );
    this.name = 'AssertionError';
    this.actual = options.actual;
    this.expected = options.expected;
    this.operator = options.operator;
    this.generatedMessage = generated;
  }
}

/** A short rendering of a value for a generated message. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${String(value)}n`;
  if (typeof value === 'function') return `[Function: ${value.name || 'anonymous'}]`;
  if (typeof value !== 'object' || value === null) return String(value);
  if (value instanceof Error) return `[${value.name}: ${value.message}]`;
  try {
    const json: unknown = JSON.stringify(value);
    return typeof json === 'string' ? json : Object.prototype.toString.call(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function raise(
  message: Message,
  actual: unknown,
  expected: unknown,
  operator: string,
  generated?: string,
): never {
  if (message instanceof Error) throw message;
  throw new AssertionError({ message: message ?? generated, actual, expected, operator });
}

/** Node's `isDeepStrictEqual` (strict) or legacy `deepEqual` (loose: `==`, prototypes ignored). */
function deepEqual(a: unknown, b: unknown, strict: boolean, memo: Map<object, object>): boolean {
  if (strict ? Object.is(a, b) : a == b || (a !== a && b !== b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return !strict && typeof a !== 'object' && typeof b !== 'object' && a == b;
  }
  if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const tag = Object.prototype.toString.call(a);
  if (tag !== Object.prototype.toString.call(b)) return false;
  if (memo.get(a) === b) return true;
  memo.set(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof Date && b instanceof Date && a.getTime() !== b.getTime()) return false;
  if (a instanceof RegExp && b instanceof RegExp) {
    if (a.source !== b.source || a.flags !== b.flags || a.lastIndex !== b.lastIndex) return false;
  }
  if (a instanceof Error && b instanceof Error) {
    if (a.name !== b.name || a.message !== b.message) return false;
  }
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    if (x.length !== y.length || x.some((v, i) => v !== y[i])) return false;
  }
  if (isBoxed(a) && !Object.is(a.valueOf(), (b as { valueOf(): unknown }).valueOf())) return false;
  if (a instanceof Set && b instanceof Set) {
    if (a.size !== b.size) return false;
    for (const x of a) {
      if (b.has(x)) continue;
      if (typeof x !== 'object' || x === null) return false;
      let found = false;
      for (const y of b) {
        if (deepEqual(x, y, strict, memo)) {
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
  }
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [key, x] of a) {
      if (!b.has(key) || !deepEqual(x, b.get(key), strict, memo)) return false;
    }
  }
  const keysA = ownKeys(a, strict);
  const keysB = ownKeys(b, strict);
  if (keysA.length !== keysB.length) return false;
  for (const key of keysA) {
    if (!Object.prototype.propertyIsEnumerable.call(b, key)) return false;
    const x: unknown = Reflect.get(a, key);
    const y: unknown = Reflect.get(b, key);
    if (!deepEqual(x, y, strict, memo)) return false;
  }
  return true;
}

function isBoxed(value: object): value is { valueOf(): unknown } {
  return (
    value instanceof Number ||
    value instanceof String ||
    value instanceof Boolean ||
    value instanceof BigInt ||
    value instanceof Symbol
  );
}

/** The own enumerable keys compared (symbols too when strict, as Node does). */
function ownKeys(value: object, strict: boolean): PropertyKey[] {
  const keys: PropertyKey[] = Object.keys(value);
  if (!strict) return keys;
  for (const symbol of Object.getOwnPropertySymbols(value)) {
    if (Object.prototype.propertyIsEnumerable.call(value, symbol)) keys.push(symbol);
  }
  return keys;
}

type Expected =
  RegExp | (new (...args: never[]) => unknown) | ((error: unknown) => boolean) | object;

/** Whether `error` is what `throws`' `expected` describes. */
function matches(error: unknown, expected: Expected, message: Message): boolean {
  if (expected instanceof RegExp) return expected.test(String(error));
  if (typeof expected === 'function') {
    const proto: unknown = (expected as { prototype?: unknown }).prototype;
    if (typeof proto === 'object' && proto !== null && error instanceof (expected as never)) {
      return true;
    }
    if (Error.isPrototypeOf(expected) || expected === Error) return false;
    return (expected as (e: unknown) => unknown).call({}, error) === true;
  }
  for (const key of Object.keys(expected)) {
    const want: unknown = Reflect.get(expected, key);
    const got: unknown =
      typeof error === 'object' && error !== null ? Reflect.get(error, key) : undefined;
    const ok =
      want instanceof RegExp && typeof got === 'string'
        ? want.test(got)
        : deepEqual(got, want, true, new Map());
    if (!ok) {
      raise(message, error, expected, 'throws', `The error's '${key}' is not ${show(want)}`);
    }
  }
  return true;
}

const NO_ERROR = Symbol('no error');

function checkThrown(
  error: unknown,
  args: [(Expected | string)?, Message?],
  what: 'exception' | 'rejection',
): void {
  const [expected, message]: [Expected | undefined, Message?] =
    typeof args[0] === 'string' ? [undefined, args[0]] : [args[0], args[1]];
  if (error === NO_ERROR) {
    if (message instanceof Error) throw message;
    const name =
      typeof expected === 'function' && expected.name !== '' ? ` (${expected.name})` : '';
    const operator = what === 'exception' ? 'throws' : 'rejects';
    throw new AssertionError({
      message: `Missing expected ${what}${name}${message === undefined ? '.' : `: ${message}`}`,
      actual: undefined,
      expected,
      operator,
    });
  }
  if (expected !== undefined && !matches(error, expected, message)) {
    raise(message, error, expected, 'throws', `The error ${show(error)} is not the one expected`);
  }
}

/** Node's `assert.ok`, and what calling `assert(value, message)` does. */
function ok(value: unknown, message?: Message): void {
  if (!value) {
    raise(message, value, true, '==', 'The expression evaluated to a falsy value');
  }
}

const methods = {
  ok,
  fail(message: Message = 'Failed'): never {
    return raise(message, undefined, undefined, 'fail');
  },
  equal(actual: unknown, expected: unknown, message?: Message): void {
    if (!(actual == expected || (actual !== actual && expected !== expected))) {
      raise(message, actual, expected, '==');
    }
  },
  notEqual(actual: unknown, expected: unknown, message?: Message): void {
    if (actual == expected || (actual !== actual && expected !== expected)) {
      raise(message, actual, expected, '!=');
    }
  },
  strictEqual(actual: unknown, expected: unknown, message?: Message): void {
    if (!Object.is(actual, expected)) raise(message, actual, expected, 'strictEqual');
  },
  notStrictEqual(actual: unknown, expected: unknown, message?: Message): void {
    if (Object.is(actual, expected)) raise(message, actual, expected, 'notStrictEqual');
  },
  deepEqual(actual: unknown, expected: unknown, message?: Message): void {
    if (!deepEqual(actual, expected, false, new Map())) {
      raise(message, actual, expected, 'deepEqual');
    }
  },
  notDeepEqual(actual: unknown, expected: unknown, message?: Message): void {
    if (deepEqual(actual, expected, false, new Map())) {
      raise(message, actual, expected, 'notDeepEqual');
    }
  },
  deepStrictEqual(actual: unknown, expected: unknown, message?: Message): void {
    if (!deepEqual(actual, expected, true, new Map())) {
      raise(message, actual, expected, 'deepStrictEqual');
    }
  },
  notDeepStrictEqual(actual: unknown, expected: unknown, message?: Message): void {
    if (deepEqual(actual, expected, true, new Map())) {
      raise(message, actual, expected, 'notDeepStrictEqual');
    }
  },
  match(actual: string, regexp: RegExp, message?: Message): void {
    if (typeof actual !== 'string' || !regexp.test(actual)) {
      raise(message, actual, regexp, 'match');
    }
  },
  doesNotMatch(actual: string, regexp: RegExp, message?: Message): void {
    if (typeof actual !== 'string' || regexp.test(actual)) {
      raise(message, actual, regexp, 'doesNotMatch');
    }
  },
  throws(fn: () => unknown, ...args: [(Expected | string)?, Message?]): void {
    let error: unknown = NO_ERROR;
    try {
      fn();
    } catch (e) {
      error = e;
    }
    checkThrown(error, args, 'exception');
  },
  doesNotThrow(fn: () => unknown, message?: Message): void {
    try {
      fn();
    } catch (e) {
      raise(message, e, undefined, 'doesNotThrow', `Got unwanted exception: ${show(e)}`);
    }
  },
  async rejects(
    promiseOrFn: Promise<unknown> | (() => Promise<unknown>),
    ...args: [(Expected | string)?, Message?]
  ): Promise<void> {
    let error: unknown = NO_ERROR;
    try {
      await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
    } catch (e) {
      error = e;
    }
    checkThrown(error, args, 'rejection');
  },
  async doesNotReject(
    promiseOrFn: Promise<unknown> | (() => Promise<unknown>),
    message?: Message,
  ): Promise<void> {
    try {
      await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
    } catch (e) {
      raise(message, e, undefined, 'doesNotReject', `Got unwanted rejection: ${show(e)}`);
    }
  },
  ifError(value: unknown): void {
    if (value !== null && value !== undefined) {
      if (value instanceof Error) throw value;
      raise(undefined, value, null, 'ifError', `ifError got unwanted exception: ${show(value)}`);
    }
  },
  AssertionError,
};

type Assert = typeof ok & typeof methods & { strict: Assert };

function makeAssert(strict: boolean): Assert {
  const fn = function assert(value: unknown, message?: Message): void {
    ok(value, message);
  };
  Object.assign(fn, methods);
  if (strict) {
    // Node's strict mode: the legacy, loose comparisons are the strict ones.
    Object.assign(fn, {
      equal: (a: unknown, b: unknown, m?: Message) => {
        methods.strictEqual(a, b, m);
      },
      notEqual: (a: unknown, b: unknown, m?: Message) => {
        methods.notStrictEqual(a, b, m);
      },
      deepEqual: (a: unknown, b: unknown, m?: Message) => {
        methods.deepStrictEqual(a, b, m);
      },
      notDeepEqual: (a: unknown, b: unknown, m?: Message) => {
        methods.notDeepStrictEqual(a, b, m);
      },
    });
  }
  return fn as Assert;
}

/** `assert` (legacy comparisons for `equal`/`deepEqual`) and `assert.strict` (strict ones). */
export const assert: Assert = makeAssert(false);
const strictAssert = makeAssert(true);
assert.strict = strictAssert;
strictAssert.strict = strictAssert;
