import * as z from 'zod';
import { InvalidArgumentError } from '../errors.ts';

/**
 * A payload is any JSON value. Reprise's default data converter is JSON: `undefined` inside
 * arrays becomes `null`, `Date` becomes its ISO string, as with `JSON.stringify`.
 */
export const Payload = z.unknown();
export type Payload = unknown;
export const Payloads = z.array(z.unknown());
export type Payloads = unknown[];

/** Temporal's `UserMetadata` (protocol/user-metadata.ts): a summary and details, as payloads. */
export const UserMetadataSchema = z.object({
  summary: Payload.optional(),
  details: Payload.optional(),
});

/** Hard limit on one payload, like Temporal's blob size limit. */
export const MAX_PAYLOAD_BYTES = 2 * 1024 * 1024;

/** The encoded size of a payload in bytes (UTF-8 of its JSON). */
export function payloadBytes(value: unknown): number {
  const json = JSON.stringify(value) as string | undefined;
  // JSON.stringify escapes lone surrogates, so this counts what a store writes.
  return json === undefined ? 0 : Buffer.byteLength(json, 'utf8');
}

/**
 * Reprise's data converter is JSON: a value crosses a process, the store or the sandbox as its
 * JSON form. Converting once on the way out means the in-process transport behaves exactly like
 * the HTTP one (no shared references, `Date` → string, `undefined` in arrays → null).
 */
export function toPayload(value: unknown): unknown {
  if (value === undefined) return undefined;
  let json: string | undefined;
  try {
    json = jsonOf(value);
  } catch (e) {
    // A BigInt, a circular structure, a toJSON() that throws.
    throw notJson(value, e instanceof Error ? e.message : String(e));
  }
  // A function or a symbol.
  if (json === undefined) throw notJson(value, 'JSON has no form for it');
  return JSON.parse(json) as unknown;
}

/** JSON.stringify, typed as it behaves: undefined for a function or a symbol. */
function jsonOf(value: unknown): string | undefined {
  return JSON.stringify(value);
}

function notJson(value: unknown, reason: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `Cannot convert a ${typeof value} to a payload (${reason}): arguments, results and ` +
      'heartbeat details are JSON; pass plain data (objects, arrays, strings, numbers, ' +
      'booleans, null), or set a dataConverter whose payloadConverter takes the value.',
  );
}

export function toPayloads(values: readonly unknown[]): unknown[] {
  return values.map((v) => (v === undefined ? null : toPayload(v)));
}

/**
 * Headers as requests, commands, events and tasks carry them (protocol/headers.ts): each value a
 * Payload in its JSON form, metadata and data as base64. Absent when a call has none.
 */
export const WireHeadersSchema = z.record(
  z.string(),
  z.strictObject({
    metadata: z.record(z.string(), z.base64()),
    data: z.base64().optional(),
  }),
);
