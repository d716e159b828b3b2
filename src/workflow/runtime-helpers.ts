// Sandbox-safe helpers of the Activator.
import type { CancellationScope } from './cancellation-scope.ts';

/** The names of the functions a workflows module exports: its workflow types. */
export function workflowTypeNames(exports: Record<string, unknown>): string[] {
  return Object.keys(exports)
    .filter((name) => typeof exports[name] === 'function')
    .sort();
}

export function rejectedBy(scope: CancellationScope): Promise<never> {
  return new Promise<never>((_, reject) => {
    scope.cancelRequested.catch(reject);
  });
}

export function captureStack(): string {
  return new Error('captured').stack?.split('\n').slice(1).join('\n') ?? '';
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

export function assertNever(value: never): never {
  throw new TypeError(`Unexpected value ${String(value)}`);
}
