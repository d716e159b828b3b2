import assert from 'node:assert/strict';
import { test } from 'node:test';
import { atob, btoa } from './base64.ts';

/** What a call gives: its value, or the name of what it throws. */
function outcome(fn: () => string): string {
  try {
    return `ok:${fn()}`;
  } catch (e) {
    return `throws:${(e as Error).name}`;
  }
}

/** Node's DOMException names match ours; its TypeError for no argument too. */
function same(ours: () => string, nodes: () => string, input: string): void {
  assert.equal(outcome(ours), outcome(nodes), JSON.stringify(input));
}

test('btoa gives what Node gives, for every length and byte, and refuses what is not a byte', () => {
  let seed = 7;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const inputs = ['', 'a', 'ab', 'abc', 'abcd', '\0\xff\x80', 'héllo', '€', '\ud800', 'x\u0100'];
  for (let n = 0; n < 2000; n++) {
    const length = Math.floor(random() * 12);
    let s = '';
    for (let i = 0; i < length; i++) s += String.fromCharCode(Math.floor(random() * 256));
    inputs.push(s);
  }
  for (const input of inputs) {
    same(
      () => btoa(input),
      () => globalThis.btoa(input),
      input,
    );
  }
  assert.equal(btoa(123), globalThis.btoa('123'));
});

test('atob decodes forgivingly as Node does, and refuses what is not base64', () => {
  const inputs = ['', 'YQ==', 'YQ', 'YWI=', 'YWJj', ' Y W\nJ j ', 'YQ=', 'Y', 'YQ===', '=YQ'];
  inputs.push('YW=j', 'Y-Q=', 'YQ==\t', '////', '+/+/', 'AAAA AA', 'AAAAA', '\u00ffA==', 'Zm9v\f');
  let seed = 11;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const chars = 'ABCxyz019+/= \n-_.';
  for (let n = 0; n < 3000; n++) {
    const length = Math.floor(random() * 10);
    let s = '';
    for (let i = 0; i < length; i++) s += chars.charAt(Math.floor(random() * chars.length));
    inputs.push(s);
  }
  for (const input of inputs) {
    same(
      () => atob(input),
      () => globalThis.atob(input),
      input,
    );
  }
  for (let n = 0; n < 500; n++) {
    let s = '';
    for (let i = 0; i < n % 9; i++) s += String.fromCharCode((n * 31 + i * 17) % 256);
    assert.equal(atob(btoa(s)), s);
  }
});
