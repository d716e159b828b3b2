import { z } from 'zod';

/**
 * A payload is any JSON value. Reprise's default data converter is JSON: `undefined` inside
 * arrays becomes `null`, `Date` becomes its ISO string, as with `JSON.stringify`.
 */
export const Payload = z.unknown();
export type Payload = unknown;
export const Payloads = z.array(z.unknown());
export type Payloads = unknown[];

/** Hard limit on one payload, like Temporal's blob size limit. */
export const MAX_PAYLOAD_BYTES = 2 * 1024 * 1024;

/** The encoded size of a payload in bytes (UTF-8 of its JSON). */
export function payloadBytes(value: unknown): number {
  const json = JSON.stringify(value) as string | undefined;
  return json === undefined ? 0 : utf8Length(json);
}

function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
