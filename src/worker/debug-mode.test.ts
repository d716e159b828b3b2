import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '../errors.ts';
import { resolveDebugMode } from './debug-mode.ts';

describe('resolveDebugMode', () => {
  test('the option wins over REPRISE_DEBUG', () => {
    assert.equal(resolveDebugMode(false, { REPRISE_DEBUG: '1' }), false);
    assert.equal(resolveDebugMode(true, {}), true);
  });

  test('without the option, REPRISE_DEBUG decides; unset is off', () => {
    assert.equal(resolveDebugMode(undefined, {}), false);
    for (const on of ['1', 'true', 'TRUE', ' 1 ']) {
      assert.equal(resolveDebugMode(undefined, { REPRISE_DEBUG: on }), true, on);
    }
    for (const off of ['', '0', 'false', 'False']) {
      assert.equal(resolveDebugMode(undefined, { REPRISE_DEBUG: off }), false, off);
    }
  });

  test('an unclear value is refused with what to set', () => {
    assert.throws(
      () => resolveDebugMode(undefined, { REPRISE_DEBUG: 'yes please' }),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        /REPRISE_DEBUG must be 1, true, 0 or false \(got "yes please"\)/.test(e.message),
    );
    assert.throws(
      () => resolveDebugMode('true' as unknown as boolean, {}),
      (e: unknown) =>
        e instanceof InvalidArgumentError && /debugMode must be true or false/.test(e.message),
    );
  });
});
