import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ApplicationFailure,
  ApplicationFailureCategory,
  decodeFailure,
  encodeFailure,
} from './failures.ts';

test("ApplicationFailure's category and Duration nextRetryDelay survive encoding, as Temporal's proto conversion keeps them", () => {
  const f = ApplicationFailure.create({
    message: 'expected',
    nextRetryDelay: '5s',
    category: ApplicationFailureCategory.BENIGN,
  });
  const encoded = encodeFailure(f);
  assert.ok(encoded.info.type === 'application');
  assert.equal(encoded.info.nextRetryDelayMs, 5000);
  assert.equal(encoded.info.category, 'BENIGN');
  const decoded = decodeFailure(encoded);
  assert.ok(decoded instanceof ApplicationFailure);
  assert.equal(decoded.category, 'BENIGN');
  assert.equal(decoded.nextRetryDelay, 5000);
  assert.equal('category' in encodeFailure(ApplicationFailure.create({})).info, false);
});

test('ApplicationFailure refuses a nextRetryDelay that is not a duration and an unknown category', () => {
  assert.throws(() => ApplicationFailure.create({ nextRetryDelay: '1 fortnight' }), TypeError);
  assert.throws(
    () => ApplicationFailure.create({ category: 'SEVERE' as ApplicationFailureCategory }),
    /Unknown ApplicationFailure category "SEVERE"/,
  );
});

test('ApplicationFailure.fromError applies its options to an ApplicationFailure too, as in Temporal', () => {
  const original = ApplicationFailure.retryable('boom', 'Boom');
  const f = ApplicationFailure.fromError(original, {
    nonRetryable: true,
    category: ApplicationFailureCategory.BENIGN,
  });
  assert.equal(f, original);
  assert.deepEqual(
    [f.message, f.type, f.nonRetryable, f.category],
    ['boom', 'Boom', true, 'BENIGN'],
  );
  const wrapped = ApplicationFailure.fromError(new RangeError('out'), { nextRetryDelay: '1m' });
  assert.deepEqual([wrapped.type, wrapped.nextRetryDelay], ['RangeError', '1m']);
});
