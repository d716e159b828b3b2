import { PayloadTooLargeError } from '../errors.ts';
import { payloadBytes } from '../protocol/payload.ts';
import type { EngineDeps } from './deps.ts';

/** Contract 7: an oversized payload is refused before anything is written. */
export function checkPayload(deps: EngineDeps, what: string, value: unknown): void {
  const size = payloadBytes(value);
  if (size > deps.limits.maxPayloadBytes) {
    throw new PayloadTooLargeError(what, size, deps.limits.maxPayloadBytes);
  }
}
