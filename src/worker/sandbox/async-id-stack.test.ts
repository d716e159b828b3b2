import assert from 'node:assert/strict';
import { createHook, executionAsyncId } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import vm from 'node:vm';
import { promiseHooksInstalled, withDeprecationsMuted } from './async-id-stack.ts';
import { nativeMutePromiseHooks, nativeWatchedCall } from './native-watchdog.ts';

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
    withDeprecationsMuted(() => {
      try {
        (process as unknown as { binding(name: string): unknown }).binding('async_wrap');
      } catch {
        // Node 24 no longer gives it: nothing to warn about either.
      }
    });
    // Node emits warnings on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(deprecations, []);
});

test('a context whose promise hooks are muted leaves no async id behind when a microtask is interrupted', async () => {
  const run = nativeWatchedCall();
  const mute = nativeMutePromiseHooks();
  assert.ok(run && mute, 'npm install builds the native addon');
  // node:test enables an async hook of its own; one more makes sure node's promise hooks are on.
  const hook = createHook({ init() {}, before() {}, after() {} }).enable();
  try {
    assert.equal(promiseHooksInstalled(), true);
    const context = vm.createContext({}, { microtaskMode: 'afterEvaluate' });
    vm.runInContext('globalThis.spin = async () => { await null; for (;;); }', context);
    mute(vm.runInContext('(function () {})', context) as () => void);
    const before = executionAsyncId();
    assert.throws(
      () => run(() => vm.runInContext('spin()', context) as unknown, 50),
      (e: unknown) => (e as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT',
    );
    // Unmuted, the interrupted reaction's id would be left on top (and node would abort).
    assert.equal(executionAsyncId(), before);
    // The host's own promises are still tracked: a reaction runs under an id of its own.
    const inReaction = await Promise.resolve().then(() => executionAsyncId());
    assert.notEqual(inReaction, before);
  } finally {
    hook.disable();
  }
});

test('node installs its promise hooks only while an async hook is enabled', () => {
  const probe =
    "const { promiseHooksInstalled } = await import('./src/worker/sandbox/async-id-stack.ts');" +
    "const { createHook } = await import('node:async_hooks');" +
    'const off = promiseHooksInstalled();' +
    'createHook({ init() {}, destroy() {} }).enable();' +
    'console.log(JSON.stringify([off, promiseHooksInstalled()]));';
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', probe],
    { encoding: 'utf8', cwd: new URL('../../..', import.meta.url).pathname },
  );
  assert.deepEqual(JSON.parse(out), [false, true]);
});
