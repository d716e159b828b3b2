// Sandbox-safe: the entry of the runtime bundle that the host evaluates once per sandbox
// context. The host talks to it only through `dispatch()`, with JSON strings (SandboxRequest).
import type {
  SandboxActivationResult,
  SandboxRequest,
  SandboxResponse,
} from '../protocol/activation.ts';
import { Activator, workflowTypeNames } from './activator.ts';
import { encodeFailure } from '../failures.ts';
import { CancellationScope, installScopeStorage, scopeOfStore } from './cancellation-scope.ts';
import type { ScopeStorage } from './cancellation-scope.ts';
import { getActivator, maybeGetActivator, setActivator } from './context.ts';
import { hardenGlobals, installGlobalOverrides } from './global-overrides.ts';
import * as api from './index.ts';
import type { UrlBridge } from './url.ts';

/** The user's workflows module, compiled once, instantiated per run. */
export type ModuleFactory = (
  module: { exports: Record<string, unknown> },
  exports: Record<string, unknown>,
  api: unknown,
) => void;

/** Where the host puts the next request before each call (a string: nothing else crosses). */
export interface Inbox {
  request: string;
  /** The host code that `enter()` calls back, set by the host for one call. */
  host: (() => void) | undefined;
  /** The reason of a rejection workflow code left unhandled, for `unhandledRejection`. */
  rejection: unknown;
}

const runs = new Map<string, Activator>();
const inbox: Inbox = { request: '', host: undefined, rejection: undefined };
let factory: ModuleFactory | undefined;
let scopeStorage: ScopeStorage | undefined;
/** A scope deeper than this is not followed to its root (a `parent` that code rewrote). */
const MAX_SCOPE_DEPTH = 100_000;

function instantiateModule(): Record<string, unknown> {
  if (factory === undefined) throw new TypeError('The workflows module is not installed.');
  const module = { exports: {} as Record<string, unknown> };
  factory(module, module.exports, api);
  return module.exports;
}

/**
 * Sets the context up, once: installs the deterministic globals and the workflows module
 * factory, then hardens the built-ins. Returns the inbox the host writes requests to.
 */
export function install(moduleFactory: ModuleFactory, hostGlobals: readonly string[]): Inbox {
  factory = moduleFactory;
  const g = globalThis as typeof globalThis & Record<string, unknown>;
  const storage = g['__reprise_scopeStorage'] as ScopeStorage | undefined;
  if (storage === undefined) {
    throw new TypeError('The host did not inject the scopes’ AsyncLocalStorage.');
  }
  const urlBridge = g['__reprise_urlBridge'] as UrlBridge | undefined;
  if (urlBridge === undefined) throw new TypeError('The host did not inject the URL parser.');
  scopeStorage = storage;
  installScopeStorage(storage);
  installGlobalOverrides(g, {
    now: () => getActivator().nowMs,
    random: () => getActivator().random(),
    setTimeout: (callback, ms) => getActivator().setTimeout(callback, ms),
    clearTimeout: (id) => {
      getActivator().clearTimeout(id);
    },
    log: (level, message) => {
      maybeGetActivator()?.log(level, message);
    },
    urlBridge,
  });
  hardenGlobals(g, new Set(hostGlobals), [api, runtime]);
  return inbox;
}

/**
 * Calls back the host code in the inbox, from inside the host's call into the context: the
 * host's calls to `dispatch()` from there are nested in that one call and share its deadlock
 * watchdog (vm-sandbox.ts), instead of starting one each.
 */
export function enter(): void {
  const host = inbox.host;
  inbox.host = undefined;
  if (host === undefined) throw new TypeError('The host set no code to enter with.');
  host();
}

/** Handles the request in the inbox; returns the JSON-encoded SandboxResponse. */
export function dispatch(): string {
  const raw = inbox.request;
  inbox.request = '';
  let response: SandboxResponse;
  try {
    response = handle(JSON.parse(raw) as SandboxRequest);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    response = { op: 'error', message: err.message, stack: err.stack };
  }
  return JSON.stringify(response);
}

function runFor(runKey: string): Activator {
  const run = runs.get(runKey);
  if (run === undefined) throw new TypeError(`No run '${runKey}' in this sandbox.`);
  setActivator(run);
  return run;
}

function handle(req: SandboxRequest): SandboxResponse {
  switch (req.op) {
    case 'create': {
      const run = new Activator({ randomSeed: req.randomSeed, instantiate: instantiateModule });
      runs.set(req.runKey, run);
      return { op: 'create', ok: true };
    }
    case 'activate': {
      const run = runFor(req.runKey);
      inRootScope(run, () => {
        run.activate(req.activation);
      });
      return { op: 'activate', ok: true };
    }
    case 'unblockConditions': {
      const run = runFor(req.runKey);
      return {
        op: 'unblockConditions',
        unblocked: inRootScope(run, () => run.tryUnblockConditions()),
      };
    }
    case 'conclude': {
      const run = runFor(req.runKey);
      const result = run.conclude();
      return { op: 'conclude', result: jsonSafe(run, result) };
    }
    case 'query': {
      const run = runFor(req.runKey);
      const result = run.query(req.query);
      return withQueryOutput(run, { op: 'query', result });
    }
    case 'queryResult': {
      const run = runFor(req.runKey);
      const result = run.interceptors.takeQueryResult();
      return withQueryOutput(run, { op: 'queryResult', result });
    }
    case 'dispose':
      runs.delete(req.runKey);
      setActivator(undefined);
      return { op: 'dispose', ok: true };
    case 'unhandledRejection': {
      runFor(req.runKey);
      const reason = inbox.rejection;
      inbox.rejection = undefined;
      return { op: 'unhandledRejection', failure: encodeFailure(unhandledRejectionError(reason)) };
    }
    case 'discover': {
      const probe = new Activator({ randomSeed: 'discover', instantiate: instantiateModule });
      setActivator(probe);
      try {
        const exports = instantiateModule();
        return {
          op: 'discover',
          workflowTypes: workflowTypeNames(exports),
          signalNames: [...probe.declaredSignals].sort(),
        };
      } finally {
        setActivator(undefined);
      }
    }
    default: {
      const never: never = req;
      throw new TypeError(`Unknown sandbox request ${JSON.stringify(never)}`);
    }
  }
}

/** A query's answer with the log lines and sink calls its handler made, if it made any. */
function withQueryOutput<R extends Extract<SandboxResponse, { op: 'query' | 'queryResult' }>>(
  run: Activator,
  response: R,
): R {
  const logs = run.takeLogs();
  if (logs !== undefined) response.logs = logs;
  const sinkCalls = run.takeSinkCalls();
  if (sinkCalls !== undefined) response.sinkCalls = sinkCalls;
  return response;
}

/** A result or argument that JSON cannot carry fails the activation, not the host call. */
function jsonSafe(run: Activator, result: SandboxActivationResult): SandboxActivationResult {
  try {
    JSON.stringify(result);
    return result;
  } catch (e) {
    run.failActivation('WorkflowError', e);
    return { ...run.conclude(), logs: result.logs, sinkCalls: result.sinkCalls };
  }
}

/**
 * Runs the run's jobs with its root scope as the store of the host's AsyncLocalStorage, as its
 * workflow function already runs: every promise workflow code makes or rejects then carries a
 * scope of its run, by which the host tells whose a rejection left unhandled is ({@link runKeyOf}).
 */
function inRootScope<T>(run: Activator, fn: () => T): T {
  return scopeStorage === undefined ? fn() : scopeStorage.run(run.rootScope, fn);
}

/** Temporal's `UnhandledRejectionError`: what fails the task, naming the reason. */
function unhandledRejectionError(reason: unknown): Error {
  let described: string;
  try {
    described = String(reason);
  } catch {
    described = 'a value that cannot be converted to a string';
  }
  const error = new Error(`Unhandled Promise rejection: ${described}`, { cause: reason });
  error.name = 'UnhandledRejectionError';
  return error;
}

/**
 * The key of the run `store` (the AsyncLocalStorage's store where a promise was made or
 * rejected) is a scope of, or undefined. The host calls it directly, outside any watched call:
 * it runs no workflow code (own data properties only, and the frozen class's instanceof).
 */
export function runKeyOf(store: unknown): string | undefined {
  let scope = scopeOfStore(store);
  for (let depth = 0; depth < MAX_SCOPE_DEPTH; depth++) {
    if (!(scope instanceof CancellationScope)) return undefined;
    const parent: unknown = Object.getOwnPropertyDescriptor(scope, 'parent')?.value;
    if (parent === undefined) {
      for (const [runKey, run] of runs) if (run.rootScope === scope) return runKey;
      return undefined;
    }
    scope = parent;
  }
  return undefined;
}

/** What the runtime bundle exposes to the host (as the global `__reprise_runtime`). */
export const runtime = { install, dispatch, enter, runKeyOf };
