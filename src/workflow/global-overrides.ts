// Sandbox-safe: makes the sandbox's globals deterministic (Date, Math.random, setTimeout,
// console; no WeakRef/FinalizationRegistry), then hardens the built-ins so that one run cannot
// change what another run in the same context sees.
import type { WorkflowLogEntry } from '../protocol/activation.ts';

/** What the overrides ask of the current run. */
export interface OverrideHooks {
  now(): number;
  random(): number;
  setTimeout(callback: () => void, ms: number): number;
  clearTimeout(id: number): void;
  log(level: WorkflowLogEntry['level'], message: string): void;
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
    return hooks.setTimeout(() => fn(...args), typeof ms === 'number' ? ms : 0);
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

  // Their behaviour depends on garbage collection, which differs between replays.
  Reflect.deleteProperty(g, 'WeakRef');
  Reflect.deleteProperty(g, 'FinalizationRegistry');
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
  const seen = new Set<unknown>([g]);
  const pending: unknown[] = [...extraRoots];
  const names = Object.getOwnPropertyNames(g).filter((n) => !skip.has(n));
  for (const name of names) pending.push(Object.getOwnPropertyDescriptor(g, name)?.value);
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
    Object.defineProperty(g, name, {
      value: desc.value,
      writable: false,
      enumerable: desc.enumerable ?? false,
      configurable: false,
    });
  }
}
