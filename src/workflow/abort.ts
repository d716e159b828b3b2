// Sandbox-safe: `AbortController` and `AbortSignal` of the sandbox's own realm, as the DOM standard
// defines them. Temporal's sandbox gives workflow code Node's `AbortController`; Node's cannot be
// handed in, as its prototypes lead to the worker's built-ins, which the sandbox freezes. Nothing
// here reads a clock or starts a timer: a signal is aborted only by workflow code, so a replay
// aborts it at the same point.

/** What `addEventListener` takes: a function, or an object with `handleEvent`. */
export type AbortListener =
  ((this: AbortSignal, event: AbortEvent) => unknown) | { handleEvent(event: AbortEvent): unknown };

/** The event an abort dispatches (`type` 'abort'; `target` the signal). */
export interface AbortEvent {
  readonly type: 'abort';
  readonly target: AbortSignal;
  readonly currentTarget: AbortSignal;
}

interface Entry {
  /** The `onabort` handler's slot holds no listener of its own: it calls the current handler. */
  readonly listener: AbortListener | 'onabort';
  readonly once: boolean;
  removed: boolean;
}

/** Lets the module make a signal, where `new AbortSignal()` throws as in Node. */
const INTERNAL = Symbol('AbortSignal.internal');

/** The DOM's "signal abort", for `AbortController`; set by `AbortSignal`'s static block. */
let signalAbort: (signal: AbortSignal, reason: unknown) => void = () => {
  throw new TypeError('AbortSignal is not initialised.');
};

/** The reason `abort()` given none gives: Node's is a DOMException, which the sandbox lacks. */
function abortError(): Error {
  const error = new Error('This operation was aborted');
  error.name = 'AbortError';
  return error;
}

/** The DOM's `AbortSignal`; made by an `AbortController`, `AbortSignal.abort()` or `.any()`. */
export class AbortSignal {
  #aborted = false;
  #reason: unknown = undefined;
  #entries: Entry[] = [];
  #onabort: ((this: AbortSignal, event: AbortEvent) => unknown) | null = null;
  /** Signals made by `AbortSignal.any()` from this one, aborted with it. */
  #dependents: AbortSignal[] = [];

  constructor(token?: unknown) {
    if (token !== INTERNAL) {
      throw new TypeError(
        'Illegal constructor: make an AbortSignal with new AbortController(), AbortSignal.abort() or AbortSignal.any().',
      );
    }
  }

  /** A signal already aborted, with `reason` (an `AbortError` if none). */
  static abort(reason?: unknown): AbortSignal {
    const signal = new AbortSignal(INTERNAL);
    signal.#aborted = true;
    signal.#reason = reason === undefined ? abortError() : reason;
    return signal;
  }

  /** A signal aborted when the first of `signals` is, with its reason. */
  static any(signals: Iterable<AbortSignal>): AbortSignal {
    const sources = Array.from(signals, (s) => {
      if (!(s instanceof AbortSignal)) {
        throw new TypeError('AbortSignal.any() needs an iterable of AbortSignal objects.');
      }
      return s;
    });
    const signal = new AbortSignal(INTERNAL);
    const aborted = sources.find((s) => s.#aborted);
    if (aborted !== undefined) {
      signal.#aborted = true;
      signal.#reason = aborted.#reason;
      return signal;
    }
    for (const source of sources) source.#dependents.push(signal);
    return signal;
  }

  /** Node's starts a timer of the machine's clock, which a replay would not repeat. */
  static timeout(): never {
    throw new TypeError(
      'AbortSignal.timeout() is not available in workflow code: its timer would not be durable. ' +
        'Abort a controller after sleep(ms), or use CancellationScope.withTimeout.',
    );
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  get [Symbol.toStringTag](): string {
    return 'AbortSignal';
  }

  get onabort(): ((this: AbortSignal, event: AbortEvent) => unknown) | null {
    return this.#onabort;
  }

  /** As an event handler attribute: called in the place it was first set among the listeners. */
  set onabort(handler: ((this: AbortSignal, event: AbortEvent) => unknown) | null) {
    const fn = typeof handler === 'function' ? handler : null;
    if (fn === null) {
      this.#remove('onabort');
    } else if (this.#onabort === null) {
      this.#entries.push({ listener: 'onabort', once: false, removed: false });
    }
    this.#onabort = fn;
  }

  /** Throws the reason if the signal is aborted. */
  throwIfAborted(): void {
    if (this.#aborted) throw this.#reason;
  }

  addEventListener(
    type: string,
    listener: AbortListener | null | undefined,
    options?: boolean | { once?: boolean; signal?: AbortSignal },
  ): void {
    // Only 'abort' is ever dispatched on a signal.
    if (type !== 'abort' || listener === null || listener === undefined) return;
    const opts = typeof options === 'object' ? options : {};
    if (opts.signal?.aborted === true) return;
    if (this.#entries.some((e) => e.listener === listener)) return;
    const entry: Entry = { listener, once: opts.once === true, removed: false };
    this.#entries.push(entry);
    opts.signal?.addEventListener('abort', () => {
      this.#remove(listener);
    });
  }

  removeEventListener(type: string, listener: AbortListener | null): void {
    if (type === 'abort' && listener !== null) this.#remove(listener);
  }

  #remove(listener: AbortListener | 'onabort'): void {
    const index = this.#entries.findIndex((e) => e.listener === listener);
    if (index === -1) return;
    const [entry] = this.#entries.splice(index, 1);
    if (entry !== undefined) entry.removed = true;
  }

  static {
    // Marks the signal and its dependents aborted, then fires their events (the DOM's order).
    signalAbort = (signal, reason) => {
      if (signal.#aborted) return;
      signal.#aborted = true;
      signal.#reason = reason === undefined ? abortError() : reason;
      const dependents = signal.#dependents.filter((d) => !d.#aborted);
      signal.#dependents = [];
      for (const dependent of dependents) {
        dependent.#aborted = true;
        dependent.#reason = signal.#reason;
        dependent.#dependents = [];
      }
      signal.#fire();
      for (const dependent of dependents) dependent.#fire();
    };
  }

  #fire(): void {
    const event: AbortEvent = Object.freeze({
      type: 'abort' as const,
      target: this,
      currentTarget: this,
    });
    for (const entry of [...this.#entries]) {
      if (entry.removed) continue;
      if (entry.once) this.#remove(entry.listener);
      try {
        const { listener } = entry;
        if (listener === 'onabort') this.#onabort?.call(this, event);
        else if (typeof listener === 'function') listener.call(this, event);
        else listener.handleEvent(event);
      } catch (error) {
        // The DOM reports a listener's exception and goes on with the next listener: here, as a
        // rejection no code handles, which fails the workflow task as an uncaught error would.
        void Promise.resolve().then(() => {
          throw error;
        });
      }
    }
  }
}

/** The DOM's `AbortController`: `abort(reason)` aborts its `signal`. */
export class AbortController {
  readonly #signal = new AbortSignal(INTERNAL);

  get signal(): AbortSignal {
    return this.#signal;
  }

  get [Symbol.toStringTag](): string {
    return 'AbortController';
  }

  /** Aborts the signal with `reason` (an `AbortError` if none); does nothing the second time. */
  abort(reason?: unknown): void {
    signalAbort(this.#signal, reason);
  }
}
