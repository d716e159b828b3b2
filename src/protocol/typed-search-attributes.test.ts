import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '../errors.ts';
import {
  SearchAttributeType,
  TypedSearchAttributes,
  defineSearchAttributeKey,
  typedSearchAttributesOf,
  unifySearchAttributes,
} from './typed-search-attributes.ts';
import type { SearchAttributePair, SearchAttributeUpdatePair } from './typed-search-attributes.ts';

const Customer = defineSearchAttributeKey('Customer', SearchAttributeType.KEYWORD);
const Notes = defineSearchAttributeKey('Notes', SearchAttributeType.TEXT);
const Amount = defineSearchAttributeKey('Amount', SearchAttributeType.INT);
const Score = defineSearchAttributeKey('Score', SearchAttributeType.DOUBLE);
const Vip = defineSearchAttributeKey('Vip', SearchAttributeType.BOOL);
const PaidAt = defineSearchAttributeKey('PaidAt', SearchAttributeType.DATETIME);
const Tags = defineSearchAttributeKey('Tags', SearchAttributeType.KEYWORD_LIST);

const paidAt = new Date(Date.UTC(2024, 4, 1, 12, 30));

describe('typed search attributes', () => {
  test('defineSearchAttributeKey refuses a type SearchAttributeType does not have', () => {
    assert.deepEqual(Amount, { name: 'Amount', type: 'INT' });
    assert.throws(
      () => defineSearchAttributeKey('X', 'STRING' as SearchAttributeType),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        /the string "STRING" is not a search attribute type.*TEXT, KEYWORD, INT/.test(e.message),
    );
  });

  test('a value not of its key’s type is refused, naming the key, its type and the value', () => {
    const cases: [unknown, RegExp][] = [
      [{ key: Amount, value: 1.5 }, /'Amount'.*declared INT.*an integer.*the number 1.5/],
      [{ key: Score, value: Number.NaN }, /'Score'.*declared DOUBLE.*a finite number.*NaN/],
      [{ key: Customer, value: 3 }, /'Customer'.*declared KEYWORD.*a string.*the number 3/],
      [{ key: Vip, value: 'true' }, /'Vip'.*declared BOOL.*the string "true"/],
      [{ key: PaidAt, value: paidAt.toISOString() }, /'PaidAt'.*declared DATETIME.*a valid Date/],
      [{ key: PaidAt, value: new Date(Number.NaN) }, /'PaidAt'.*an invalid Date/],
      [{ key: Tags, value: ['a', 1] }, /'Tags'.*KEYWORD_LIST.*an array holding the number 1/],
      [{ key: { name: 'X' }, value: 1 }, /undefined is not a search attribute type/],
      ['Customer', /is not a \{ key, value \} pair/],
    ];
    for (const [pair, message] of cases) {
      assert.throws(
        () => unifySearchAttributes(undefined, [pair as SearchAttributeUpdatePair], 'start'),
        (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message),
        String(message),
      );
      assert.throws(() => new TypedSearchAttributes([pair as SearchAttributePair]), message);
    }
  });

  test('typed values become the untyped values the store indexes: a DATETIME its ISO string', () => {
    assert.deepEqual(
      unifySearchAttributes(
        undefined,
        [
          { key: Customer, value: 'acme' },
          { key: Amount, value: 120 },
          { key: Score, value: 0.5 },
          { key: Vip, value: true },
          { key: PaidAt, value: paidAt },
          { key: Tags, value: ['a', 'b'] },
          { key: Notes, value: null },
        ],
        'upsertSearchAttributes',
      ),
      {
        Customer: 'acme',
        Amount: 120,
        Score: 0.5,
        Vip: true,
        PaidAt: '2024-05-01T12:30:00.000Z',
        Tags: ['a', 'b'],
        Notes: null,
      },
    );
  });

  test('a typed value wins over an untyped one of the same name; the others are kept', () => {
    const typed = new TypedSearchAttributes([{ key: Customer, value: 'typed' }]);
    assert.deepEqual(unifySearchAttributes({ Customer: 'untyped', Region: 'eu' }, typed, 'start'), {
      Customer: 'typed',
      Region: 'eu',
    });
  });

  test('typed names follow the untyped rules: a system attribute is refused', () => {
    const key = defineSearchAttributeKey('WorkflowId', SearchAttributeType.KEYWORD);
    assert.throws(
      () => unifySearchAttributes(undefined, [{ key, value: 'x' }], 'start'),
      /'WorkflowId' is a system search attribute/,
    );
  });

  test('stored attributes read back with the types their values imply', () => {
    const typed = typedSearchAttributesOf({
      Customer: 'acme',
      Amount: 120,
      Score: 0.5,
      Vip: false,
      PaidAt: '2024-05-01T12:30:00.000Z',
      Tags: ['a'],
      Day: '2024-05-01',
    });
    assert.deepEqual(typed.getAll(), [
      { key: { name: 'Customer', type: 'KEYWORD' }, value: 'acme' },
      { key: { name: 'Amount', type: 'INT' }, value: 120 },
      { key: { name: 'Score', type: 'DOUBLE' }, value: 0.5 },
      { key: { name: 'Vip', type: 'BOOL' }, value: false },
      { key: { name: 'PaidAt', type: 'DATETIME' }, value: paidAt },
      { key: { name: 'Tags', type: 'KEYWORD_LIST' }, value: ['a'] },
      { key: { name: 'Day', type: 'KEYWORD' }, value: '2024-05-01' },
    ]);
    assert.deepEqual((JSON.parse(JSON.stringify(typed)) as unknown[])[4], {
      key: { name: 'PaidAt', type: 'DATETIME' },
      value: '2024-05-01T12:30:00.000Z',
    });
  });

  test('get reads a value as its key’s type, or gives undefined', () => {
    const typed = typedSearchAttributesOf({
      Customer: 'acme',
      Amount: 3,
      Score: 2,
      PaidAt: '2024-05-01T12:30:00.000Z',
      Day: '2024-05-01',
    });
    assert.equal(typed.get(Customer), 'acme');
    assert.equal(typed.get(defineSearchAttributeKey('Customer', SearchAttributeType.TEXT)), 'acme');
    // A whole number is stored as INT-like; a DOUBLE key still reads it.
    assert.equal(typed.get(defineSearchAttributeKey('Amount', SearchAttributeType.DOUBLE)), 3);
    assert.equal(typed.get(defineSearchAttributeKey('Score', SearchAttributeType.INT)), 2);
    assert.deepEqual(typed.get(PaidAt), paidAt);
    // A KEYWORD key reads a DATETIME as the string it is stored as.
    const asKeyword = defineSearchAttributeKey('PaidAt', SearchAttributeType.KEYWORD);
    assert.equal(typed.get(asKeyword), '2024-05-01T12:30:00.000Z');
    // A DATETIME key reads any ISO 8601 string as a Date; one without a zone is UTC.
    const day = defineSearchAttributeKey('Day', SearchAttributeType.DATETIME);
    assert.deepEqual(typed.get(day), new Date(Date.UTC(2024, 4, 1)));
    const at = (s: string): Date | undefined =>
      typedSearchAttributesOf({ At: s }).get(
        defineSearchAttributeKey('At', SearchAttributeType.DATETIME),
      );
    // Read away from UTC, so that reading a zone-less string as local time would show.
    const tz = process.env['TZ'];
    process.env['TZ'] = 'America/New_York';
    try {
      assert.deepEqual(at('2024-05-01T12:30'), paidAt);
      assert.deepEqual(at('2024-05-01 12:30:00'), paidAt);
    } finally {
      if (tz === undefined) delete process.env['TZ'];
      else process.env['TZ'] = tz;
    }
    assert.deepEqual(at('2024-05-01T14:30:00+0200'), paidAt);
    assert.deepEqual(at('2024-05-01T14:30:00.000+02:00'), paidAt);
    assert.equal(at('May 1, 2024'), undefined);
    assert.equal(
      typed.get(defineSearchAttributeKey('Customer', SearchAttributeType.DATETIME)),
      undefined,
    );
    assert.equal(
      typed.get(defineSearchAttributeKey('Customer', SearchAttributeType.INT)),
      undefined,
    );
    assert.equal(typed.get(Vip), undefined);
    assert.equal(typed.has(Customer), true);
    assert.equal(typed.has(Vip), false);
  });

  test('updateCopy sets and removes in a copy, and the original is unchanged', () => {
    const before = new TypedSearchAttributes([
      { key: Customer, value: 'acme' },
      { key: Tags, value: ['a'] },
    ]);
    const after = before.updateCopy([
      { key: Customer, value: null },
      { key: Amount, value: 7 },
    ]);
    assert.deepEqual(after.getAll(), [
      { key: { name: 'Tags', type: 'KEYWORD_LIST' }, value: ['a'] },
      { key: { name: 'Amount', type: 'INT' }, value: 7 },
    ]);
    assert.equal(before.get(Customer), 'acme');
    assert.equal(before.has(Amount), false);
    assert.throws(() => before.updateCopy([{ key: Amount, value: 0.5 }]), InvalidArgumentError);
  });

  test('values read out are copies: changing one changes nothing held', () => {
    const tags = ['a'];
    const date = new Date(paidAt);
    const typed = new TypedSearchAttributes([
      { key: Tags, value: tags },
      { key: PaidAt, value: date },
    ]);
    tags.push('b');
    date.setTime(0);
    typed.get(Tags)?.push('c');
    typed.get(PaidAt)?.setTime(0);
    assert.deepEqual(typed.get(Tags), ['a']);
    assert.deepEqual(typed.get(PaidAt), paidAt);
  });

  test('a name given twice is refused', () => {
    assert.throws(
      () =>
        new TypedSearchAttributes([
          { key: Customer, value: 'a' },
          { key: Customer, value: 'b' },
        ]),
      /Duplicate search attribute key 'Customer'/,
    );
  });
});
