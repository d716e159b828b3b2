// Node's async-id stack after a watchdog interrupt. While an async hook is enabled (an APM tool,
// node:test), node's promise hooks push a promise's async id as each of its reactions runs, and
// pop it after. A timeout that interrupts a microtask leaves the ids it pushed on the stack, and
// node aborts the process at the next callback boundary ("async hook stack has become
// corrupted", nodejs/node#38503). Up to node 22, node's async_wrap binding pops them after the
// interrupt. Node 24 no longer gives JavaScript that binding; there, with AsyncLocalStorage built
// on AsyncContextFrame (its default), the sandbox's context can do without node's promise hooks,
// and the native addon mutes them there before each watched call, so that nothing is pushed.
import { AsyncLocalStorage, executionAsyncId } from 'node:async_hooks';

interface AsyncWrapBinding {
  popAsyncContext(asyncId: number): boolean;
}

let asyncWrap: AsyncWrapBinding | null | undefined;

/** Node's async_wrap binding, or null where node no longer gives it (24 and later). */
function asyncWrapBinding(): AsyncWrapBinding | null {
  if (asyncWrap !== undefined) return asyncWrap;
  try {
    asyncWrap = withDeprecationsMuted(
      () =>
        (process as unknown as { binding(name: string): unknown }).binding(
          'async_wrap',
        ) as AsyncWrapBinding,
    );
  } catch {
    asyncWrap = null;
  }
  return asyncWrap;
}

/**
 * Pops what interrupted code pushed, until the current async id is `expected` again. False when
 * something was left that this node gives no way to pop: the process will abort at the end of
 * the current callback (see the top of this file).
 */
export function repairAsyncIdStack(expected: number): boolean {
  if (executionAsyncId() === expected) return true;
  const binding = asyncWrapBinding();
  if (binding === null) return false;
  for (let i = 0; i < 100_000 && executionAsyncId() !== expected; i++) {
    if (!binding.popAsyncContext(executionAsyncId())) break;
  }
  return executionAsyncId() === expected;
}

/** Replaces node's promise hooks in the context `noop` was created in (native/watchdog). */
export type MutePromiseHooks = (noop: () => void) => void;

/**
 * What a sandbox runs before each watched call so that an interrupt leaves nothing to pop, or
 * undefined where nothing is needed or nothing can be done:
 * - AsyncLocalStorage runs on promise hooks (up to 22, or node 24 with
 *   --no-async-context-frame): muting them would lose the workflow's cancellation scopes;
 * - node gives the async_wrap binding (up to 22): repairAsyncIdStack pops what is left;
 * - `mute()` is undefined: the native addon is not built (it is asked only past the checks
 *   above, so that a worker thread loads it only where it is needed).
 * The function it returns mutes the context's hooks only while node has any installed (a fresh
 * promise carries node's async id then): setting a hook where node has none would slow every
 * promise of the process.
 */
export function promiseHookGuard(
  mute: () => MutePromiseHooks | undefined,
  contextNoop: () => () => void,
): (() => void) | undefined {
  if (storageUsesPromiseHooks() || asyncWrapBinding() !== null) return undefined;
  const muteHooks = mute();
  if (muteHooks === undefined) return undefined;
  const noop = contextNoop();
  return () => {
    if (promiseHooksInstalled()) muteHooks(noop);
  };
}

/** Whether AsyncLocalStorage is the one built on async hooks (its prototype has `_propagate`). */
export function storageUsesPromiseHooks(): boolean {
  return '_propagate' in AsyncLocalStorage.prototype;
}

/** Whether node's promise hooks are installed: its init hook gives each promise an async id. */
export function promiseHooksInstalled(): boolean {
  for (const symbol of Object.getOwnPropertySymbols(Promise.resolve())) {
    if (symbol.description === 'async_id_symbol') return true;
  }
  return false;
}

/**
 * Runs `fn` (synchronous) with node's deprecation warnings off, and leaves
 * `process.noDeprecation` exactly as it was. Taking the binding warns (DEP0111) on every call,
 * which would tell the user nothing they can act on, and `--throw-deprecation` would turn that
 * into a throw in the middle of the repair. Where warnings are off already (`--no-deprecation`
 * makes the property read-only), `fn` simply runs.
 */
export function withDeprecationsMuted<T>(fn: () => T): T {
  const before = Object.getOwnPropertyDescriptor(process, 'noDeprecation');
  const settable = before === undefined || before.writable === true;
  if (!settable || Boolean(process.noDeprecation)) return fn();
  process.noDeprecation = true;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.noDeprecation;
    else Object.defineProperty(process, 'noDeprecation', before);
  }
}
