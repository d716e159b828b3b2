import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Logger } from '../logger.ts';
import { FixedSlots } from './task-slots.ts';
import { runInSlot } from './poll-loop.ts';

function logger(error: (obj: object, msg?: string) => void): Logger {
  const self: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error,
    child: () => self,
  };
  return self;
}

/**
 * Runs one task in the one slot and waits until it is out of `inFlight`. The promise tracked
 * there always fulfils: a rejection would be unhandled once it leaves the set.
 */
async function runOne(handle: () => Promise<void>, log: Logger): Promise<FixedSlots> {
  const slots = new FixedSlots(1);
  assert.ok(slots.tryAcquire());
  const inFlight = new Set<Promise<void>>();
  runInSlot({ slots, logger: log, inFlight, handle }, 'task', true);
  assert.equal(inFlight.size, 1);
  const [outcome] = await Promise.allSettled([...inFlight]);
  assert.equal(outcome?.status, 'fulfilled');
  assert.equal(inFlight.size, 0, 'the task is out of inFlight');
  return slots;
}

describe('runInSlot', () => {
  test('releases the slot when the task succeeds', async () => {
    const slots = await runOne(
      () => Promise.resolve(),
      logger(() => assert.fail('logged')),
    );
    assert.ok(slots.tryAcquire(), 'the slot is free again');
  });

  test('logs a failed task and releases its slot', async () => {
    const logged: unknown[] = [];
    const slots = await runOne(
      () => Promise.reject(new Error('task failed')),
      logger((obj) => logged.push((obj as { err: unknown }).err)),
    );
    assert.match(String(logged[0]), /task failed/);
    assert.ok(slots.tryAcquire(), 'the slot is free again');
  });

  test('releases the slot, and rejects nothing, when logging the failure throws', async () => {
    const broken = logger(() => {
      throw new Error('logger broke');
    });
    const slots = await runOne(() => Promise.reject(new Error('task failed')), broken);
    assert.ok(slots.tryAcquire(), 'the slot is free again');
  });
});
