// The resource-based slot supplier's rules, with its readings and clock given by the test (the
// machine's load decides nothing here): minimumSlots whatever the readings, more only while
// memory and CPU are under their targets and rampThrottle has passed, never past maximumSlots.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResourceBasedSlots, systemReadings } from './resource-based-slots.ts';
import type { SlotReserveContext } from './worker-tuner.ts';

const ctx: SlotReserveContext = {
  slotType: 'activity',
  taskQueue: 'q',
  workerIdentity: 'w',
  workerBuildId: '',
  isSticky: false,
};

function supplier(o: { min: number; max: number; rampMs: number }) {
  const readings = { memory: 0.5, cpu: 0.5, nowMs: 0 };
  const slots = new ResourceBasedSlots(
    {
      type: 'resource-based',
      tunerOptions: { targetMemoryUsage: 0.8, targetCpuUsage: 0.9 },
      minimumSlots: o.min,
      maximumSlots: o.max,
      rampThrottleMs: o.rampMs,
    },
    {
      memoryUsage: () => readings.memory,
      cpuUsage: () => readings.cpu,
      nowMs: () => readings.nowMs,
    },
  );
  return { slots, readings };
}

describe('resource-based slots', () => {
  test('minimumSlots are handed out whatever the readings, no more while over a target', () => {
    const { slots, readings } = supplier({ min: 2, max: 10, rampMs: 0 });
    readings.memory = 0.95;
    readings.cpu = 1;
    assert.ok(slots.tryReserveSlot());
    assert.ok(slots.tryReserveSlot());
    assert.equal(slots.tryReserveSlot(), null, 'over both targets');
    readings.memory = 0.5;
    assert.equal(slots.tryReserveSlot(), null, 'CPU still over its target');
    readings.cpu = 0.5;
    readings.memory = 0.8;
    assert.equal(slots.tryReserveSlot(), null, 'memory at its target');
    readings.memory = 0.79;
    assert.ok(slots.tryReserveSlot(), 'both under');
    assert.equal(slots.issued, 3);
  });

  test('past the minimum, slots are rampThrottle apart and never more than maximumSlots', () => {
    const { slots, readings } = supplier({ min: 1, max: 3, rampMs: 50 });
    assert.ok(slots.tryReserveSlot(), 'the minimum');
    assert.equal(slots.tryReserveSlot(), null, 'within rampThrottle of the last');
    readings.nowMs = 49;
    assert.equal(slots.tryReserveSlot(), null);
    readings.nowMs = 50;
    assert.ok(slots.tryReserveSlot());
    readings.nowMs = 100;
    assert.ok(slots.tryReserveSlot());
    readings.nowMs = 1000;
    assert.equal(slots.tryReserveSlot(), null, 'maximumSlots reached');
    slots.releaseSlot();
    assert.ok(slots.tryReserveSlot(), 'a released slot is handed out again');
    assert.equal(slots.issued, 3);
  });

  test('reserveSlot waits until the readings allow a slot, and rejects on its abortSignal', async () => {
    const { slots, readings } = supplier({ min: 0, max: 5, rampMs: 0 });
    readings.cpu = 0.95;
    const waiting = slots.reserveSlot(ctx, new AbortController().signal);
    assert.equal(slots.issued, 0);
    readings.cpu = 0.2;
    assert.ok(await waiting);
    assert.equal(slots.issued, 1);

    readings.memory = 0.9;
    const abort = new AbortController();
    const aborted = slots.reserveSlot(ctx, abort.signal);
    abort.abort(new Error('no longer needed'));
    await assert.rejects(aborted, /no longer needed/);
    assert.equal(slots.issued, 1);
  });

  test("the machine's readings are fractions of 0 to 1", () => {
    const r = systemReadings();
    for (const v of [r.memoryUsage(), r.cpuUsage()]) assert.ok(v >= 0 && v <= 1, String(v));
  });
});
