// Sandbox-safe: continue-as-new. The workflow throws ContinueAsNew; the Activator turns it into
// the ContinueAsNewWorkflowExecution command that closes this run and starts the next.
import { headersToWire } from '../protocol/headers.ts';
import type { Headers } from '../protocol/headers.ts';
import type { CommandOf } from '../protocol/commands.ts';
import type { Workflow } from '../protocol/definitions.ts';
import { msOptionalFromDuration } from '../protocol/duration.ts';
import type { Duration } from '../protocol/duration.ts';
import { typedKeyTypes, unifySearchAttributes } from '../protocol/typed-search-attributes.ts';
import type { TypedSearchAttributesInput } from '../protocol/typed-search-attributes.ts';
import { getActivator } from './context.ts';
import { argsAtCall } from './runtime-helpers.ts';

const CONTINUE_AS_NEW = Symbol.for('reprise.continueAsNew');

/**
 * Thrown by {@link continueAsNew}: it must propagate out of the workflow function (do not catch
 * it). Temporal's `ContinueAsNew`.
 */
export class ContinueAsNew extends Error {
  readonly command: CommandOf<'ContinueAsNewWorkflowExecution'>;
  constructor(command: CommandOf<'ContinueAsNewWorkflowExecution'>) {
    super('Workflow continued as new');
    this.name = 'ContinueAsNew';
    this.command = command;
    Object.defineProperty(this, CONTINUE_AS_NEW, { value: true });
  }
}

export function isContinueAsNew(e: unknown): e is ContinueAsNew {
  return (
    typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[CONTINUE_AS_NEW] === true
  );
}

/** Options of {@link makeContinueAsNewFunc}; each defaults to the current run's. */
export interface ContinueAsNewOptions {
  /** Workflow type of the next run. Default: this workflow's. */
  readonly workflowType?: string | undefined;
  /** Task queue of the next run. Default: this workflow's. */
  readonly taskQueue?: string | undefined;
  readonly workflowRunTimeout?: Duration | undefined;
  readonly workflowTaskTimeout?: Duration | undefined;
  /** Memo of the next run. Default: this run's. */
  readonly memo?: Record<string, unknown> | undefined;
  /** Search attributes of the next run. Default: this run's. */
  readonly searchAttributes?: Record<string, unknown> | undefined;
  /**
   * Search attributes of the next run as typed pairs (or a `TypedSearchAttributes`). Default:
   * this run's. Where both are given, a typed one wins over an untyped one of the same name.
   */
  readonly typedSearchAttributes?: TypedSearchAttributesInput | undefined;
}

/**
 * Returns a function that continues this workflow as a new run with the given arguments: the
 * run closes as ContinuedAsNew and a new run of the same workflow id starts with a fresh
 * history. The returned promise never resolves: it rejects with {@link ContinueAsNew}, which must
 * propagate out of the workflow function. Temporal's `makeContinueAsNewFunc`.
 *
 * @example
 * ```ts
 * const next = makeContinueAsNewFunc<typeof agent>({ taskQueue: 'agents-v2' });
 * await next(summary);
 * ```
 */
export function makeContinueAsNewFunc<F extends Workflow>(
  options: ContinueAsNewOptions = {},
): (...args: Parameters<F>) => Promise<never> {
  return (...args: Parameters<F>): Promise<never> => {
    const activator = getActivator();
    const info = activator.workflowInfo();
    return activator.interceptors.outbound('continueAsNew', (input) =>
      Promise.reject(
        new ContinueAsNew(continueAsNewCommand(input.args, input.options, info, input.headers)),
      ),
    )({
      args,
      headers: {},
      // As Temporal's: the interceptors see the workflow type and task queue the next run gets.
      options: {
        ...options,
        workflowType: options.workflowType ?? info.workflowType,
        taskQueue: options.taskQueue ?? info.taskQueue,
      },
    });
  };
}

function continueAsNewCommand(
  args: unknown[],
  options: ContinueAsNewOptions,
  info: { workflowType: string; taskQueue: string },
  headers: Headers,
): CommandOf<'ContinueAsNewWorkflowExecution'> {
  const header = headersToWire(headers, 'continueAsNew');
  const command: CommandOf<'ContinueAsNewWorkflowExecution'> = {
    type: 'ContinueAsNewWorkflowExecution',
    workflowType: options.workflowType ?? info.workflowType,
    taskQueue: options.taskQueue ?? info.taskQueue,
    // As they are at the call: a `finally` run before the run closes must not change them.
    args: argsAtCall(args),
  };
  const runTimeoutMs = msOptionalFromDuration(options.workflowRunTimeout);
  const taskTimeoutMs = msOptionalFromDuration(options.workflowTaskTimeout);
  if (runTimeoutMs !== undefined) command.workflowRunTimeoutMs = runTimeoutMs;
  if (taskTimeoutMs !== undefined) command.workflowTaskTimeoutMs = taskTimeoutMs;
  if (header !== undefined) command.header = header;
  if (options.memo !== undefined) command.memo = options.memo;
  if (options.typedSearchAttributes !== undefined) {
    command.searchAttributes = unifySearchAttributes(
      options.searchAttributes,
      options.typedSearchAttributes,
      'the continue-as-new options',
    );
    const keyTypes = typedKeyTypes(options.typedSearchAttributes);
    if (keyTypes !== undefined) command.searchAttributeTypes = keyTypes;
  } else if (options.searchAttributes !== undefined) {
    command.searchAttributes = options.searchAttributes;
  }
  return command;
}

/**
 * Continues this workflow as a new run of the same type and task queue, with `args`: history
 * starts afresh (do it when `workflowInfo().continueAsNewSuggested`). Never resolves; the
 * rejection must propagate out of the workflow function. `handle.result()` follows the chain.
 * Temporal's `continueAsNew`.
 *
 * @example
 * ```ts
 * if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof loop>(state);
 * ```
 */
export function continueAsNew<F extends Workflow>(...args: Parameters<F>): Promise<never> {
  return makeContinueAsNewFunc<F>()(...args);
}
