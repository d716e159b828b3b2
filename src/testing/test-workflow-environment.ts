import type { AsyncCompletionClient } from '../client/async-completion-client.ts';
import { Client } from '../client/client.ts';
import type { WorkflowClient } from '../client/client.ts';
import { Engine } from '../engine/engine.ts';
import type { Logger } from '../logger.ts';
import { msFromDuration } from '../protocol/duration.ts';
import type { Duration } from '../protocol/duration.ts';
import type { EngineApi } from '../transport/engine-api.ts';
import { TimeSkippingClock } from './time-skipping-clock.ts';
import { TimeSkippingConnection } from './time-skipping-connection.ts';

export interface TestWorkflowEnvironmentOptions {
  /** Defaults to an in-memory SQLite store. */
  readonly store?: string | undefined;
  readonly logger?: Logger | undefined;
}

/**
 * An embedded engine for tests. `createLocal()` runs on real time; `createTimeSkipping()` on a
 * virtual clock that runs at real pace, and jumps to the next due timer while a client awaits a
 * result or the test is in `env.sleep()`, and no task is out — a workflow that sleeps 30 days
 * finishes in milliseconds, while an activity's timeouts fire in real time as it runs.
 * Temporal's `TestWorkflowEnvironment`.
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
  readonly #clock: TimeSkippingClock | undefined;
  readonly #skipper: TimeSkippingConnection | undefined;

  private constructor(engine: Engine, clock: TimeSkippingClock | undefined) {
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
    const clock = new TimeSkippingClock();
    const engine = await Engine.open({
      store: options.store ?? 'sqlite::memory:',
      clock,
      logger: options.logger,
    });
    return new TestWorkflowEnvironment(engine, clock);
  }

  /** @deprecated Use `client.workflow` (Temporal's deprecated alias, kept for ported tests). */
  get workflowClient(): WorkflowClient {
    return this.client.workflow;
  }

  /** @deprecated Use `client.activity` (Temporal's deprecated alias, kept for ported tests). */
  get asyncCompletionClient(): AsyncCompletionClient {
    return this.client.activity;
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
   * Lets `duration` pass. On a time-skipping environment: at real pace while a workflow or
   * activity task is out (a running activity's timeouts fire as they would), jumping from timer
   * to timer, each fired in order, while none is. On a local one this waits in real time.
   */
  async sleep(duration: Duration): Promise<void> {
    const ms = msFromDuration(duration);
    const clock = this.#clock;
    const skipper = this.#skipper;
    if (!clock || !skipper) {
      await new Promise((r) => setTimeout(r, ms));
      return;
    }
    await skipper.sleepUntil(clock.now() + ms);
  }

  async teardown(): Promise<void> {
    await this.engine.close();
  }
}
