// Sandbox-safe: sinks, the workflow end. Workflow code calls a sink function; the call is
// collected with the activation's answer and the worker runs the function it registered under
// that name (worker/sinks.ts) once the activation is done. Nothing comes back to the workflow.
import { getActivator } from './context.ts';
import type { WorkflowInfo } from './workflow-info.ts';

/**
 * A sink function: any signature that returns nothing. Its arguments are copied out of the
 * sandbox as JSON when it is called (see {@link proxySinks}).
 */
export type SinkFunction = (...args: never[]) => void;

/** One sink: its functions by name (a logger's `info`, `error`, …). */
export type Sink = Record<string, SinkFunction>;

/** The sinks a workflow calls, by name: what `proxySinks<T>()` is typed with. */
export type Sinks = Record<string, Sink>;

/** A call of a sink function, as the worker receives it. Temporal's `SinkCall`. */
export interface SinkCall {
  ifaceName: string;
  fnName: string;
  args: unknown[];
  /** `workflowInfo()` at the call. */
  workflowInfo: WorkflowInfo;
}

/**
 * The sinks registered on the worker (`sinks` worker option), typed by `T`: a way to send data
 * (metrics, traces, logs to a sink of your own) out of workflow code, which cannot reach the
 * outside world. A call returns nothing and never waits: it is collected with the activation and
 * the worker calls the sink function once the activation is done, in call order, with
 * `workflowInfo()` at the call and the arguments copied as JSON at the call (a later change to
 * them is not seen; a `Date` arrives as its ISO string, a `Map` as `{}`; a `BigInt` or a cycle
 * throws here). Not while the worker replays history, unless the function is registered with
 * `callDuringReplay: true`.
 *
 * @example
 * ```ts
 * interface MySinks extends Sinks {
 *   metrics: { orderPlaced(amount: number): void };
 * }
 * const { metrics } = proxySinks<MySinks>();
 *
 * export async function order(amount: number): Promise<void> {
 *   metrics.orderPlaced(amount);
 * }
 * ```
 */
// Temporal's signature: the type parameter only types what it returns.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function proxySinks<T extends Sinks>(): T {
  return new Proxy(
    {},
    {
      get(_, ifaceName) {
        if (typeof ifaceName !== 'string') return undefined;
        return new Proxy(
          {},
          {
            get(_, fnName) {
              if (typeof fnName !== 'string') return undefined;
              return (...args: unknown[]) => {
                getActivator().callSink(ifaceName, fnName, args);
              };
            },
          },
        );
      },
    },
  ) as T;
}
