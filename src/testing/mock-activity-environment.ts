import { EventEmitter } from 'node:events';
import { Context, runInActivityContext } from '../activity/context.ts';
import type { ActivityInfo } from '../activity/context.ts';
import { CancelledFailure } from '../failures.ts';
import { defaultLogger } from '../logger.ts';

/** Default info for an activity run outside a worker: Temporal's `defaultActivityInfo`. */
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
  readonly context: Context;
  /** Every heartbeat the activity sent, in order. */
  readonly heartbeats: unknown[] = [];

  /**
   * `info` overrides {@link defaultActivityInfo}; `idempotencyKey`, unless given, is made from
   * the run id and activity id, as a worker makes it.
   */
  constructor(info: Partial<ActivityInfo> = {}) {
    super();
    const merged = { ...defaultActivityInfo, ...info };
    this.context = new Context({
      info: {
        ...merged,
        idempotencyKey:
          info.idempotencyKey ?? `${merged.workflowExecution.runId}:${merged.activityId}`,
      },
      controller: this.#controller,
      heartbeat: (d) => {
        this.heartbeats.push(d);
        this.emit('heartbeat', d);
      },
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
