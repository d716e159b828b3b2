// The process-wide settings of workers, Temporal's `Runtime` without a native core: the signals
// that shut running workers down, and the logger of workers that pass none.
import { constants } from 'node:os';
import { IllegalStateError, InvalidArgumentError } from '../errors.ts';
import { defaultLogger } from '../logger.ts';
import type { Logger } from '../logger.ts';

export interface RuntimeOptions {
  /**
   * The signals on which every running worker begins `shutdown()`. Default `['SIGINT', 'SIGTERM',
   * 'SIGQUIT', 'SIGUSR2']`, as Temporal's; `[]` leaves every signal to the process.
   */
  readonly shutdownSignals?: readonly NodeJS.Signals[] | undefined;
  /**
   * The logger of workers that pass none to `Worker.create` (each gets its `child`, bound to
   * `component: 'worker'` and its `taskQueue`). Default: the one they used before, pino to stderr
   * at `REPRISE_LOG_LEVEL` (default `warn`).
   */
  readonly logger?: Logger | undefined;
  /**
   * Refused: Reprise has no native core to export telemetry from. Pass `metricMeter` (e.g.
   * `prometheusMeter(registry)` from `reprise/prometheus`) to `Worker.create` for metrics, and
   * `logger` here or to `Worker.create` for logs.
   */
  readonly telemetryOptions?: never;
}

/** Temporal's default shutdown signals. */
const DEFAULT_SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGQUIT',
  'SIGUSR2',
];

/** Signals a process cannot catch: `process.on` throws for them. */
const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP']);

/**
 * Shuts running workers down on `shutdownSignals` and gives workers their default logger; one
 * per process, made by `Runtime.install(options)` or, with the defaults, by the first
 * `Runtime.instance()` (which `Worker.create` calls). As Temporal's, the signal handlers are
 * installed with `process.on` only while at least one worker runs, so a process without running
 * workers keeps Node's own handling of those signals. On the first signal every running worker
 * begins `shutdown()` (its activities get `shutdownGraceTime`), and the handlers are removed:
 * a second signal gets the process's own handling (Node's default ends the process). From then
 * on the runtime is shutting down: a worker whose `run()` starts later is shut down at once.
 * @example
 * Runtime.install({ shutdownSignals: ['SIGTERM'], logger: pino({ level: 'info' }) });
 * const worker = await Worker.create({ connection, taskQueue: 'claims', activities });
 * await worker.run(); // resolves once SIGTERM has shut the worker down
 */
export class Runtime {
  static #instance: Runtime | undefined;
  static #instantiator: 'install' | 'instance' | undefined;

  readonly options: {
    readonly shutdownSignals: readonly NodeJS.Signals[];
    readonly logger: Logger | undefined;
  };
  /** The runtime's logger: the one installed, else the default one. */
  readonly logger: Logger;
  readonly #callbacks = new Set<() => void>();
  #state: 'RUNNING' | 'SHUTTING_DOWN' = 'RUNNING';
  #listening = false;

  private constructor(options: RuntimeOptions) {
    this.options = {
      shutdownSignals: [...(options.shutdownSignals ?? DEFAULT_SHUTDOWN_SIGNALS)],
      logger: options.logger,
    };
    this.logger = options.logger ?? defaultLogger({ component: 'runtime' });
  }

  /**
   * Makes the process's runtime with `options`. Throws `IllegalStateError` if it exists already:
   * installed before, or made with the defaults by `Runtime.instance()` (as when a worker was
   * created first); throws `InvalidArgumentError` for a signal that is not one or that a process
   * cannot catch, and for `telemetryOptions`.
   */
  static install(options: RuntimeOptions): Runtime {
    if (Runtime.#instance !== undefined) {
      throw new IllegalStateError(
        Runtime.#instantiator === 'install'
          ? 'Runtime singleton has already been installed: call Runtime.install once per process.'
          : 'Runtime singleton has already been instantiated. Did you start a Worker before calling `install`? Call Runtime.install before Worker.create.',
      );
    }
    Runtime.#check(options);
    Runtime.#instance = new Runtime(options);
    Runtime.#instantiator = 'install';
    return Runtime.#instance;
  }

  /** The process's runtime: the one installed, else one made now with the defaults. */
  static instance(): Runtime {
    if (Runtime.#instance === undefined) {
      Runtime.#instance = new Runtime({});
      Runtime.#instantiator = 'instance';
    }
    return Runtime.#instance;
  }

  static #check(options: RuntimeOptions): void {
    if ((options as { telemetryOptions?: unknown }).telemetryOptions !== undefined) {
      throw new InvalidArgumentError(
        'Runtime.install does not take telemetryOptions: Reprise has no native core to export telemetry from. ' +
          'Pass metricMeter to Worker.create for metrics (prometheusMeter(registry) from reprise/prometheus records into a prom-client registry), ' +
          'and logger to Runtime.install or Worker.create for logs.',
      );
    }
    const signals: unknown = options.shutdownSignals;
    if (signals === undefined) return;
    if (!Array.isArray(signals)) {
      throw new InvalidArgumentError(
        `Runtime option shutdownSignals must be an array of signal names such as 'SIGTERM' (got ${typeof signals}).`,
      );
    }
    for (const signal of signals as unknown[]) {
      if (typeof signal !== 'string' || !Object.hasOwn(constants.signals, signal)) {
        throw new InvalidArgumentError(
          `Runtime option shutdownSignals: ${String(signal)} is not a signal name such as 'SIGTERM'.`,
        );
      }
      if (UNCATCHABLE.has(signal)) {
        throw new InvalidArgumentError(
          `Runtime option shutdownSignals: ${signal} cannot be caught by a process, so it cannot shut workers down.`,
        );
      }
    }
  }

  /**
   * `logger.child(bindings)` if a logger was installed, else the default logger with `bindings`:
   * what a worker that passes no logger logs to.
   * @internal
   */
  childLogger(bindings: Record<string, unknown>): Logger {
    return this.options.logger?.child(bindings) ?? defaultLogger(bindings);
  }

  /**
   * Calls `callback` on the next shutdown signal (at once, in a microtask, if one has come
   * already); a running worker registers its shutdown here. The first registration installs the
   * signal handlers.
   * @internal
   */
  registerShutdownSignalCallback(callback: () => void): void {
    if (this.#state === 'SHUTTING_DOWN') {
      queueMicrotask(callback);
      return;
    }
    this.#callbacks.add(callback);
    if (this.#listening) return;
    for (const signal of this.options.shutdownSignals) process.on(signal, this.#onSignal);
    this.#listening = true;
  }

  /**
   * Stops calling `callback` on shutdown signals (a worker's `run()` has ended); once none is
   * left, the signal handlers are removed.
   * @internal
   */
  deregisterShutdownSignalCallback(callback: () => void): void {
    this.#callbacks.delete(callback);
    if (this.#callbacks.size === 0) this.#stopListening();
  }

  #stopListening(): void {
    if (!this.#listening) return;
    for (const signal of this.options.shutdownSignals) process.off(signal, this.#onSignal);
    this.#listening = false;
  }

  readonly #onSignal = (signal: NodeJS.Signals): void => {
    this.#state = 'SHUTTING_DOWN';
    // As Temporal's: a second signal gets the process's own handling (Node's default ends it).
    this.#stopListening();
    const workers = this.#callbacks.size;
    for (const callback of this.#callbacks) queueMicrotask(callback);
    this.#callbacks.clear();
    try {
      this.logger.info({ signal, workers }, `received ${signal}: running workers shut down`);
    } catch {
      // A logger that throws must not keep the workers running nor crash the handler.
    }
  };
}
