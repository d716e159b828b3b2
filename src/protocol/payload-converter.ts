// Sandbox-safe: Temporal's `PayloadConverter` and its default (undefined, bytes, then JSON), for
// clients and workers (common/data-converter.ts) and for workflow code, whose interceptors make
// and read header payloads with it.
import { InvalidArgumentError } from '../errors.ts';
import type { Payload } from './headers.ts';

/* eslint-disable @typescript-eslint/no-unnecessary-type-parameters -- Temporal's signatures, so
   converters written for Temporal type-check here */
/** Temporal's `PayloadConverter`: a value to a payload and back, synchronously. */
export interface PayloadConverter {
  /** Throws if the value cannot be converted. */
  toPayload<T>(value: T): Payload;
  fromPayload<T>(payload: Payload): T;
}

export const METADATA_ENCODING_KEY = 'encoding';

// Made on first use: in the workflow sandbox, TextEncoder exists only once the runtime is set up.
let encoder: { encode(text: string): Uint8Array } | undefined;
let decoder: { decode(bytes: Uint8Array): string } | undefined;
const utf8 = { encode: (text: string): Uint8Array => (encoder ??= new TextEncoder()).encode(text) };
const fromUtf8 = {
  decode: (bytes: Uint8Array): string => (decoder ??= new TextDecoder()).decode(bytes),
};
const ENCODING_NULL = 'binary/null';
const ENCODING_BYTES = 'binary/plain';
const ENCODING_JSON = 'json/plain';

/** Temporal's default converter: undefined, bytes, then JSON. */
export const defaultPayloadConverter: PayloadConverter = {
  toPayload<T>(value: T): Payload {
    if (value === undefined) return { metadata: { encoding: utf8.encode(ENCODING_NULL) } };
    if (value instanceof Uint8Array) {
      return { metadata: { encoding: utf8.encode(ENCODING_BYTES) }, data: value };
    }
    const json = JSON.stringify(value) as string | undefined;
    if (json === undefined) {
      throw new InvalidArgumentError(`Cannot convert a ${typeof value} to JSON: pass data.`);
    }
    return { metadata: { encoding: utf8.encode(ENCODING_JSON) }, data: utf8.encode(json) };
  },
  fromPayload<T>(payload: Payload): T {
    const encoding = encodingOf(payload);
    if (encoding === ENCODING_NULL) return undefined as T;
    if (encoding === ENCODING_BYTES) return (payload.data ?? new Uint8Array()) as T;
    if (encoding === ENCODING_JSON)
      return JSON.parse(fromUtf8.decode(payload.data ?? new Uint8Array())) as T;
    throw new InvalidArgumentError(
      `No payload converter for encoding '${encoding}': configure the dataConverter (its payloadConverter and payloadCodecs) that wrote it.`,
    );
  },
};
/* eslint-enable @typescript-eslint/no-unnecessary-type-parameters */

/** The `encoding` metadata of a payload, as text ('' if none). */
export function encodingOf(payload: Payload): string {
  const e = payload.metadata?.[METADATA_ENCODING_KEY];
  return e ? fromUtf8.decode(e) : '';
}
