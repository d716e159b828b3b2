import {
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  setHandler,
  sleep,
  workflowInfo,
} from 'reprise/workflow';
import nodeAssert, { deepStrictEqual } from 'node:assert';
import strictAssert from 'assert/strict';
import { TextEncoder as UtilTextEncoder } from 'util';

let counter = 0;

/** Touches module state, globals and a built-in prototype, then reports what it sees. */
export async function isolated(): Promise<Record<string, unknown>> {
  counter++;
  const g = globalThis as unknown as Record<string, unknown>;
  const seenBefore = g['leaked'];
  g['leaked'] = workflowInfo().runId;
  let protoWrite = 'ignored';
  try {
    (Array.prototype as unknown as Record<string, unknown>)['polluted'] = workflowInfo().runId;
  } catch (e) {
    protoWrite = (e as Error).name;
  }
  await sleep(10);
  return {
    counter,
    seenBefore: seenBefore ?? null,
    leakedNow: g['leaked'] ?? null,
    polluted: ([] as unknown as Record<string, unknown>)['polluted'] ?? null,
    protoWrite,
    weakRef: typeof g['WeakRef'],
    finalizationRegistry: typeof g['FinalizationRegistry'],
  };
}

/**
 * Adds one global only, symbol-keyed (kept on the context's global, not on its context object),
 * or defined rather than assigned: each is kept apart from other runs on its own.
 */
export async function isolatedGlobal(kind: 'symbol' | 'defined'): Promise<{
  seenBefore: unknown;
  seenNow: unknown;
}> {
  const symbols = globalThis as unknown as Record<symbol, unknown>;
  const key = Symbol.for('reprise.test.leaked');
  const read = (): unknown =>
    kind === 'symbol'
      ? symbols[key]
      : (globalThis as unknown as Record<string, unknown>)['definedLeak'];
  const seenBefore = read() ?? null;
  if (kind === 'symbol') symbols[key] = workflowInfo().runId;
  else {
    Object.defineProperty(globalThis, 'definedLeak', {
      value: workflowInfo().runId,
      configurable: true,
      enumerable: false,
    });
  }
  await sleep(10);
  return { seenBefore, seenNow: read() ?? null };
}

/** Never yields after its first timer. */
export async function spinner(): Promise<number> {
  await sleep(1);
  for (;;) counter++;
}

/** After its first timer, chains promises forever: a loop of microtasks, never a macrotask. */
export async function microtaskSpinner(): Promise<number> {
  await sleep(10);
  const spin = (): Promise<void> => Promise.resolve().then(spin);
  await spin();
  return counter;
}

/** After its first timer, blocks its thread for `ms` (longer than a short deadlock timeout). */
export async function blockedFor(ms: number): Promise<number> {
  await sleep(10);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return ms;
}

export const spinQuery = defineQuery<string>('spin');

/** Sleeps twice; its `spin` query handler never returns. */
export async function spinningQuery(): Promise<string> {
  setHandler(spinQuery, () => {
    for (;;) counter++;
  });
  await sleep(1);
  await sleep(2);
  return 'done';
}

export const spinInScope = defineSignal('spinInScope');

/** Its `spinInScope` signal handler never yields, inside a cancellable scope. */
export async function scopeSpinner(): Promise<void> {
  setHandler(spinInScope, () => {
    void CancellationScope.cancellable(() => {
      for (;;) counter++;
    });
  });
  await sleep(100_000);
}

export const probe = defineSignal('probe');

/** Returns which scope its `probe` signal handler ran in. */
export async function scopeProbe(): Promise<string> {
  let seen: string | undefined;
  const root = CancellationScope.current();
  setHandler(probe, () => {
    const scope = CancellationScope.current();
    seen = scope === root ? 'root' : `a cancellable=${String(scope.cancellable)} scope`;
  });
  await condition(() => seen !== undefined);
  return seen ?? '';
}

type Bag = Record<PropertyKey, unknown>;
const protoOf = (value: unknown): Bag => Object.getPrototypeOf(value) as Bag;
/** The prototype of async functions, %AsyncFunction.prototype%. */
const asyncFunctionPrototype = (): Bag => protoOf(async function () {});

/** Ways a run could try to change what other runs see, beyond the globals' own properties. */
const PATCHES: Record<string, () => void> = {
  arrayIteratorNext: () => {
    protoOf([][Symbol.iterator]())['next'] = () => ({ done: true, value: undefined });
  },
  iteratorPrototype: () => {
    protoOf(protoOf([][Symbol.iterator]()))['leaked'] = 'patched';
  },
  generatorPrototype: () => {
    protoOf(protoOf((function* () {})()))['leaked'] = 'patched';
  },
  asyncFunctionPrototype: () => {
    asyncFunctionPrototype()['leaked'] = 'patched';
  },
  nonConfigurableGlobal: () => {
    Object.defineProperty(globalThis, 'stuck', { value: 'patched', enumerable: true });
  },
  globalPrototype: () => {
    Object.setPrototypeOf(globalThis, { leaked: 'patched' });
  },
  globalProtoAccessor: () => {
    (globalThis as unknown as Bag)['__proto__'] = { leaked: 'patched' };
  },
  hostObjectPrototype: () => {
    ((globalThis as unknown as Bag)['constructor'] as { prototype: Bag }).prototype['leaked'] =
      'patched';
  },
  globalPreventExtensions: () => {
    Object.preventExtensions(globalThis);
  },
};

/** What a run sees of the patches above: nothing, if they were kept from it. */
function seenPatches(): Record<string, unknown> {
  const g = globalThis as unknown as Bag;
  return {
    forOf: [...[1, 2, 3]].length,
    iterator: protoOf(protoOf([][Symbol.iterator]()))['leaked'] ?? null,
    generator: ((function* () {})() as unknown as Bag)['leaked'] ?? null,
    asyncFunction: asyncFunctionPrototype()['leaked'] ?? null,
    stuck: g['stuck'] ?? null,
    globalLeaked: g['leaked'] ?? null,
    extensible: Object.isExtensible(globalThis),
  };
}

/** Tries one of PATCHES, sleeps, and reports how the attempt went and what it sees. */
export async function patcher(kind: string): Promise<Record<string, unknown>> {
  let outcome = 'no error';
  try {
    PATCHES[kind]?.();
  } catch (e) {
    outcome = `${(e as Error).name}: ${(e as Error).message}`;
  }
  await sleep(10);
  return { outcome, ...seenPatches() };
}

/** Sleeps, then reports what it sees of other runs' patches. */
export async function patchLooker(): Promise<Record<string, unknown>> {
  await sleep(10);
  return seenPatches();
}

/**
 * Uses `TextEncoder` and `TextDecoder`, which Temporal's sandbox gives workflow code, and tries
 * to change the encoder every run shares.
 */
export async function textCoding(text: string): Promise<Record<string, unknown>> {
  const bytes = new TextEncoder().encode(text);
  const decoder = new TextDecoder();
  const streamed =
    decoder.decode(bytes.subarray(0, 1), { stream: true }) + decoder.decode(bytes.subarray(1));
  let patch = 'ignored';
  try {
    (TextEncoder.prototype as unknown as Record<string, unknown>)['encode'] = () => 'patched';
  } catch (e) {
    patch = (e as Error).name;
  }
  return Promise.resolve({
    bytes: Array.from(bytes),
    roundTrip: new TextDecoder('utf-8').decode(bytes),
    streamed,
    patch,
    stillEncodes: Array.from(new TextEncoder().encode('é')),
  });
}

/** `atob`, `btoa`, and `util`'s TextEncoder, as Temporal's sandbox gives them. */
export async function base64(text: string): Promise<Record<string, unknown>> {
  const encoded = btoa(text);
  let invalid = 'none';
  try {
    atob('*');
  } catch (e) {
    invalid = (e as Error).name;
  }
  return Promise.resolve({
    encoded,
    decoded: atob(encoded),
    invalid,
    utilEncoder: new UtilTextEncoder().encode('é').length,
  });
}

/** `Intl.DateTimeFormat` given no date, which formats the current time. */
export async function intlNow(): Promise<Record<string, unknown>> {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: 'UTC',
    dateStyle: 'short',
    timeStyle: 'medium',
  });
  return Promise.resolve({
    format: format.format(),
    sameFunction: format.format === format.format,
    parts: format
      .formatToParts()
      .map((p) => p.value)
      .join('')
      .replace(/\s/gu, ' '), // ICU may put a narrow no-break space before AM
    withDate: format.format(0),
  });
}

/**
 * Uses `AbortController` and `AbortSignal`, which Temporal's sandbox gives workflow code, and
 * tries to change the controller every run shares.
 */
export async function abortController(): Promise<Record<string, unknown>> {
  const controller = new AbortController();
  const seen: string[] = [];
  controller.signal.addEventListener('abort', () => {
    seen.push(`abort: ${String(controller.signal.reason)}`);
  });
  const any = AbortSignal.any([controller.signal]);
  controller.abort('stop');
  let patch = 'ignored';
  try {
    (AbortController.prototype as unknown as Record<string, unknown>)['abort'] = () => 'patched';
  } catch (e) {
    patch = (e as Error).name;
  }
  const again = new AbortController();
  again.abort();
  return Promise.resolve({
    seen,
    aborted: controller.signal.aborted,
    anyReason: any.reason as unknown,
    ownRealm: Object.getPrototypeOf(AbortSignal.prototype) === Object.prototype,
    patch,
    stillAborts: again.signal.aborted,
  });
}

/**
 * Uses `assert`, imported as Temporal's sandbox maps it (and as a global, as Temporal's sandbox
 * has it), and tries to change the assert every run shares.
 */
export async function importedAssert(): Promise<Record<string, unknown>> {
  let failed = '';
  try {
    nodeAssert.strictEqual(1, 2, 'one is not two');
  } catch (e) {
    const error = e as Error & { code?: string };
    failed = `${error.name} ${String(error.code)} ${error.message} ${String(e instanceof Error)}`;
  }
  deepStrictEqual({ a: [1, new Map([[1, 'x']])] }, { a: [1, new Map([[1, 'x']])] });
  let patch = 'ignored';
  try {
    (nodeAssert as unknown as Record<string, unknown>)['ok'] = () => 'patched';
  } catch (e) {
    patch = (e as Error).name;
  }
  let stillFails = false;
  try {
    nodeAssert.ok(false);
  } catch {
    stillFails = true;
  }
  return Promise.resolve({
    failed,
    sameAssert:
      nodeAssert === (globalThis as Record<string, unknown>)['assert'] &&
      strictAssert === nodeAssert.strict,
    ownRealm: Object.getPrototypeOf(nodeAssert.AssertionError.prototype) === Error.prototype,
    patch,
    stillFails,
  });
}

/**
 * Uses `URL` and `URLSearchParams`, which Temporal's sandbox gives workflow code; checks that all
 * they lead to is of the sandbox's realm (a host function's constructor is the host's Function),
 * and tries to change them for other runs.
 */
export async function urls(input: string): Promise<Record<string, unknown>> {
  const classes = [URL, URLSearchParams];
  const url = new URL(input);
  url.searchParams.append('q', 'a b');
  url.hash = 'top';
  let invalid: unknown;
  try {
    new URL('not a url');
  } catch (e) {
    invalid = e;
  }
  const error = invalid as TypeError & { code?: string; input?: string };
  const iterator = url.searchParams.keys();
  const own = (target: object, key: PropertyKey, kind = 'value'): unknown =>
    Reflect.get(Object.getOwnPropertyDescriptor(target, key) ?? {}, kind);
  const globalGetter = own(globalThis, 'URL', 'get');
  const functions = [URL, URLSearchParams, own(URL, 'canParse'), own(URL.prototype, 'href', 'get')];
  functions.push(own(URL.prototype, 'href', 'set'), globalGetter, Reflect.get(iterator, 'next'));
  functions.push(own(URLSearchParams.prototype, 'append'), error.constructor);
  const attempts: string[] = [];
  const attempt = (change: () => void): void => {
    try {
      change();
      attempts.push('ignored');
    } catch (e) {
      attempts.push((e as Error).name);
    }
  };
  const loose = (target: object): Record<string, unknown> =>
    target as unknown as Record<string, unknown>;
  attempt(() => {
    loose(URL.prototype)['toString'] = () => 'patched';
  });
  attempt(() => {
    loose(URLSearchParams.prototype)['get'] = () => 'patched';
  });
  attempt(() => {
    loose(globalThis)['URL'] = () => 'patched';
  });
  attempt(() => {
    loose(globalGetter as object)['shared'] = true;
  });
  attempt(() => {
    Object.defineProperty(globalThis, 'URLSearchParams', { value: 'patched' });
  });
  return Promise.resolve({
    href: url.href,
    origin: url.origin,
    search: url.search,
    params: [...url.searchParams],
    invalid: `${error.name} ${String(error.code)} ${String(error.input)}`,
    instances: [
      url instanceof URL,
      url.searchParams instanceof URLSearchParams,
      invalid instanceof TypeError,
      URL.parse('/x', url.href) instanceof URL,
    ],
    ownRealm: [
      functions.every((f) => typeof f === 'function' && f.constructor === Function),
      Object.getPrototypeOf(URL.prototype) === Object.prototype,
      Object.getPrototypeOf(Object.getPrototypeOf(iterator)) ===
        Object.getPrototypeOf(Object.getPrototypeOf([].values())),
      Object.getPrototypeOf(error) === TypeError.prototype,
    ],
    attempts,
    same: classes[0] === URL && classes[1] === URLSearchParams,
    stillWorks: `${String(new URL('https://a.example/?b=1'))} ${String(new URLSearchParams({ c: '2' }).get('c'))}`,
  });
}
