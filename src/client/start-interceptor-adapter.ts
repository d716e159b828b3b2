// Temporal's client calls `startWithDetails` for a start; an interceptor written for older SDKs
// implements only `start`, which resolves with the bare run id. Adapting each such interceptor
// once keeps both kinds in one chain, in the order they were listed.
import type { WorkflowClientInterceptor, WorkflowStartOutput } from './interceptors.ts';

/**
 * `interceptor` with a `startWithDetails` that runs its `start`, if it has `start` and no
 * `startWithDetails`; else `interceptor` itself. The adapted method resolves with the run id its
 * `start` gave, and `eagerlyStarted` as the rest of the chain reported it (false if `start` never
 * called `next`).
 */
export function adaptStartInterceptor(
  interceptor: WorkflowClientInterceptor,
): WorkflowClientInterceptor {
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- adapting the deprecated method
  const start = interceptor.start;
  if (interceptor.startWithDetails !== undefined || start === undefined) return interceptor;
  return {
    ...interceptor,
    startWithDetails: async (input, next): Promise<WorkflowStartOutput> => {
      let inner: WorkflowStartOutput | undefined;
      const runId = await start.call(interceptor, input, async (i) => {
        inner = await next(i);
        return inner.runId;
      });
      return { runId, eagerlyStarted: inner?.eagerlyStarted ?? false };
    },
  };
}
