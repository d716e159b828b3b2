// Sandbox-safe: UTF-8 `TextEncoder` and `TextDecoder` of the sandbox's own realm, as the WHATWG
// Encoding standard defines them. Temporal's sandbox gives workflow code both; Node's own cannot
// be handed in, as their prototypes lead to the worker's built-ins, which the sandbox freezes.

const REPLACEMENT = 0xfffd;
/** Code units turned into a string at a time (`String.fromCharCode` takes arguments). */
const CHUNK = 0x2000;

/** The labels of UTF-8 in the Encoding standard, the one encoding this `TextDecoder` decodes. */
const UTF8_LABELS: ReadonlySet<string> = new Set([
  'unicode-1-1-utf-8',
  'unicode11utf8',
  'unicode20utf8',
  'utf-8',
  'utf8',
  'x-unicode20utf8',
]);

/** Writes the UTF-8 of `input` into `out` while whole code points fit; what was read and written. */
function encodeUtf8(input: string, out: Uint8Array): { read: number; written: number } {
  let read = 0;
  let written = 0;
  const length = input.length;
  while (read < length) {
    let cp = input.charCodeAt(read);
    let units = 1;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const next = read + 1 < length ? input.charCodeAt(read + 1) : 0;
      if (cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        units = 2;
      } else {
        cp = REPLACEMENT; // a lone surrogate
      }
    }
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (written + size > out.length) break;
    if (size === 1) {
      out[written] = cp;
    } else if (size === 2) {
      out[written] = 0xc0 | (cp >> 6);
      out[written + 1] = 0x80 | (cp & 0x3f);
    } else if (size === 3) {
      out[written] = 0xe0 | (cp >> 12);
      out[written + 1] = 0x80 | ((cp >> 6) & 0x3f);
      out[written + 2] = 0x80 | (cp & 0x3f);
    } else {
      out[written] = 0xf0 | (cp >> 18);
      out[written + 1] = 0x80 | ((cp >> 12) & 0x3f);
      out[written + 2] = 0x80 | ((cp >> 6) & 0x3f);
      out[written + 3] = 0x80 | (cp & 0x3f);
    }
    read += units;
    written += size;
  }
  return { read, written };
}

/** The WHATWG `TextEncoder`: UTF-8, lone surrogates as U+FFFD. */
export class TextEncoder {
  get encoding(): string {
    return 'utf-8';
  }

  get [Symbol.toStringTag](): string {
    return 'TextEncoder';
  }

  encode(input?: string): Uint8Array<ArrayBuffer> {
    const text = asString(input ?? '');
    const out = new Uint8Array(text.length * 3);
    return out.slice(0, encodeUtf8(text, out).written);
  }

  encodeInto(source: string, destination: Uint8Array): { read: number; written: number } {
    if (!(destination instanceof Uint8Array)) {
      throw new TypeError('TextEncoder.encodeInto needs a Uint8Array destination.');
    }
    return encodeUtf8(asString(source), destination);
  }
}

/** Options of `new TextDecoder(label, options)`. */
export interface TextDecoderOptions {
  fatal?: boolean | undefined;
  ignoreBOM?: boolean | undefined;
}

/** The WHATWG `TextDecoder`, for UTF-8 (its only encoding here), with `fatal`, `ignoreBOM`, `stream`. */
export class TextDecoder {
  readonly #fatal: boolean;
  readonly #ignoreBOM: boolean;
  /** The bytes of a code point cut at the end of a streamed chunk. */
  #pending: number[] = [];
  /** Whether the stream's start (where a BOM is dropped) is still ahead. */
  #atStart = true;

  constructor(label = 'utf-8', options: TextDecoderOptions = {}) {
    const name = asString(label);
    if (!UTF8_LABELS.has(name.trim().toLowerCase())) {
      throw new RangeError(
        `The "${name}" encoding is not supported in workflow code: only UTF-8 is. ` +
          'Decode other encodings in an activity.',
      );
    }
    this.#fatal = options.fatal === true;
    this.#ignoreBOM = options.ignoreBOM === true;
  }

  get encoding(): string {
    return 'utf-8';
  }

  get [Symbol.toStringTag](): string {
    return 'TextDecoder';
  }

  get fatal(): boolean {
    return this.#fatal;
  }

  get ignoreBOM(): boolean {
    return this.#ignoreBOM;
  }

  decode(input?: ArrayBuffer | ArrayBufferView, options: { stream?: boolean } = {}): string {
    const stream = options.stream === true;
    const bytes = toBytes(input);
    const units: number[] = [];
    const parts: string[] = [];
    const flush = (): void => {
      for (let i = 0; i < units.length; i += CHUNK) {
        parts.push(String.fromCharCode(...units.slice(i, i + CHUNK)));
      }
      units.length = 0;
    };
    const emit = (cp: number): void => {
      if (cp > 0xffff) {
        const v = cp - 0x10000;
        units.push(0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
      } else {
        units.push(cp);
      }
      if (units.length >= CHUNK) flush();
    };
    const error = (): void => {
      if (this.#fatal) {
        this.#pending = [];
        this.#atStart = true;
        throw new TypeError('The encoded data was not valid for encoding utf-8');
      }
      emit(REPLACEMENT);
    };
    // The Encoding standard's UTF-8 decoder, over the bytes left from the last chunk, then these.
    const all = this.#pending.length === 0 ? bytes : [...this.#pending, ...bytes];
    let codePoint = 0;
    let needed = 0;
    let seen = 0;
    let lower = 0x80;
    let upper = 0xbf;
    let start = 0; // where the code point being read began
    for (let i = 0; i < all.length;) {
      const byte = all[i] as number;
      if (needed === 0) {
        start = i;
        i++;
        if (byte <= 0x7f) emit(byte);
        else if (byte >= 0xc2 && byte <= 0xdf) {
          needed = 1;
          codePoint = byte & 0x1f;
        } else if (byte >= 0xe0 && byte <= 0xef) {
          if (byte === 0xe0) lower = 0xa0;
          if (byte === 0xed) upper = 0x9f;
          needed = 2;
          codePoint = byte & 0xf;
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          if (byte === 0xf0) lower = 0x90;
          if (byte === 0xf4) upper = 0x8f;
          needed = 3;
          codePoint = byte & 0x7;
        } else error();
        continue;
      }
      if (byte < lower || byte > upper) {
        // The sequence is cut short: U+FFFD, and this byte is read again on its own.
        codePoint = needed = seen = 0;
        lower = 0x80;
        upper = 0xbf;
        error();
        continue;
      }
      lower = 0x80;
      upper = 0xbf;
      codePoint = (codePoint << 6) | (byte & 0x3f);
      seen++;
      i++;
      if (seen === needed) {
        emit(codePoint);
        codePoint = needed = seen = 0;
      }
    }
    if (needed !== 0) {
      if (stream) {
        this.#pending = Array.from(all.slice(start));
      } else {
        this.#pending = [];
        error();
      }
    } else {
      this.#pending = [];
    }
    flush();
    let text = parts.join('');
    if (this.#atStart && text.length > 0) {
      if (!this.#ignoreBOM && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.#atStart = false;
    }
    if (!stream) {
      this.#atStart = true;
      this.#pending = [];
    }
    return text;
  }
}

/** What JavaScript callers pass, whatever the types say, as the WebIDL `DOMString` it becomes. */
function asString(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

function toBytes(input: ArrayBuffer | ArrayBufferView | undefined): Uint8Array {
  if (input === undefined) return new Uint8Array(0);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) {
    return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  }
  throw new TypeError(
    'TextDecoder.decode needs an ArrayBuffer, a typed array or a DataView (or nothing).',
  );
}
