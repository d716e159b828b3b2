// Temporal's worker interceptors, activity side: factories called once per activity attempt with
// its Context, whose inbound `execute` wraps the activity function (logging, tracing, metrics).
import type { Context } from '../activity/context.ts';
import { InvalidArgumentError } from '../errors.ts';

/** Temporal's `Headers`: none are propagated yet, so always empty. */
export type Headers = Record<string, unknown>;

/** Temporal's `ActivityExecuteInput`. */
export interface ActivityExecuteInput {
  readonly args: unknown[];
  readonly headers: Headers;
}

/** Temporal's `Next`: the rest of the chain for one method. */
export type Next<I, M extends keyof I> =
  Exclude<I[M], undefined> extends (input: infer In, next: never) => infer Out
    ? (input: In) => Out
    : never;

/** Temporal's `ActivityInboundCallsInterceptor`. */
export interface ActivityInboundCallsInterceptor {
  /** Wraps the activity function; call `next(input)` to run it (or the next interceptor). */
  execute?: (
    input: ActivityExecuteInput,
    next: (input: ActivityExecuteInput) => Promise<unknown>,
  ) => Promise<unknown>;
}

/** Temporal's `ActivityOutboundCallsInterceptor`: `getLogAttributes` (none is called yet). */
export interface ActivityOutboundCallsInterceptor {
  getLogAttributes?: (
    input: Record<string, unknown>,
    next: (input: Record<string, unknown>) => Record<string, unknown>,
  ) => Record<string, unknown>;
}

export interface ActivityInterceptors {
  inbound?: ActivityInboundCallsInterceptor | undefined;
  outbound?: ActivityOutboundCallsInterceptor | undefined;
}

/** Temporal's `ActivityInterceptorsFactory`: called for each activity attempt. */
export type ActivityInterceptorsFactory = (ctx: Context) => ActivityInterceptors;

/**
 * Temporal's `WorkerInterceptors`. `activity` applies to activities and local activities;
 * `workflowModules` (workflow interceptors inside the sandbox) is not supported yet.
 */
export interface WorkerInterceptors {
  readonly activity?: readonly ActivityInterceptorsFactory[] | undefined;
  readonly workflowModules?: readonly string[] | undefined;
}

/** Checks the option once, at `Worker.create`; returns the activity factories. */
export function activityInterceptorFactories(
  interceptors: WorkerInterceptors | undefined,
): readonly ActivityInterceptorsFactory[] {
  if ((interceptors?.workflowModules?.length ?? 0) > 0) {
    throw new InvalidArgumentError(
      'interceptors.workflowModules (workflow interceptors) is not supported yet: only activity interceptors are (interceptors.activity). See docs/coming-from-temporal.md.',
    );
  }
  return interceptors?.activity ?? [];
}

/**
 * Runs an activity attempt through its inbound interceptors: the first factory's is outermost,
 * as in Temporal's `composeInterceptors`. Call inside the attempt's Context.
 */
export function executeWithInterceptors(
  factories: readonly ActivityInterceptorsFactory[],
  ctx: Context,
  args: unknown[],
  fn: (...args: unknown[]) => unknown,
): Promise<unknown> {
  let next = (input: ActivityExecuteInput): Promise<unknown> => Promise.resolve(fn(...input.args));
  const inbound = factories.map((f) => f(ctx).inbound);
  for (let i = inbound.length - 1; i >= 0; i--) {
    const execute = inbound[i]?.execute;
    if (execute === undefined) continue;
    const inner = next;
    next = (input) => execute(input, inner);
  }
  return next({ args, headers: {} });
}
