import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asStored, jsonParam } from './json-param.ts';

test('jsonParam replaces each lone surrogate by U+FFFD and leaves everything else as JSON.stringify writes it', () => {
  const value = {
    lone: 'a\ud800b\udc00\udbff',
    pair: '😀',
    // A backslash followed by the letters of an escape: text, not a surrogate.
    text: '\\ud800 \\\\ud800',
    // A nested JSON text keeps its escape: to PostgreSQL it is text.
    nested: JSON.stringify({ s: '\ud800' }),
  };
  assert.deepEqual(JSON.parse(jsonParam(value)), {
    ...value,
    lone: 'a\ufffdb\ufffd\ufffd',
  });
  assert.equal(jsonParam({ plain: 'x"\\\n' }), JSON.stringify({ plain: 'x"\\\n' }));
});

test('asStored replaces each lone surrogate by U+FFFD and keeps pairs', () => {
  assert.equal(asStored('\udc00\ud83d\ude00\ud83d'), '\ufffd\ud83d\ude00\ufffd');
});
