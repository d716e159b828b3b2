import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Failure } from '../../protocol/failure.ts';
import { failureLines, formatDuration, formatTime, jsonLine, parseJsonArgs } from './format.ts';

describe('format', () => {
  test('times read as UTC to the millisecond', () => {
    assert.equal(formatTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), '2026-01-02 03:04:05.678');
    assert.equal(formatTime(undefined), '');
  });

  test('durations read in their largest two units', () => {
    assert.equal(formatDuration(250), '250ms');
    assert.equal(formatDuration(1500), '1.5s');
    assert.equal(formatDuration(3 * 60_000 + 4000), '3m 4s');
    assert.equal(formatDuration(86_400_000 + 2 * 3_600_000 + 5000), '1d 2h');
  });

  test('one-line JSON is cut to its length with an ellipsis', () => {
    assert.equal(jsonLine({ a: 1 }), '{"a":1}');
    assert.equal(jsonLine('x'.repeat(50), 10), `"${'x'.repeat(8)}…`);
    assert.equal(jsonLine(undefined), '');
  });

  test('a failure reads with its kind and each cause on a line', () => {
    const failure: Failure = {
      message: 'Activity task failed',
      info: {
        type: 'activity',
        activityType: 'charge',
        activityId: '1',
        scheduledEventId: 5,
        retryState: 'MaximumAttemptsReached',
      },
      cause: {
        message: 'card declined',
        info: { type: 'application', errorType: 'Declined', nonRetryable: true },
      },
    };
    assert.deepEqual(failureLines(failure), [
      'ActivityFailure(charge, MaximumAttemptsReached): Activity task failed',
      'caused by ApplicationFailure(Declined, non-retryable): card declined',
    ]);
  });
});

describe('parseJsonArgs', () => {
  test('nothing is no argument, an array is the arguments, any other value is one', () => {
    assert.deepEqual(parseJsonArgs('  '), []);
    assert.deepEqual(parseJsonArgs('[1, "two"]'), [1, 'two']);
    assert.deepEqual(parseJsonArgs('{"by": "ana"}'), [{ by: 'ana' }]);
    assert.deepEqual(parseJsonArgs('"yes"'), ['yes']);
  });

  test('text that is not JSON is refused with what to type', () => {
    assert.throws(() => parseJsonArgs('{by: ana}'), /not JSON .*type one value/);
  });
});
