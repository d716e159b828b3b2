import { decodeFailure } from '../failures.ts';
import type { EngineApi, UpdateWorkflowResponse } from '../transport/engine-api.ts';
import { WorkflowUpdateFailedError } from './errors.ts';

/** How long one long-poll for an update waits before asking again. */
export const UPDATE_POLL_MS = 30_000;

/**
 * How far `startUpdate` waits. Temporal's `WorkflowUpdateStage`: `ACCEPTED` — the workflow's
 * validator passed and the update is in history; `COMPLETED` — its handler finished.
 */
export const WorkflowUpdateStage = {
  ADMITTED: 'ADMITTED',
  ACCEPTED: 'ACCEPTED',
  COMPLETED: 'COMPLETED',
} as const;
export type WorkflowUpdateStage = (typeof WorkflowUpdateStage)[keyof typeof WorkflowUpdateStage];

/** Options of `executeUpdate` and `startUpdate`. */
export interface WorkflowUpdateOptions {
  /**
   * Identifies the update: the same id sent again is applied once, and the second call gets the
   * first one's outcome. Default: a random UUID.
   */
  readonly updateId?: string | undefined;
}

/** The outcome of a completed update: its result, or `WorkflowUpdateFailedError`. */
export function updateResult(response: UpdateWorkflowResponse): unknown {
  const outcome = response.outcome;
  if (outcome === undefined) {
    throw new TypeError(`Update '${response.updateId}' has no outcome yet.`);
  }
  if (outcome.status === 'success') return outcome.result;
  throw new WorkflowUpdateFailedError('Workflow Update failed', decodeFailure(outcome.failure));
}

/**
 * A handle to an update that was sent (`startUpdate`) or is known by id (`getUpdateHandle`).
 * Temporal's `WorkflowUpdateHandle`.
 */
export class WorkflowUpdateHandle<Ret> {
  readonly updateId: string;
  readonly workflowId: string;
  /** The run the update went to; undefined for a handle from `getUpdateHandle` without it. */
  readonly workflowRunId: string | undefined;
  readonly #api: EngineApi;
  readonly #namespace: string;
  #known: UpdateWorkflowResponse | undefined;

  constructor(opts: {
    api: EngineApi;
    namespace: string;
    updateId: string;
    workflowId: string;
    workflowRunId: string | undefined;
    known?: UpdateWorkflowResponse | undefined;
  }) {
    this.#api = opts.api;
    this.#namespace = opts.namespace;
    this.updateId = opts.updateId;
    this.workflowId = opts.workflowId;
    this.workflowRunId = opts.workflowRunId;
    this.#known = opts.known;
  }

  /**
   * Waits for the update to complete and returns the handler's result. Throws
   * `WorkflowUpdateFailedError` (with the failure as `cause`) if it was rejected or failed.
   */
  async result(): Promise<Ret> {
    let response = this.#known;
    while (response?.stage !== 'Completed') {
      response = await this.#api.pollWorkflowUpdate({
        namespace: this.#namespace,
        workflowId: this.workflowId,
        runId: this.workflowRunId,
        updateId: this.updateId,
        waitForStage: 'Completed',
        waitMs: UPDATE_POLL_MS,
      });
    }
    this.#known = response;
    return updateResult(response) as Ret;
  }
}
