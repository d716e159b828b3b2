import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AbortController, AbortSignal } from './abort.ts';

type Controllers = { Controller: typeof AbortController; Signal: typeof AbortSignal };
const ours: Controllers = { Controller: AbortController, Signal: AbortSignal };
const nodes = {
  Controller: globalThis.AbortController,
  Signal: globalThis.AbortSignal,
} as unknown as Controllers;

/** What a run of listeners sees, with the given implementation: to compare ours with Node's. */
function scenario({ Controller, Signal }: Controllers): string[] {
  const log: string[] = [];
  const controller = new Controller();
  const { signal } = controller;
  const other = new Controller();
  const first = (): void => {
    log.push('first');
  };
  signal.addEventListener('abort', first);
  signal.addEventListener('abort', first); // the same listener again: ignored
  signal.onabort = (e) => {
    log.push(`onabort ${e.type} ${String(e.target === signal)}`);
  };
  signal.addEventListener('abort', { handleEvent: () => log.push('object') });
  signal.addEventListener('abort', () => log.push('once'), { once: true });
  const removed = (): void => {
    log.push('removed');
  };
  signal.addEventListener('abort', removed);
  signal.removeEventListener('abort', removed);
  signal.addEventListener('abort', () => log.push('until other aborts'), {
    signal: other.signal,
  });
  signal.addEventListener('abort', () => log.push('within abort: ' + String(signal.aborted)));
  signal.onabort = () => log.push('onabort replaced, same place');
  const any = Signal.any([other.signal, signal]);
  any.addEventListener('abort', () => log.push(`any: ${String(any.reason)}`));
  other.abort('other'); // aborts `any` too, and removes the listener given other.signal
  log.push(`any aborted ${String(any.aborted)} ${String(any.reason)}`);
  controller.abort('why');
  controller.abort('again'); // does nothing
  log.push(`aborted ${String(signal.aborted)} ${String(signal.reason)}`);
  signal.addEventListener('abort', () => log.push('after abort: never'));
  try {
    signal.throwIfAborted();
  } catch (e) {
    log.push(`throwIfAborted ${String(e)}`);
  }
  const already = Signal.abort();
  log.push(`abort() ${String(already.aborted)} ${(already.reason as Error).name}`);
  const fromAborted = Signal.any([new Controller().signal, Signal.abort('first')]);
  log.push(`any of aborted ${String(fromAborted.aborted)} ${String(fromAborted.reason)}`);
  const plain = new Controller();
  plain.abort();
  log.push(`default reason ${(plain.signal.reason as Error).name}`);
  log.push(
    `tags ${Object.prototype.toString.call(plain)} ${Object.prototype.toString.call(signal)}`,
  );
  return log;
}

describe('AbortController and AbortSignal (the sandbox’s own)', () => {
  test('behave as Node’s: listener order, once, signal option, onabort, any(), abort()', () => {
    const expected = scenario(nodes);
    assert.deepEqual(scenario(ours), expected);
    assert.ok(expected.includes('onabort replaced, same place'), expected.join('\n'));
  });

  test('the default reason is an Error named AbortError; throwIfAborted throws the reason', () => {
    const controller = new AbortController();
    controller.signal.throwIfAborted();
    controller.abort();
    const reason = controller.signal.reason as Error;
    assert.ok(reason instanceof Error);
    assert.equal(reason.name, 'AbortError');
    assert.equal(reason.message, 'This operation was aborted');
    assert.throws(() => {
      controller.signal.throwIfAborted();
    }, reason);
  });

  test('new AbortSignal() and AbortSignal.timeout() throw a TypeError saying what to do', () => {
    assert.throws(() => new AbortSignal(), /Illegal constructor: make an AbortSignal with/);
    assert.throws(() => AbortSignal.timeout(), /not available in workflow code.*sleep\(ms\)/s);
    assert.throws(() => AbortSignal.any([{}] as unknown as AbortSignal[]), TypeError);
  });
});
