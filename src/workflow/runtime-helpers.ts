// Sandbox-safe helpers of the Activator.
import { onCancelRequested } from './cancellation-scope.ts';
import type { CancellationScope } from './cancellation-scope.ts';

/** The names of the functions a workflows module exports: its workflow types. */
export function workflowTypeNames(exports: Record<string, unknown>): string[] {
  return Object.keys(exports)
    .filter((name) => typeof exports[name] === 'function')
    .sort();
}

export function rejectedBy(scope: CancellationScope): Promise<never> {
  return new Promise<never>((_, reject) => {
    onCancelRequested(scope, reject);
  });
}

/**
 * Where workflow code started a durable operation, for the `__stack_trace` query: the frames are
 * captured at once and formatted only when asked. Formatting them (source-mapped) at every call
 * cost a replay more than everything else its activations did.
 */
export interface CapturedStack {
  toString(): string;
}

/** For an operation that settles within the replay that issued it: no one can ask for it. */
export const UNCAPTURED_STACK: CapturedStack = {
  toString: () => '    (not captured: its outcome was in the replayed history)',
};

/**
 * The arguments of a durable call as they are at the call (Temporal converts them there):
 * changes the workflow makes to its objects afterwards, before the activation ends, do not reach
 * the command. A copy through JSON, as the arguments will cross to the worker anyway.
 */
export function argsAtCall(args: readonly unknown[]): unknown[] {
  return JSON.parse(JSON.stringify(args)) as unknown[];
}

export function captureStack(): CapturedStack {
  const error = new Error('captured');
  return { toString: () => error.stack?.split('\n').slice(1).join('\n') ?? '' };
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

/** The sequence numbers of one kind of command (timers, activities, …): 1, 2, 3, … per run. */
export class CommandSeqs {
  #last = 0;

  /** Takes the next number. */
  take(): number {
    return ++this.#last;
  }

  /** The number {@link take} would give now. */
  peek(): number {
    return this.#last + 1;
  }
}
