// Node's async-id stack after a watchdog interrupt. A timeout that interrupts a microtask leaves
// the ids it pushed on the stack, and node aborts at the next callback boundary ("async hook
// stack has become corrupted", nodejs/node#38503). Popping them needs node's async_wrap binding.
import { executionAsyncId } from 'node:async_hooks';

interface AsyncWrapBinding {
  popAsyncContext(asyncId: number): boolean;
}

let asyncWrap: AsyncWrapBinding | undefined;

/** Pops what interrupted code pushed, until the current async id is `expected` again. */
export function repairAsyncIdStack(expected: number): void {
  if (executionAsyncId() === expected) return;
  asyncWrap ??= withDeprecationsMuted(
    () =>
      (process as unknown as { binding(name: string): unknown }).binding(
        'async_wrap',
      ) as AsyncWrapBinding,
  );
  for (let i = 0; i < 100_000 && executionAsyncId() !== expected; i++) {
    if (!asyncWrap.popAsyncContext(executionAsyncId())) break;
  }
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
