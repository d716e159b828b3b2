// One node:vm context per (worker, bundle), shared by every cached run of that bundle: the
// bundle's module state is instantiated per run and the run's Activator swapped in per call
// (Temporal's reuseV8Context). A context costs ~1 MB; a cached run must cost ≤ 50 KB.
import { executionAsyncId } from 'node:async_hooks';
import { SourceMap } from 'node:module';
import vm from 'node:vm';
import { IllegalStateError, ensureError } from '../../errors.ts';
import { defaultLogger } from '../../logger.ts';
import type { Logger } from '../../logger.ts';
import type {
  Activation,
  QueryRequest,
  QueryResult,
  SandboxActivationResult,
  SandboxSinkCalls,
  SandboxRequest,
  SandboxResponse,
  WorkflowLogEntry,
} from '../../protocol/activation.ts';
import { STACK_TRACE_QUERY } from '../../protocol/activation.ts';
import { asyncStore } from '../../util/async-store.ts';
import { URL_PARTS } from '../../workflow/url.ts';
import type { UrlBridge } from '../../workflow/url.ts';
import { promiseHookGuard, repairAsyncIdStack } from './async-id-stack.ts';
import type { WorkflowBundle } from './bundle.ts';
import type { WatchdogKind } from './native-watchdog.ts';
import {
  defaultWatchdog,
  nativeWatchdogUnavailable,
  nativeMutePromiseHooks,
  nativeWatchedCall,
} from './native-watchdog.ts';

/** What a query handler wrote and called besides its answer ({@link VmSandbox.query}). */
export interface QueryOutput {
  logs?: WorkflowLogEntry[] | undefined;
  sinkCalls?: SandboxSinkCalls | undefined;
}

/** How long one call into workflow code may run before it counts as a deadlock, by default. */
const DEFAULT_DEADLOCK_TIMEOUT_MS = 2000;

/** Options of {@link VmSandbox.create}. */
export interface VmSandboxOptions {
  /** How long one call into workflow code may run before it counts as a deadlock. Default 2 s. */
  readonly deadlockTimeoutMs?: number | undefined;
  /**
   * False: no call into workflow code is timed, so none is interrupted (the worker's
   * `debugMode`: a debugger may stop in workflow code). Each watched call then costs no watchdog
   * thread; an endless loop in workflow code hangs the worker. Default true.
   */
  readonly detectDeadlocks?: boolean | undefined;
  /**
   * What times the calls: the native addon's one thread ('native', the default where it was
   * built) or node:vm's thread per call ('node-vm', the default where it was not).
   */
  readonly watchdog?: WatchdogKind | undefined;
  /** Where a promise rejection that workflow code left unhandled but no run owns is reported. */
  readonly logger?: Logger | undefined;
}

const WORKFLOWS_FILENAME = 'reprise-workflows.js';
const RUNTIME_FILENAME = 'reprise-runtime.js';
/** A line of a V8 stack trace that names a frame (the other lines describe what waits). */
const STACK_FRAME = /^\s+at /;
const FACTORY_PREFIX =
  'globalThis.__reprise_factory = (function (module, exports, __reprise_api) {';
/** Globals the host puts in for set-up only; removed before any workflow code runs. */
const SETUP_GLOBALS = ['__reprise_scopeStorage', '__reprise_urlBridge', '__reprise_factory'];
/** A condition that keeps unblocking more conditions is a livelock: stop after this many rounds. */
const MAX_UNBLOCK_ROUNDS = 10_000;
/**
 * How long a batch ({@link VmSandbox.runBatch}) keeps starting activations in one watched call,
 * at most: the call's watchdog allows the deadlock timeout plus this, so that every activation
 * still gets the whole deadlock timeout. A tenth of the timeout, up to 50 ms.
 */
const MAX_WINDOW_SLACK_MS = 50;
/**
 * Runs disposed outside a watched call wait for the next one, which the sandbox's other work
 * brings soon under load; a watched call of their own (under node:vm's watchdog, a thread
 * started and joined, ~0.1–0.7 ms) comes only when this many wait, or when none came within
 * the linger time.
 */
const MAX_PENDING_DISPOSALS = 64;
const DISPOSAL_LINGER_MS = 1000;

type Response<Op extends SandboxResponse['op']> = Extract<SandboxResponse, { op: Op }>;

/** The activation result of a failed workflow task. */
export type FailedSandboxActivation = SandboxActivationResult & { status: 'failed' };

/** The sandbox's end of `workflow/sandbox-entry.ts`'s Inbox. */
interface Inbox {
  request: string;
  host: (() => void) | undefined;
  rejection: unknown;
}

/** The sandbox's `runKeyOf`: the run a scope belongs to. */
type RunKeyOf = (store: unknown) => string | undefined;

class DeadlockError extends Error {}

/** How a shared batch ended: as runBatch returns (a deadlock's failure, or not), or threw. */
type SharedOutcome = { failed: FailedSandboxActivation | undefined } | { error: unknown };

/** A batch handed to {@link VmSandbox.runBatchShared}, waiting for its shared watched call. */
interface SharedBatch {
  /** The run whose activations the batch runs: the one a rejection its code left fails. */
  readonly runKey: string;
  readonly step: () => boolean;
  readonly settle: (outcome: SharedOutcome) => void;
}

/** The sandbox of one workflow bundle: many runs, one V8 context. */
export class VmSandbox {
  /** The workflow types the bundle exports. */
  readonly workflowTypes: readonly string[];
  /** Signal names declared at module level; null if a default signal handler is used. */
  readonly signalNames: readonly string[] | null;
  /** What times calls into workflow code; undefined when none is timed (debug mode). */
  readonly watchdog: WatchdogKind | undefined;
  readonly #context: vm.Context;
  readonly #contextObject: Record<PropertyKey, unknown>;
  /** The context's global object as the host sees it (adding/removing globals goes through it). */
  readonly #global: object;
  readonly #inbox: Inbox;
  readonly #dispatch: vm.Script;
  readonly #enter: vm.Script;
  readonly #timeoutMs: number;
  readonly #windowSlackMs: number;
  /** Enters the context under the deadlock watchdog (or none, in debug mode). */
  readonly #enterWatched: () => void;
  /** Mutes node's promise hooks in the context before a watched call, where needed (node 24). */
  readonly #guardPromiseHooks: (() => void) | undefined;
  /** When the watched call that host code now runs inside began; undefined outside one. */
  #windowStartMs: number | undefined;
  /** The run whose activation is in the sandbox: the one a deadlock interrupted, if it fires. */
  #activeRun: string | undefined;
  readonly #sourceMap: SourceMap | undefined;
  readonly #baselineGlobals: ReadonlySet<PropertyKey>;
  /** No baseline global can be deleted: as many keys as the baseline means none was added. */
  readonly #baselineFixed: boolean;
  /**
   * Where a run's new globals land, counted at the baseline: string keys on the context object
   * (node's interceptors put them there), symbol keys on the context's global itself. Counting
   * these two is much cheaper than listing every global (~150 built-ins) at each run switch.
   */
  readonly #baselineNamed: number;
  readonly #baselineSymbols: number;
  /** Globals a run added to the context, kept aside while other runs execute. */
  readonly #addedGlobals = new Map<string, Map<PropertyKey, PropertyDescriptor>>();
  readonly #runKeys = new Set<string>();
  #globalsOwner: string | undefined;
  #disposed = false;
  /** Batches waiting for the next shared watched call, run when the event loop's turn ends. */
  #sharedBatches: SharedBatch[] = [];
  /** The shared batch whose step is running: the one a deadlock interrupted, if it fires. */
  #runningBatch: SharedBatch | undefined;
  /** Runs disposed outside a watched call, which the context drops in the next one. */
  #pendingDisposals: string[] = [];
  #flushScheduled = false;
  /** Flushes the pending disposals if no watched call came within DISPOSAL_LINGER_MS. */
  #disposalLinger: NodeJS.Timeout | undefined;
  readonly #runKeyOf: RunKeyOf;
  readonly #logger: Logger;
  /**
   * The runs whose shared batch ran in the last flush, until the immediate after it settles its
   * outcome: each with the reason of the first promise rejection its code left unhandled, once
   * node reported one (undefined until then; `{ reason }` keeps an `undefined` reason apart).
   */
  readonly #awaitingRejections = new Map<string, { reason: unknown } | undefined>();

  private constructor(bundle: WorkflowBundle, options: VmSandboxOptions | undefined) {
    this.#timeoutMs = options?.deadlockTimeoutMs ?? DEFAULT_DEADLOCK_TIMEOUT_MS;
    this.#windowSlackMs = Math.min(MAX_WINDOW_SLACK_MS, this.#timeoutMs / 10);
    this.watchdog =
      options?.detectDeadlocks === false ? undefined : (options?.watchdog ?? defaultWatchdog);
    this.#enterWatched = this.#watchdog(this.watchdog);
    // No prototype: node:vm looks globals up along the context object's prototype chain, so
    // with the host's Object.prototype there `globalThis.constructor.prototype` would be the
    // host's, writable from workflow code; and `globalThis.__proto__ = …` would change it.
    this.#contextObject = Object.assign(Object.create(null) as Record<PropertyKey, unknown>, {
      __reprise_scopeStorage: asyncStore,
      __reprise_urlBridge: urlBridge,
    });
    this.#context = vm.createContext(this.#contextObject, {
      name: 'reprise-workflows',
      microtaskMode: 'afterEvaluate',
      codeGeneration: { strings: true, wasm: false },
    });
    this.#guardPromiseHooks =
      this.watchdog === undefined
        ? undefined
        : promiseHookGuard(
            nativeMutePromiseHooks,
            () => new vm.Script('(function () {})').runInContext(this.#context) as () => void,
          );
    // Evaluating the runtime and compiling the bundle, once, may take longer than a short deadlock
    // timeout on a loaded machine (they are Reprise's own code and esbuild's output, not a
    // workflow's): they get at least the default.
    const timeout = Math.max(this.#timeoutMs, DEFAULT_DEADLOCK_TIMEOUT_MS);
    new vm.Script(bundle.runtimeCode, { filename: RUNTIME_FILENAME }).runInContext(this.#context, {
      timeout,
    });
    new vm.Script(`${FACTORY_PREFIX}${bundle.code}\n});`, {
      filename: WORKFLOWS_FILENAME,
    }).runInContext(this.#context, { timeout });
    this.#inbox = new vm.Script(
      `__reprise_runtime.install(__reprise_factory, ${JSON.stringify(SETUP_GLOBALS)})`,
    ).runInContext(this.#context, { timeout }) as Inbox;
    this.#global = new vm.Script('globalThis').runInContext(this.#context) as object;
    for (const name of SETUP_GLOBALS) Reflect.deleteProperty(this.#global, name);
    this.#baselineGlobals = new Set(Reflect.ownKeys(this.#global));
    this.#baselineFixed = [...this.#baselineGlobals].every(
      (key) => Reflect.getOwnPropertyDescriptor(this.#global, key)?.configurable === false,
    );
    this.#baselineNamed = Reflect.ownKeys(this.#contextObject).length;
    this.#baselineSymbols = Object.getOwnPropertySymbols(this.#global).length;
    this.#runKeyOf = new vm.Script('__reprise_runtime.runKeyOf').runInContext(
      this.#context,
    ) as RunKeyOf;
    this.#logger = options?.logger ?? defaultLogger({ component: 'workflow-sandbox' });
    this.#dispatch = new vm.Script('__reprise_runtime.dispatch()', { filename: 'reprise-host.js' });
    this.#enter = new vm.Script('__reprise_runtime.enter()', { filename: 'reprise-host.js' });
    this.#sourceMap = parseSourceMap(bundle.sourceMap);
    watchUnhandledRejections(this.#context, (reason) => {
      this.#onUnhandledRejection(reason);
    });
    const found = this.#call({ op: 'discover' });
    this.workflowTypes = found.workflowTypes;
    this.signalNames = /\bsetDefaultSignalHandler\b/.test(bundle.code) ? null : found.signalNames;
  }

  /**
   * Creates the context, evaluates the runtime and compiles the workflows module once.
   * Throws if the module's top-level code throws.
   */
  static create(bundle: WorkflowBundle, options?: VmSandboxOptions): VmSandbox {
    return new VmSandbox(bundle, options);
  }

  /** How many runs this sandbox holds. */
  get runCount(): number {
    return this.#runKeys.size;
  }

  /** Creates the state of one run; the module is evaluated for it on `initializeWorkflow`. */
  createRun(runKey: string, workflowType: string, randomSeed: string): void {
    if (this.#runKeys.has(runKey)) {
      throw new IllegalStateError(`Run '${runKey}' already exists in this sandbox.`);
    }
    this.#call({ op: 'create', runKey, workflowType, randomSeed });
    this.#runKeys.add(runKey);
  }

  /**
   * Runs one activation: the jobs, then the conditions until none unblocks, with microtasks
   * drained after each step. A call that does not yield within the deadlock timeout fails the
   * activation (cause 'WorkflowError') and disposes of the run.
   */
  activate(runKey: string, activation: Activation): SandboxActivationResult {
    this.#enterRun(runKey);
    try {
      return this.#watched(() => this.#activate(runKey, activation));
    } catch (e) {
      if (!(e instanceof DeadlockError)) throw e;
      return this.#deadlocked(e);
    }
  }

  /**
   * Calls `step` until it returns false, with the calls into workflow code it makes (one
   * activation per step, say) sharing deadlock watchdogs: a new watched call begins only when
   * the current one has run for the window slack (≤ 50 ms), and each lasts the deadlock timeout
   * plus that slack. So every activation still gets at least the deadlock timeout, and a replay
   * of thousands of activations starts a few watchdog threads instead of one per activation.
   *
   * Returns the failure of the activation a deadlock interrupted (its run is disposed; `step`
   * is not called again), or undefined. Errors `step` throws are thrown.
   */
  runBatch(step: () => boolean): FailedSandboxActivation | undefined {
    let more = true;
    try {
      while (more) {
        more = this.#watched(() => {
          const start = this.#windowStartMs ?? performance.now();
          let again = step();
          while (again && performance.now() - start < this.#windowSlackMs) again = step();
          return again;
        });
      }
    } catch (e) {
      if (!(e instanceof DeadlockError)) throw e;
      return this.#deadlocked(e);
    }
    return undefined;
  }

  /**
   * {@link runBatch}, deferred to the end of this turn of the event loop: the batches handed in
   * during the turn (workflow tasks of many runs, say) run one after another in shared watched
   * calls, with the same rule as runBatch's steps (a new step starts only within the window
   * slack), instead of starting a watchdog thread each (~0.1–0.5 ms; ADR 0005). `runKey` is the
   * run whose activations `step` runs.
   *
   * Resolves right after the flush that ran the batch, once node has reported the promise
   * rejections that workflow code left unhandled (ADR 0021): with the failure of the activation a deadlock
   * interrupted (its run is disposed; `step` is not called again), or an `UnhandledRejectionError`
   * failure if the run's code left one, or undefined. Rejects with what `step` throws.
   */
  runBatchShared(
    runKey: string,
    step: () => boolean,
  ): Promise<FailedSandboxActivation | undefined> {
    return new Promise((resolve, reject) => {
      const settle = (outcome: SharedOutcome): void => {
        if ('error' in outcome) reject(ensureError(outcome.error));
        else resolve(outcome.failed);
      };
      this.#sharedBatches.push({ runKey, step, settle });
      this.#scheduleFlush();
    });
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    let settle: (() => void) | undefined;
    setImmediate(() => {
      this.#flushScheduled = false;
      settle = this.#flush();
    });
    // Queued with the flush, so it runs in the same turn of the event loop, right after it: node
    // reports the promise rejections that the flush's workflow code left unhandled between two
    // immediates (ADR 0021), so the outcomes wait for no other I/O or timers.
    setImmediate(() => {
      settle?.();
    });
  }

  /**
   * Runs the shared batches and the pending disposals in as few watched calls as they allow;
   * returns what settles their outcomes once node has reported the rejections they left.
   */
  #flush(): (() => void) | undefined {
    const batches = this.#sharedBatches;
    this.#sharedBatches = [];
    // Settled once the watched calls are over: no host code of theirs runs inside one.
    const outcomes: [SharedBatch, SharedOutcome][] = [];
    let next = 0;
    while (next < batches.length || this.#pendingDisposals.length > 0) {
      if (this.#disposed) {
        const error = new IllegalStateError('This VmSandbox was disposed.');
        for (const b of batches.slice(next)) outcomes.push([b, { error }]);
        this.#pendingDisposals = [];
        break;
      }
      try {
        this.#watched(() => {
          const start = this.#windowStartMs ?? performance.now();
          while (next < batches.length) {
            const batch = batches[next] as SharedBatch;
            let outcome: SharedOutcome | undefined;
            this.#runningBatch = batch;
            try {
              if (!batch.step()) outcome = { failed: undefined };
            } catch (error) {
              outcome = { error };
            }
            this.#runningBatch = undefined;
            if (outcome !== undefined) {
              next++;
              outcomes.push([batch, outcome]);
            }
            if (performance.now() - start >= this.#windowSlackMs) return;
          }
        });
      } catch (e) {
        // Not cleared if the watchdog interrupted a step: no host code ran on after it.
        const interrupted = this.#runningBatch;
        this.#runningBatch = undefined;
        if (!(e instanceof DeadlockError)) {
          for (const b of batches.slice(next)) outcomes.push([b, { error: e }]);
          break;
        }
        const failed = this.#deadlocked(e);
        if (interrupted !== undefined) {
          next++;
          outcomes.push([interrupted, { failed }]);
        }
      }
    }
    return this.#settleAfterRejections(outcomes);
  }

  /**
   * Settles at once the outcomes that are failures already; returns what settles the others
   * once node has reported the rejections their code left unhandled (to
   * {@link #onUnhandledRejection}): the immediate queued with the flush calls it, so a flush
   * costs one more immediate in the same turn, not a turn (Temporal's activate() waits a turn per
   * activation). A run with such a rejection fails its task.
   */
  #settleAfterRejections(outcomes: [SharedBatch, SharedOutcome][]): (() => void) | undefined {
    const awaiting: [SharedBatch, SharedOutcome][] = [];
    for (const entry of outcomes) {
      const [batch, outcome] = entry;
      if ('failed' in outcome && outcome.failed === undefined) {
        this.#awaitingRejections.set(batch.runKey, undefined);
        awaiting.push(entry);
      } else {
        batch.settle(outcome);
      }
    }
    if (awaiting.length === 0) return undefined;
    return () => {
      for (const [batch, outcome] of awaiting) {
        const rejection = this.#awaitingRejections.get(batch.runKey);
        this.#awaitingRejections.delete(batch.runKey);
        batch.settle(
          rejection === undefined
            ? outcome
            : { failed: this.#unhandledRejectionFailure(batch.runKey, rejection.reason) },
        );
      }
    };
  }

  /**
   * A promise of this context was rejected and nothing handled it by the end of the turn (node's
   * 'unhandledRejection'): the run it belongs to fails its task if it is waiting for that
   * ({@link #settleAfterRejections}). The run is the one whose scope was the AsyncLocalStorage's
   * store where the promise was made (node 20, 22) or rejected (node 24), which node restores
   * while it reports; the runtime runs every activation in its run's root scope. A rejection no
   * waiting run owns is only logged: workflow code that a query, or a replay outside the worker's
   * tasks, ran.
   */
  #onUnhandledRejection(reason: unknown): void {
    const runKey = this.#runKeyOf(asyncStore.getStore());
    if (runKey !== undefined && this.#awaitingRejections.has(runKey)) {
      if (this.#awaitingRejections.get(runKey) === undefined) {
        this.#awaitingRejections.set(runKey, { reason });
      }
      return;
    }
    this.#logger.warn(
      { runKey, reason: describeWithoutCode(reason) },
      'workflow code left a promise rejection unhandled outside a workflow task (a query, or a ' +
        'replay), or in no run: it is ignored; await or catch every promise workflow code makes',
    );
  }

  /** The run's task failure for an unhandled rejection: the runtime describes the reason. */
  #unhandledRejectionFailure(runKey: string, reason: unknown): FailedSandboxActivation {
    this.#inbox.rejection = reason;
    try {
      const { failure } = this.#call({ op: 'unhandledRejection', runKey });
      return { status: 'failed', cause: 'WorkflowError', failure, logs: [] };
    } catch (e) {
      // A reason whose toString() loops: the run's state is unknown, as after any deadlock.
      if (e instanceof DeadlockError) this.disposeRun(runKey);
      return workflowError(
        'UnhandledRejectionError',
        `Unhandled Promise rejection: ${describeWithoutCode(reason)} (${ensureError(e).message})`,
      );
    } finally {
      this.#inbox.rejection = undefined;
    }
  }

  #activate(runKey: string, activation: Activation): SandboxActivationResult {
    // Not cleared if the watchdog interrupts the activation: no host code runs on then.
    this.#activeRun = runKey;
    try {
      this.#call({ op: 'activate', runKey, activation });
      for (let round = 0; ; round++) {
        if (this.#call({ op: 'unblockConditions', runKey }).unblocked === 0) break;
        if (round >= MAX_UNBLOCK_ROUNDS) {
          this.disposeRun(runKey);
          return workflowError(
            'LivelockError',
            `Conditions kept unblocking each other for ${MAX_UNBLOCK_ROUNDS} rounds: check the functions passed to condition().`,
          );
        }
      }
      return this.#call({ op: 'conclude', runKey }).result;
    } finally {
      this.#activeRun = undefined;
    }
  }

  /** The activation the watchdog interrupted fails, and its run, in an unknown state, goes. */
  #deadlocked(e: DeadlockError): FailedSandboxActivation {
    const runKey = this.#activeRun;
    this.#activeRun = undefined;
    if (runKey !== undefined) this.disposeRun(runKey);
    return workflowError('PotentialDeadlockError', e.message);
  }

  /**
   * Answers a query from the run's current state; `onOutput` gets the log lines and sink calls
   * its handler made, if any.
   */
  query(
    runKey: string,
    query: QueryRequest,
    onOutput?: (output: QueryOutput) => void,
  ): QueryResult {
    this.#enterRun(runKey);
    let result: QueryResult;
    try {
      result = this.#watched(() => {
        const first = this.#call({ op: 'query', runKey, query });
        if (first.logs !== undefined || first.sinkCalls !== undefined) onOutput?.(first);
        if (first.result.status !== 'pending') return first.result;
        // A handleQuery interceptor (workflow-interceptors.ts) answers once microtasks ran.
        const then = this.#call({ op: 'queryResult', runKey });
        if (then.logs !== undefined || then.sinkCalls !== undefined) onOutput?.(then);
        return then.result;
      });
    } catch (e) {
      if (!(e instanceof DeadlockError)) throw e;
      // Interrupted part-way (its `finally` blocks skipped), the run's state is unknown: it goes,
      // as after a deadlocked activation, and its next task replays it.
      this.disposeRun(runKey);
      return {
        status: 'failed',
        failure: workflowError('PotentialDeadlockError', e.message).failure,
      };
    }
    if (query.queryType === STACK_TRACE_QUERY && result.status === 'success') {
      return { status: 'success', result: this.#mapStack(String(result.result)) };
    }
    return result;
  }

  /** True while the run's state is in the context: created, and not disposed (nor deadlocked). */
  hasRun(runKey: string): boolean {
    return this.#runKeys.has(runKey);
  }

  /** Drops the run's state; its timers and activities are simply forgotten. */
  disposeRun(runKey: string): void {
    if (!this.#runKeys.delete(runKey)) return;
    this.#addedGlobals.delete(runKey);
    if (this.#globalsOwner === runKey) {
      this.#takeAddedGlobals();
      this.#globalsOwner = undefined;
    }
    if (this.#windowStartMs !== undefined) {
      this.#call({ op: 'dispose', runKey });
      return;
    }
    // Outside a watched call, a call of its own would start a watchdog thread for a Map delete:
    // the next watched call drops it. A run that closed waits for the next task of another run
    // rather than costing one of its own (W3: a third of the watched calls per workflow).
    this.#pendingDisposals.push(runKey);
    if (this.#pendingDisposals.length >= MAX_PENDING_DISPOSALS) {
      this.#scheduleFlush();
    } else if (this.#disposalLinger === undefined) {
      this.#disposalLinger = setTimeout(() => {
        this.#disposalLinger = undefined;
        if (this.#pendingDisposals.length > 0) this.#scheduleFlush();
      }, DISPOSAL_LINGER_MS);
      this.#disposalLinger.unref();
    }
  }

  /** Runs disposed outside a watched call whose state the context still holds. */
  get pendingDisposals(): number {
    return this.#pendingDisposals.length;
  }

  /** Drops the runs disposed outside a watched call; inside one. */
  #disposePending(): void {
    clearTimeout(this.#disposalLinger);
    this.#disposalLinger = undefined;
    // Taken off one by one: a key the watchdog interrupts is not tried again.
    let runKey: string | undefined;
    while ((runKey = this.#pendingDisposals.pop()) !== undefined) {
      this.#call({ op: 'dispose', runKey });
    }
  }

  /** Releases the context; the sandbox cannot be used afterwards. */
  dispose(): void {
    this.#disposed = true;
    this.#runKeys.clear();
    this.#addedGlobals.clear();
    this.#pendingDisposals = [];
    clearTimeout(this.#disposalLinger);
    this.#disposalLinger = undefined;
    unwatchUnhandledRejections(this.#context);
  }

  /** Puts the run's own added globals on the context, and the previous run's aside. */
  #enterRun(runKey: string): void {
    if (!this.#runKeys.has(runKey)) {
      throw new IllegalStateError(
        `No run '${runKey}' in this sandbox: it was disposed or never created.`,
      );
    }
    if (this.#globalsOwner === runKey) return;
    const previous = this.#globalsOwner;
    const taken = this.#takeAddedGlobals();
    if (previous !== undefined && this.#runKeys.has(previous) && taken !== undefined) {
      this.#addedGlobals.set(previous, taken);
    }
    const mine = this.#addedGlobals.get(runKey);
    if (mine !== undefined) {
      for (const [key, desc] of mine) Object.defineProperty(this.#global, key, desc);
      this.#addedGlobals.delete(runKey);
    }
    this.#globalsOwner = runKey;
  }

  /** Removes the globals the current run added and returns them; undefined if it added none. */
  #takeAddedGlobals(): Map<PropertyKey, PropertyDescriptor> | undefined {
    // Runs switch at every task: skip the scan when the counts show that nothing was added.
    if (
      this.#baselineFixed &&
      Reflect.ownKeys(this.#contextObject).length === this.#baselineNamed &&
      Object.getOwnPropertySymbols(this.#global).length === this.#baselineSymbols
    ) {
      return undefined;
    }
    const taken = new Map<PropertyKey, PropertyDescriptor>();
    for (const key of Reflect.ownKeys(this.#global)) {
      if (this.#baselineGlobals.has(key)) continue;
      const desc = Reflect.getOwnPropertyDescriptor(this.#global, key);
      if (desc !== undefined) taken.set(key, desc);
      Reflect.deleteProperty(this.#global, key);
    }
    return taken.size > 0 ? taken : undefined;
  }

  /**
   * Runs `body` inside one call into the context that carries the deadlock watchdog (or at
   * once, inside the current one): the context calls `body` back, and its calls to workflow
   * code are nested calls without a watchdog of their own. node:vm's watchdog starts a thread
   * per watched call (~0.1–0.25 ms), the native one arms its thread (~0.5 µs); a nested call
   * costs a few µs and still drains microtasks when it returns. Throws DeadlockError when the
   * watchdog fires, whatever `body` throws otherwise. With `detectDeadlocks: false` the call has
   * no watchdog at all.
   */
  #watched<T>(body: () => T): T {
    if (this.#windowStartMs !== undefined) return body();
    if (this.#disposed) throw new IllegalStateError('This VmSandbox was disposed.');
    const settled: { value?: T; error?: unknown; done?: boolean } = {};
    this.#inbox.host = () => {
      try {
        this.#disposePending();
        settled.value = body();
      } catch (e) {
        // Carried out, not thrown through the context, where node would rewrite its stack.
        settled.error = e;
      }
      settled.done = true;
    };
    const asyncIdBefore = executionAsyncId();
    const storeBefore = asyncStore.getStore();
    this.#guardPromiseHooks?.();
    this.#windowStartMs = performance.now();
    try {
      this.#enterWatched();
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw e;
      if (!repairAsyncIdStack(asyncIdBefore)) {
        this.#logger.error(
          { nodeVersion: process.version },
          'a deadlock interrupt left async ids that this node cannot pop; node will abort the ' +
            'process ("async hook stack has become corrupted"); build the native watchdog ' +
            "('npm run build:native'), or disable the async hook that has only before/after " +
            'callbacks',
        );
      }
      // A CancellationScope.run() the interrupt cut short left its scope as the store of this
      // (the host's) async resource: the next run called in this turn would find it current.
      // Put back what the host had, e.g. the Context of an activity that replays histories.
      asyncStore.enterWith(storeBefore);
      throw new DeadlockError(
        `Potential deadlock detected: workflow code did not yield within ${this.#timeoutMs} ms. ` +
          'Workflow code must not loop forever or block: wait with sleep() or condition().',
      );
    } finally {
      this.#windowStartMs = undefined;
      this.#inbox.host = undefined;
    }
    if ('error' in settled) throw ensureError(settled.error);
    if (settled.done !== true)
      throw new IllegalStateError('The sandbox did not call the host back.');
    return settled.value as T;
  }

  /** How #watched enters the context: under which watchdog, with which timeout. */
  #watchdog(kind: WatchdogKind | undefined): () => void {
    if (kind === undefined) return () => void this.#enter.runInContext(this.#context);
    const timeout = Math.ceil(this.#timeoutMs + this.#windowSlackMs);
    switch (kind) {
      case 'node-vm':
        return () => void this.#enter.runInContext(this.#context, { timeout });
      case 'native': {
        const run = nativeWatchedCall();
        if (run === undefined) {
          throw new IllegalStateError(
            `The native watchdog is unavailable: ${nativeWatchdogUnavailable()}`,
          );
        }
        return () => {
          run(() => void this.#enter.runInContext(this.#context), timeout);
        };
      }
    }
  }

  /** One request to the runtime's dispatch(), nested in a watched call (see #watched). */
  #call<Op extends SandboxRequest['op']>(
    request: Extract<SandboxRequest, { op: Op }>,
  ): Response<Op> {
    if (this.#windowStartMs === undefined) return this.#watched(() => this.#call(request));
    if (this.#disposed) throw new IllegalStateError('This VmSandbox was disposed.');
    this.#inbox.request = JSON.stringify(request);
    const raw: unknown = this.#dispatch.runInContext(this.#context);
    if (typeof raw !== 'string') {
      throw new IllegalStateError(`The sandbox answered '${request.op}' with a non-string value.`);
    }
    const response = JSON.parse(raw) as SandboxResponse;
    if (response.op === 'error') {
      throw new IllegalStateError(`Sandbox call '${request.op}' failed: ${response.message}`);
    }
    if (response.op !== request.op) {
      throw new IllegalStateError(`The sandbox answered '${request.op}' with '${response.op}'.`);
    }
    return response as Response<Op>;
  }

  /**
   * Points the bundle's frames at the user's source files and drops every other frame: the
   * runtime's, and the host's below the sandbox (node:vm and the worker's own files), which a
   * captured stack reaches past the workflow's frames and which say nothing about the workflow.
   */
  #mapStack(stack: string): string {
    const map = this.#sourceMap;
    return stack
      .split('\n')
      .filter((line) => !STACK_FRAME.test(line) || line.includes(WORKFLOWS_FILENAME))
      .map((line) =>
        line.replace(
          new RegExp(`${WORKFLOWS_FILENAME.replace('.', '\\.')}:(\\d+):(\\d+)`),
          (whole, l: string, c: string) => {
            if (map === undefined) return whole;
            const lineNo = Number(l) - 1;
            const column = Number(c) - 1 - (lineNo === 0 ? FACTORY_PREFIX.length : 0);
            const entry = map.findEntry(lineNo, column) as Partial<{
              originalSource: string;
              originalLine: number;
              originalColumn: number;
            }>;
            if (entry.originalSource === undefined || entry.originalLine === undefined)
              return whole;
            return `${entry.originalSource}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`;
          },
        ),
      )
      .join('\n');
  }
}

/** The components the sandbox's URL sets through {@link urlBridge}. */
const SETTABLE_URL_PARTS: ReadonlySet<string> = new Set(
  URL_PARTS.filter((p) => p !== 'href' && p !== 'origin'),
);

/**
 * The parser behind the sandbox's own `URL` (workflow/url.ts): Node's, so that a URL parses in
 * workflow code exactly as in Node. The runtime holds it where workflow code cannot reach it, and
 * only primitive strings cross: it reads no property of what it is given and lets nothing it
 * throws out (a host error would lead workflow code to the worker's built-ins).
 */
export const urlBridge: UrlBridge = (input, base, part, value) => {
  // href is not among them: the sandbox parses a new href as a new URL.
  if (
    typeof input !== 'string' ||
    (base !== undefined && typeof base !== 'string') ||
    typeof part !== 'string' ||
    typeof value !== 'string' ||
    (part !== '' && !SETTABLE_URL_PARTS.has(part))
  ) {
    return '!the URL bridge takes strings and a settable part only';
  }
  try {
    const url = new URL(input, base);
    if (part !== '') Reflect.set(url, part, value);
    return URL_PARTS.map((p) => url[p]).join('\n');
  } catch (e) {
    if (e instanceof TypeError && (e as { code?: unknown }).code === 'ERR_INVALID_URL') {
      return undefined;
    }
    return `!${e instanceof Error ? e.message : 'a non-error was thrown'}`;
  }
};

function parseSourceMap(json: string): SourceMap | undefined {
  try {
    return new SourceMap(JSON.parse(json) as ConstructorParameters<typeof SourceMap>[0]);
  } catch {
    return undefined;
  }
}

function workflowError(
  errorType: string,
  message: string,
): SandboxActivationResult & {
  status: 'failed';
} {
  return {
    status: 'failed',
    cause: 'WorkflowError',
    failure: { message, info: { type: 'application', errorType, nonRetryable: false } },
    logs: [],
  };
}

/**
 * What describes a rejection's reason without running workflow code (a getter, a toString()),
 * outside any watched call: an own string `message`, else the kind of value.
 */
function describeWithoutCode(reason: unknown): string {
  if (typeof reason !== 'object' || reason === null) {
    return typeof reason === 'function' ? 'a function' : `${typeof reason} ${String(reason)}`;
  }
  const message: unknown = Object.getOwnPropertyDescriptor(reason, 'message')?.value;
  return typeof message === 'string' ? message : 'an object';
}

/**
 * Node reports a promise that is still rejected without a handler once a turn's microtasks ran
 * ('unhandledRejection'); by default it then crashes the process. A rejection of a promise of a
 * sandbox context goes to its sandbox ({@link VmSandbox}), which fails the task of the run it
 * belongs to, or logs it; the process goes on. One that workflow code handles within the turn
 * (start an activity, await a timer, then await the activity) is never reported.
 */
const sandboxPromiseProtos = new Map<
  vm.Context,
  { proto: object; onRejection: (reason: unknown) => void }
>();
let listening = false;
/** How far up a rejected promise's prototype chain a sandbox's Promise.prototype is looked for. */
const MAX_PROTO_DEPTH = 16;

function watchUnhandledRejections(
  context: vm.Context,
  onRejection: (reason: unknown) => void,
): void {
  sandboxPromiseProtos.set(context, {
    proto: new vm.Script('Promise.prototype').runInContext(context) as object,
    onRejection,
  });
  if (listening) return;
  listening = true;
  process.on('unhandledRejection', onUnhandledRejection);
}

function unwatchUnhandledRejections(context: vm.Context): void {
  sandboxPromiseProtos.delete(context);
  if (sandboxPromiseProtos.size === 0 && listening) {
    listening = false;
    process.off('unhandledRejection', onUnhandledRejection);
  }
}

function onUnhandledRejection(reason: unknown, promise: Promise<unknown>): void {
  // Up the prototype chain: workflow code may subclass its Promise (`class P extends Promise`).
  let proto: unknown = Object.getPrototypeOf(promise);
  for (let depth = 0; depth < MAX_PROTO_DEPTH && proto !== null; depth++) {
    for (const sandbox of sandboxPromiseProtos.values()) {
      if (proto === sandbox.proto) {
        sandbox.onRejection(reason);
        return;
      }
    }
    if (proto === Promise.prototype) break;
    proto = Object.getPrototypeOf(proto);
  }
  // Not ours: keep node's default (an uncaught exception) when nobody else listens.
  if (process.listenerCount('unhandledRejection') === 1) throw reason;
}
