import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Failure, MAX_FAILURE_CAUSES } from './failure.ts';

const level = (message: string): Record<string, unknown> => ({
  message,
  info: { type: 'application', errorType: 'E', nonRetryable: false },
});

test('a failure is parsed with its chain of causes; unknown keys are dropped at every level', () => {
  const inner = { ...level('inner'), extra: 1 };
  const outer = { ...level('outer'), extra: 2, cause: inner };
  assert.deepEqual(Failure.parse(outer), { ...level('outer'), cause: level('inner') });
});

test('an issue deep in the chain keeps its code and names its place', () => {
  const bad = {
    ...level('a'),
    cause: { ...level('b'), cause: { message: 3, info: { type: 'terminated' } } },
  };
  const issues = Failure.safeParse(bad).error?.issues ?? [];
  assert.deepEqual(
    issues.map((i) => [i.path.join('.'), i.code]),
    [['cause.cause.message', 'invalid_type']],
  );
});

test('a chain that loops, or is longer than the limit, is refused instead of followed', () => {
  const looping = level('loop');
  looping['cause'] = looping;
  for (const input of [looping, chainOf(MAX_FAILURE_CAUSES + 2)]) {
    const issues = Failure.safeParse(input).error?.issues ?? [];
    assert.equal(issues.length, 1);
    assert.match(issues[0]?.message ?? '', /at most 64 causes/);
  }
  assert.equal(Failure.safeParse(chainOf(MAX_FAILURE_CAUSES + 1)).success, true);
});

/** A failure with `levels` levels in all (itself and its causes). */
function chainOf(levels: number): Record<string, unknown> {
  let f = level('0');
  for (let i = 1; i < levels; i++) f = { ...level(String(i)), cause: f };
  return f;
}
