// Temporal's data converter for clients and workers: a payload converter (value ⇄ bytes) and
// payload codecs (bytes ⇄ bytes, async: encryption, compression). Without one, payloads stay
// plain JSON values (the fast path); with one, every payload a user supplies leaves the client or
// worker encoded, so the engine and the store only ever hold encoded payloads.
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError } from '../errors.ts';
import type { Failure, FailureInfo } from '../protocol/failure.ts';
import type { Payload } from '../protocol/headers.ts';
import {
  METADATA_ENCODING_KEY,
  defaultPayloadConverter,
  encodingOf,
} from '../protocol/payload-converter.ts';
import type { PayloadConverter } from '../protocol/payload-converter.ts';

export type { Payload } from '../protocol/headers.ts';
export type { PayloadConverter } from '../protocol/payload-converter.ts';
export {
  METADATA_ENCODING_KEY,
  defaultPayloadConverter,
  encodingOf,
} from '../protocol/payload-converter.ts';

/** Temporal's `PayloadCodec`: payloads to payloads (encrypt, compress), asynchronously. */
export interface PayloadCodec {
  encode(payloads: Payload[]): Promise<Payload[]>;
  decode(payloads: Payload[]): Promise<Payload[]>;
}

/**
 * Temporal's `DataConverter` for `new Client({ dataConverter })` and
 * `Worker.create({ dataConverter })`. Codecs encode last to first and decode first to last, as
 * in Temporal. A worker also takes `payloadConverterPath`: a module exporting `payloadConverter`.
 */
export interface DataConverter {
  readonly payloadConverter?: PayloadConverter | undefined;
  /** A module (path or file URL) that exports `payloadConverter`; Temporal's worker option. */
  readonly payloadConverterPath?: string | undefined;
  readonly payloadCodecs?: readonly PayloadCodec[] | undefined;
}

/**
 * A payload as it travels to the engine and sits in history: Temporal's JSON form of a Payload
 * (bytes as base64), so it stays a JSON value the engine need not understand.
 */
interface WirePayload {
  metadata: Record<string, string>;
  data?: string;
}

function toWire(p: Payload): WirePayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = base64(v);
  return p.data ? { metadata, data: base64(p.data) } : { metadata };
}

function fromWire(w: WirePayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(w.metadata)) metadata[k] = Buffer.from(v, 'base64');
  return w.data === undefined ? { metadata } : { metadata, data: Buffer.from(w.data, 'base64') };
}

/**
 * Whether a JSON value is an encoded payload. A value that is not (written before a converter
 * was configured, or by a client without one) is taken as the plain value it is.
 */
export function isWirePayload(v: unknown): v is WirePayload {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (!keys.every((k) => k === 'metadata' || k === 'data')) return false;
  if (o['data'] !== undefined && typeof o['data'] !== 'string') return false;
  const m = o['metadata'];
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return false;
  const meta = m as Record<string, unknown>;
  return (
    typeof meta[METADATA_ENCODING_KEY] === 'string' &&
    Object.values(meta).every((x) => typeof x === 'string')
  );
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * A data converter ready to use: encodes and decodes values, failures (their details) and memos
 * to and from their wire form. Field lists per request live in `data-converter-api.ts`.
 */
export class LoadedDataConverter {
  readonly #converter: PayloadConverter;
  readonly #codecs: readonly PayloadCodec[];
  /**
   * False for CLIENT_WITHOUT_CONVERTER: values leave as the plain JSON values they are, and
   * histories are given as stored.
   */
  readonly encodes: boolean;

  constructor(converter: PayloadConverter, codecs: readonly PayloadCodec[], encodes = true) {
    this.#converter = converter;
    this.#codecs = codecs;
    this.encodes = encodes;
  }

  async encodeValues(values: readonly unknown[]): Promise<unknown[]> {
    if (!this.encodes) return [...values];
    let payloads = values.map((v) => this.#converter.toPayload(v));
    for (let i = this.#codecs.length - 1; i >= 0; i--) {
      payloads = await (this.#codecs[i] as PayloadCodec).encode(payloads);
    }
    return payloads.map(toWire);
  }

  async decodeValues(values: readonly unknown[]): Promise<unknown[]> {
    const at: number[] = [];
    let payloads: Payload[] = [];
    values.forEach((v, i) => {
      if (!isWirePayload(v)) return;
      at.push(i);
      payloads.push(fromWire(v));
    });
    if (at.length === 0) return [...values];
    for (const codec of this.#codecs) payloads = await codec.decode(payloads);
    const out = [...values];
    at.forEach((i, j) => {
      out[i] = this.#converter.fromPayload(payloads[j] as Payload);
    });
    return out;
  }

  async encodeValue(value: unknown): Promise<unknown> {
    return (await this.encodeValues([value]))[0];
  }

  async decodeValue(value: unknown): Promise<unknown> {
    return (await this.decodeValues([value]))[0];
  }

  async encodeOptionalValues(values: unknown[] | undefined): Promise<unknown[] | undefined> {
    return values === undefined ? undefined : this.encodeValues(values);
  }

  async decodeOptionalValues(values: unknown[] | undefined): Promise<unknown[] | undefined> {
    return values === undefined ? undefined : this.decodeValues(values);
  }

  /** Each value of a memo; a null value (Temporal's "remove this key") stays null. */
  async encodeMemo<M extends Record<string, unknown> | undefined>(memo: M): Promise<M> {
    return this.#mapMemo(memo, (vs) => this.encodeValues(vs));
  }

  async decodeMemo<M extends Record<string, unknown> | undefined>(memo: M): Promise<M> {
    return this.#mapMemo(memo, (vs) => this.decodeValues(vs));
  }

  async #mapMemo<M extends Record<string, unknown> | undefined>(
    memo: M,
    map: (values: unknown[]) => Promise<unknown[]>,
  ): Promise<M> {
    if (memo === undefined) return memo;
    const keys = Object.keys(memo).filter((k) => memo[k] !== null);
    const mapped = await map(keys.map((k) => memo[k]));
    const out: Record<string, unknown> = { ...memo };
    keys.forEach((k, i) => (out[k] = mapped[i]));
    return out as M;
  }

  /**
   * A failure with its detail payloads encoded, through its cause chain. As with Temporal's
   * default failure converter, messages and stack traces stay as they are.
   */
  encodeFailure(f: Failure): Promise<Failure> {
    return this.#mapFailure(f, (vs) => this.encodeValues(vs));
  }

  decodeFailure(f: Failure): Promise<Failure> {
    return this.#mapFailure(f, (vs) => this.decodeValues(vs));
  }

  async encodeOptionalFailure(f: Failure | undefined): Promise<Failure | undefined> {
    return f === undefined ? undefined : this.encodeFailure(f);
  }

  async decodeOptionalFailure(f: Failure | undefined): Promise<Failure | undefined> {
    return f === undefined ? undefined : this.decodeFailure(f);
  }

  async #mapFailure(f: Failure, map: (values: unknown[]) => Promise<unknown[]>): Promise<Failure> {
    const info = await mapFailureInfo(f.info, map);
    const cause = f.cause === undefined ? undefined : await this.#mapFailure(f.cause, map);
    return { ...f, info, ...(cause !== undefined && { cause }) };
  }
}

async function mapFailureInfo(
  info: FailureInfo,
  map: (values: unknown[]) => Promise<unknown[]>,
): Promise<FailureInfo> {
  switch (info.type) {
    case 'application':
    case 'cancelled':
      return info.details === undefined ? info : { ...info, details: await map(info.details) };
    case 'timeout':
      return info.lastHeartbeatDetails === undefined
        ? info
        : { ...info, lastHeartbeatDetails: await map(info.lastHeartbeatDetails) };
    case 'activity':
    case 'childWorkflow':
    case 'terminated':
    case 'server':
      return info;
    default: {
      const never: never = info;
      return never;
    }
  }
}

/**
 * What a client given no `dataConverter` decodes with. It sends plain JSON values (nothing to
 * encode: a worker with or without a converter takes them), and what comes back encoded (by a
 * worker with a converter) it reads with the default payload converter, as a Temporal client
 * without one does. A payload that converter cannot read (a codec's, a custom converter's)
 * throws, rather than reach the caller as the encoded payload it is. `fetchHistory()` gives the
 * history as stored, as Temporal's does (a worker with the codecs can replay it).
 */
const noConverterPayloads: PayloadConverter = {
  toPayload: (value) => defaultPayloadConverter.toPayload(value),
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- Temporal's signature
  fromPayload<T>(payload: Payload): T {
    try {
      return defaultPayloadConverter.fromPayload<T>(payload);
    } catch (e) {
      throw new InvalidArgumentError(
        `A payload came back encoded as '${encodingOf(payload)}', which a client without a dataConverter cannot decode: ` +
          'give the client the same dataConverter (its payloadCodecs and payloadConverter) as the workers.',
        { cause: e },
      );
    }
  },
};

export const CLIENT_WITHOUT_CONVERTER = new LoadedDataConverter(noConverterPayloads, [], false);

/**
 * Resolves a `dataConverter` option: undefined when none is set (payloads stay plain JSON), else
 * the converter (`payloadConverter`, or the one `payloadConverterPath` exports, or the default)
 * with its codecs. Throws `InvalidArgumentError` if the path does not export `payloadConverter`.
 */
export async function loadDataConverter(
  dc: DataConverter | undefined,
): Promise<LoadedDataConverter | undefined> {
  if (dc === undefined) return undefined;
  let converter = dc.payloadConverter;
  if (converter === undefined && dc.payloadConverterPath !== undefined) {
    const url = dc.payloadConverterPath.startsWith('file:')
      ? dc.payloadConverterPath
      : pathToFileURL(dc.payloadConverterPath).href;
    const mod = (await import(url)) as { payloadConverter?: PayloadConverter };
    if (mod.payloadConverter === undefined) {
      throw new InvalidArgumentError(
        `dataConverter.payloadConverterPath '${dc.payloadConverterPath}' exports no 'payloadConverter': add \`export const payloadConverter = …\` to that module.`,
      );
    }
    converter = mod.payloadConverter;
  }
  return new LoadedDataConverter(converter ?? defaultPayloadConverter, dc.payloadCodecs ?? []);
}

/** For the client, whose constructor is synchronous: `payloadConverterPath` is a worker option. */
export function loadDataConverterSync(
  dc: DataConverter | undefined,
): LoadedDataConverter | undefined {
  if (dc === undefined) return undefined;
  if (dc.payloadConverterPath !== undefined && dc.payloadConverter === undefined) {
    throw new InvalidArgumentError(
      'A Client takes dataConverter.payloadConverter (an object), not payloadConverterPath: import the converter and pass it.',
    );
  }
  return new LoadedDataConverter(
    dc.payloadConverter ?? defaultPayloadConverter,
    dc.payloadCodecs ?? [],
  );
}
