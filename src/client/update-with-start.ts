// Update-with-start on the client: Temporal's WithStartWorkflowOperation and the call behind
// `client.workflow.executeUpdateWithStart` / `startUpdateWithStart`.
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '../errors.ts';
import type { UpdateDefinition, Workflow } from '../protocol/definitions.ts';
import { toPayloads } from '../protocol/payload.ts';
import type {
  EngineApi,
  StartWorkflowRequest,
  UpdateWithStartResponse,
  UpdateWithStartWorkflowRequest,
} from '../transport/engine-api.ts';
import type { WorkflowStartOptions } from './client.ts';
import type { WorkflowIdConflictPolicy } from './workflow-id-options.ts';
import { WorkflowHandle } from './workflow-handle.ts';
import { updateCallError } from './errors.ts';
import { UPDATE_POLL_MS, WorkflowUpdateHandle } from './workflow-update-handle.ts';
import type { WorkflowUpdateOptions } from './workflow-update-handle.ts';
import { headersToWire } from '../protocol/headers.ts';
import type { Headers } from '../protocol/headers.ts';
import { composeInterceptors } from '../protocol/interceptors.ts';
import type {
  CompiledWorkflowOptions,
  WorkflowClientInterceptor,
  WorkflowStartUpdateWithStartInput,
  WorkflowStartUpdateWithStartOutput,
} from './interceptors.ts';

/** The start options of an update-with-start: `workflowIdConflictPolicy` is required. */
export type WithStartWorkflowOptions<T extends Workflow = Workflow> = WorkflowStartOptions<T> & {
  readonly workflowIdConflictPolicy: WorkflowIdConflictPolicy;
};

interface Settle<T extends Workflow> {
  resolve(handle: WorkflowHandle<T>): void;
  reject(error: unknown): void;
}

/** Takes an operation for its one call; throws if it was used already. */
let claim: <T extends Workflow>(op: WithStartWorkflowOperation<T>) => Settle<T>;

/**
 * How to start the workflow in `client.workflow.executeUpdateWithStart` and
 * `startUpdateWithStart` (Temporal's class): the workflow and its start options, with a
 * `workflowIdConflictPolicy` — `'USE_EXISTING'` sends the update to the running run, `'FAIL'`
 * throws `WorkflowExecutionAlreadyStartedError` if one runs, `'TERMINATE_EXISTING'` replaces it.
 * One operation serves one call. `workflowHandle()` gives the workflow's handle once the call has
 * started the run or found it (whether or not the update then succeeds), and rejects with the
 * call's error if it did neither.
 * @example
 * const op = new WithStartWorkflowOperation(cart, {
 *   workflowId: 'cart-ann', taskQueue: 'shop', args: ['ann'], workflowIdConflictPolicy: 'USE_EXISTING',
 * });
 * const count = await client.workflow.executeUpdateWithStart(addItem, { args: ['apple'], startWorkflowOperation: op });
 * const handle = await op.workflowHandle();
 */
export class WithStartWorkflowOperation<T extends Workflow = Workflow> {
  readonly workflowTypeOrFunc: string | T;
  readonly options: WithStartWorkflowOptions<T>;
  #used = false;
  readonly #handle: Promise<WorkflowHandle<T>>;
  #settle: Settle<T> | undefined;

  static {
    claim = <T extends Workflow>(op: WithStartWorkflowOperation<T>): Settle<T> => {
      if (op.#used || op.#settle === undefined) {
        throw new InvalidArgumentError(
          `This WithStartWorkflowOperation (workflow '${op.options.workflowId}') was used by an ` +
            'update-with-start already: create a new one for each call.',
        );
      }
      op.#used = true;
      return op.#settle;
    };
  }

  constructor(workflowTypeOrFunc: string | T, options: WithStartWorkflowOptions<T>) {
    this.workflowTypeOrFunc = workflowTypeOrFunc;
    this.options = options;
    this.#handle = new Promise<WorkflowHandle<T>>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    // Rejected when the call fails, which throws to its caller too: not an unhandled rejection
    // if nobody asks for the handle.
    this.#handle.catch(() => undefined);
  }

  /** The workflow's handle, once the update-with-start call started or found its run. */
  async workflowHandle(): Promise<WorkflowHandle<T>> {
    return this.#handle;
  }
}

/** Options of `startUpdateWithStart` and `executeUpdateWithStart`. */
export type UpdateWithStartOptions<
  T extends Workflow,
  Args extends unknown[],
> = WorkflowUpdateOptions & {
  readonly args?: Args | undefined;
  readonly startWorkflowOperation: WithStartWorkflowOperation<T>;
};

/**
 * Sends the update-with-start and waits for `waitForStage`: settles the operation's handle with
 * the first answer (or the error, if there was none), and re-sends the request — the updateId
 * makes that safe — while the update is only admitted, as Temporal's client does.
 */
export async function updateWithStart<T extends Workflow, Ret, Args extends unknown[]>(
  ctx: {
    api: EngineApi;
    namespace: string;
    identity: string;
    interceptors: readonly WorkflowClientInterceptor[];
    /** The workflow type and start options the interceptors see. */
    startInput: () => { workflowType: string; options: CompiledWorkflowOptions };
    startRequest: (
      workflowType: string,
      options: CompiledWorkflowOptions,
      headers: Headers,
    ) => StartWorkflowRequest;
  },
  def: UpdateDefinition<Ret, Args> | string,
  options: UpdateWithStartOptions<T, Args>,
  waitForStage: 'Accepted' | 'Completed',
): Promise<WorkflowUpdateHandle<Ret>> {
  const op = options.startWorkflowOperation;
  const settle = claim(op);
  // Set inside the interceptor chain's last link: once set, the handle has its answer.
  const progress = { settled: false };
  try {
    const start = ctx.startInput();
    const send = async (
      input: WorkflowStartUpdateWithStartInput,
    ): Promise<WorkflowStartUpdateWithStartOutput> => {
      const req: UpdateWithStartWorkflowRequest = {
        start: ctx.startRequest(
          input.workflowType,
          input.workflowStartOptions,
          input.workflowStartHeaders,
        ),
        update: {
          updateId: input.updateOptions.updateId ?? randomUUID(),
          name: input.updateName,
          args: toPayloads(input.updateArgs),
          header: headersToWire(input.updateHeaders, `update '${input.updateName}'`),
          identity: ctx.identity,
          waitForStage,
          waitMs: UPDATE_POLL_MS,
        },
      };
      let r: UpdateWithStartResponse = await ctx.api.updateWithStartWorkflow(req);
      settle.resolve(handleOf(ctx, op, r));
      progress.settled = true;
      while (r.update.stage === 'Admitted') r = await ctx.api.updateWithStartWorkflow(req);
      return {
        workflowExecution: { workflowId: req.start.workflowId, runId: r.update.runId },
        updateId: r.update.updateId,
        updateOutcome: r.update.outcome,
      };
    };
    const output = await composeInterceptors(
      ctx.interceptors,
      'startUpdateWithStart',
      send,
    )({
      workflowType: start.workflowType,
      workflowStartOptions: start.options,
      workflowStartHeaders: {},
      updateName: typeof def === 'string' ? def : def.name,
      updateArgs: options.args ?? [],
      updateOptions: { updateId: options.updateId },
      updateHeaders: {},
    });
    const { workflowId, runId } = output.workflowExecution;
    const outcome = output.updateOutcome;
    // A rejected or failed update still gives its handle, as Temporal's: result() throws.
    return new WorkflowUpdateHandle<Ret>({
      api: ctx.api,
      namespace: ctx.namespace,
      updateId: output.updateId,
      workflowId,
      workflowRunId: runId,
      known:
        outcome === undefined
          ? undefined
          : { runId, updateId: output.updateId, stage: 'Completed', outcome },
    });
  } catch (thrown) {
    const e = updateCallError(thrown, 'Update-With-Start failed');
    if (!progress.settled) settle.reject(e);
    throw e;
  }
}

/**
 * The workflow's handle: as `start()`'s for a run this call started (its chain), as
 * `signalWithStart()`'s for a running run it found (`result()` follows that run's chain).
 */
function handleOf<T extends Workflow>(
  ctx: {
    api: EngineApi;
    namespace: string;
    identity: string;
    interceptors: readonly WorkflowClientInterceptor[];
  },
  op: WithStartWorkflowOperation<T>,
  r: UpdateWithStartResponse,
): WorkflowHandle<T> {
  return new WorkflowHandle<T>({
    api: ctx.api,
    namespace: ctx.namespace,
    identity: ctx.identity,
    interceptors: ctx.interceptors,
    workflowId: op.options.workflowId,
    runId: undefined,
    firstExecutionRunId: r.started ? r.runId : undefined,
    runIdForResult: r.runId,
    followRuns: op.options.followRuns,
  });
}
