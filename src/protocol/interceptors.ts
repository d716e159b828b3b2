// Sandbox-safe: what activity and workflow interceptors share (Temporal's `@temporalio/common`
// `Headers`, `Next` and `composeInterceptors`).

export type { Headers } from './headers.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function, as in Temporal
type AnyFunction = (...args: any[]) => unknown;
type OmitLast<T> = T extends [...infer Rest, unknown] ? Rest : never;

/** Temporal's `Next`: the rest of the chain for one method of interceptor type `I`. */
export type Next<I, M extends keyof I> = Required<I>[M] extends AnyFunction
  ? (...args: OmitLast<Parameters<Required<I>[M]>>) => ReturnType<Required<I>[M]>
  : never;

/**
 * Chains the `method` of each interceptor around `next`: the first interceptor in the list is
 * outermost, and each is called as a method of its interceptor (so `this` works). Interceptors
 * without the method are skipped; with none, `next` itself is returned. Temporal's
 * `composeInterceptors`.
 */
export function composeInterceptors<I, M extends keyof I>(
  interceptors: readonly I[],
  method: M,
  next: Next<I, M>,
): Next<I, M> {
  let chain = next;
  for (let i = interceptors.length - 1; i >= 0; i--) {
    const interceptor = interceptors[i];
    const fn = interceptor?.[method];
    if (typeof fn !== 'function') continue;
    const inner = chain;
    const link = (input: unknown): unknown =>
      (fn as (input: unknown, next: unknown) => unknown).call(interceptor, input, inner);
    chain = link as unknown as Next<I, M>;
  }
  return chain;
}

/**
 * The `Symbol.for` key under which the bundle's entry hands the workflow runtime the
 * `interceptors` factories of `interceptors.workflowModules`, on the workflows module's exports.
 */
export const WORKFLOW_INTERCEPTORS_KEY = 'reprise.workflowInterceptorFactories';
