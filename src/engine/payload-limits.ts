import { PayloadTooLargeError } from '../errors.ts';
import { payloadBytes } from '../protocol/payload.ts';
import type { EngineDeps } from './deps.ts';

/**
 * Contract 7: an oversized payload is refused before anything is written. One past
 * `payloadSizeWarnBytes` is accepted with a logged warning (Temporal's blob-size warning).
 */
export function checkPayload(deps: EngineDeps, what: string, value: unknown): void {
  const size = payloadBytes(value);
  if (size > deps.limits.maxPayloadBytes) {
    throw new PayloadTooLargeError(what, size, deps.limits.maxPayloadBytes);
  }
  if (size > deps.limits.payloadSizeWarnBytes) {
    deps.logger.warn(
      { sizeBytes: size, warnBytes: deps.limits.payloadSizeWarnBytes },
      `${what} is ${size} bytes, past the ${deps.limits.payloadSizeWarnBytes}-byte warning threshold; ` +
        `payloads over ${deps.limits.maxPayloadBytes} bytes are refused. Store large data elsewhere and pass a reference.`,
    );
  }
}
