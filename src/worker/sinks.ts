// Sinks, the worker end: the functions registered under the `sinks` worker option, and the run
// of the sink calls workflow code made (workflow/sinks.ts) once the activations are done.
import { InvalidArgumentError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { SandboxSinkCalls, SinkCallData } from '../protocol/activation.ts';
import type { Sink, SinkFunction, Sinks } from '../workflow/sinks.ts';
import type { WorkflowInfo } from '../workflow/workflow-info.ts';
import { workflowInfoFromData } from '../workflow/workflow-info.ts';

/** The worker's implementation of a sink function `F`. Temporal's `InjectedSinkFunction`. */
export interface InjectedSinkFunction<F extends SinkFunction> {
  /**
   * Called with `workflowInfo()` at the call and the arguments workflow code passed (copied as
   * JSON). What it throws, or a promise it returns rejects with, is logged; the workflow never
   * sees it. The worker waits for a returned promise before it answers the workflow task.
   */
  fn(info: WorkflowInfo, ...args: Parameters<F>): void | Promise<void>;
  /**
   * Also called for the calls workflow code makes again while the worker replays history (after
   * an eviction from the cache, for a query of a run not in the cache, in `runReplayHistory`).
   * Default false: called once for each call in the run's history. A workflow task that fails
   * or times out is not a replay: its retry calls the function again.
   */
  callDuringReplay?: boolean | undefined;
}

/** A sink's functions, typed by `T`. Temporal's `InjectedSink`. */
export type InjectedSink<T extends Sink> = { [P in keyof T]: InjectedSinkFunction<T[P]> };

/** The `sinks` worker option, typed by the `Sinks` interface workflow code uses. */
export type InjectedSinks<T extends Sinks> = { [P in keyof T]: InjectedSink<T[P]> };

/** What a sink function is taken as, whatever its `Sinks` type. */
type AnySinkFunction = {
  fn(info: WorkflowInfo, ...args: unknown[]): unknown;
  callDuringReplay?: boolean | undefined;
};

/** Whose sink calls they are: what a log line about one names. */
export interface SinkCallSource {
  readonly workflowId: string;
  readonly runId: string;
  readonly workflowType: string;
}

/**
 * Runs the sink calls, in call order: each registered function is called at once, and the
 * returned promise settles when those that returned a promise have settled. Never rejects: a
 * call of a sink or function that is not registered, and a function that throws or rejects, are
 * logged as errors (Temporal's behaviour). A call made while replaying runs only if its function
 * has `callDuringReplay`; in a replay worker (`replayWorker`) every call counts as replaying.
 * Returns undefined when nothing is left to wait for.
 */
export function runSinkCalls(
  sinks: InjectedSinks<Sinks> | undefined,
  batches: readonly SandboxSinkCalls[],
  options: {
    readonly replayWorker: boolean;
    readonly logger: Logger;
    readonly source: SinkCallSource;
  },
): Promise<void> | undefined {
  let pending: Promise<unknown>[] | undefined;
  for (const { infos, calls } of batches) {
    for (const call of calls) {
      const sink = registered(sinks, call);
      if (sink === undefined) {
        options.logger.error(
          { ...options.source, ifaceName: call.ifaceName, fnName: call.fnName },
          'Workflow referenced an unregistered external sink: register it in the worker option `sinks`',
        );
        continue;
      }
      const data = infos[call.info];
      if (data === undefined) continue;
      if (
        (data.unsafe.isReplayingHistoryEvents || options.replayWorker) &&
        sink.callDuringReplay !== true
      ) {
        continue;
      }
      const failed = (error: unknown): void => {
        options.logger.error(
          { ...options.source, ifaceName: call.ifaceName, fnName: call.fnName, err: error },
          'External sink function threw an error',
        );
      };
      try {
        const returned = sink.fn(workflowInfoFromData(data), ...argumentsOf(call));
        if (isPromiseLike(returned)) (pending ??= []).push(Promise.resolve(returned).catch(failed));
      } catch (e) {
        failed(e);
      }
    }
  }
  return pending === undefined ? undefined : Promise.all(pending).then(() => undefined);
}

/**
 * Checks the `sinks` option's shape once, when the worker is made: an object of sinks, each an
 * object of `{ fn, callDuringReplay? }`.
 */
export function assertSinks(sinks: unknown): void {
  if (sinks === undefined) return;
  const fail = (what: string): never => {
    throw new InvalidArgumentError(
      `Worker option sinks: ${what}. It maps each sink name to its functions, each ` +
        '`{ fn(info, ...args), callDuringReplay? }`.',
    );
  };
  if (typeof sinks !== 'object' || sinks === null) fail('not an object');
  for (const [ifaceName, sink] of Object.entries(sinks as object)) {
    if (typeof sink !== 'object' || sink === null) fail(`sink '${ifaceName}' is not an object`);
    for (const [fnName, entry] of Object.entries(sink as object)) {
      const fn: unknown = (entry as { fn?: unknown } | null | undefined)?.fn;
      if (typeof fn !== 'function') fail(`${ifaceName}.${fnName} has no function \`fn\``);
      const replay: unknown = (entry as { callDuringReplay?: unknown }).callDuringReplay;
      if (replay !== undefined && typeof replay !== 'boolean') {
        fail(`${ifaceName}.${fnName}.callDuringReplay is not a boolean`);
      }
    }
  }
}

/** The registered function a call names: own properties only (not `toString`, `constructor`). */
function registered(
  sinks: InjectedSinks<Sinks> | undefined,
  call: SinkCallData,
): AnySinkFunction | undefined {
  if (sinks === undefined || !Object.hasOwn(sinks, call.ifaceName)) return undefined;
  const sink = sinks[call.ifaceName] as Record<string, AnySinkFunction | undefined> | undefined;
  if (sink === undefined || !Object.hasOwn(sink, call.fnName)) return undefined;
  const fn = sink[call.fnName];
  return typeof fn?.fn === 'function' ? fn : undefined;
}

/** The call's arguments, parsed in the host's realm: nothing of the sandbox's crosses. */
function argumentsOf(call: SinkCallData): unknown[] {
  const byIndex = JSON.parse(call.args) as Record<string, unknown>;
  const args = new Array<unknown>(call.argc);
  for (let i = 0; i < call.argc; i++) args[i] = byIndex[i];
  return args;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
