// Sandbox-safe (no zod, no node:*): Temporal's `Headers` and their JSON form. Interceptors see
// headers as Temporal's `Payload`s (bytes); requests, commands, history events and tasks carry
// them as `WireHeaders` (bytes as base64), a field that is absent when there are none, so a call
// without headers stores and sends nothing more than before.
import { InvalidArgumentError } from '../errors.ts';

/** Temporal's `Payload`: metadata (at least `encoding`) and the encoded bytes. */
export interface Payload {
  metadata?: Record<string, Uint8Array> | null | undefined;
  data?: Uint8Array | null | undefined;
}

/**
 * Temporal's `Headers`: context carried with a call (tracing ids, tenant), each value a `Payload`
 * made with a payload converter (`defaultPayloadConverter.toPayload(value)`). Payload codecs do
 * not apply to headers, as in Temporal's TypeScript SDK.
 */
export type Headers = Record<string, Payload>;

/** One header payload as it travels and is recorded: metadata and data as base64. */
export interface WirePayload {
  metadata: Record<string, string>;
  data?: string | undefined;
}

/** Headers as they travel and are recorded. */
export type WireHeaders = Record<string, WirePayload>;

/**
 * `headers` in their JSON form, or undefined when there are none (nothing is then sent or
 * recorded). Throws `InvalidArgumentError` naming the header whose value is not a `Payload`.
 */
export function headersToWire(headers: Headers | undefined, what: string): WireHeaders | undefined {
  // Typed, but from user code (interceptors): checked as the unknown it may be.
  const given: unknown = headers;
  if (given === undefined) return undefined;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new InvalidArgumentError(
      `The headers of ${what} are ${typeOf(given)}, not an object of Payloads.`,
    );
  }
  let out: WireHeaders | undefined;
  // for…in, not Object.entries: no allocation for the empty headers of most calls.
  for (const key in given) {
    if (!Object.hasOwn(given, key)) continue;
    out ??= {};
    out[key] = payloadToWire((given as Record<string, unknown>)[key], key, what);
  }
  return out;
}

/** Headers from their JSON form: `{}` when absent (old histories, calls without headers). */
export function headersFromWire(wire: WireHeaders | undefined): Headers {
  const out: Headers = {};
  if (wire === undefined) return out;
  for (const [key, w] of Object.entries(wire)) {
    const metadata: Record<string, Uint8Array> = {};
    for (const [k, v] of Object.entries(w.metadata)) metadata[k] = fromBase64(v);
    out[key] = w.data === undefined ? { metadata } : { metadata, data: fromBase64(w.data) };
  }
  return out;
}

function payloadToWire(payload: unknown, key: string, what: string): WirePayload {
  const bad = (why: string): InvalidArgumentError =>
    new InvalidArgumentError(
      `Header '${key}' of ${what} is not a Payload (${why}): a header value is ` +
        '`{ metadata: { encoding: Uint8Array, … }, data?: Uint8Array }`; make it with a ' +
        'payload converter, e.g. `defaultPayloadConverter.toPayload(value)`.',
    );
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw bad(`it is ${typeOf(payload)}`);
  }
  const p = payload as Record<string, unknown>;
  const extra = Object.keys(p).find((k) => k !== 'metadata' && k !== 'data');
  if (extra !== undefined) throw bad(`it has a field '${extra}'`);
  const metadata: Record<string, string> = {};
  const m = p['metadata'];
  if (m !== undefined && m !== null) {
    if (typeof m !== 'object' || Array.isArray(m)) throw bad('its metadata is not an object');
    for (const [k, v] of Object.entries(m)) {
      if (!isBytes(v)) throw bad(`its metadata '${k}' is not a Uint8Array`);
      metadata[k] = toBase64(v);
    }
  }
  const d = p['data'];
  if (d === undefined || d === null) return { metadata };
  if (!isBytes(d)) throw bad('its data is not a Uint8Array');
  return { metadata, data: toBase64(d) };
}

/** A Uint8Array of any realm (the workflow sandbox has its own). */
function isBytes(v: unknown): v is Uint8Array {
  return ArrayBuffer.isView(v) && Object.prototype.toString.call(v) === '[object Uint8Array]';
}

/** What a value is, for a message: 'null', 'an array', 'a string'… */
function typeOf(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
