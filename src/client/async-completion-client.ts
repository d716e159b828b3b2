import { ErrorCode, RepriseError } from '../errors.ts';
import { encodeFailure } from '../failures.ts';
import { toPayload, toPayloads } from '../protocol/payload.ts';
import type { EngineApi } from '../transport/engine-api.ts';
import { ActivityCancelledError, ActivityNotFoundError } from './errors.ts';

/**
 * Completes, fails and heartbeats activities from outside the worker: for an activity that
 * threw `CompleteAsyncError` after handing its `activityInfo().taskToken` to another system.
 * `client.activity` of a {@link Client}; Temporal's `AsyncCompletionClient`.
 *
 * Every method throws `ActivityNotFoundError` when the token's attempt is no longer running
 * (completed, failed, timed out, retried, cancelled, or its workflow closed): nothing is recorded.
 *
 * @example
 * ```ts
 * await client.activity.complete(taskToken, { approved: true });
 * ```
 */
export class AsyncCompletionClient {
  readonly #api: EngineApi;
  readonly #identity: string;

  constructor(api: EngineApi, identity: string) {
    this.#api = api;
    this.#identity = identity;
  }

  /** Completes the activity with `result`; the workflow's `await` resolves with it. */
  async complete(taskToken: string, result?: unknown): Promise<void> {
    await this.#call(() =>
      this.#api.completeActivityTask({
        taskToken,
        identity: this.#identity,
        result: toPayload(result),
      }),
    );
  }

  /**
   * Fails the attempt with `err`; the activity's retry policy decides whether another attempt
   * runs (an `ApplicationFailure.nonRetryable` never retries).
   */
  async fail(taskToken: string, err: unknown): Promise<void> {
    await this.#call(() =>
      this.#api.failActivityTask({
        taskToken,
        identity: this.#identity,
        failure: encodeFailure(err),
      }),
    );
  }

  /** Confirms a cancellation the workflow requested (learnt from `heartbeat`). */
  async reportCancellation(taskToken: string, details?: unknown): Promise<void> {
    await this.#call(() =>
      this.#api.reportActivityTaskCanceled({
        taskToken,
        identity: this.#identity,
        details: details === undefined ? undefined : toPayloads([details]),
      }),
    );
  }

  /**
   * Records progress (and keeps a `heartbeatTimeout` from passing). Throws
   * `ActivityCancelledError` when the workflow requested the activity's cancellation.
   */
  async heartbeat(taskToken: string, details?: unknown): Promise<void> {
    const response = await this.#call(() =>
      this.#api.heartbeatActivityTask({
        taskToken,
        identity: this.#identity,
        details: details === undefined ? [] : toPayloads([details]),
      }),
    );
    if (response.cancelRequested) {
      throw new ActivityCancelledError(
        'The workflow requested cancellation of this activity: stop, and confirm with client.activity.reportCancellation(taskToken).',
      );
    }
  }

  async #call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (e) {
      if (e instanceof RepriseError && e.code === ErrorCode.ActivityTaskNotFound) {
        throw new ActivityNotFoundError(e.message, { cause: e });
      }
      throw e;
    }
  }
}
