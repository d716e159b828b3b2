import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { promiseOf } from './promise-of.ts';

describe('promiseOf', () => {
  test('passes the call’s promise on, and turns a synchronous throw into a rejection', async () => {
    assert.equal(await promiseOf(() => Promise.resolve('done')), 'done');
    const thrown = new RangeError('thrown');
    const p = promiseOf((): Promise<never> => {
      throw thrown;
    });
    assert.ok(p instanceof Promise, 'no throw out of promiseOf');
    await assert.rejects(p, (e) => e === thrown);
    await assert.rejects(
      promiseOf((): Promise<never> => {
        throw 'a string'; // eslint-disable-line @typescript-eslint/only-throw-error
      }),
      (e) => e instanceof Error && e.message.includes('a string'),
    );
  });
});
