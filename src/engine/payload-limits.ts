import { PayloadTooLargeError } from '../errors.ts';
import type { Failure } from '../protocol/failure.ts';
import { payloadBytes } from '../protocol/payload.ts';
import { MAX_DETAILS_BYTES, MAX_SUMMARY_BYTES } from '../protocol/user-metadata.ts';
import type { UserMetadata } from '../protocol/user-metadata.ts';
import type { EngineDeps } from './deps.ts';

/** How much of an oversized failure's message its replacement keeps. */
const KEPT_MESSAGE_CHARS = 1000;

/**
 * Contract 7: an oversized payload is refused before anything is written. One past
 * `payloadSizeWarnBytes` is accepted with a logged warning (Temporal's blob-size warning).
 */
export function checkPayload(deps: EngineDeps, what: string, value: unknown): void {
  const size = payloadBytes(value);
  if (size > deps.limits.maxPayloadBytes) {
    throw new PayloadTooLargeError(what, size, deps.limits.maxPayloadBytes);
  }
  warnIfLarge(deps, what, size, 'are refused');
}

/**
 * A failure over the payload limit is replaced, not refused, so that what failed still ends: by
 * a non-retryable ServerFailure that says so and keeps the start of its message (Temporal
 * replaces an oversized activity failure the same way).
 */
export function limitFailure(deps: EngineDeps, what: string, failure: Failure): Failure {
  const size = payloadBytes(failure);
  const max = deps.limits.maxPayloadBytes;
  if (size <= max) {
    warnIfLarge(deps, what, size, 'are replaced by a shorter failure');
    return failure;
  }
  deps.logger.warn(
    { sizeBytes: size, limitBytes: max },
    `${what} is ${size} bytes, over the ${max}-byte payload limit: recorded as a shorter failure. ` +
      'Keep large data out of errors (put it elsewhere and name it in the message).',
  );
  return {
    message:
      `${what} was ${size} bytes, over the ${max}-byte payload limit, and was replaced; its ` +
      `message began: ${failure.message.slice(0, KEPT_MESSAGE_CHARS)}`,
    info: { type: 'server', nonRetryable: true },
  };
}

/** `overLimit`: what happens to one over the limit ("are refused"). */
function warnIfLarge(deps: EngineDeps, what: string, size: number, overLimit: string): void {
  if (size <= deps.limits.payloadSizeWarnBytes) return;
  deps.logger.warn(
    { sizeBytes: size, warnBytes: deps.limits.payloadSizeWarnBytes },
    `${what} is ${size} bytes, past the ${deps.limits.payloadSizeWarnBytes}-byte warning threshold; ` +
      `payloads over ${deps.limits.maxPayloadBytes} bytes ${overLimit}. Store large data elsewhere and pass a reference.`,
  );
}

/**
 * What is wrong with the sizes of `m` (Temporal's limits on a summary and details), as a message
 * naming `what` and the option names its caller used; undefined when nothing is. Measured as
 * stored: the payload after the data converter, as Temporal's server measures it.
 */
export function userMetadataProblem(
  m: UserMetadata | undefined,
  what: string,
  names: { summary: string; details?: string | undefined },
): string | undefined {
  if (m === undefined) return undefined;
  const summaryBytes = m.summary === undefined ? 0 : payloadBytes(m.summary);
  if (summaryBytes > MAX_SUMMARY_BYTES) {
    return (
      `The ${names.summary} of ${what} is ${summaryBytes} bytes as stored, over the ` +
      `${MAX_SUMMARY_BYTES}-byte limit (Temporal's): a summary is one short line. Shorten it` +
      (names.details === undefined
        ? '.'
        : `, and put longer text in ${names.details} (up to ${MAX_DETAILS_BYTES} bytes).`)
    );
  }
  const detailsBytes = m.details === undefined ? 0 : payloadBytes(m.details);
  if (detailsBytes > MAX_DETAILS_BYTES) {
    return (
      `The ${names.details ?? 'details'} of ${what} is ${detailsBytes} bytes as stored, over ` +
      `the ${MAX_DETAILS_BYTES}-byte limit (Temporal's). Shorten it: keep large data out of ` +
      'metadata (in the memo, or elsewhere with a reference).'
    );
  }
  return undefined;
}
