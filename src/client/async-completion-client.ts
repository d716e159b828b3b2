import { DataConverterError, ErrorCode, RepriseError } from '../errors.ts';
import { encodeFailure } from '../failures.ts';
import { toPayload, toPayloads } from '../protocol/payload.ts';
import type { ActivityTaskTarget, EngineApi } from '../transport/engine-api.ts';
import {
  ActivityCancelledError,
  ActivityCompletionError,
  ActivityNotFoundError,
} from './errors.ts';

/**
 * An activity by id, instead of by task token: activity `activityId` of workflow `workflowId`'s
 * run `runId` (its latest run without one). Temporal's `FullActivityId`.
 */
export interface FullActivityId {
  readonly workflowId: string;
  readonly runId?: string | undefined;
  readonly activityId: string;
}

/**
 * Completes, fails and heartbeats activities from outside the worker: for an activity that
 * threw `CompleteAsyncError` after handing its `activityInfo().taskToken` (or its workflow id
 * and activity id) to another system. `client.activity` of a {@link Client}; Temporal's
 * `AsyncCompletionClient`.
 *
 * Each method takes the activity's task token (`activityInfo().taskToken`, or the bytes of its
 * `base64TaskToken` as a `Uint8Array`, Temporal's form), or a {@link FullActivityId}: by id, it
 * acts on the activity's current attempt, and `complete` also completes an activity whose
 * attempt has not started (waiting for a worker or to retry), as Temporal does.
 *
 * Every method throws `ActivityNotFoundError` when the token's attempt (or the activity the id
 * names) is no longer running (completed, failed, timed out, retried, cancelled, or its workflow
 * closed): nothing is recorded. `ActivityCompletionError`, its `cause` the engine's error, when
 * the engine refuses the call for another reason (a malformed token, a result too large).
 *
 * @example
 * ```ts
 * await client.activity.complete(taskToken, { approved: true });
 * await client.activity.complete({ workflowId: 'order-42', activityId: 'approve' }, { approved: true });
 * ```
 */
export class AsyncCompletionClient {
  readonly #api: EngineApi;
  readonly #identity: string;
  readonly #namespace: string;

  constructor(api: EngineApi, identity: string, namespace = 'default') {
    this.#api = api;
    this.#identity = identity;
    this.#namespace = namespace;
  }

  /** Completes the activity with `result`; the workflow's `await` resolves with it. */
  async complete(
    taskTokenOrFullActivityId: string | Uint8Array | FullActivityId,
    result?: unknown,
  ): Promise<void> {
    await this.#call(() =>
      this.#api.completeActivityTask({
        ...this.#target(taskTokenOrFullActivityId),
        identity: this.#identity,
        result: toPayload(result),
      }),
    );
  }

  /**
   * Fails the attempt with `err`; the activity's retry policy decides whether another attempt
   * runs (an `ApplicationFailure.nonRetryable` never retries).
   */
  async fail(
    taskTokenOrFullActivityId: string | Uint8Array | FullActivityId,
    err: unknown,
  ): Promise<void> {
    await this.#call(() =>
      this.#api.failActivityTask({
        ...this.#target(taskTokenOrFullActivityId),
        identity: this.#identity,
        failure: encodeFailure(err),
      }),
    );
  }

  /** Confirms a cancellation the workflow requested (learnt from `heartbeat`). */
  async reportCancellation(
    taskTokenOrFullActivityId: string | Uint8Array | FullActivityId,
    details?: unknown,
  ): Promise<void> {
    await this.#call(() =>
      this.#api.reportActivityTaskCanceled({
        ...this.#target(taskTokenOrFullActivityId),
        identity: this.#identity,
        details: details === undefined ? undefined : toPayloads([details]),
      }),
    );
  }

  /**
   * Records progress (and keeps a `heartbeatTimeout` from passing). Throws
   * `ActivityCancelledError` when the workflow requested the activity's cancellation.
   */
  async heartbeat(
    taskTokenOrFullActivityId: string | Uint8Array | FullActivityId,
    details?: unknown,
  ): Promise<void> {
    const response = await this.#call(() =>
      this.#api.heartbeatActivityTask({
        ...this.#target(taskTokenOrFullActivityId),
        identity: this.#identity,
        details: details === undefined ? [] : toPayloads([details]),
      }),
    );
    if (response.cancelRequested) {
      throw new ActivityCancelledError(
        'The workflow requested cancellation of this activity: stop, and confirm with client.activity.reportCancellation().',
      );
    }
  }

  #target(taskTokenOrFullActivityId: string | Uint8Array | FullActivityId): ActivityTaskTarget {
    if (typeof taskTokenOrFullActivityId === 'string') {
      return { taskToken: taskTokenOrFullActivityId };
    }
    // The token's bytes, Temporal's form: `Buffer.from(info.base64TaskToken, 'base64')`.
    if (taskTokenOrFullActivityId instanceof Uint8Array) {
      return { taskToken: new TextDecoder().decode(taskTokenOrFullActivityId) };
    }
    const { workflowId, runId, activityId } = taskTokenOrFullActivityId;
    return { activity: { namespace: this.#namespace, workflowId, runId, activityId } };
  }

  async #call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (e) {
      if (!(e instanceof RepriseError)) throw e;
      if (e.code === ErrorCode.ActivityTaskNotFound) {
        throw new ActivityNotFoundError(e.message, { cause: e });
      }
      // As Temporal's client: a missing namespace is itself; a value the data converter cannot
      // encode never reached the engine. Any other refusal is the completion's.
      if (e.code === ErrorCode.NamespaceNotFound || e instanceof DataConverterError) throw e;
      throw new ActivityCompletionError(e.message, { cause: e });
    }
  }
}
