// The schedule part of the store contract (createSchedule, getSchedule, updateSchedule,
// deleteSchedule, listSchedules), run by suite.ts for every backend.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ScheduleAlreadyRunning, ScheduleConflictError } from '../../src/errors.ts';
import type { NewTimer, Store } from '../../src/store/store.ts';
import { makeSchedule } from './builders.ts';

const timerOf = (scheduleId: string, dueAtMs: number): NewTimer => ({
  runId: `schedule:default:${scheduleId}`,
  key: 'next',
  dueAtMs,
  payload: { kind: 'scheduleDue', namespace: 'default', scheduleId },
});

export function scheduleConformance(
  withStore: (fn: (store: Store) => Promise<void>) => Promise<void>,
): void {
  describe('schedules', () => {
    test('a created schedule reads back field for field, with its timer due', () =>
      withStore(async (store) => {
        const s = makeSchedule('s1');
        await store.createSchedule({ schedule: s, timers: [timerOf('s1', 500)] });
        assert.deepEqual(await store.getSchedule({ namespace: 'default', scheduleId: 's1' }), s);
        const due = await store.takeDueTimers({ nowMs: 500, limit: 10, leaseMs: 1000 });
        assert.deepEqual(due, [timerOf('s1', 500)]);
        assert.equal(
          await store.getSchedule({ namespace: 'default', scheduleId: 'nope' }),
          undefined,
        );
      }));

    test('creating a schedule with a taken id throws ScheduleAlreadyRunning and changes nothing', () =>
      withStore(async (store) => {
        await store.createSchedule({ schedule: makeSchedule('dup'), timers: [] });
        await assert.rejects(
          store.createSchedule({
            schedule: makeSchedule('dup', { memo: { other: true } }),
            timers: [timerOf('dup', 1)],
          }),
          ScheduleAlreadyRunning,
        );
        const s = await store.getSchedule({ namespace: 'default', scheduleId: 'dup' });
        assert.deepEqual(s?.memo, { owner: 'ann' });
        assert.equal(await store.nextTimerDueAt(), undefined);
      }));

    test('two updates from one version: one wins, the other gets ScheduleConflictError', () =>
      withStore(async (store) => {
        const s = makeSchedule('cas');
        await store.createSchedule({ schedule: s, timers: [] });
        const update = (remaining: number, dueAtMs: number) =>
          store.updateSchedule({
            schedule: { ...s, state: { ...s.state, remainingActions: remaining } },
            expectedVersion: 0,
            timers: [timerOf('cas', dueAtMs)],
            deleteTimers: [],
          });
        const results = await Promise.allSettled([update(2, 100), update(1, 200)]);
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        const rejected = results.find((r) => r.status === 'rejected');
        assert.ok(rejected?.reason instanceof ScheduleConflictError);
        const stored = await store.getSchedule({ namespace: 'default', scheduleId: 'cas' });
        assert.ok(stored);
        assert.equal(stored.version, 1);
        // The winner's row and timer were written together; the loser's neither.
        const won = stored.state.remainingActions === 2 ? 100 : 200;
        assert.equal(await store.nextTimerDueAt(), won);
      }));

    test('an update can delete the schedule timer in the same transaction', () =>
      withStore(async (store) => {
        const s = makeSchedule('quiet');
        await store.createSchedule({ schedule: s, timers: [timerOf('quiet', 10)] });
        await store.updateSchedule({
          schedule: { ...s, nextActionAtMs: undefined },
          expectedVersion: 0,
          timers: [],
          deleteTimers: [{ runId: 'schedule:default:quiet', key: 'next' }],
        });
        assert.equal(await store.nextTimerDueAt(), undefined);
        const stored = await store.getSchedule({ namespace: 'default', scheduleId: 'quiet' });
        assert.equal(stored?.nextActionAtMs, undefined);
      }));

    test('delete removes the schedule and its timer; deleting again returns false', () =>
      withStore(async (store) => {
        await store.createSchedule({
          schedule: makeSchedule('gone'),
          timers: [timerOf('gone', 5)],
        });
        const ref = { namespace: 'default', scheduleId: 'gone' };
        const deleteTimers = [{ runId: 'schedule:default:gone', key: 'next' }];
        assert.equal(await store.deleteSchedule({ ...ref, deleteTimers }), true);
        assert.equal(await store.getSchedule(ref), undefined);
        assert.equal(await store.nextTimerDueAt(), undefined);
        assert.equal(await store.deleteSchedule({ ...ref, deleteTimers }), false);
        await assert.rejects(
          store.updateSchedule({
            schedule: makeSchedule('gone'),
            expectedVersion: 0,
            timers: [],
            deleteTimers: [],
          }),
          ScheduleConflictError,
        );
      }));

    test('delete at an expected version deletes nothing once the schedule has changed', () =>
      withStore(async (store) => {
        const s = makeSchedule('idle');
        await store.createSchedule({ schedule: s, timers: [timerOf('idle', 5)] });
        const ref = { namespace: 'default', scheduleId: 'idle' };
        const deleteTimers = [{ runId: 'schedule:default:idle', key: 'next' }];
        await store.updateSchedule({
          schedule: s,
          expectedVersion: 0,
          timers: [],
          deleteTimers: [],
        });
        assert.equal(
          await store.deleteSchedule({ ...ref, deleteTimers, expectedVersion: 0 }),
          false,
        );
        assert.equal((await store.getSchedule(ref))?.version, 1);
        assert.equal(await store.nextTimerDueAt(), 5);
        assert.equal(
          await store.deleteSchedule({ ...ref, deleteTimers, expectedVersion: 1 }),
          true,
        );
        assert.equal(await store.getSchedule(ref), undefined);
        assert.equal(await store.nextTimerDueAt(), undefined);
      }));

    test('listSchedules pages in id order within a namespace', () =>
      withStore(async (store) => {
        await store.ensureNamespace({ namespace: 'other' });
        for (const id of ['c', 'a', 'b']) {
          await store.createSchedule({ schedule: makeSchedule(id), timers: [] });
        }
        await store.createSchedule({
          schedule: makeSchedule('z', { namespace: 'other' }),
          timers: [],
        });
        const page1 = await store.listSchedules({ namespace: 'default', limit: 2 });
        assert.deepEqual(
          page1.map((s) => s.scheduleId),
          ['a', 'b'],
        );
        const page2 = await store.listSchedules({
          namespace: 'default',
          limit: 2,
          afterScheduleId: 'b',
        });
        assert.deepEqual(
          page2.map((s) => s.scheduleId),
          ['c'],
        );
      }));
  });
}
