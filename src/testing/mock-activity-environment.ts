import { EventEmitter } from 'node:events';
import {
  ActivityCancellationDetails,
  Context,
  base64TaskToken,
  cancelAttempt,
  runInActivityContext,
} from '../activity/context.ts';
import type { ActivityCancelReason, ActivityInfo } from '../activity/context.ts';
import type { Client } from '../client/client.ts';
import type { MetricMeter } from '../common/metrics.ts';
import { defaultLogger } from '../logger.ts';
import type { Logger } from '../logger.ts';
import {
  activityAttemptLogger,
  activityLogger,
  executeWithInterceptors,
} from '../worker/interceptors.ts';
import type { ActivityInterceptorsFactory } from '../worker/interceptors.ts';

/** The second argument of `new MockActivityEnvironment(info, opts)`: Temporal's options. */
export interface MockActivityEnvironmentOptions {
  /**
   * Activity interceptors, as a worker's `interceptors.activity`: `run` goes through their
   * inbound `execute`, and their outbound `getLogAttributes` adds to the context logger's lines.
   */
  interceptors?: ActivityInterceptorsFactory[] | undefined;
  /** Where `Context.current().log` and `log` write; by default the project's default logger. */
  logger?: Logger | undefined;
  /** `Context.current().client`; without one, reading it throws `IllegalStateError`. */
  client?: Client | undefined;
  /**
   * Where `Context.current().metricMeter` records (with the tags `namespace`, `taskQueue` and
   * `activityType` of `info`); the no-op meter by default.
   */
  metricMeter?: MetricMeter | undefined;
}

/** Default info for an activity run outside a worker: Temporal's `defaultActivityInfo`. */
export const defaultActivityInfo: ActivityInfo = {
  taskToken: 'test',
  base64TaskToken: base64TaskToken('test'),
  activityId: 'test',
  activityType: 'unknown',
  activityNamespace: 'default',
  taskQueue: 'test',
  attempt: 1,
  isLocal: false,
  workflowNamespace: 'default',
  workflowType: 'test',
  workflowExecution: { workflowId: 'test', runId: '00000000-0000-0000-0000-000000000000' },
  heartbeatDetails: undefined,
  heartbeatTimeoutMs: undefined,
  startToCloseTimeoutMs: 1000,
  scheduleToCloseTimeoutMs: 1000,
  scheduledTimestampMs: 1,
  currentAttemptScheduledTimestampMs: 1,
  startedTimestampMs: 1,
  idempotencyKey: '00000000-0000-0000-0000-000000000000:test',
};

/**
 * Runs an activity function with a Context but no engine, for unit tests. Each heartbeat is
 * emitted as a `'heartbeat'` event and collected in `heartbeats`; `cancel()` aborts the
 * activity's signal. Temporal's `MockActivityEnvironment`.
 * @example
 * const env = new MockActivityEnvironment({ attempt: 2 });
 * env.on('heartbeat', (details) => console.log(details));
 * const result = await env.run(myActivity, 'arg');
 */
export class MockActivityEnvironment extends EventEmitter {
  readonly #controller = new AbortController();
  readonly #interceptors: readonly ActivityInterceptorsFactory[];
  readonly context: Context;
  /** Every heartbeat the activity sent, in order. */
  readonly heartbeats: unknown[] = [];

  /**
   * `info` overrides {@link defaultActivityInfo}; `idempotencyKey`, unless given, is made from
   * the run id and activity id, and `base64TaskToken` from `taskToken`, as a worker makes them.
   * `opts` as in Temporal: `interceptors`, `logger`, `client` and `metricMeter`.
   */
  constructor(info: Partial<ActivityInfo> = {}, opts: MockActivityEnvironmentOptions = {}) {
    super();
    const merged = { ...defaultActivityInfo, ...info };
    const fullInfo: ActivityInfo = {
      ...merged,
      base64TaskToken: info.base64TaskToken ?? base64TaskToken(merged.taskToken),
      idempotencyKey:
        info.idempotencyKey ?? `${merged.workflowExecution.runId}:${merged.activityId}`,
    };
    this.#interceptors = opts.interceptors ?? [];
    const { client } = opts;
    const log =
      opts.logger === undefined
        ? defaultLogger({ component: 'mock-activity' })
        : activityAttemptLogger(opts.logger, fullInfo);
    this.context = new Context({
      info: fullInfo,
      controller: this.#controller,
      heartbeat: (d) => {
        this.heartbeats.push(d);
        this.emit('heartbeat', d);
      },
      log: activityLogger(this.#interceptors, log),
      client: client === undefined ? undefined : () => client,
      metricMeter: opts.metricMeter,
    });
  }

  /**
   * Runs `fn` in the activity's context, through the inbound interceptors. Temporal's three type
   * parameters (`run<P, R, F>`), so that calls with explicit type arguments port unchanged.
   */
  run<
    P extends unknown[],
    R,
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- Temporal's signature: ported calls give three type arguments
    F extends (...args: P) => R | Promise<R> = (...args: P) => R | Promise<R>,
  >(fn: F & ((...args: P) => R | Promise<R>), ...args: P): Promise<R> {
    // async: an activity that throws at once rejects, as under a worker.
    return runInActivityContext(this.context, async () =>
      executeWithInterceptors(this.#interceptors, this.context, args, undefined, fn as never),
    ) as Promise<R>;
  }

  /**
   * Cancels the activity, as Temporal's does: its cancellation signal aborts with
   * `CancelledFailure(reason)` (default `'CANCELLED'`) and `Context.current().cancellationDetails`
   * is `details` (default: `cancelRequested`).
   */
  cancel(
    reason: ActivityCancelReason = 'CANCELLED',
    details: ActivityCancellationDetails = new ActivityCancellationDetails({
      cancelRequested: true,
    }),
  ): void {
    cancelAttempt(this.#controller, reason, details);
  }
}
