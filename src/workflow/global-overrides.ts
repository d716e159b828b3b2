// Sandbox-safe: makes the sandbox's globals deterministic (Date, Math.random, setTimeout,
// console; no WeakRef/FinalizationRegistry), adds TextEncoder/TextDecoder, AbortController/
// AbortSignal, assert and URL/URLSearchParams (made at first use), then hardens the built-ins so
// that one run cannot change what another run in the same context sees.
import type { WorkflowLogEntry } from '../protocol/activation.ts';
import { AbortController, AbortSignal } from './abort.ts';
import { assert } from './assert.ts';
import { atob, btoa } from './base64.ts';
import { TextDecoder, TextEncoder } from './text-coding.ts';
import { makeUrlClasses } from './url.ts';
import type { UrlBridge, UrlClasses } from './url.ts';

/** What the overrides ask of the current run. */
export interface OverrideHooks {
  now(): number;
  random(): number;
  setTimeout(callback: () => void, ms: number): number;
  clearTimeout(id: number): void;
  log(level: WorkflowLogEntry['level'], message: string): void;
  /** The host's URL parser, behind the sandbox's own `URL`. */
  readonly urlBridge: UrlBridge;
}

type Global = typeof globalThis & Record<string, unknown>;

/** Installs the deterministic replacements on the sandbox's global object. */
export function installGlobalOverrides(g: Global, hooks: OverrideHooks): void {
  const OriginalDate = g.Date;
  // `new Date()` and `Date.now()` give the workflow task's time; other forms are unchanged.
  function DateShim(this: unknown, ...args: unknown[]): unknown {
    if ((new.target as unknown) === undefined) return new OriginalDate(hooks.now()).toString();
    if (args.length === 0) return Reflect.construct(OriginalDate, [hooks.now()], new.target);
    return Reflect.construct(OriginalDate, args, new.target);
  }
  Object.defineProperties(DateShim, {
    prototype: { value: OriginalDate.prototype, writable: false },
    now: { value: () => hooks.now(), writable: true, configurable: true },
    parse: { value: OriginalDate.parse.bind(OriginalDate), writable: true, configurable: true },
    UTC: { value: OriginalDate.UTC.bind(OriginalDate), writable: true, configurable: true },
    name: { value: 'Date' },
    length: { value: 7 },
  });
  Object.defineProperty(OriginalDate.prototype, 'constructor', {
    value: DateShim,
    writable: true,
    configurable: true,
  });
  g.Date = DateShim as unknown as DateConstructor;

  fixIntlNow(g.Intl.DateTimeFormat.prototype, hooks);

  Object.defineProperty(g.Math, 'random', {
    value: () => hooks.random(),
    writable: true,
    configurable: true,
  });

  Reflect.set(g, 'setTimeout', (callback: unknown, ms?: unknown, ...args: unknown[]) => {
    if (typeof callback !== 'function') {
      throw new TypeError('setTimeout in workflow code needs a function callback.');
    }
    const fn = callback as (...a: unknown[]) => unknown;
    // Node's coercion: a numeric string is its number; NaN, Infinity or no delay is 1 ms.
    const delay = Number(ms);
    return hooks.setTimeout(() => fn(...args), Number.isFinite(delay) ? delay : 0);
  });
  Reflect.set(g, 'clearTimeout', (id: unknown) => {
    if (typeof id === 'number') hooks.clearTimeout(id);
  });

  const write =
    (level: WorkflowLogEntry['level']) =>
    (...args: unknown[]): void => {
      hooks.log(level, args.map(formatLogArg).join(' '));
    };
  g.console = {
    log: write('info'),
    info: write('info'),
    debug: write('debug'),
    warn: write('warn'),
    error: write('error'),
  } as unknown as Console;

  // Temporal's sandbox has them (Node's); these are the sandbox's own, frozen with the rest.
  Reflect.set(g, 'TextEncoder', TextEncoder);
  Reflect.set(g, 'TextDecoder', TextDecoder);
  Reflect.set(g, 'AbortController', AbortController);
  Reflect.set(g, 'AbortSignal', AbortSignal);
  Reflect.set(g, 'atob', atob);
  Reflect.set(g, 'btoa', btoa);
  // What `import assert from 'assert'` gives workflow code (bundle.ts), as in Temporal.
  Reflect.set(g, 'assert', assert);
  // Made (and frozen) at their first use, by any run: a context whose workflows never use them
  // does not pay for them. The getters are frozen with the other globals.
  let urlClasses: UrlClasses | undefined;
  for (const name of ['URL', 'URLSearchParams'] as const) {
    Object.defineProperty(g, name, {
      get: () => (urlClasses ??= makeUrlClasses(hooks.urlBridge))[name],
      enumerable: false,
      configurable: false,
    });
  }

  // Their behaviour depends on garbage collection, which differs between replays.
  Reflect.deleteProperty(g, 'WeakRef');
  Reflect.deleteProperty(g, 'FinalizationRegistry');
}

/**
 * `Intl.DateTimeFormat`'s `format()` and `formatToParts()` given no date format the engine's own
 * clock, not `Date.now()`: they get the workflow task's time, as `new Date()` does.
 */
function fixIntlNow(proto: Intl.DateTimeFormat, hooks: OverrideHooks): void {
  const descriptor = Object.getOwnPropertyDescriptor(proto, 'format');
  const getFormat: unknown = descriptor === undefined ? undefined : Reflect.get(descriptor, 'get');
  const nativeParts: unknown = Reflect.get(proto, 'formatToParts');
  if (typeof getFormat !== 'function' || typeof nativeParts !== 'function') return;
  const orNow = (date: unknown): unknown => (date === undefined ? hooks.now() : date);
  // Each formatter gives the same function every time, as the built-in getter does.
  const formats = new WeakMap<object, (date?: Date | number) => string>();
  Object.defineProperty(proto, 'format', {
    get(this: Intl.DateTimeFormat): (date?: Date | number) => string {
      let format = formats.get(this);
      if (format === undefined) {
        const native: unknown = Reflect.apply(getFormat, this, []);
        format = (date) =>
          Reflect.apply(native as (d: unknown) => string, undefined, [orNow(date)]);
        formats.set(this, format);
      }
      return format;
    },
    enumerable: false,
    configurable: true,
  });
  Object.defineProperty(proto, 'formatToParts', {
    value: function formatToParts(this: Intl.DateTimeFormat, date?: Date | number): unknown {
      return Reflect.apply(nativeParts, this, [orNow(date)]);
    },
    writable: true,
    configurable: true,
  });
}

function formatLogArg(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  if (arg instanceof Error) return arg.stack ?? `${arg.name}: ${arg.message}`;
  try {
    const json: unknown = JSON.stringify(arg);
    return typeof json === 'string' ? json : String(arg);
  } catch {
    return String(arg);
  }
}

/**
 * Properties that ordinary code assigns on instances (`this.name = …` in an Error subclass,
 * `obj.toString = …`). Freezing their prototype would make such assignments throw (the
 * "override mistake"), so they become accessors that define an own property on the instance,
 * as SES does.
 */
const OVERRIDABLE: Readonly<Record<string, readonly string[]>> = {
  Object: [
    'constructor',
    'toString',
    'toLocaleString',
    'valueOf',
    'hasOwnProperty',
    'isPrototypeOf',
    'propertyIsEnumerable',
  ],
  Function: ['constructor', 'toString', 'call', 'apply', 'bind'],
  Error: ['constructor', 'name', 'message', 'toString'],
  EvalError: ['constructor', 'name', 'message'],
  RangeError: ['constructor', 'name', 'message'],
  ReferenceError: ['constructor', 'name', 'message'],
  SyntaxError: ['constructor', 'name', 'message'],
  TypeError: ['constructor', 'name', 'message'],
  URIError: ['constructor', 'name', 'message'],
  AggregateError: ['constructor', 'name', 'message'],
  Array: ['constructor', 'toString', 'push', 'join'],
  Promise: ['constructor', 'then', 'catch', 'finally'],
  Date: ['constructor', 'toString', 'toJSON', 'valueOf'],
  RegExp: ['constructor', 'toString', 'exec'],
  Map: ['constructor'],
  Set: ['constructor'],
};

function enableOverride(proto: object, property: string): void {
  const desc = Object.getOwnPropertyDescriptor(proto, property);
  if (desc === undefined || !('value' in desc) || desc.configurable !== true) return;
  const value: unknown = desc.value;
  Object.defineProperty(proto, property, {
    get(): unknown {
      return value;
    },
    set(this: object, newValue: unknown): void {
      if (this === proto) {
        throw new TypeError(
          `Cannot assign to read only property '${property}' of a frozen built-in: ` +
            'built-ins are shared by every workflow run in the sandbox.',
        );
      }
      if (Object.prototype.hasOwnProperty.call(this, property)) {
        (this as Record<string, unknown>)[property] = newValue;
      } else {
        Object.defineProperty(this, property, {
          value: newValue,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      }
    },
    enumerable: desc.enumerable ?? false,
    configurable: false,
  });
}

/**
 * Deep-freezes every built-in reachable from the global object (and `extraRoots`), and makes
 * the global object's own properties read-only. The global object itself cannot be frozen in a
 * node:vm context; properties that a run adds to it are swapped per run by the host.
 */
export function hardenGlobals(g: Global, skip: ReadonlySet<string>, extraRoots: unknown[]): void {
  for (const [name, properties] of Object.entries(OVERRIDABLE)) {
    const ctor = g[name] as { prototype?: object } | undefined;
    const proto = ctor?.prototype;
    if (proto === undefined) continue;
    for (const property of properties) enableOverride(proto, property);
  }
  const defineProperty = Object.defineProperty; // before guardGlobalObject replaces it
  guardGlobalObject(g);
  const seen = new Set<unknown>([g]);
  // The global object's own prototype (node:vm's global template) is shared by every run too.
  const pending: unknown[] = [...extraRoots, ...hiddenIntrinsics(), Object.getPrototypeOf(g)];
  const names = Object.getOwnPropertyNames(g).filter((n) => !skip.has(n));
  for (const name of names) {
    // A global's value, or its getter and setter (URL's, in installGlobalOverrides).
    pending.push(...(Object.values(Object.getOwnPropertyDescriptor(g, name) ?? {}) as unknown[]));
  }
  while (pending.length > 0) {
    const value = pending.pop();
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) continue;
    if (seen.has(value)) continue;
    seen.add(value);
    Object.freeze(value);
    pending.push(Object.getPrototypeOf(value));
    for (const key of Reflect.ownKeys(value)) {
      const desc = Reflect.getOwnPropertyDescriptor(value, key);
      if (desc === undefined) continue;
      if ('value' in desc) pending.push(desc.value);
      if (desc.get !== undefined) pending.push(desc.get);
      if (desc.set !== undefined) pending.push(desc.set);
    }
  }
  for (const name of names) {
    const desc = Object.getOwnPropertyDescriptor(g, name);
    if (desc === undefined || desc.configurable !== true || !('value' in desc)) continue;
    // A full descriptor: node:vm's global interceptor copies `value` from it.
    defineProperty(g, name, {
      value: desc.value,
      writable: false,
      enumerable: desc.enumerable ?? false,
      configurable: false,
    });
  }
}

/**
 * The built-ins that no global property leads to, only instances: the iterator prototypes (of
 * arrays, strings, maps, sets, regexp matches, segments, iterator helpers), and the generator,
 * async function and async generator function constructors with their prototypes. Patching
 * one (`Object.getPrototypeOf([].values()).next = …`) would change every run's `for…of`.
 */
function hiddenIntrinsics(): unknown[] {
  const protoOf = (value: unknown): unknown => Object.getPrototypeOf(value);
  const roots: unknown[] = [
    protoOf([][Symbol.iterator]()),
    protoOf(''[Symbol.iterator]()),
    protoOf(new Map()[Symbol.iterator]()),
    protoOf(new Set()[Symbol.iterator]()),
    protoOf(/./g[Symbol.matchAll]('')),
    protoOf(function* () {}),
    protoOf(async function () {}),
    protoOf(async function* () {}),
  ];
  if (typeof Intl.Segmenter === 'function') {
    const segments = new Intl.Segmenter().segment('');
    roots.push(protoOf(segments), protoOf(segments[Symbol.iterator]()));
  }
  const iterator = [].values() as Iterator<never> & { map?: (fn: () => unknown) => unknown };
  if (typeof iterator.map === 'function') roots.push(protoOf(iterator.map(() => 0)));
  const IteratorCtor = (globalThis as { Iterator?: { from?: (it: object) => unknown } }).Iterator;
  if (typeof IteratorCtor?.from === 'function') {
    roots.push(protoOf(IteratorCtor.from({ next: () => ({ done: true, value: undefined }) })));
  }
  return roots;
}

/**
 * The global object cannot be frozen (ADR 0003), and the host takes each run's added globals
 * away before another run is called. So what it could not take away is prevented: a global
 * defined non-configurable is defined configurable (Object.defineProperty's default would
 * otherwise make it stick to the context), and replacing the global object's prototype or
 * making it non-extensible throws.
 */
function guardGlobalObject(g: Global): void {
  const original = {
    defineProperty: Object.defineProperty,
    defineProperties: Object.defineProperties,
    reflectDefineProperty: Reflect.defineProperty,
  };
  const onGlobal = (desc: PropertyDescriptor): PropertyDescriptor => ({
    ...desc,
    configurable: true,
  });
  const refuse = (what: string): never => {
    throw new TypeError(
      `Workflow code tried to ${what} the global object, which every workflow run in the ` +
        'sandbox shares: keep state in module-level variables instead.',
    );
  };
  const replace = (target: object, name: string, value: unknown): void => {
    original.defineProperty(target, name, { value, writable: true, configurable: true });
  };
  replace(Object, 'defineProperty', function defineProperty<
    T,
  >(o: T, key: PropertyKey, desc: PropertyDescriptor & ThisType<unknown>): T {
    return original.defineProperty(o, key, o === g ? onGlobal(desc) : desc);
  });
  replace(Object, 'defineProperties', function defineProperties<
    T,
  >(o: T, descs: PropertyDescriptorMap & ThisType<unknown>): T {
    if (o !== g) return original.defineProperties(o, descs);
    for (const key of Reflect.ownKeys(descs)) {
      const desc = (descs as Record<PropertyKey, PropertyDescriptor>)[key];
      if (desc !== undefined) original.defineProperty(o, key, onGlobal(desc));
    }
    return o;
  });
  replace(
    Reflect,
    'defineProperty',
    function defineProperty(o: object, key: PropertyKey, desc: PropertyDescriptor): boolean {
      return original.reflectDefineProperty(o, key, o === g ? onGlobal(desc) : desc);
    },
  );
  const refusals = [
    [Object, 'setPrototypeOf', 'replace the prototype of'],
    [Reflect, 'setPrototypeOf', 'replace the prototype of'],
    [Object, 'preventExtensions', 'make non-extensible'],
    [Reflect, 'preventExtensions', 'make non-extensible'],
    [Object, 'seal', 'seal'],
    [Object, 'freeze', 'freeze'],
  ] as const;
  for (const [target, name, what] of refusals) {
    const fn = Reflect.get(target, name) as (o: unknown, ...rest: unknown[]) => unknown;
    const guarded = {
      [name](o: unknown, ...rest: unknown[]): unknown {
        if (o === g) refuse(what);
        return fn.call(target, o, ...rest);
      },
    }[name];
    replace(target, name, guarded);
  }
  const proto = Object.getOwnPropertyDescriptor(Object.prototype, '__proto__');
  const setProto: unknown = proto === undefined ? undefined : Reflect.get(proto, 'set');
  if (proto !== undefined && typeof setProto === 'function') {
    original.defineProperty(Object.prototype, '__proto__', {
      ...proto,
      set(this: unknown, value: unknown): void {
        if (this === g) refuse('replace the prototype of');
        Reflect.apply(setProto, this, [value]);
      },
    });
  }
}
