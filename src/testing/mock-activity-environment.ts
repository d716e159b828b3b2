import { Context, runInActivityContext } from '../activity/context.ts';
import type { ActivityInfo } from '../activity/context.ts';
import { CancelledFailure } from '../failures.ts';
import { defaultLogger } from '../logger.ts';

/** Default info for an activity run outside a worker. */
export const defaultActivityInfo: ActivityInfo = {
  taskToken: 'test',
  activityId: 'test',
  activityType: 'unknown',
  activityNamespace: 'default',
  taskQueue: 'test',
  attempt: 1,
  isLocal: false,
  workflowNamespace: 'default',
  workflowType: 'test',
  workflowExecution: { workflowId: 'test', runId: 'test-run' },
  heartbeatDetails: undefined,
  heartbeatTimeoutMs: undefined,
  startToCloseTimeoutMs: 10_000,
  scheduleToCloseTimeoutMs: undefined,
  scheduledTimestampMs: 0,
  currentAttemptScheduledTimestampMs: 0,
  startedTimestampMs: 0,
  idempotencyKey: 'test-run:test',
};

/**
 * Runs an activity function with a Context but no engine, for unit tests. Heartbeats are
 * collected; `cancel()` aborts the activity's signal. Temporal's `MockActivityEnvironment`.
 * @example
 * const env = new MockActivityEnvironment({ attempt: 2 });
 * const result = await env.run(myActivity, 'arg');
 */
export class MockActivityEnvironment {
  readonly #controller = new AbortController();
  readonly context: Context;
  /** Every heartbeat the activity sent, in order. */
  readonly heartbeats: unknown[] = [];

  constructor(info: Partial<ActivityInfo> = {}) {
    this.context = new Context({
      info: { ...defaultActivityInfo, ...info },
      controller: this.#controller,
      heartbeat: (d) => this.heartbeats.push(d),
      log: defaultLogger({ component: 'mock-activity' }),
    });
  }

  run<P extends unknown[], R>(fn: (...args: P) => R | Promise<R>, ...args: P): Promise<R> {
    return runInActivityContext(this.context, async () => fn(...args));
  }

  /** Cancels the running activity: its cancellation signal aborts with a CancelledFailure. */
  cancel(reason = 'Activity cancelled'): void {
    this.#controller.abort(new CancelledFailure(reason));
  }
}
