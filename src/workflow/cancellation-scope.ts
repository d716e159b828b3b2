// Sandbox-safe: Temporal's CancellationScope. The current scope follows async code through an
// AsyncLocalStorage that the host injects into the sandbox (as Temporal's SDK does).
import { ensureError } from '../errors.ts';
import { CancelledFailure } from '../failures.ts';
import { isZeroDuration, msFromTimerDuration } from '../protocol/duration.ts';
import type { Duration } from '../protocol/duration.ts';
import { getActivator } from './context.ts';
import type { LazyMap } from '../util/lazy-collections.ts';
import { LazySet } from '../util/lazy-collections.ts';

/** The part of `AsyncLocalStorage` the scopes use. */
export interface ScopeStorage {
  getStore(): unknown;
  run<R>(store: unknown, fn: () => R): R;
}

let storage: ScopeStorage | undefined;

/** Temporal's `UpdateInfo`: the update whose validator or handler the calling code runs for. */
export interface UpdateInfo {
  /** The update's id (the client's `updateId`, or one the client made). */
  readonly id: string;
  /** The update's name. */
  readonly name: string;
}

/**
 * The store of the scopes' AsyncLocalStorage in code an update's validator or handler runs: the
 * current scope, and the update. One storage for both, so that knowing the update costs a
 * promise nothing (a second AsyncLocalStorage would be copied into every promise workflow code
 * makes). Workflow code never sees it: the storage is not reachable from the sandbox's globals.
 */
class UpdateFrame {
  readonly scope: CancellationScope;
  readonly update: UpdateInfo;
  constructor(scope: CancellationScope, update: UpdateInfo) {
    this.scope = scope;
    this.update = update;
    Object.freeze(this);
  }
}
Object.freeze(UpdateFrame.prototype);
Object.freeze(UpdateFrame);

/**
 * Runs `fn` (an update's validator or handler) with `update` as {@link currentUpdateInfo}, in
 * the current scope; what `fn` starts, awaits and schedules keeps it.
 */
export function runForUpdate<T>(update: UpdateInfo, fn: () => T): T {
  if (storage === undefined) return fn();
  return storage.run(
    new UpdateFrame(CancellationScope.current(), Object.freeze({ ...update })),
    fn,
  );
}

/**
 * Temporal's `currentUpdateInfo()`: the update whose validator or handler the calling code runs
 * for (through every await, timer and scope it starts), or undefined outside one.
 */
export function currentUpdateInfo(): UpdateInfo | undefined {
  const store = storage?.getStore();
  return store instanceof UpdateFrame ? store.update : undefined;
}

/** Called once per sandbox context by the sandbox entry, with the host's AsyncLocalStorage. */
export function installScopeStorage(s: ScopeStorage): void {
  storage = s;
}

/**
 * The internal patch under which a non-cancellable scope is Temporal's: its `cancelRequested`
 * rejects when its parent's cancellation reaches it, and its own `cancel()` rejects that promise
 * alone, reaching neither the operations nor the scopes inside it. Histories without it were
 * recorded before that rule: there such a scope never heard its parent, and its `cancel()`
 * cancelled everything inside it. Decided where a run first meets either case.
 */
export const NON_CANCELLABLE_SCOPE_SHIELDS_PATCH = 'reprise/non-cancellable-scope-shields';

/**
 * The internal patch under which a scope timeout of 0 is no timeout, as in Temporal. Histories
 * without it were recorded before that rule: there it was a 1 ms timer that cancelled the scope.
 * Decided where a run first runs a scope whose timeout is 0.
 */
export const SCOPE_TIMEOUT_ZERO_IS_NONE_PATCH = 'reprise/scope-timeout-zero-is-none';

/** Options of `new CancellationScope(options)`. */
export interface CancellationScopeOptions {
  /**
   * Time after which the scope cancels itself; a durable timer (1 ms if less than 0). 0 is no
   * timeout, as in Temporal.
   */
  timeout?: Duration | undefined;
  /** When false, cancellation of the parent does not reach this scope. Default true. */
  cancellable?: boolean | undefined;
  /** The parent scope; default: the current scope. */
  parent?: CancellationScope | undefined;
}

const ROOT = Symbol('root');

/**
 * The host's WeakRef and FinalizationRegistry, taken before the sandbox removes them from
 * workflow code's globals. A parent holds its child scopes weakly ({@link CancellationScope}):
 * whether one was collected is never seen by workflow code, since nothing can reach a collected
 * scope to ask.
 */
const HostWeakRef = WeakRef;
const HostFinalizationRegistry = FinalizationRegistry;

/**
 * Code's own reaction to a scope's cancellation: a promise that `cancelRequested` gave, rejected
 * when its turn comes, so that the reactions code chained on it are queued in that turn.
 */
class CodeReaction {
  readonly reject: (error: Error) => void;
  constructor(reject: (error: Error) => void) {
    this.reject = reject;
  }
}

/**
 * What hears a scope's cancellation, in the order it began to listen: Reprise's own listeners,
 * weak links to the cancellable child scopes, and the promises `cancelRequested` gave.
 */
type Listener = CancelListener | WeakRef<CancellationScope> | CodeReaction;
type Listeners = LazySet<Listener>;

const SETTLED = Promise.resolve();

/**
 * Queues `fn` as a job of its own, as a reaction to an already settled promise is queued; if it
 * throws, the rejection is left unhandled, as a throwing `.catch` handler's would be.
 */
function queueJob(fn: () => void): void {
  void SETTLED.then(fn);
}

/**
 * A child scope's place among its parent's listeners. It holds the parent's set, not the parent:
 * a parent nothing else holds is collected at the same collection as its last child.
 */
interface ParentLink {
  readonly listeners: Listeners;
  readonly link: WeakRef<CancellationScope>;
}

/** Called with the reason once cancellation of a scope is requested. */
export type CancelListener = (reason: unknown) => void;

/**
 * Calls `listener`, in a job of its own, once cancellation of `scope` is requested: queued with
 * whatever else listens to the scope, in the order each began to listen, as reactions chained on
 * one promise are (Temporal's order; ADR 0020). For Reprise's own operations: workflow code uses
 * `cancelRequested`.
 */
export let onCancelRequested: (scope: CancellationScope, listener: CancelListener) => void;

/** Takes back a listener added with {@link onCancelRequested}; its operation has settled. */
export let offCancelRequested: (scope: CancellationScope, listener: CancelListener) => void;

/** How many listeners `scope` holds (tests: a settled operation leaves none behind). */
export let cancelListenerCount: (scope: CancellationScope) => number;

/** An operation waiting to settle, with the scope it was started in and its listener there. */
export interface InScope {
  scope: CancellationScope;
  onCancel: CancelListener;
}

/**
 * Takes operation `seq` out of `parked`, and its listener off the scope it was started in: the
 * one way an operation leaves, however it settles. Undefined if it had already.
 */
export function takeParked<P extends InScope>(
  parked: LazyMap<number, P>,
  seq: number,
): P | undefined {
  const p = parked.get(seq);
  if (p === undefined) return undefined;
  parked.delete(seq);
  offCancelRequested(p.scope, p.onCancel);
  return p;
}

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
  #cancelRequested = false;
  /** Why the scope was cancelled, once it was: what every listener is called with. */
  #error: Error | undefined;
  /** A timeout of exactly 0: no timeout ({@link SCOPE_TIMEOUT_ZERO_IS_NONE_PATCH}). */
  readonly #zeroTimeout: boolean;
  /**
   * A non-cancellable scope whose cancellation rejected its `cancelRequested` promises alone
   * ({@link NON_CANCELLABLE_SCOPE_SHIELDS_PATCH}): nothing else inside it hears it, then or later.
   */
  #shielding = false;
  /**
   * The parent's cancellation, which reached this non-cancellable scope while no
   * `cancelRequested` promise listened: the rule is decided once one is asked for.
   */
  #parentError: Error | undefined;
  /**
   * What hears this scope's cancellation, in the order it began to listen (ADR 0020): an
   * operation started in it, a Trigger, a cancellable child scope, a promise `cancelRequested`
   * gave. An operation that settles takes its listener out, so that a run that performs many
   * operations in one scope keeps none of them (ADR 0018). A child is linked weakly, and held
   * strongly only while it is anchored ({@link #anchors}): one that nobody can reach any more (its
   * `run()` done, nothing waiting in it) is collected, and its link taken out after the
   * collection ({@link #collected}; ADR 0019).
   */
  readonly #listeners: Listeners = new LazySet();
  /**
   * Takes the link of a collected child out of its parent's listeners. It runs as a task of its
   * own after a garbage collection, never inside an activation, and removes only links whose
   * child is gone: nothing any run could see.
   */
  static readonly #collected = new HostFinalizationRegistry<ParentLink>(({ listeners, link }) => {
    listeners.delete(link);
  });
  /** This scope's link in its parent's listeners, until this scope is cancelled itself. */
  #parentLink: WeakRef<CancellationScope> | undefined;
  /**
   * What must hear this scope's cancellation although nothing else may hold it: the listeners
   * and promises in {@link #listeners} (a pending Trigger is held by nothing but its listener, a
   * promise by nothing but code), and the anchored children in {@link #held}. While there is
   * one, the parent holds this scope strongly, and so on up: what could still see a cancellation
   * is never collected.
   */
  #anchors = 0;
  /** The children anchored now: held strongly, beside their weak link. */
  readonly #held = new LazySet<CancellationScope>();

  constructor(options?: CancellationScopeOptions | typeof ROOT) {
    const opts = options === ROOT ? undefined : options;
    this.timeout = opts?.timeout === undefined ? undefined : msFromTimerDuration(opts.timeout);
    this.#zeroTimeout = opts?.timeout !== undefined && isZeroDuration(opts.timeout);
    this.cancellable = opts?.cancellable ?? true;
    this.parent = options === ROOT ? undefined : (opts?.parent ?? CancellationScope.current());
    if (this.parent !== undefined) {
      if (this.cancellable) this.#cancelRequested = this.parent.consideredCancelled;
      const parent = this.parent;
      const error = parent.#error;
      if (parent.#shielding) {
        // A non-cancellable parent whose cancellation reaches nothing inside it.
      } else if (error !== undefined) {
        // Queued now, as a reaction to the parent's rejected promise would be.
        queueJob(() => {
          this.#hear(error);
        });
      } else {
        const link = new HostWeakRef<CancellationScope>(this);
        CancellationScope.#collected.register(this, { listeners: parent.#listeners, link });
        this.#parentLink = link;
        parent.#listeners.add(link);
      }
    }
  }

  static {
    onCancelRequested = (scope, listener) => {
      scope.#listen(listener);
    };
    offCancelRequested = (scope, listener) => {
      if (scope.#listeners.delete(listener)) scope.#unanchor();
    };
    cancelListenerCount = (scope) => scope.#listeners.size;
  }

  /** Adds what listens from now on; once cancelled, a function is queued at once. */
  #listen(listener: CancelListener | CodeReaction): void {
    const error = this.#error;
    if (this.#shielding && !(listener instanceof CodeReaction)) {
      // Never called: nothing inside a non-cancellable scope hears its cancellation.
    } else if (error === undefined) {
      if (this.#listeners.has(listener)) return; // one entry, one anchor
      this.#listeners.add(listener);
      this.#anchor();
    } else if (listener instanceof CodeReaction) {
      listener.reject(error);
    } else {
      queueJob(() => {
        listener(error);
      });
    }
  }

  /**
   * Rejects with a `CancelledFailure` once cancellation of this scope is requested. Each read
   * gives a promise of its own, which listens from then on: a reaction chained on it runs where a
   * reaction chained then on one promise would, among the scope's operations (Temporal's order).
   */
  get cancelRequested(): Promise<never> {
    if (this.#parentError !== undefined) this.#hearParent(this.#parentError, true);
    const promise = new Promise<never>((_, reject) => {
      this.#listen(new CodeReaction(reject));
    });
    // Nobody has to await a scope's cancellation: it must never count as unhandled.
    promise.catch(() => undefined);
    return promise;
  }

  /** One anchor more; the first makes the parent hold this scope (and anchors the parent). */
  #anchor(): void {
    if (this.#anchors++ > 0 || this.#parentLink === undefined || this.parent === undefined) return;
    this.parent.#held.add(this);
    this.parent.#anchor();
  }

  /** One anchor fewer; with none left, the parent lets go of its strong hold. */
  #unanchor(): void {
    this.#anchors -= 1;
    if (this.#anchors > 0 || this.parent === undefined) return;
    if (this.parent.#held.delete(this)) this.parent.#unanchor();
  }

  /**
   * Cancels this scope, once: every listener is queued (a promise `cancelRequested` gave is
   * rejected, which queues the reactions chained on it), in order, before any code runs.
   */
  #reject(reason: unknown): void {
    if (this.#error !== undefined) return;
    const error = ensureError(reason);
    this.#error = error;
    this.#cancelRequested = true;
    this.#parentError = undefined;
    // The parent's cancellation could do nothing more here: its link goes (a scope made per
    // call, as `condition(fn, timeout)` and `withTimeout` do, leaves none behind).
    this.#unlinkFromParent();
    // The children that are still there, held strongly from here on: a collection while the
    // listeners are queued (each queuing allocates) must not take an anchored one.
    const listeners = Array.from(this.#listeners, (l) =>
      l instanceof HostWeakRef ? l.deref() : l,
    );
    this.#listeners.clear();
    this.#anchors = 0;
    this.#held.clear();
    for (const listener of listeners) {
      if (listener === undefined) continue; // a child collected before: nobody could see it
      if (listener instanceof CodeReaction) {
        listener.reject(error);
      } else if (listener instanceof CancellationScope) {
        queueJob(() => {
          listener.#hear(error);
        });
      } else {
        queueJob(() => {
          listener(error);
        });
      }
    }
  }

  /** The parent's cancellation reaches this scope. */
  #hear(error: Error): void {
    if (this.cancellable) this.#reject(error);
    else this.#hearParent(error, this.#listensInCode());
  }

  /**
   * The parent's cancellation reaches this non-cancellable scope. Under
   * {@link NON_CANCELLABLE_SCOPE_SHIELDS_PATCH} it rejects the `cancelRequested` promises alone;
   * before it, the scope never heard it. Decided only once a promise listens (`asked`), the one
   * case that tells the rules apart; until then the error waits in {@link #parentError}.
   */
  #hearParent(error: Error, asked: boolean): void {
    if (this.#error !== undefined) return;
    this.#parentError = error;
    this.#unlinkFromParent();
    if (!asked) return;
    this.#parentError = undefined;
    if (getActivator().internalRule(NON_CANCELLABLE_SCOPE_SHIELDS_PATCH))
      this.#rejectShielded(error);
  }

  /** Whether a promise `cancelRequested` gave listens. */
  #listensInCode(): boolean {
    for (const listener of this.#listeners) if (listener instanceof CodeReaction) return true;
    return false;
  }

  /**
   * Cancels this non-cancellable scope as Temporal does: its `cancelRequested` promises reject;
   * the operations and scopes inside it never hear it (they are let go of).
   */
  #rejectShielded(error: Error): void {
    this.#error = error;
    this.#cancelRequested = true;
    this.#shielding = true;
    this.#parentError = undefined;
    this.#unlinkFromParent();
    const reactions: CodeReaction[] = [];
    for (const listener of this.#listeners) {
      if (listener instanceof CodeReaction) reactions.push(listener);
    }
    this.#listeners.clear();
    this.#anchors = 0;
    this.#held.clear();
    for (const reaction of reactions) reaction.reject(error);
  }

  /** The parent's cancellation could do nothing more here: this scope's link in it goes. */
  #unlinkFromParent(): void {
    if (this.#parentLink !== undefined && this.parent !== undefined) {
      this.parent.#listeners.delete(this.#parentLink);
      if (this.parent.#held.delete(this)) this.parent.#unanchor();
      this.#parentLink = undefined;
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
    const scopes = scopeStorage();
    const outer = scopes.getStore();
    // Inside an update's handler the update stays current in the scope's code.
    const store = outer instanceof UpdateFrame ? new UpdateFrame(this, outer.update) : this;
    return scopes.run(store, () => this.#runInContext(fn));
  }

  async #runInContext<T>(fn: () => Promise<T>): Promise<T> {
    let timerScope: CancellationScope | undefined;
    if (
      this.timeout !== undefined &&
      !(this.#zeroTimeout && getActivator().internalRule(SCOPE_TIMEOUT_ZERO_IS_NONE_PATCH))
    ) {
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

  /**
   * Requests cancellation of this scope and of its cancellable descendants. A non-cancellable
   * scope's `cancelRequested` rejects, and nothing else inside it hears it, as in Temporal.
   */
  cancel(): void {
    const error = new CancelledFailure('Cancellation scope cancelled');
    if (this.cancellable || this.#error !== undefined) {
      this.#reject(error);
    } else if (getActivator().internalRule(NON_CANCELLABLE_SCOPE_SHIELDS_PATCH)) {
      // The parent's cancellation came first: its error is the one the promises reject with.
      this.#rejectShielded(this.#parentError ?? error);
    } else {
      this.#reject(error);
    }
  }

  /** Rejects from this scope with `reason` (used by the root scope for workflow cancellation). */
  protected requestCancel(reason: unknown): void {
    this.#reject(reason);
  }

  /** The scope the calling code runs in; the run's root scope outside any `run()`. */
  static current(): CancellationScope {
    const store = scopeOfStore(storage?.getStore());
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

/**
 * The scope a store of the storage stands for (the store itself unless it is an update's). The
 * host also calls it directly, outside any watched call: it runs no workflow code (the frozen
 * class's instanceof and an own data property).
 */
export function scopeOfStore(store: unknown): unknown {
  if (!(store instanceof UpdateFrame)) return store;
  return Object.getOwnPropertyDescriptor(store, 'scope')?.value;
}

function scopeStorage(): ScopeStorage {
  if (storage === undefined) {
    throw new TypeError('CancellationScope storage is not installed: the sandbox was not set up.');
  }
  return storage;
}
