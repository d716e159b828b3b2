// Temporal's worker interceptors, activity side: factories called once per activity attempt with
// its Context, whose inbound `execute` wraps the activity function (logging, tracing, metrics).
import type { Context } from '../activity/context.ts';
import { composeInterceptors } from '../protocol/interceptors.ts';
import type { Headers } from '../protocol/interceptors.ts';
export type { Headers, Next } from '../protocol/interceptors.ts';

/** Temporal's `ActivityExecuteInput`. */
export interface ActivityExecuteInput {
  readonly args: unknown[];
  readonly headers: Headers;
}

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
 * `workflowModules` are modules exporting `interceptors: WorkflowInterceptorsFactory` (from
 * `reprise/workflow`), bundled with the workflow code and instantiated per run in the sandbox.
 */
export interface WorkerInterceptors {
  readonly activity?: readonly ActivityInterceptorsFactory[] | undefined;
  readonly workflowModules?: readonly string[] | undefined;
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
  const inbound = factories.flatMap((f) => f(ctx).inbound ?? []);
  const execute = composeInterceptors(inbound, 'execute', (input) =>
    Promise.resolve(fn(...input.args)),
  );
  return execute({ args, headers: {} });
}
