import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { isSearchAttributeValue, normaliseSearchAttributes } from './search-attribute-checks.ts';
import { SearchAttributesUpsert, SearchAttributeValue } from './search-attributes.ts';

const VALUE_RULE =
  'A value must be a string, a finite number, a boolean, a Date or a string array (null or [] removes it).';

// Workflow code checks with the zod-free module, the engine with the zod schemas: both must
// accept the same values, or an upsert the workflow let through would fail its task.
const samples: unknown[] = [
  '',
  'x',
  0,
  -1.5,
  Number.MAX_VALUE,
  NaN,
  Infinity,
  -Infinity,
  true,
  false,
  [],
  ['a', 'b'],
  [1],
  ['a', null],
  [['a']],
  [, 'a'],
  {},
  { a: 'b' },
  null,
  undefined,
  10n,
  Symbol('s'),
  () => 1,
  new Date(0),
  Object.create(null),
];

describe('search attribute checks (zod-free, for the sandbox)', () => {
  test('accept exactly the values the engine-side zod schema accepts', () => {
    for (const v of samples) {
      assert.equal(
        isSearchAttributeValue(v),
        SearchAttributeValue.safeParse(v).success,
        `disagree on ${inspect(v)}`,
      );
    }
  });

  test('what normaliseSearchAttributes lets through, the engine accepts unchanged', () => {
    for (const v of samples) {
      const r = normaliseSearchAttributes({ Custom: v });
      const parsed = SearchAttributesUpsert.safeParse(r.ok ? r.value : { Custom: v });
      assert.equal(r.ok, parsed.success, `disagree on ${inspect(v)}`);
      if (r.ok) assert.deepEqual(parsed.data, r.value);
    }
  });

  test('a Date becomes its ISO string, undefined a removal; arrays are copied', () => {
    const tags = ['a'];
    const r = normaliseSearchAttributes({ At: new Date(0), Gone: undefined, Tags: tags });
    assert.deepEqual(r, {
      ok: true,
      value: { At: '1970-01-01T00:00:00.000Z', Gone: null, Tags: ['a'] },
    });
    assert.ok(r.ok && r.value['Tags'] !== tags);
  });

  test('names every problem as the zod-based check did: names first, then values', () => {
    assert.deepEqual(normaliseSearchAttributes({ A: NaN, WorkflowId: 'x' }), {
      ok: false,
      message:
        "Invalid search attributes: 'WorkflowId' is a system search attribute, which the engine keeps: it cannot be set. Use another name for an attribute of your own.",
    });
    assert.deepEqual(normaliseSearchAttributes({ 'a-b': 1 }), {
      ok: false,
      message:
        "Invalid search attributes: 'a-b' is not a valid name: a search attribute name must be an identifier ([A-Za-z_][A-Za-z0-9_]*).",
    });
    assert.deepEqual(normaliseSearchAttributes({ A: 'ok', B: [1] }), {
      ok: false,
      message: `Invalid search attributes: 'B': Invalid input. ${VALUE_RULE}`,
    });
  });
});
