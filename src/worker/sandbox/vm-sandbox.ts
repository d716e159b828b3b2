// One node:vm context per (worker, bundle), shared by every cached run of that bundle: the
// bundle's module state is instantiated per run and the run's Activator swapped in per call
// (Temporal's reuseV8Context). A context costs ~1 MB; a cached run must cost ≤ 50 KB.
import { AsyncLocalStorage, executionAsyncId } from 'node:async_hooks';
import { SourceMap } from 'node:module';
import vm from 'node:vm';
import { IllegalStateError } from '../../errors.ts';
import type {
  Activation,
  QueryRequest,
  QueryResult,
  SandboxActivationResult,
  SandboxRequest,
  SandboxResponse,
} from '../../protocol/activation.ts';
import { STACK_TRACE_QUERY } from '../../protocol/activation.ts';
import type { WorkflowBundle } from './bundle.ts';

/** Options of {@link VmSandbox.create}. */
export interface VmSandboxOptions {
  /** How long one call into workflow code may run before it counts as a deadlock. Default 2 s. */
  readonly deadlockTimeoutMs?: number | undefined;
}

const WORKFLOWS_FILENAME = 'reprise-workflows.js';
const RUNTIME_FILENAME = 'reprise-runtime.js';
const FACTORY_PREFIX =
  'globalThis.__reprise_factory = (function (module, exports, __reprise_api) {';
/** Globals the host puts in for set-up only; removed before any workflow code runs. */
const SETUP_GLOBALS = ['AsyncLocalStorage', '__reprise_factory'];
/** A condition that keeps unblocking more conditions is a livelock: stop after this many rounds. */
const MAX_UNBLOCK_ROUNDS = 10_000;

type Response<Op extends SandboxResponse['op']> = Extract<SandboxResponse, { op: Op }>;

class DeadlockError extends Error {}

/** The sandbox of one workflow bundle: many runs, one V8 context. */
export class VmSandbox {
  /** The workflow types the bundle exports. */
  readonly workflowTypes: readonly string[];
  /** Signal names declared at module level; null if a default signal handler is used. */
  readonly signalNames: readonly string[] | null;
  readonly #context: vm.Context;
  readonly #contextObject: Record<PropertyKey, unknown>;
  /** The context's global object as the host sees it (adding/removing globals goes through it). */
  readonly #global: object;
  readonly #inbox: { request: string };
  readonly #dispatch: vm.Script;
  readonly #timeoutMs: number;
  readonly #sourceMap: SourceMap | undefined;
  readonly #baselineGlobals: ReadonlySet<PropertyKey>;
  /** Globals a run added to the context, kept aside while other runs execute. */
  readonly #addedGlobals = new Map<string, Map<PropertyKey, PropertyDescriptor>>();
  readonly #runKeys = new Set<string>();
  #globalsOwner: string | undefined;
  #disposed = false;

  private constructor(bundle: WorkflowBundle, options: VmSandboxOptions | undefined) {
    this.#timeoutMs = options?.deadlockTimeoutMs ?? 2000;
    this.#contextObject = { AsyncLocalStorage };
    this.#context = vm.createContext(this.#contextObject, {
      name: 'reprise-workflows',
      microtaskMode: 'afterEvaluate',
      codeGeneration: { strings: true, wasm: false },
    });
    const timeout = this.#timeoutMs;
    new vm.Script(bundle.runtimeCode, { filename: RUNTIME_FILENAME }).runInContext(this.#context, {
      timeout,
    });
    new vm.Script(`${FACTORY_PREFIX}${bundle.code}\n});`, {
      filename: WORKFLOWS_FILENAME,
    }).runInContext(this.#context, { timeout });
    this.#inbox = new vm.Script(
      `__reprise_runtime.install(__reprise_factory, ${JSON.stringify(SETUP_GLOBALS)})`,
    ).runInContext(this.#context, { timeout }) as { request: string };
    this.#global = new vm.Script('globalThis').runInContext(this.#context) as object;
    for (const name of SETUP_GLOBALS) Reflect.deleteProperty(this.#global, name);
    this.#baselineGlobals = new Set(Reflect.ownKeys(this.#global));
    this.#dispatch = new vm.Script('__reprise_runtime.dispatch()', { filename: 'reprise-host.js' });
    this.#sourceMap = parseSourceMap(bundle.sourceMap);
    watchUnhandledRejections(this.#context);
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
    } catch (e) {
      if (!(e instanceof DeadlockError)) throw e;
      this.disposeRun(runKey);
      return workflowError('PotentialDeadlockError', e.message);
    }
  }

  /** Answers a query from the run's current state. */
  query(runKey: string, query: QueryRequest): QueryResult {
    this.#enterRun(runKey);
    let result: QueryResult;
    try {
      result = this.#call({ op: 'query', runKey, query }).result;
    } catch (e) {
      if (!(e instanceof DeadlockError)) throw e;
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

  /** Drops the run's state; its timers and activities are simply forgotten. */
  disposeRun(runKey: string): void {
    if (!this.#runKeys.delete(runKey)) return;
    this.#addedGlobals.delete(runKey);
    if (this.#globalsOwner === runKey) {
      this.#takeAddedGlobals();
      this.#globalsOwner = undefined;
    }
    this.#call({ op: 'dispose', runKey });
  }

  /** Releases the context; the sandbox cannot be used afterwards. */
  dispose(): void {
    this.#disposed = true;
    this.#runKeys.clear();
    this.#addedGlobals.clear();
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
    if (previous !== undefined && this.#runKeys.has(previous) && taken.size > 0) {
      this.#addedGlobals.set(previous, taken);
    }
    const mine = this.#addedGlobals.get(runKey);
    if (mine !== undefined) {
      for (const [key, desc] of mine) Object.defineProperty(this.#global, key, desc);
      this.#addedGlobals.delete(runKey);
    }
    this.#globalsOwner = runKey;
  }

  #takeAddedGlobals(): Map<PropertyKey, PropertyDescriptor> {
    const taken = new Map<PropertyKey, PropertyDescriptor>();
    for (const key of Reflect.ownKeys(this.#global)) {
      if (this.#baselineGlobals.has(key)) continue;
      const desc = Reflect.getOwnPropertyDescriptor(this.#global, key);
      if (desc !== undefined) taken.set(key, desc);
      Reflect.deleteProperty(this.#global, key);
    }
    return taken;
  }

  #call<Op extends SandboxRequest['op']>(
    request: Extract<SandboxRequest, { op: Op }>,
  ): Response<Op> {
    if (this.#disposed) throw new IllegalStateError('This VmSandbox was disposed.');
    this.#inbox.request = JSON.stringify(request);
    const asyncIdBefore = executionAsyncId();
    let raw: unknown;
    try {
      raw = this.#dispatch.runInContext(this.#context, { timeout: this.#timeoutMs });
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw e;
      repairAsyncIdStack(asyncIdBefore);
      throw new DeadlockError(
        `Potential deadlock detected: workflow code did not yield within ${this.#timeoutMs} ms. ` +
          'Workflow code must not loop forever or block: wait with sleep() or condition().',
      );
    }
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

  /** Points the bundle's frames at the user's source files and drops the runtime's frames. */
  #mapStack(stack: string): string {
    const map = this.#sourceMap;
    return stack
      .split('\n')
      .filter((line) => !line.includes(RUNTIME_FILENAME) && !line.includes('(node:'))
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
 * A timeout that interrupts a microtask leaves node's async-id stack pushed, and node aborts at
 * the next callback boundary (nodejs/node#38503). Pop what the interrupted code pushed.
 */
function repairAsyncIdStack(expected: number): void {
  if (executionAsyncId() === expected) return;
  const binding = (process as unknown as { binding(name: string): unknown }).binding(
    'async_wrap',
  ) as {
    popAsyncContext(asyncId: number): boolean;
  };
  for (let i = 0; i < 100_000 && executionAsyncId() !== expected; i++) {
    if (!binding.popAsyncContext(executionAsyncId())) break;
  }
}

/**
 * A promise that workflow code rejects and handles only later (start an activity, await a
 * timer, then await the activity) must not crash the worker: node's default turns unhandled
 * rejections into uncaught exceptions. Rejections of sandbox promises are ignored here; the
 * workflow still sees them when it awaits.
 */
const sandboxPromiseProtos = new Map<vm.Context, object>();
let listening = false;

function watchUnhandledRejections(context: vm.Context): void {
  sandboxPromiseProtos.set(
    context,
    new vm.Script('Promise.prototype').runInContext(context) as object,
  );
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
  const proto: unknown = Object.getPrototypeOf(promise);
  for (const sandboxProto of sandboxPromiseProtos.values()) {
    if (proto === sandboxProto) return;
  }
  // Not ours: keep node's default (an uncaught exception) when nobody else listens.
  if (process.listenerCount('unhandledRejection') === 1) throw reason;
}
