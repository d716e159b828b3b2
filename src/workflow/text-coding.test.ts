import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as node from 'node:util';
import { alea } from './determinism.ts';
import { TextDecoder, TextEncoder } from './text-coding.ts';

/** Strings with every kind of code point: ASCII, 2-, 3- and 4-byte ones, lone surrogates. */
const strings = [
  '',
  'hello',
  'héllo wörld',
  '€ 100 — ✓',
  '日本語のテキスト',
  '𝄞 music 🎵 and 👩‍👩‍👧',
  '\uFEFFwith a BOM',
  'lone \uD800 high',
  'lone \uDC00 low',
  'end high \uD83D',
  '\uDC00\uD800 reversed',
  'x'.repeat(20_000) + '€'.repeat(20_000),
];

/** Random byte strings, UTF-8 ones and broken ones, drawn from a fixed seed. */
function randomBytes(seed: string, count: number): Uint8Array<ArrayBuffer>[] {
  const random = alea(seed);
  const interesting = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0];
  const more = [0xf4, 0xf5, 0xff, 0x9f, 0xa0, 0x8f, 0x90, 0xef, 0xbb];
  const pool = [...interesting, ...more];
  const out: Uint8Array<ArrayBuffer>[] = [];
  for (let n = 0; n < count; n++) {
    const length = Math.floor(random() * 12);
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      bytes[i] =
        random() < 0.7
          ? (pool[Math.floor(random() * pool.length)] ?? 0)
          : Math.floor(random() * 256);
    }
    out.push(bytes);
  }
  return out;
}

describe('TextEncoder and TextDecoder of the sandbox', () => {
  test('encode gives the bytes of Node’s TextEncoder, lone surrogates as U+FFFD', () => {
    const ours = new TextEncoder();
    const theirs = new node.TextEncoder();
    assert.equal(ours.encoding, 'utf-8');
    for (const s of strings) assert.deepEqual(ours.encode(s), theirs.encode(s), JSON.stringify(s));
    assert.deepEqual(ours.encode(), new Uint8Array(0));
  });

  test('encodeInto writes whole code points only, and says what it read and wrote', () => {
    const ours = new TextEncoder();
    const theirs = new node.TextEncoder();
    for (const s of strings.slice(0, -1)) {
      for (let size = 0; size <= 12; size++) {
        const a = new Uint8Array(size);
        const b = new Uint8Array(size);
        assert.deepEqual(ours.encodeInto(s, a), theirs.encodeInto(s, b), `${s} into ${size}`);
        assert.deepEqual(a, b);
      }
    }
  });

  test('decode gives the text of Node’s TextDecoder, replacements and BOMs alike', () => {
    const samples = [...strings.map((s) => new node.TextEncoder().encode(s))];
    samples.push(...randomBytes('decode', 5_000));
    for (const ignoreBOM of [false, true]) {
      const ours = new TextDecoder('utf-8', { ignoreBOM });
      const theirs = new node.TextDecoder('utf-8', { ignoreBOM });
      for (const bytes of samples) {
        assert.equal(ours.decode(bytes), theirs.decode(bytes), String(Array.from(bytes)));
        assert.equal(ours.decode(bytes.buffer), theirs.decode(bytes.buffer));
      }
    }
    assert.equal(new TextDecoder().decode(), '');
    assert.equal(new TextDecoder().decode(new DataView(new Uint8Array([0x68, 0x69]).buffer)), 'hi');
  });

  test('a stream decodes across cuts anywhere as Node’s does', () => {
    const samples = [
      ...strings.slice(0, -1).map((s) => new node.TextEncoder().encode(s)),
      ...randomBytes('stream', 1_500),
    ];
    for (const bytes of samples) {
      for (let cut = 0; cut <= bytes.length; cut++) {
        const ours = new TextDecoder();
        const theirs = new node.TextDecoder();
        const mine =
          ours.decode(bytes.subarray(0, cut), { stream: true }) + ours.decode(bytes.subarray(cut));
        const expected =
          theirs.decode(bytes.subarray(0, cut), { stream: true }) +
          theirs.decode(bytes.subarray(cut));
        assert.equal(mine, expected, `${String(Array.from(bytes))} cut at ${cut}`);
      }
    }
  });

  test('fatal throws a TypeError on bytes that are not UTF-8; other encodings are refused', () => {
    const fatal = new TextDecoder('UTF8', { fatal: true });
    assert.equal(fatal.fatal, true);
    assert.equal(fatal.decode(new Uint8Array([0xe2, 0x82, 0xac])), '€');
    assert.throws(() => fatal.decode(new Uint8Array([0xe2, 0x82])), TypeError);
    assert.throws(() => fatal.decode(new Uint8Array([0xff])), TypeError);
    assert.equal(fatal.decode(new Uint8Array([0x41])), 'A', 'usable after an error');
    assert.throws(() => new TextDecoder('latin1'), RangeError);
    assert.equal(Object.prototype.toString.call(new TextDecoder()), '[object TextDecoder]');
  });
});
