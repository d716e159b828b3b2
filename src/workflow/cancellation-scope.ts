// Sandbox-safe: Temporal's CancellationScope. The current scope follows async code through an
// AsyncLocalStorage that the host injects into the sandbox (as Temporal's SDK does).
import { ensureError } from '../errors.ts';
import { CancelledFailure } from '../failures.ts';
import { msFromDuration } from '../protocol/duration.ts';
import type { Duration } from '../protocol/duration.ts';
import { getActivator } from './context.ts';

/** The part of `AsyncLocalStorage` the scopes use. */
export interface ScopeStorage {
  getStore(): unknown;
  run<R>(store: unknown, fn: () => R): R;
}

let storage: ScopeStorage | undefined;

/** Called once per sandbox context by the sandbox entry, with the host's AsyncLocalStorage. */
export function installScopeStorage(s: ScopeStorage): void {
  storage = s;
}

/** Options of `new CancellationScope(options)`. */
export interface CancellationScopeOptions {
  /** Time after which the scope cancels itself; a durable timer. */
  timeout?: Duration | undefined;
  /** When false, cancellation of the parent does not reach this scope. Default true. */
  cancellable?: boolean | undefined;
  /** The parent scope; default: the current scope. */
  parent?: CancellationScope | undefined;
}

const ROOT = Symbol('root');

/**
 * A tree of scopes that carries cancellation to the durable operations (timers, activities,
 * conditions) started inside it. Temporal's `CancellationScope`.
 *
 * A cancellable scope is cancelled when its parent is, or when `cancel()` is called; the
 * operations inside it then reject with `CancelledFailure`. A non-cancellable scope shields its
 * operations from the parent's cancellation.
 *
 * @example
 * ```ts
 * await CancellationScope.nonCancellable(() => cleanup());
 * const result = await CancellationScope.withTimeout('5 minutes', () => slowActivity());
 * ```
 */
export class CancellationScope {
  /** The scope's own timeout in ms, if it has one. */
  readonly timeout: number | undefined;
  /** Whether cancellation (the parent's or its own) cancels the operations in this scope. */
  readonly cancellable: boolean;
  /** The parent scope; undefined only for the root scope of a run. */
  readonly parent: CancellationScope | undefined;
  /** Rejects with a `CancelledFailure` once cancellation of this scope is requested. */
  readonly cancelRequested: Promise<never>;
  #cancelRequested = false;
  #reject: (reason: unknown) => void = () => undefined;

  constructor(options?: CancellationScopeOptions | typeof ROOT) {
    const opts = options === ROOT ? undefined : options;
    this.timeout = opts?.timeout === undefined ? undefined : msFromDuration(opts.timeout);
    this.cancellable = opts?.cancellable ?? true;
    this.cancelRequested = new Promise<never>((_, reject) => {
      this.#reject = (reason) => {
        this.#cancelRequested = true;
        reject(ensureError(reason));
      };
    });
    // Nobody has to await a scope's cancellation: it must never count as unhandled.
    this.cancelRequested.catch(() => undefined);
    this.parent = options === ROOT ? undefined : (opts?.parent ?? CancellationScope.current());
    if (this.parent !== undefined && this.cancellable) {
      this.#cancelRequested = this.parent.consideredCancelled;
      this.parent.cancelRequested.catch((reason: unknown) => {
        this.#reject(reason);
      });
    }
  }

  /** True when cancellation was requested and this scope is cancellable. */
  get consideredCancelled(): boolean {
    return this.#cancelRequested && this.cancellable;
  }

  /**
   * Runs `fn` with this scope as the current one. If the scope has a timeout, a durable timer
   * starts and cancels the scope when it fires (and is itself cancelled when `fn` settles first).
   */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return scopeStorage().run(this, () => this.#runInContext(fn));
  }

  async #runInContext<T>(fn: () => Promise<T>): Promise<T> {
    let timerScope: CancellationScope | undefined;
    if (this.timeout !== undefined) {
      const timeout = this.timeout;
      const scope = new CancellationScope();
      timerScope = scope;
      scope
        .run(() => getActivator().sleep(timeout))
        .then(
          () => {
            this.cancel();
          },
          () => undefined, // the timer was cancelled: fn settled first
        );
    }
    try {
      return await fn();
    } finally {
      if (timerScope !== undefined && !timerScope.consideredCancelled) timerScope.cancel();
    }
  }

  /** Requests cancellation of this scope and of its cancellable descendants. */
  cancel(): void {
    this.#reject(new CancelledFailure('Cancellation scope cancelled'));
  }

  /** Rejects from this scope with `reason` (used by the root scope for workflow cancellation). */
  protected requestCancel(reason: unknown): void {
    this.#reject(reason);
  }

  /** The scope the calling code runs in; the run's root scope outside any `run()`. */
  static current(): CancellationScope {
    const store = storage?.getStore();
    return store instanceof CancellationScope ? store : getActivator().rootScope;
  }

  /** Runs `fn` in a new cancellable scope. */
  static cancellable<T>(fn: () => Promise<T>): Promise<T> {
    return new CancellationScope({ cancellable: true }).run(fn);
  }

  /** Runs `fn` in a new scope that the parent's cancellation does not reach. */
  static nonCancellable<T>(fn: () => Promise<T>): Promise<T> {
    return new CancellationScope({ cancellable: false }).run(fn);
  }

  /** Runs `fn` in a new cancellable scope that cancels itself after `timeout`. */
  static withTimeout<T>(timeout: Duration, fn: () => Promise<T>): Promise<T> {
    return new CancellationScope({ cancellable: true, timeout }).run(fn);
  }
}

/** The root scope of one run: cancelling it is how workflow cancellation reaches the code. */
export class RootCancellationScope extends CancellationScope {
  constructor() {
    super(ROOT);
  }

  override cancel(): void {
    this.requestCancel(new CancelledFailure('Workflow cancelled'));
  }
}

function scopeStorage(): ScopeStorage {
  if (storage === undefined) {
    throw new TypeError('CancellationScope storage is not installed: the sandbox was not set up.');
  }
  return storage;
}
