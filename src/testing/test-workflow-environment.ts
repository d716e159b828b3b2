import type { AsyncCompletionClient } from '../client/async-completion-client.ts';
import { Client } from '../client/client.ts';
import type { WorkflowClient } from '../client/client.ts';
import { Engine } from '../engine/engine.ts';
import { assertNamespace } from '../engine/ops/find-run.ts';
import { InvalidArgumentError } from '../errors.ts';
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

/** Options of `createFromExistingServer`. Temporal's `ExistingServerTestWorkflowEnvironmentOptions`. */
export interface ExistingServerTestWorkflowEnvironmentOptions {
  /** The engine the tests run on, opened by the caller (`Engine.open`), which also closes it. */
  readonly engine: Engine;
  /** The namespace of `env.client`. Default `'default'`. */
  readonly namespace?: string | undefined;
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
  readonly namespace: string;
  readonly #clock: TimeSkippingClock | undefined;
  readonly #skipper: TimeSkippingConnection | undefined;
  /** False for `createFromExistingServer`: its engine is the caller's to close. */
  readonly #ownsEngine: boolean;

  private constructor(
    engine: Engine,
    clock: TimeSkippingClock | undefined,
    existing?: { namespace: string },
  ) {
    this.engine = engine;
    this.#clock = clock;
    this.#ownsEngine = existing === undefined;
    this.namespace = existing?.namespace ?? 'default';
    this.#skipper = clock
      ? new TimeSkippingConnection(engine.connection, clock, engine.deps.store)
      : undefined;
    this.connection = this.#skipper?.api ?? engine.connection;
    this.nativeConnection = this.connection;
    this.client = new Client({ connection: this.connection, namespace: this.namespace });
  }

  /**
   * An environment on an engine the caller opened (a file store to look at afterwards, an engine
   * shared by several test files), on its real clock. `teardown()` leaves the engine open.
   * Temporal's `createFromExistingServer`, which connects to a running server.
   */
  static async createFromExistingServer(
    options: ExistingServerTestWorkflowEnvironmentOptions,
  ): Promise<TestWorkflowEnvironment> {
    if (!(options.engine instanceof Engine)) {
      throw new InvalidArgumentError(
        'createFromExistingServer needs { engine }: an Engine opened with Engine.open (Reprise has no server address to connect to).',
      );
    }
    const namespace = options.namespace ?? 'default';
    await assertNamespace(options.engine.deps, namespace);
    return new TestWorkflowEnvironment(options.engine, undefined, { namespace });
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

  /** Closes the engine, unless it came from `createFromExistingServer` (the caller closes it). */
  async teardown(): Promise<void> {
    if (this.#ownsEngine) await this.engine.close();
  }
}
