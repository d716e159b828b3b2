// Temporal's worker interceptors, activity side: factories called once per activity attempt with
// its Context, whose inbound `execute` wraps the activity function (logging, tracing, metrics).
import { useMetricTags } from '../activity/context.ts';
import type { ActivityInfo, Context } from '../activity/context.ts';
import type { MetricTags } from '../common/metrics.ts';
import { isApplicationFailure, isBenignApplicationFailure } from '../failures.ts';
import { lazyChild, writeTrace } from '../logger.ts';
import type { Logger } from '../logger.ts';
import { composeInterceptors } from '../protocol/interceptors.ts';
import type { Headers } from '../protocol/interceptors.ts';
import { headersFromWire } from '../protocol/headers.ts';
import type { WireHeaders } from '../protocol/headers.ts';
export type { Headers, Next } from '../protocol/interceptors.ts';

/** Temporal's `ActivityExecuteInput`. */
export interface ActivityExecuteInput {
  readonly args: unknown[];
  /** What the workflow's `scheduleActivity` / `scheduleLocalActivity` interceptors set (`{}` if none). */
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

/**
 * Temporal's `ActivityOutboundCallsInterceptor`: `getLogAttributes` adds attributes to each line
 * the activity logs (`log` from `reprise/activity`, `Context.current().log`); `getMetricTags`
 * makes the tags of each value its metrics record (`Context.current().metricMeter`, `metricMeter`
 * from `reprise/activity`).
 */
export interface ActivityOutboundCallsInterceptor {
  getLogAttributes?: (
    input: Record<string, unknown>,
    next: (input: Record<string, unknown>) => Record<string, unknown>,
  ) => Record<string, unknown>;
  /**
   * Called for each value the activity's metrics record, with its tags `namespace`, `taskQueue`
   * and `activityType`: what it returns are the value's first tags, before those of the meter's
   * and metric's `withTags` and the value's own (which win).
   */
  getMetricTags?: (
    input: GetMetricTagsInput,
    next: (input: GetMetricTagsInput) => MetricTags,
  ) => MetricTags;
}

/** Input of `getMetricTags`. Temporal's `GetMetricTagsInput`. */
export type GetMetricTagsInput = MetricTags;

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
  header: WireHeaders | undefined,
  fn: (...args: unknown[]) => unknown,
): Promise<unknown> {
  if (factories.length === 0) return Promise.resolve(fn(...args));
  const inbound: ActivityInboundCallsInterceptor[] = [];
  const outbound: ActivityOutboundCallsInterceptor[] = [];
  for (const factory of factories) {
    const made = factory(ctx);
    if (made.inbound) inbound.push(made.inbound);
    if (made.outbound) outbound.push(made.outbound);
  }
  if (outbound.some((o) => o.getMetricTags)) {
    useMetricTags(
      ctx,
      composeInterceptors(outbound, 'getMetricTags', (tags) => tags),
    );
  }
  if (ctx.log instanceof InterceptedActivityLogger && outbound.some((o) => o.getLogAttributes)) {
    const getLogAttributes = composeInterceptors(outbound, 'getLogAttributes', (a) => a);
    const info = ctx.info;
    ctx.log.attributes = () => addedAttributes(activityLogAttributes(info), getLogAttributes);
  }
  const execute = composeInterceptors(inbound, 'execute', (input) =>
    Promise.resolve(fn(...input.args)),
  );
  return execute({ args, headers: headersFromWire(header) });
}

/**
 * The logger an activity's Context gets when the worker has activity interceptors: `log`, plus
 * what their `getLogAttributes` add to each line (set once the factories have run).
 */
export function activityLogger(
  factories: readonly ActivityInterceptorsFactory[],
  log: Logger,
): Logger {
  return factories.length === 0 ? log : new InterceptedActivityLogger(log);
}

class InterceptedActivityLogger implements Logger {
  readonly #log: Logger;
  attributes: (() => Record<string, unknown>) | undefined;

  constructor(log: Logger, attributes?: () => Record<string, unknown>) {
    this.#log = log;
    this.attributes = attributes;
  }

  trace(obj: object, msg?: string): void {
    writeTrace(this.#log, this.#with(obj), msg);
  }

  debug(obj: object, msg?: string): void {
    this.#log.debug(this.#with(obj), msg);
  }

  info(obj: object, msg?: string): void {
    this.#log.info(this.#with(obj), msg);
  }

  warn(obj: object, msg?: string): void {
    this.#log.warn(this.#with(obj), msg);
  }

  error(obj: object, msg?: string): void {
    this.#log.error(this.#with(obj), msg);
  }

  child(bindings: Record<string, unknown>): Logger {
    return new InterceptedActivityLogger(this.#log.child(bindings), this.attributes);
  }

  #with(obj: object): object {
    return this.attributes === undefined ? obj : { ...this.attributes(), ...obj };
  }
}

/**
 * Temporal's activity log attributes: what the worker binds to each line an attempt logs (with
 * `runId`, as on the workflow's own lines; see {@link activityAttemptLogger}), and the input of
 * `getLogAttributes`, of which only what the interceptors add or change is added to a line.
 */
export function activityLogAttributes(info: ActivityInfo): Record<string, unknown> {
  return {
    isLocal: info.isLocal,
    attempt: info.attempt,
    namespace: info.activityNamespace,
    taskToken: info.taskToken,
    workflowId: info.workflowExecution.workflowId,
    workflowRunId: info.workflowExecution.runId,
    workflowType: info.workflowType,
    activityId: info.activityId,
    activityType: info.activityType,
    taskQueue: info.taskQueue,
  };
}

/**
 * Temporal worker's line for an activity attempt that failed (not cancelled, not cut at a
 * deadline): `warn`, or `debug` for a `BENIGN` ApplicationFailure, an expected outcome.
 */
export function logActivityFailed(log: Logger, err: Error, durationMs: number): void {
  const errorType = isApplicationFailure(err) ? (err.type ?? 'Error') : err.name;
  const attrs = { err: err.message, errorType, durationMs };
  if (isBenignApplicationFailure(err)) log.debug(attrs, 'Activity failed');
  else log.warn(attrs, 'Activity failed');
}

/** The logger of one activity attempt: `logger` with the attempt's log attributes bound. */
export function activityAttemptLogger(logger: Logger, info: ActivityInfo): Logger {
  return lazyChild(logger, {
    ...activityLogAttributes(info),
    runId: info.workflowExecution.runId,
  });
}

function addedAttributes(
  defaults: Record<string, unknown>,
  getLogAttributes: (input: Record<string, unknown>) => Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(getLogAttributes({ ...defaults }))) {
    if (!Object.is(defaults[k], v)) out[k] = v;
  }
  return out;
}
