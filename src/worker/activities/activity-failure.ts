import { ensureError } from '../../errors.ts';
import { ApplicationFailure, encodeFailure, isApplicationFailure } from '../../failures.ts';
import type { Failure } from '../../protocol/failure.ts';

/**
 * The failure an activity attempt (or local activity attempt) is recorded with for `err`, the
 * error it ended with. An `ApplicationFailure` whose fields were set after it was made to values
 * that cannot be recorded (a `nextRetryDelay` that is not a duration, an unknown `category`)
 * fails the attempt all the same, with a failure of its type and retryability that says what is
 * wrong, instead of losing the attempt's answer (it would time out).
 */
export function encodeActivityFailure(err: Error, activityType: string): Failure {
  try {
    return encodeFailure(err);
  } catch (e) {
    const application = isApplicationFailure(err);
    const replacement = ApplicationFailure.create({
      message:
        `Activity '${activityType}' failed with an ApplicationFailure that cannot be recorded as thrown: ` +
        `${ensureError(e).message} It is recorded without its nextRetryDelay and category (the retry policy's backoff applies); ` +
        `fix the value where the failure is made. Its message: ${err.message}`,
      type: application ? err.type : err.name,
      nonRetryable: application && err.nonRetryable,
    });
    if (err.stack !== undefined) replacement.stack = err.stack;
    return encodeFailure(replacement);
  }
}
