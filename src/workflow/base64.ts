// Sandbox-safe: `atob` and `btoa` of the sandbox's own realm, as the HTML standard defines them
// (forgiving base64 on the way in). Temporal's sandbox gives workflow code Node's; Node's cannot
// be handed in (see text-coding.ts). Where the standard throws a DOMException, which the sandbox
// does not have, these throw an Error named InvalidCharacterError.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUES: ReadonlyMap<string, number> = new Map(
  Array.from({ length: ALPHABET.length }, (_, i) => [ALPHABET.charAt(i), i]),
);
const ASCII_WHITESPACE = /[\t\n\f\r ]/g;

function invalidCharacter(message: string): Error {
  const error = new Error(message);
  error.name = 'InvalidCharacterError';
  return error;
}

/** A string of bytes (code units up to U+00FF) as base64. */
export function btoa(data: unknown): string {
  if (arguments.length === 0) throw new TypeError('The "data" argument must be specified');
  const bytes = String(data);
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = byteAt(bytes, i);
    const b = i + 1 < bytes.length ? byteAt(bytes, i + 1) : -1;
    const c = i + 2 < bytes.length ? byteAt(bytes, i + 2) : -1;
    const n = (a << 16) | (Math.max(b, 0) << 8) | Math.max(c, 0);
    out += ALPHABET.charAt((n >> 18) & 63) + ALPHABET.charAt((n >> 12) & 63);
    out += b < 0 ? '=' : ALPHABET.charAt((n >> 6) & 63);
    out += c < 0 ? '=' : ALPHABET.charAt(n & 63);
  }
  return out;
}

function byteAt(s: string, i: number): number {
  const unit = s.charCodeAt(i);
  if (unit > 0xff) throw invalidCharacter('Invalid character');
  return unit;
}

/** Base64 (forgiving: ASCII whitespace ignored, padding optional) as a string of bytes. */
export function atob(data: unknown): string {
  if (arguments.length === 0) throw new TypeError('The "data" argument must be specified');
  let s = String(data).replace(ASCII_WHITESPACE, '');
  if (s.length % 4 === 0) s = s.replace(/={1,2}$/, '');
  if (s.length % 4 === 1)
    throw invalidCharacter('The string to be decoded is not correctly encoded.');
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const char of s) {
    const value = VALUES.get(char);
    if (value === undefined) throw invalidCharacter('Invalid character');
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((buffer >> bits) & 0xff);
    }
  }
  return out;
}
