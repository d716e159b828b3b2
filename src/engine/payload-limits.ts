import { PayloadTooLargeError } from '../errors.ts';
import type { Failure } from '../protocol/failure.ts';
import { payloadBytes } from '../protocol/payload.ts';
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
