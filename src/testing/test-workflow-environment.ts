import { Client } from '../client/client.ts';
import { ManualClock } from '../engine/clock.ts';
import { Engine } from '../engine/engine.ts';
import type { Logger } from '../logger.ts';
import { msFromDuration } from '../protocol/duration.ts';
import type { Duration } from '../protocol/duration.ts';
import type { EngineApi } from '../transport/engine-api.ts';
import { TimeSkippingConnection } from './time-skipping-connection.ts';

export interface TestWorkflowEnvironmentOptions {
  /** Defaults to an in-memory SQLite store. */
  readonly store?: string | undefined;
  readonly logger?: Logger | undefined;
}

/**
 * An embedded engine for tests. `createLocal()` runs on real time; `createTimeSkipping()` on a
 * virtual clock that jumps to the next due timer while a client awaits a result and no task is
 * running, or when the test calls `env.sleep()` — a workflow that sleeps 30 days finishes in
 * milliseconds. Temporal's `TestWorkflowEnvironment`.
 * @example
 * const env = await TestWorkflowEnvironment.createTimeSkipping();
 * const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 't', workflowsPath });
 * await worker.runUntil(env.client.workflow.execute(monthlyReport, { taskQueue: 't', workflowId: 'r' }));
 * await env.teardown();
 */
export class TestWorkflowEnvironment {
  readonly engine: Engine;
  readonly client: Client;
  /** Pass to `Worker.create({ connection })` and `new Client({ connection })`. */
  readonly connection: EngineApi;
  /** The same object as `connection` (Temporal names both). */
  readonly nativeConnection: EngineApi;
  readonly namespace = 'default';
  readonly #clock: ManualClock | undefined;
  readonly #skipper: TimeSkippingConnection | undefined;

  private constructor(engine: Engine, clock: ManualClock | undefined) {
    this.engine = engine;
    this.#clock = clock;
    this.#skipper = clock
      ? new TimeSkippingConnection(engine.connection, clock, engine.deps.store)
      : undefined;
    this.connection = this.#skipper?.api ?? engine.connection;
    this.nativeConnection = this.connection;
    this.client = new Client({ connection: this.connection });
  }

  /** An engine on real time. */
  static async createLocal(
    options: TestWorkflowEnvironmentOptions = {},
  ): Promise<TestWorkflowEnvironment> {
    const engine = await Engine.open({
      store: options.store ?? 'sqlite::memory:',
      logger: options.logger,
    });
    return new TestWorkflowEnvironment(engine, undefined);
  }

  /** An engine on a virtual clock that skips ahead while the test waits (see the class doc). */
  static async createTimeSkipping(
    options: TestWorkflowEnvironmentOptions = {},
  ): Promise<TestWorkflowEnvironment> {
    const clock = new ManualClock(Date.now());
    const engine = await Engine.open({
      store: options.store ?? 'sqlite::memory:',
      clock,
      logger: options.logger,
    });
    return new TestWorkflowEnvironment(engine, clock);
  }

  /** True for `createTimeSkipping()` environments. */
  get supportsTimeSkipping(): boolean {
    return this.#clock !== undefined;
  }

  /** The environment's current time in ms. */
  currentTimeMs(): number {
    return this.#clock?.now() ?? Date.now();
  }

  /**
   * Lets `duration` pass: on a time-skipping environment the clock moves forward at once,
   * firing every timer due on the way in order; on a local one this waits in real time.
   */
  async sleep(duration: Duration): Promise<void> {
    const ms = msFromDuration(duration);
    const clock = this.#clock;
    if (!clock) {
      await new Promise((r) => setTimeout(r, ms));
      return;
    }
    const target = clock.now() + ms;
    const store = this.engine.deps.store;
    for (;;) {
      // As in automatic skipping, time jumps only while no task is out: a task being worked on
      // must not see its own timeout come due.
      await this.#untilIdle();
      const next = await store.nextTimerDueAt();
      if (next === undefined || next > target) break;
      clock.set(Math.max(next, clock.now()));
      // Wait (real time, bounded) until the timer loop has fired what came due.
      const until = Date.now() + 2000;
      for (;;) {
        const after = await store.nextTimerDueAt();
        if (after === undefined || after > next || Date.now() > until) break;
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    if (target > clock.now()) clock.set(target);
  }

  /** Waits (real time, bounded by a workflow task's timeout) until no task is out. */
  async #untilIdle(): Promise<void> {
    const skipper = this.#skipper;
    const until = Date.now() + 10_000;
    while (skipper !== undefined && !skipper.idle && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  async teardown(): Promise<void> {
    await this.engine.close();
  }
}
