// Sandbox-safe: the workflow interceptors of one run, held by its Activator. The bundle's entry
// puts the `interceptors` factories of `interceptors.workflowModules` on the workflows module's
// exports (worker/sandbox/bundle.ts); `install` calls them once per run, when the module is
// instantiated for it, so a replay builds and calls the same chains as the live run did.
import type { MetricTags } from '../common/metrics.ts';
import { DeterminismViolationError, IllegalStateError } from '../errors.ts';
import { encodeFailure } from '../failures.ts';
import type { QueryRequest, QueryResult, SandboxQueryResult } from '../protocol/activation.ts';
import { headersFromWire } from '../protocol/headers.ts';
import type { WireHeaders } from '../protocol/headers.ts';
import { WORKFLOW_INTERCEPTORS_KEY, composeInterceptors } from '../protocol/interceptors.ts';
import type { Headers, Next } from '../protocol/interceptors.ts';
import type {
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptorsFactory,
  WorkflowOutboundCallsInterceptor,
} from './interceptors.ts';
import { isPromiseLike } from './runtime-helpers.ts';

type Inbound = WorkflowInboundCallsInterceptor;
type Outbound = WorkflowOutboundCallsInterceptor;
/** The outbound calls whose input carries the seq of the command they issue. */
export type SeqMethod =
  | 'startTimer'
  | 'scheduleActivity'
  | 'scheduleLocalActivity'
  | 'startChildWorkflowExecution'
  | 'signalWorkflow';
export type OutboundInput<M extends keyof Outbound> = Parameters<Next<Outbound, M>>[0];
export type OutboundOutput<M extends keyof Outbound> = ReturnType<Next<Outbound, M>>;
type Handler = (...args: unknown[]) => unknown;

/** What `handleQuery` returns while an interceptor's answer waits for microtasks. */
const PENDING_QUERY = Object.freeze({ pendingQuery: true });

export class RunInterceptors {
  #inbound: Inbound[] = [];
  #outbound: Outbound[] = [];
  /** The answer of the last query that went through `handleQuery` interceptors. */
  #queryAnswer: QueryResult | undefined;

  /**
   * Calls the factories the bundle attached to the run's module `exports` (none without
   * workflowModules), in order; returns `exports`.
   */
  install(exports: Record<string, unknown>): Record<string, unknown> {
    const factories = (exports as Record<symbol, unknown>)[Symbol.for(WORKFLOW_INTERCEPTORS_KEY)];
    if (!Array.isArray(factories)) return exports;
    for (const factory of factories as WorkflowInterceptorsFactory[]) {
      const made = factory();
      if ((made.internals?.length ?? 0) > 0) {
        throw new TypeError(
          'Workflow interceptors: `internals` interceptors are not supported; use `inbound` and `outbound`.',
        );
      }
      this.#inbound.push(...(made.inbound ?? []));
      this.#outbound.push(...(made.outbound ?? []));
    }
    return exports;
  }

  /** Whether an inbound interceptor implements `method`. */
  intercepts(method: keyof Inbound): boolean {
    return has(this.#inbound, method);
  }

  // ── inbound: with no interceptor for a call, the handler runs exactly as without any ───────

  /** Runs the workflow function through `execute`, with the start's headers. */
  execute(args: unknown[], headers: WireHeaders | undefined, workflow: Handler): unknown {
    if (!has(this.#inbound, 'execute')) return workflow(...args);
    return composeInterceptors(this.#inbound, 'execute', (input) =>
      Promise.resolve(workflow(...input.args)),
    )({ args, headers: headersFromWire(headers) });
  }

  /** Runs a signal handler through `handleSignal`. */
  handleSignal(
    signal: { signalName: string; args: unknown[]; headers?: WireHeaders | undefined },
    handler: Handler,
  ): unknown {
    if (!has(this.#inbound, 'handleSignal')) return handler(...signal.args);
    return composeInterceptors(this.#inbound, 'handleSignal', async (input) => {
      await handler(...input.args);
    })({
      signalName: signal.signalName,
      args: signal.args,
      headers: headersFromWire(signal.headers),
    });
  }

  /** Runs an update validator through `validateUpdate`. */
  validateUpdate(update: UpdateCall, validator: Handler): void {
    if (!has(this.#inbound, 'validateUpdate')) {
      validator(...update.args);
      return;
    }
    composeInterceptors(this.#inbound, 'validateUpdate', (input) => {
      validator(...input.args);
    })(updateInput(update));
  }

  /** Runs an update handler through `handleUpdate`. */
  handleUpdate(update: UpdateCall, handler: Handler): unknown {
    if (!has(this.#inbound, 'handleUpdate')) return handler(...update.args);
    return composeInterceptors(
      this.#inbound,
      'handleUpdate',
      async (input) => await handler(...input.args),
    )(updateInput(update));
  }

  /**
   * Runs a query handler through `handleQuery`. With interceptors, their answer is a promise:
   * the query is then `pending` (see {@link queryResult}) until the host, once the call's
   * microtasks ran, takes the answer with {@link takeQueryResult}.
   */
  handleQuery(request: QueryRequest, handler: Handler): unknown {
    if (!has(this.#inbound, 'handleQuery')) return synchronousAnswer(handler(...request.args));
    this.#queryAnswer = undefined;
    const answer = composeInterceptors(this.#inbound, 'handleQuery', (input) =>
      Promise.resolve(synchronousAnswer(handler(...input.args))),
    )({
      queryId: '',
      queryName: request.queryType,
      args: request.args,
      headers: headersFromWire(request.headers),
    });
    answer.then(
      (result) => {
        this.#queryAnswer = { status: 'success', result };
      },
      (e: unknown) => {
        this.#queryAnswer = { status: 'failed', failure: encodeFailure(e) };
      },
    );
    return PENDING_QUERY;
  }

  /** The sandbox's answer to a query whose handler returned `result`. */
  queryResult(result: unknown): SandboxQueryResult {
    return result === PENDING_QUERY ? { status: 'pending' } : { status: 'success', result };
  }

  /** The answer of the pending query; a failure if the interceptors have not settled it. */
  takeQueryResult(): QueryResult {
    const answer = this.#queryAnswer ?? {
      status: 'failed',
      failure: encodeFailure(
        new IllegalStateError(
          'A handleQuery interceptor did not settle its answer: queries must not wait on durable operations (sleep, activities, conditions).',
        ),
      ),
    };
    this.#queryAnswer = undefined;
    return answer;
  }

  // ── outbound ──────────────────────────────────────────────────────────────────────────────

  /** The chain of one outbound call ending in `next`, to call with the call's input. */
  outbound<M extends keyof Outbound>(method: M, next: Next<Outbound, M>): Next<Outbound, M> {
    return composeInterceptors(this.#outbound, method, next);
  }

  /** Whether an outbound interceptor implements `method`. */
  interceptsOutbound(method: keyof Outbound): boolean {
    return has(this.#outbound, method);
  }

  /**
   * Runs durable call `method` through its interceptors (`input` carries the command's `seq`,
   * Temporal's), ending in `next` with `seq` (see Activator.outboundWithSeq); without an
   * interceptor for `method`, `next` at once.
   */
  withSeq<M extends SeqMethod>(
    method: M,
    input: OutboundInput<M>,
    seq: number | undefined,
    next: (input: OutboundInput<M>, seq: number | undefined) => OutboundOutput<M>,
  ): OutboundOutput<M> {
    if (!has(this.#outbound, method)) return next(input, seq);
    // One input and one output per method: `Next` of a generic M is that function, unresolved.
    type Call = (input: OutboundInput<M>) => OutboundOutput<M>;
    const inner: Call = (i) => next(i, seq);
    const chain = this.outbound(method, inner as unknown as Next<Outbound, M>) as unknown as Call;
    return chain(input);
  }

  /**
   * The attributes of a log line: `attrs`, over what `getLogAttributes` makes of the run's
   * `defaults` (just `attrs` when no interceptor adds any).
   */
  logAttributes(
    defaults: () => Record<string, unknown>,
    attrs: Record<string, unknown> | undefined,
  ): Record<string, unknown> | undefined {
    return this.#prepended('getLogAttributes', defaults, attrs);
  }

  /**
   * The tags of a metric value: `tags`, over what `getMetricTags` makes of the run's `defaults`
   * (just `tags` when no interceptor adds any).
   */
  metricTags(defaults: () => MetricTags, tags: MetricTags | undefined): MetricTags | undefined {
    return this.#prepended('getMetricTags', defaults, tags);
  }

  /** `own`, over what the `method` interceptors make of `defaults()`; `own` without any. */
  #prepended<T extends Record<string, unknown>>(
    method: 'getLogAttributes' | 'getMetricTags',
    defaults: () => T,
    own: T | undefined,
  ): T | undefined {
    if (!has(this.#outbound, method)) return own;
    const chain = this.outbound(method, (input) => input) as (input: T) => T;
    return { ...chain(defaults()), ...own };
  }
}

interface UpdateCall {
  updateId: string;
  name: string;
  args: unknown[];
  headers?: WireHeaders | undefined;
}

function updateInput(update: UpdateCall): {
  updateId: string;
  name: string;
  args: unknown[];
  headers: Headers;
} {
  return {
    updateId: update.updateId,
    name: update.name,
    args: update.args,
    headers: headersFromWire(update.headers),
  };
}

function has<I>(interceptors: readonly I[], method: keyof I): boolean {
  return interceptors.some((i) => typeof i[method] === 'function');
}

/**
 * A query handler's answer, refused if it is a promise: as in Temporal, the query fails with
 * DeterminismViolationError 'Query handlers should not return a Promise' (a handler must answer
 * from the workflow's state at once; it may not wait).
 */
function synchronousAnswer(result: unknown): unknown {
  if (isPromiseLike(result)) {
    throw new DeterminismViolationError('Query handlers should not return a Promise');
  }
  return result;
}
