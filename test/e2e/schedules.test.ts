// Schedules end to end: a real engine on SQLite, a worker, and a ManualClock that moves only when
// a test says, so "at each matching time and never early" is checked exactly.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  InvalidArgumentError,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
} from 'reprise/client';
import type {
  CalendarSpecDescription,
  ScheduleHandle,
  ScheduleOptions,
  ScheduleSpecDescription,
} from 'reprise/client';
import { Engine, ManualClock } from 'reprise/server';
import { failingJob, heldJob, quickJob, release } from './fixtures/schedule-workflows.ts';
import { startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/** A calendar with nothing given, as Temporal's TypeScript SDK describes it. */
const DEFAULTS: CalendarSpecDescription = {
  second: [{ start: 0, end: 0, step: 1 }],
  minute: [{ start: 0, end: 0, step: 1 }],
  hour: [{ start: 0, end: 0, step: 1 }],
  dayOfMonth: [{ start: 1, end: 31, step: 1 }],
  month: [{ start: 'JANUARY', end: 'DECEMBER', step: 1 }],
  year: [],
  dayOfWeek: [{ start: 'SUNDAY', end: 'SATURDAY', step: 1 }],
  comment: '',
};

/** The rest of a described spec when only calendars or intervals were given. */
const EMPTY: ScheduleSpecDescription = {
  calendars: [],
  intervals: [],
  skip: [],
  startAt: undefined,
  endAt: undefined,
  jitter: undefined,
  timezone: '',
};

describe('schedules', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({ clock, workflows: 'schedule-workflows.ts' });
  });
  after(async () => {
    await env.close();
  });

  /** The start of the hour after the clock's time. */
  const nextHour = (): number => (Math.floor(clock.now() / HOUR) + 1) * HOUR;

  const create = (
    scheduleId: string,
    options: Partial<ScheduleOptions> & Pick<ScheduleOptions, 'spec'>,
    workflowType: typeof quickJob | typeof heldJob | typeof failingJob = quickJob,
  ): Promise<ScheduleHandle> =>
    env.client.schedule.create({
      scheduleId,
      action: {
        type: 'startWorkflow',
        workflowType,
        taskQueue: env.taskQueue,
        args: [scheduleId],
        workflowId: scheduleId,
      },
      ...options,
    });

  const taken = async (h: ScheduleHandle): Promise<number> =>
    (await h.describe()).info.numActionsTaken;

  const waitForTaken = (h: ScheduleHandle, count: number): Promise<void> =>
    waitFor(async () => (await taken(h)) >= count, `${h.scheduleId} to take ${count} action(s)`);

  const runIds = async (h: ScheduleHandle): Promise<string[]> =>
    (await h.describe()).info.recentActions.map((a) => a.action.workflow.workflowId);

  const statusOf = async (workflowId: string): Promise<string> =>
    (await env.client.workflow.getHandle(workflowId).describe()).status;

  const waitForStatus = (workflowId: string, status: string): Promise<void> =>
    waitFor(async () => (await statusOf(workflowId)) === status, `${workflowId} ${status}`);

  /** Moves the clock and waits until the witness schedule has acted at that time. */
  const advanceWithWitness = async (toMs: number): Promise<void> => {
    const witness = await create(id('witness'), {
      spec: { intervals: [{ every: HOUR * 24 * 365 * 10, offset: toMs % (HOUR * 24 * 365 * 10) }] },
    });
    clock.set(toMs);
    await waitForTaken(witness, 1);
    await witness.delete();
  };

  test('a cron schedule starts a workflow at each matching time and never early', async () => {
    const sid = id('cron');
    const first = nextHour();
    const h = await create(sid, { spec: { cronExpressions: ['0 * * * *'] } });
    assert.deepEqual(
      (await h.describe()).info.nextActionTimes.slice(0, 2).map((d) => d.getTime()),
      [first, first + HOUR],
    );

    await advanceWithWitness(first - 1);
    assert.equal(await taken(h), 0, 'nothing runs 1 ms before the time');

    clock.set(first);
    await waitForTaken(h, 1);
    // Done before the clock jumps an hour: its workflow task would time out, and the run still
    // running at the next time would skip it (overlap SKIP).
    assert.equal(await env.client.workflow.getHandle(`${sid}-${iso(first)}`).result(), sid);
    await advanceWithWitness(first + HOUR - 1);
    assert.equal(await taken(h), 1);
    clock.set(first + HOUR);
    await waitForTaken(h, 2);
    assert.deepEqual(await runIds(h), [`${sid}-${iso(first)}`, `${sid}-${iso(first + HOUR)}`]);
    const d = await h.describe();
    assert.deepEqual(
      d.info.recentActions.map((a) => a.scheduledAt.getTime()),
      [first, first + HOUR],
    );
    assert.equal(await env.client.workflow.getHandle(`${sid}-${iso(first)}`).result(), sid);
    await h.delete();
  });

  test('an interval schedule with an offset', async () => {
    const sid = id('interval');
    const base = nextHour();
    clock.set(base);
    // Every 30 minutes at :05 and :35.
    const h = await create(sid, { spec: { intervals: [{ every: '30m', offset: '5m' }] } });
    const times = (await h.describe()).info.nextActionTimes.slice(0, 3).map((d) => d.getTime());
    assert.deepEqual(
      times,
      [5, 35, 65].map((m) => base + m * MINUTE),
    );
    clock.set(base + 5 * MINUTE);
    await waitForTaken(h, 1);
    await waitForStatus(`${sid}-${iso(base + 5 * MINUTE)}`, 'Completed');
    clock.set(base + 35 * MINUTE);
    await waitForTaken(h, 2);
    assert.deepEqual(await runIds(h), [
      `${sid}-${iso(base + 5 * MINUTE)}`,
      `${sid}-${iso(base + 35 * MINUTE)}`,
    ]);
    await h.delete();
  });

  test('a time zone shifts the cron times', async () => {
    const utc = await create(id('tz-utc'), { spec: { cronExpressions: ['0 9 * * *'] } });
    const ny = await create(id('tz-ny'), {
      spec: { cronExpressions: ['0 9 * * *'], timezone: 'America/New_York' },
    });
    const [u] = (await utc.describe()).info.nextActionTimes;
    const [y] = (await ny.describe()).info.nextActionTimes;
    assert.ok(u && y);
    assert.equal(u.getUTCHours(), 9);
    // January: New York is UTC−5.
    assert.equal(y.getUTCHours(), 14);
    await assert.rejects(
      create(id('tz-bad'), { spec: { cronExpressions: ['0 9 * * *'], timezone: 'Mars/Olympus' } }),
      /unknown time zone 'Mars\/Olympus'/,
    );
    await utc.delete();
    await ny.delete();
  });

  test('a calendar spec matches every field', async () => {
    // Mondays at 09:30 (2026-01-05 is a Monday).
    const h = await create(id('calendar'), {
      spec: { calendars: [{ dayOfWeek: 'MONDAY', hour: 9, minute: 30 }] },
    });
    const times = (await h.describe()).info.nextActionTimes.slice(0, 2);
    for (const t of times) {
      assert.equal(t.getUTCDay(), 1);
      assert.equal(t.getUTCHours(), 9);
      assert.equal(t.getUTCMinutes(), 30);
    }
    assert.equal((times[1]?.getTime() ?? 0) - (times[0]?.getTime() ?? 0), 7 * 24 * HOUR);
    await h.delete();
  });

  test("a calendar field given as '*' takes every value of it, as Temporal's client reads it", async () => {
    // Every hour at :15 on every day of the week, in every year.
    const h = await create(id('calendar-star'), {
      spec: { calendars: [{ hour: '*', minute: 15, dayOfWeek: '*', year: '*' }] },
    });
    const d = await h.describe();
    const times = d.info.nextActionTimes.slice(0, 3);
    for (const t of times) assert.equal(t.getUTCMinutes(), 15);
    assert.equal((times[1]?.getTime() ?? 0) - (times[0]?.getTime() ?? 0), HOUR);
    const cal = d.spec.calendars[0];
    assert.ok(cal);
    assert.deepStrictEqual(cal.hour, [{ start: 0, end: 23, step: 1 }]);
    assert.deepStrictEqual(cal.dayOfWeek, [{ start: 'SUNDAY', end: 'SATURDAY', step: 1 }]);
    assert.deepStrictEqual(cal.year, []);
    await h.delete();
  });

  test("a cron expression is read as Temporal's server reads it", async () => {
    // Every field must match (Friday the 13th, not every 13th and every Friday), six fields end
    // with the year, and CRON_TZ= names the time zone.
    const h = await create(id('cron-temporal'), {
      spec: { cronExpressions: ['CRON_TZ=Europe/Paris 0 1 13 * FRI 2026'] },
    });
    assert.deepEqual(
      (await h.describe()).info.nextActionTimes.map((d) => iso(d.getTime())),
      ['2026-02-13T00:00:00Z', '2026-03-13T00:00:00Z', '2026-11-13T00:00:00Z'],
    );
    await h.delete();
  });

  test('a stored spec that no longer compiles names no time, and the schedule still works', async () => {
    const sid = id('stale-spec');
    const h = await create(sid, { spec: { cronExpressions: ['0 * * * *'] } });
    // As if stored before Quartz's L was refused.
    const store = env.engine.deps.store;
    const row = await store.getSchedule({ namespace: 'default', scheduleId: sid });
    assert.ok(row);
    await store.updateSchedule({
      schedule: { ...row, spec: { cronExpressions: ['0 0 L * *'] } },
      expectedVersion: row.version,
      timers: [],
      deleteTimers: [],
    });
    assert.deepEqual((await h.describe()).info.nextActionTimes, []);
    const listed: string[] = [];
    for await (const sch of env.client.schedule.list()) listed.push(sch.scheduleId);
    assert.ok(listed.includes(sid));
    await h.update((d) => ({ ...d, spec: { cronExpressions: ['0 * * * *'] } }));
    assert.equal((await h.describe()).info.nextActionTimes[0]?.getTime(), nextHour());
    await h.delete();
  });

  test('SKIP skips an action while the previous run is still running', async () => {
    const sid = id('skip');
    const base = nextHour();
    const h = await create(sid, { spec: { cronExpressions: ['0 * * * *'] } }, heldJob);
    clock.set(base);
    await waitForTaken(h, 1);
    clock.set(base + HOUR);
    await waitFor(
      async () => (await h.describe()).info.numActionsSkippedOverlap === 1,
      'one skipped action',
    );
    assert.equal(await taken(h), 1);
    await env.client.workflow.getHandle(`${sid}-${iso(base)}`).signal(release);
    await waitForStatus(`${sid}-${iso(base)}`, 'Completed');
    clock.set(base + 2 * HOUR);
    await waitForTaken(h, 2);
    assert.deepEqual(await runIds(h), [`${sid}-${iso(base)}`, `${sid}-${iso(base + 2 * HOUR)}`]);
    await env.client.workflow.getHandle(`${sid}-${iso(base + 2 * HOUR)}`).terminate();
    await h.delete();
  });

  test('BUFFER_ONE runs one buffered action after the running one closes', async () => {
    const sid = id('buffer-one');
    const base = nextHour();
    const h = await create(
      sid,
      { spec: { cronExpressions: ['0 * * * *'] }, policies: { overlap: 'BUFFER_ONE' } },
      heldJob,
    );
    clock.set(base);
    await waitForTaken(h, 1);
    clock.set(base + HOUR); // buffered
    clock.set(base + 2 * HOUR); // skipped: one is already buffered
    await waitFor(
      async () => (await h.describe()).info.numActionsSkippedOverlap === 1,
      'the second overlapping action skipped',
    );
    assert.equal(await taken(h), 1);
    await env.client.workflow.getHandle(`${sid}-${iso(base)}`).signal(release);
    await waitForTaken(h, 2);
    assert.deepEqual(await runIds(h), [`${sid}-${iso(base)}`, `${sid}-${iso(base + HOUR)}`]);
    await env.client.workflow.getHandle(`${sid}-${iso(base + HOUR)}`).terminate();
    await h.delete();
  });

  test('BUFFER_ALL runs every buffered action, one after another', async () => {
    const sid = id('buffer-all');
    const base = nextHour();
    const h = await create(
      sid,
      { spec: { cronExpressions: ['0 * * * *'] }, policies: { overlap: 'BUFFER_ALL' } },
      heldJob,
    );
    clock.set(base);
    await waitForTaken(h, 1);
    clock.set(base + 2 * HOUR);
    for (let i = 0; i < 3; i++) {
      const wid = `${sid}-${iso(base + i * HOUR)}`;
      await waitFor(async () => (await runIds(h)).includes(wid), `${wid} started`);
      await env.client.workflow.getHandle(wid).signal(release);
      await waitForStatus(wid, 'Completed');
    }
    assert.equal(await taken(h), 3);
    assert.equal((await h.describe()).info.numActionsSkippedOverlap, 0);
    await h.delete();
  });

  test('ALLOW_ALL runs them side by side', async () => {
    const sid = id('allow-all');
    const base = nextHour();
    const h = await create(
      sid,
      { spec: { cronExpressions: ['0 * * * *'] }, policies: { overlap: 'ALLOW_ALL' } },
      heldJob,
    );
    clock.set(base);
    await waitForTaken(h, 1);
    clock.set(base + HOUR);
    await waitForTaken(h, 2);
    assert.equal(await statusOf(`${sid}-${iso(base)}`), 'Running');
    assert.equal(await statusOf(`${sid}-${iso(base + HOUR)}`), 'Running');
    // As in Temporal, a schedule does not track the runs it starts under ALLOW_ALL.
    assert.deepEqual((await h.describe()).info.runningActions, []);
    for (const wid of await runIds(h)) await env.client.workflow.getHandle(wid).terminate();
    await h.delete();
  });

  test('a run started under ALLOW_ALL (triggerImmediately, trigger()) overlaps no later action', async () => {
    const sid = id('untracked');
    const base = nextHour();
    // SKIP, yet the run that triggerImmediately starts (under ALLOW_ALL, as Temporal's SDK asks)
    // does not make the scheduled action at `base` skip.
    const h = await create(
      sid,
      { spec: { cronExpressions: ['0 * * * *'] }, state: { triggerImmediately: true } },
      heldJob,
    );
    await waitForTaken(h, 1);
    const [immediate = ''] = await runIds(h);
    assert.equal(await statusOf(immediate), 'Running');
    clock.set(base);
    await waitForTaken(h, 2);
    const d = await h.describe();
    assert.equal(d.info.numActionsSkippedOverlap, 0);
    // Only the scheduled run is the schedule's running one.
    assert.deepEqual(
      d.info.runningActions.map((r) => r.workflow.workflowId),
      [`${sid}-${iso(base)}`],
    );
    for (const wid of await runIds(h)) await env.client.workflow.getHandle(wid).terminate();
    await h.delete();
  });

  test('pauseOnFailure does not pause for a run started under ALLOW_ALL', async () => {
    const sid = id('untracked-failure');
    const base = nextHour();
    const h = await create(
      sid,
      {
        spec: { cronExpressions: ['0 * * * *'] },
        policies: { pauseOnFailure: true, overlap: 'ALLOW_ALL' },
      },
      failingJob,
    );
    clock.set(base);
    await waitForTaken(h, 1);
    await waitForStatus(`${sid}-${iso(base)}`, 'Failed');
    clock.set(base + HOUR);
    await waitForTaken(h, 2);
    assert.equal((await h.describe()).state.paused, false);
    await h.delete();
  });

  test('TERMINATE_OTHER terminates the running one and starts the next', async () => {
    const sid = id('terminate-other');
    const base = nextHour();
    const h = await create(
      sid,
      { spec: { cronExpressions: ['0 * * * *'] }, policies: { overlap: 'TERMINATE_OTHER' } },
      heldJob,
    );
    clock.set(base);
    await waitForTaken(h, 1);
    clock.set(base + HOUR);
    await waitForTaken(h, 2);
    assert.equal(await statusOf(`${sid}-${iso(base)}`), 'Terminated');
    assert.equal(await statusOf(`${sid}-${iso(base + HOUR)}`), 'Running');
    await env.client.workflow.getHandle(`${sid}-${iso(base + HOUR)}`).terminate();
    await h.delete();
  });

  test('CANCEL_OTHER cancels the running one and starts the next once it has closed', async () => {
    const sid = id('cancel-other');
    const base = nextHour();
    const h = await create(
      sid,
      { spec: { cronExpressions: ['0 * * * *'] }, policies: { overlap: 'CANCEL_OTHER' } },
      heldJob,
    );
    clock.set(base);
    await waitForTaken(h, 1);
    clock.set(base + HOUR);
    await waitForTaken(h, 2);
    assert.equal(await statusOf(`${sid}-${iso(base)}`), 'Canceled');
    assert.equal(await statusOf(`${sid}-${iso(base + HOUR)}`), 'Running');
    await env.client.workflow.getHandle(`${sid}-${iso(base + HOUR)}`).terminate();
    await h.delete();
  });

  /**
   * After an unpause: an hourly schedule paused over `base` runs nothing until `base + HOUR`, and
   * then that time. Deletes the schedule.
   */
  const expectOnlyTheHourAfter = async (
    h: ScheduleHandle,
    sid: string,
    base: number,
  ): Promise<void> => {
    assert.equal((await h.describe()).info.nextActionTimes[0]?.getTime(), base + HOUR);
    await advanceWithWitness(base + HOUR - 1);
    assert.equal(await taken(h), 0, 'the time passed while paused is not run after unpause');
    clock.set(base + HOUR);
    await waitForTaken(h, 1);
    assert.deepEqual(await runIds(h), [`${sid}-${iso(base + HOUR)}`]);
    await h.delete();
  };

  test('pause stops actions and unpause resumes them', async () => {
    const sid = id('pause');
    const base = nextHour();
    const h = await create(sid, { spec: { cronExpressions: ['0 * * * *'] } });
    await h.pause('maintenance');
    let d = await h.describe();
    assert.equal(d.state.paused, true);
    assert.equal(d.state.note, 'maintenance');
    // The times it would act at, as Temporal's describe() shows them while paused.
    assert.deepEqual(
      d.info.nextActionTimes.slice(0, 2).map((t) => t.getTime()),
      [base, base + HOUR],
    );
    await advanceWithWitness(base + 1);
    assert.equal(await taken(h), 0, 'no action while paused');
    await h.unpause('back');
    d = await h.describe();
    assert.equal(d.state.paused, false);
    assert.equal(d.state.note, 'back');
    await expectOnlyTheHourAfter(h, sid, base);
  });

  test('unpause drops the times that passed while paused, also those not yet looked at', async () => {
    const sid = id('unpause-race');
    const base = nextHour();
    const h = await create(sid, { spec: { cronExpressions: ['0 * * * *'] } });
    await h.pause('maintenance');
    // The unpause comes right after the clock passed `base`: the engine may not have woken for
    // that time yet; it must drop it all the same.
    clock.set(base + HOUR / 2);
    await h.unpause('back');
    await expectOnlyTheHourAfter(h, sid, base);
  });

  test('unpause after a long pause of a frequent schedule runs none of the times passed', async () => {
    const sid = id('unpause-long');
    const h = await create(sid, { spec: { intervals: [{ every: 1000 }] } });
    await h.pause('maintenance');
    const resumedAt = nextHour() + 2 * HOUR + 500; // 7,200 times pass while paused
    clock.set(resumedAt);
    await h.unpause('back');
    assert.equal((await h.describe()).info.nextActionTimes[0]?.getTime(), resumedAt + 500);
    clock.set(resumedAt + 500);
    await waitForTaken(h, 1);
    assert.deepEqual(await runIds(h), [`${sid}-${iso(resumedAt + 500)}`]);
    await h.delete();
  });

  test('trigger starts one now', async () => {
    const sid = id('trigger');
    const h = await create(sid, { spec: { cronExpressions: ['0 0 1 1 *'] } });
    await h.pause('triggers still run');
    await h.trigger();
    await waitForTaken(h, 1);
    const [wid] = await runIds(h);
    assert.equal(wid, `${sid}-${iso(clock.now())}`);
    assert.equal(await env.client.workflow.getHandle(wid).result(), sid);
    await h.delete();
  });

  test('a trigger in the same second as a running one starts nothing and is no action', async () => {
    const sid = id('same-second');
    const h = await create(sid, { spec: { cronExpressions: ['0 0 1 1 *'] } }, heldJob);
    const first = Math.floor(clock.now() / 1000) * 1000 + 1000;
    clock.set(first);
    await h.trigger();
    await waitForTaken(h, 1);
    // Later in the same second (a later millisecond than the first run's start, which the
    // engine tells apart from its own start of the same action).
    clock.set(first + 500);
    await h.trigger(); // the same second: the same workflow id, which is running
    await h.trigger(); // and again, twice in one pass of the schedule
    clock.set(first + 1000);
    await h.trigger(); // the next second: a workflow of its own
    await waitForTaken(h, 2);
    const d = await h.describe();
    assert.equal(d.info.numActionsTaken, 2);
    const ids = [`${sid}-${iso(first)}`, `${sid}-${iso(first + 1000)}`];
    assert.deepEqual(await runIds(h), ids);
    // Triggered under ALLOW_ALL: not tracked as running (Temporal's).
    assert.deepEqual(d.info.runningActions, []);
    assert.deepEqual(await env.client.workflow.count(`TemporalScheduledById = '${sid}'`), {
      count: 2,
      groups: [],
    });
    for (const wid of ids) await env.client.workflow.getHandle(wid).signal(release);
    await h.delete();
  });

  test("a trigger in the same millisecond as a closed one's start starts a run of its own", async () => {
    const sid = id('same-ms');
    const h = await create(sid, { spec: { cronExpressions: ['0 0 1 1 *'] } });
    const at = Math.floor(clock.now() / 1000) * 1000 + 1000;
    clock.set(at);
    await h.trigger();
    await waitForTaken(h, 1);
    const wid = `${sid}-${iso(at)}`;
    await env.client.workflow.getHandle(wid).result();
    // The clock has not moved: this trigger is decided in the millisecond the first run started
    // in, and that run (closed) is not this action's own.
    await h.trigger();
    await waitForTaken(h, 2);
    const d = await h.describe();
    assert.equal(d.info.numActionsTaken, 2);
    const runs = d.info.recentActions.map((a) => a.action.workflow);
    assert.deepEqual(
      runs.map((r) => r.workflowId),
      [wid, wid],
    );
    assert.notEqual(runs[0]?.firstExecutionRunId, runs[1]?.firstExecutionRunId);
    assert.equal(
      (await env.client.workflow.count(`TemporalScheduledById = '${sid}'`)).count,
      2,
      'the second trigger started a run',
    );
    await h.delete();
  });

  test('backfill runs the missed times in a range', async () => {
    const sid = id('backfill');
    const h = await create(sid, { spec: { cronExpressions: ['0 * * * *'] } });
    const end = Math.floor(clock.now() / HOUR) * HOUR - 24 * HOUR;
    const start = end - 3 * HOUR;
    await h.backfill([{ start: new Date(start), end: new Date(end), overlap: 'ALLOW_ALL' }]);
    await waitForTaken(h, 4);
    assert.deepEqual(
      (await runIds(h)).sort(),
      [0, 1, 2, 3].map((i) => `${sid}-${iso(start + i * HOUR)}`),
    );
    await h.delete();
  });

  test('a backfill of more times than the buffer holds considers every one, a part at a time', async () => {
    const sid = id('long-backfill');
    const h = await create(
      sid,
      { spec: { intervals: [{ every: '1m' }] }, state: { paused: true } },
      heldJob,
    );
    await h.trigger('SKIP'); // tracked, so each backfilled action overlaps it
    await waitForTaken(h, 1);
    // 1,500 minutes (the buffer holds 1,000): each is skipped, none dropped, as in Temporal.
    const end = Math.floor(clock.now() / MINUTE) * MINUTE - 24 * HOUR;
    await h.backfill({ start: new Date(end - 1499 * MINUTE), end: new Date(end), overlap: 'SKIP' });
    await waitFor(
      async () => (await h.describe()).info.numActionsSkippedOverlap === 1500,
      'the 1,500 backfilled actions skipped',
    );
    assert.equal(await taken(h), 1);
    const [held = ''] = await runIds(h);
    await env.client.workflow.getHandle(held).terminate();
    await h.delete();
  });

  test('a backfill past the 1,000 a schedule keeps waiting is refused, and queues none of its ranges', async () => {
    const sid = id('too-many-backfills');
    const h = await create(sid, { spec: { cronExpressions: ['0 * * * *'] } });
    const end = Math.floor(clock.now() / HOUR) * HOUR - 24 * HOUR;
    const hour = (i: number) => ({
      start: new Date(end - i * HOUR),
      end: new Date(end - i * HOUR),
      overlap: 'ALLOW_ALL' as const,
    });
    const ranges = Array.from({ length: 1001 }, (_, i) => hour(1001 - i));
    await assert.rejects(h.backfill(ranges), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError, String(e));
      assert.match(e.message, /has 1000 backfills waiting, the most it keeps: backfill fewer/);
      return true;
    });
    // Had the refused call queued its ranges, the oldest of them would be taken first.
    await h.backfill([hour(0)]);
    await waitForTaken(h, 1);
    assert.deepEqual(await runIds(h), [`${sid}-${iso(end)}`]);
    await h.delete();
  });

  test('remainingActions stops the schedule after N', async () => {
    const sid = id('remaining');
    const base = nextHour();
    const h = await create(sid, {
      spec: { cronExpressions: ['0 * * * *'] },
      state: { remainingActions: 2 },
    });
    assert.equal((await h.describe()).info.nextActionTimes.length, 2);
    clock.set(base);
    await waitForTaken(h, 1);
    // The default overlap policy is SKIP: were the first run still running at base + HOUR, the
    // second time would rightly be skipped. Jumping the ManualClock an hour while its workflow
    // task is in flight also times that task out (10 s), delaying the run further under load.
    await waitForStatus(`${sid}-${iso(base)}`, 'Completed');
    clock.set(base + HOUR);
    await waitForTaken(h, 2);
    const d = await h.describe();
    assert.equal(d.info.numActionsSkippedOverlap, 0);
    assert.equal(d.state.remainingActions, 0);
    assert.deepEqual(d.info.nextActionTimes, []);
    await advanceWithWitness(base + 2 * HOUR);
    assert.equal(await taken(h), 2);
    await h.delete();
  });

  test('catchupWindow: actions missed longer ago than the window are skipped', async () => {
    const sid = id('catchup');
    const base = nextHour();
    const h = await create(sid, {
      spec: { cronExpressions: ['0 * * * *'] },
      policies: { catchupWindow: '10 minutes', overlap: 'ALLOW_ALL' },
    });
    // As if the engine was down from before `base` until 2 h 5 min later.
    clock.set(base + 2 * HOUR + 5 * MINUTE);
    await waitForTaken(h, 1);
    const d = await h.describe();
    assert.equal(d.info.numActionsMissedCatchupWindow, 2);
    assert.deepEqual(await runIds(h), [`${sid}-${iso(base + 2 * HOUR)}`]);
    await h.delete();
  });

  test('catchupWindow: times passed while paused are not counted as missed', async () => {
    const sid = id('catchup-paused');
    const base = nextHour();
    const h = await create(sid, {
      spec: { cronExpressions: ['0 * * * *'] },
      policies: { catchupWindow: '10 minutes' },
      state: { paused: true },
    });
    // Down (or behind) over two times of a paused schedule: Temporal passes over them.
    clock.set(base + HOUR + 15 * MINUTE);
    await waitFor(
      async () => (await h.describe()).info.nextActionTimes[0]?.getTime() === base + 2 * HOUR,
      'the schedule to pass over the times',
    );
    const d = await h.describe();
    assert.equal(d.info.numActionsMissedCatchupWindow, 0);
    assert.equal(d.info.numActionsTaken, 0);
    await h.delete();
  });

  test('pauseOnFailure pauses the schedule when a started workflow fails', async () => {
    const sid = id('pause-on-failure');
    const base = nextHour();
    const h = await create(
      sid,
      { spec: { cronExpressions: ['0 * * * *'] }, policies: { pauseOnFailure: true } },
      failingJob,
    );
    clock.set(base);
    await waitForTaken(h, 1);
    await waitForStatus(`${sid}-${iso(base)}`, 'Failed');
    await waitFor(async () => (await h.describe()).state.paused, 'the schedule paused');
    // Temporal's note.
    assert.equal(
      (await h.describe()).state.note,
      `paused due to workflow failure: ${sid}-${iso(base)}: scheduled job failed`,
    );
    await h.delete();
  });

  test('pauseOnFailure leaves a pause already there, and its note, as they are', async () => {
    const sid = id('pause-on-failure-paused');
    const h = await create(
      sid,
      { spec: { cronExpressions: ['0 0 1 1 *'] }, policies: { pauseOnFailure: true } },
      failingJob,
    );
    await h.pause('maintenance');
    // Triggered under SKIP, so tracked: the schedule sees it fail.
    await h.trigger('SKIP');
    await waitForTaken(h, 1);
    const [first = ''] = await runIds(h);
    await waitForStatus(first, 'Failed');
    clock.advance(1000); // the next trigger's run has an id of its own
    await h.trigger('SKIP'); // its pass looks at the failed run first
    await waitForTaken(h, 2);
    assert.equal((await h.describe()).state.note, 'maintenance');
    await h.delete();
  });

  test('update changes the spec and ignores unknown fields', async () => {
    const sid = id('update');
    const base = nextHour();
    const h = await create(sid, { spec: { cronExpressions: ['0 * * * *'] } });
    await h.update((d) => {
      const next = {
        ...d,
        spec: { cronExpressions: ['30 * * * *'] },
        unknownField: 'ignored',
        state: { ...d.state, note: 'half past' },
      };
      return next;
    });
    const d = await h.describe();
    // As Temporal's server gives it back: the cron expression as a calendar.
    const [calendar] = d.spec.calendars;
    assert.ok(calendar);
    assert.deepEqual(calendar.minute, [{ start: 30, end: 30, step: 1 }]);
    assert.deepEqual(calendar.hour, [{ start: 0, end: 23, step: 1 }]);
    assert.equal(d.state.note, 'half past');
    assert.ok(d.info.lastUpdatedAt);
    assert.equal(d.info.nextActionTimes[0]?.getTime(), base - 30 * MINUTE);
    assert.equal(d.action.workflowType, 'quickJob');
    await h.delete();
  });

  test('delete removes it', async () => {
    const sid = id('delete');
    const h = await create(sid, { spec: { cronExpressions: ['0 * * * *'] } });
    await h.delete();
    await assert.rejects(h.describe(), ScheduleNotFoundError);
    await assert.rejects(h.delete(), ScheduleNotFoundError);
    await advanceWithWitness(nextHour());
    await assert.rejects(
      env.client.workflow.getHandle(`${sid}-${iso(clock.now())}`).describe(),
      /No workflow/,
    );
  });

  test('create with an existing id fails', async () => {
    const sid = id('dup');
    const h = await create(sid, { spec: { cronExpressions: ['0 * * * *'] } });
    await assert.rejects(create(sid, { spec: { intervals: [{ every: '1h' }] } }), (e) => {
      assert.ok(e instanceof ScheduleAlreadyRunning);
      assert.equal(e.scheduleId, sid);
      return true;
    });
    await h.delete();
  });

  test('a bad cron expression is refused and nothing is created', async () => {
    const sid = id('bad-cron');
    await assert.rejects(
      create(sid, { spec: { cronExpressions: ['not a cron'] } }),
      /cron expression 'not a cron'/,
    );
    await assert.rejects(env.client.schedule.getHandle(sid).describe(), ScheduleNotFoundError);
  });

  test('an interval under a second is refused, as Temporal refuses it', async () => {
    await assert.rejects(
      create(id('fast'), { spec: { intervals: [{ every: 500 }] } }),
      /an interval \(500 ms\) must be at least 1 second/,
    );
  });

  test('list yields every schedule of the namespace', async () => {
    const ids = [id('list-a'), id('list-b'), id('list-c')];
    for (const sid of ids) await create(sid, { spec: { cronExpressions: ['0 * * * *'] } });
    const seen: string[] = [];
    for await (const s of env.client.schedule.list({ pageSize: 2 })) {
      if (ids.includes(s.scheduleId)) {
        seen.push(s.scheduleId);
        assert.equal(s.action.workflowType, 'quickJob');
        assert.equal(s.info.nextActionTimes.length > 0, true);
      }
    }
    assert.deepEqual(seen, ids);
    // A page size of 0 is the default page size, as Temporal's server takes it.
    const all: string[] = [];
    for await (const s of env.client.schedule.list({ pageSize: 0 })) all.push(s.scheduleId);
    assert.deepEqual(
      all.filter((sid) => ids.includes(sid)),
      ids,
    );
    for (const sid of ids) await env.client.schedule.getHandle(sid).delete();
  });

  test('a list entry shows the last 5 actions and the next 5 times, as Temporal', async () => {
    const sid = id('list-recent');
    const h = await create(sid, { spec: { cronExpressions: ['0 * * * *'] } });
    for (let i = 1; i <= 6; i++) {
      await h.trigger();
      await waitForTaken(h, i);
      clock.advance(1000); // each trigger's run has an id of its own
    }
    const described = (await h.describe()).info.recentActions.map((a) => a.takenAt.getTime());
    assert.equal(described.length, 6);
    let listed = 0;
    for await (const s of env.client.schedule.list()) {
      if (s.scheduleId !== sid) continue;
      listed += 1;
      assert.deepEqual(
        s.info.recentActions.map((a) => a.takenAt.getTime()),
        described.slice(-5),
      );
      assert.equal(s.info.nextActionTimes.length, 5);
    }
    assert.equal(listed, 1);
    await h.delete();
  });

  test("list({ query }) filters on the schedules' search attributes and TemporalSchedulePaused", async () => {
    const spec = { cronExpressions: ['0 * * * *'] };
    const [a, b, c] = [id('q-a'), id('q-b'), id('q-c')];
    await create(a, { spec, searchAttributes: { QTeam: 'billing', QPriority: 2 } });
    await create(b, { spec, searchAttributes: { QTeam: 'billing' }, state: { paused: true } });
    await create(c, { spec, searchAttributes: { QTeam: 'ops', QPriority: 5 } });
    const listed = async (query: string, pageSize?: number): Promise<string[]> => {
      const out: string[] = [];
      for await (const s of env.client.schedule.list({ query, pageSize })) out.push(s.scheduleId);
      return out;
    };
    assert.deepEqual(await listed("QTeam = 'billing'", 1), [a, b]);
    assert.deepEqual(await listed("QTeam = 'billing' AND TemporalSchedulePaused = false"), [a]);
    assert.deepEqual(await listed('TemporalSchedulePaused = true'), [b]);
    assert.deepEqual(await listed('QPriority >= 2 AND QPriority < 5'), [a]);
    assert.deepEqual(await listed("QTeam IN ('ops') OR QPriority = 2"), [a, c]);
    // The items keep the schedules' own attributes.
    for await (const s of env.client.schedule.list({ query: `QTeam = 'ops'` })) {
      assert.deepEqual(s.searchAttributes, { QTeam: 'ops', QPriority: 5 });
    }
    await assert.rejects(
      listed("WorkflowType = 'quickJob'"),
      /WorkflowType is a workflow's attribute, not a schedule's/,
    );
    await assert.rejects(listed('QTeam = ORDER'), /Invalid list filter at position/);
    await assert.rejects(listed("QTeam = 'x' ORDER BY QTeam"), /ORDER BY is not supported/);
    // The registry's operator check applies too: QPriority is a Double.
    await assert.rejects(
      listed("QPriority STARTS_WITH '1'"),
      /STARTS_WITH applies to Keyword search attributes, and QPriority is a Double/,
    );
    for (const sid of [a, b, c]) await env.client.schedule.getHandle(sid).delete();
  });

  test('runs carry TemporalScheduledStartTime and TemporalScheduledById', async () => {
    const sid = id('attrs');
    const base = nextHour();
    const h = await create(sid, {
      spec: { cronExpressions: ['0 * * * *'] },
      action: {
        type: 'startWorkflow',
        workflowType: quickJob,
        taskQueue: env.taskQueue,
        args: ['x'],
        workflowId: sid,
        searchAttributes: { Team: 'ops' },
        memo: { owner: 'ann' },
      },
    });
    clock.set(base);
    await waitForTaken(h, 1);
    const d = await env.client.workflow.getHandle(`${sid}-${iso(base)}`).describe();
    assert.deepEqual(d.searchAttributes, {
      Team: 'ops',
      TemporalScheduledStartTime: new Date(base).toISOString(),
      TemporalScheduledById: sid,
    });
    assert.deepEqual(d.memo, { owner: 'ann' });
    await h.delete();
  });

  test('TemporalScheduledStartTime and TemporalScheduledById are system search attributes: never registered nor removable, typed for list filters', async () => {
    const sid = id('system-attrs');
    const h = await create(sid, { spec: { cronExpressions: ['0 0 1 1 *'] } });
    await h.trigger();
    await waitForTaken(h, 1);
    await h.delete();
    const names = ['TemporalScheduledStartTime', 'TemporalScheduledById'];
    // A store written before they were system ones may hold them: they are not listed either.
    await env.engine.deps.store.addSearchAttributes({
      namespace: 'default',
      types: { TemporalScheduledById: 'Keyword' },
    });
    await env.engine.searchAttributes.add('default', { SchedOwn: 'Keyword' });
    const listed = await env.engine.connection.listSearchAttributes({ namespace: 'default' });
    for (const name of names) assert.equal(listed.customAttributes[name], undefined, name);
    assert.equal(listed.systemAttributes['TemporalScheduledStartTime'], 'Datetime');
    assert.equal(listed.systemAttributes['TemporalScheduledById'], 'Keyword');
    for (const name of names) {
      await assert.rejects(
        env.engine.searchAttributes.remove('default', [name]),
        new RegExp(`Cannot remove search attribute '${name}': it is a system search attribute`),
      );
    }
    await assert.rejects(
      env.client.workflow.count("TemporalScheduledStartTime STARTS_WITH '2'"),
      /STARTS_WITH applies to Keyword search attributes, and TemporalScheduledStartTime is a Datetime \(a system search attribute\)/,
    );
    assert.equal(
      (await env.client.workflow.count(`TemporalScheduledById STARTS_WITH '${sid}'`)).count,
      1,
    );
  });

  // Daylight-saving transitions, as Temporal's calendar does them: a schedule's times are the
  // instants whose wall-clock reading in its time zone matches. These two tests move the clock to
  // 2026's transitions in New York, so they come last.
  const nextTimes = async (h: ScheduleHandle, count: number): Promise<string[]> =>
    (await h.describe()).info.nextActionTimes.slice(0, count).map((d) => iso(d.getTime()));

  test('spring forward: a wall-clock time the transition skips does not happen that day', async () => {
    // 2026-03-08 in New York: 02:00 EST becomes 03:00 EDT (07:00Z); 02:30 does not exist.
    await advanceWithWitness(Date.UTC(2026, 2, 8, 5)); // 00:00 EST
    const ny = { timezone: 'America/New_York' };
    const daily = await create(id('dst-gap-daily'), {
      spec: { calendars: [{ hour: 2, minute: 30 }], ...ny },
      policies: { overlap: 'ALLOW_ALL' },
    });
    const hourly = await create(id('dst-gap-hourly'), {
      spec: { cronExpressions: ['30 * * * *'], ...ny },
      policies: { overlap: 'ALLOW_ALL' },
    });
    try {
      assert.deepEqual(await nextTimes(daily, 2), ['2026-03-09T06:30:00Z', '2026-03-10T06:30:00Z']);
      // 01:30 EST, then 03:30 EDT: one real hour apart.
      assert.deepEqual(await nextTimes(hourly, 3), [
        '2026-03-08T05:30:00Z',
        '2026-03-08T06:30:00Z',
        '2026-03-08T07:30:00Z',
      ]);
      await advanceWithWitness(Date.UTC(2026, 2, 8, 7, 30)); // 03:30 EDT
      await waitForTaken(hourly, 3);
      assert.equal(
        await taken(daily),
        0,
        'no action at 03:30 EDT for the 02:30 that did not exist',
      );
      clock.set(Date.UTC(2026, 2, 9, 6, 30)); // 02:30 EDT the next day
      await waitForTaken(daily, 1);
      assert.deepEqual(await runIds(daily), [`${daily.scheduleId}-2026-03-09T06:30:00Z`]);
    } finally {
      // A schedule left behind would act at every time the next test moves the clock past.
      await daily.delete();
      await hourly.delete();
    }
  });

  test('fall back: a wall-clock time in the repeated hour happens twice', async () => {
    // 2026-11-01 in New York: 02:00 EDT becomes 01:00 EST (06:00Z); 01:00-01:59 happens twice.
    await advanceWithWitness(Date.UTC(2026, 10, 1, 4)); // 00:00 EDT
    const ny = { timezone: 'America/New_York' };
    const hourly = await create(id('dst-repeat-hourly'), {
      spec: { cronExpressions: ['30 * * * *'], ...ny },
      policies: { overlap: 'ALLOW_ALL' },
    });
    const daily = await create(id('dst-repeat-daily'), {
      spec: { calendars: [{ hour: 1, minute: 30 }], ...ny },
      policies: { overlap: 'ALLOW_ALL' },
    });
    const interval = await create(id('dst-repeat-interval'), {
      spec: { intervals: [{ every: '1h' }], ...ny },
    });
    let late: ScheduleHandle | undefined;
    try {
      // 00:30 EDT, 01:30 EDT, 01:30 EST, 02:30 EST.
      assert.deepEqual(await nextTimes(hourly, 4), [
        '2026-11-01T04:30:00Z',
        '2026-11-01T05:30:00Z',
        '2026-11-01T06:30:00Z',
        '2026-11-01T07:30:00Z',
      ]);
      assert.deepEqual(await nextTimes(daily, 3), [
        '2026-11-01T05:30:00Z',
        '2026-11-01T06:30:00Z',
        '2026-11-02T06:30:00Z',
      ]);
      // Intervals count real time: the time zone does not move them.
      assert.deepEqual(await nextTimes(interval, 3), [
        '2026-11-01T05:00:00Z',
        '2026-11-01T06:00:00Z',
        '2026-11-01T07:00:00Z',
      ]);

      for (const [i, at] of [
        Date.UTC(2026, 10, 1, 4, 30),
        Date.UTC(2026, 10, 1, 5, 30),
      ].entries()) {
        clock.set(at);
        await waitForTaken(hourly, i + 1);
      }
      await waitForTaken(daily, 1);
      // Created at 01:10 EST, between the two 01:30s: its first time is the second 01:30.
      await advanceWithWitness(Date.UTC(2026, 10, 1, 6, 10));
      late = await create(id('dst-repeat-late'), {
        spec: { cronExpressions: ['30 * * * *'], ...ny },
      });
      assert.deepEqual(await nextTimes(late, 1), ['2026-11-01T06:30:00Z']);
      clock.set(Date.UTC(2026, 10, 1, 6, 30)); // 01:30 EST
      await waitForTaken(hourly, 3);
      await waitForTaken(daily, 2);
      await waitForTaken(late, 1);
      assert.deepEqual(await runIds(hourly), [
        `${hourly.scheduleId}-2026-11-01T04:30:00Z`,
        `${hourly.scheduleId}-2026-11-01T05:30:00Z`,
        `${hourly.scheduleId}-2026-11-01T06:30:00Z`,
      ]);
      assert.deepEqual(await runIds(daily), [
        `${daily.scheduleId}-2026-11-01T05:30:00Z`,
        `${daily.scheduleId}-2026-11-01T06:30:00Z`,
      ]);
      assert.deepEqual(await runIds(late), [`${late.scheduleId}-2026-11-01T06:30:00Z`]);
    } finally {
      for (const h of [hourly, daily, interval, late]) await h?.delete();
    }
  });

  // The spec as describe() and list() give it: see docs/schedules.md.
  const createWithSpec = (spec: ScheduleOptions['spec']): Promise<ScheduleHandle> =>
    create(id('described'), { spec });

  const listedSpec = async (scheduleId: string): Promise<ScheduleSpecDescription | undefined> => {
    for await (const s of env.client.schedule.list()) {
      if (s.scheduleId === scheduleId) return s.spec;
    }
    return undefined;
  };

  test('a cron expression comes back as a calendar, as Temporal gives it', async () => {
    const h = await createWithSpec({ cronExpressions: ['0 12 * * MON-WED,FRI'] });
    const expected: ScheduleSpecDescription = {
      ...EMPTY,
      calendars: [
        {
          ...DEFAULTS,
          hour: [{ start: 12, end: 12, step: 1 }],
          dayOfWeek: [
            { start: 'MONDAY', end: 'WEDNESDAY', step: 1 },
            { start: 'FRIDAY', end: 'FRIDAY', step: 1 },
          ],
        },
      ],
    };
    assert.deepStrictEqual((await h.describe()).spec, expected);
    assert.deepStrictEqual(await listedSpec(h.scheduleId), expected);
    await h.delete();
  });

  test('a calendar comes back with its defaults filled in and its names', async () => {
    const h = await createWithSpec({
      calendars: [
        { hour: 12 },
        { hour: [4, { start: 15, end: 20, step: 2 }], month: 'APRIL', dayOfWeek: 1 },
        { hour: { start: 4, end: 0 }, comment: 'four' },
      ],
    });
    assert.deepStrictEqual((await h.describe()).spec.calendars, [
      { ...DEFAULTS, hour: [{ start: 12, end: 12, step: 1 }] },
      {
        ...DEFAULTS,
        hour: [
          { start: 4, end: 4, step: 1 },
          { start: 15, end: 20, step: 2 },
        ],
        month: [{ start: 'APRIL', end: 'APRIL', step: 1 }],
        dayOfWeek: [{ start: 'MONDAY', end: 'MONDAY', step: 1 }],
      },
      { ...DEFAULTS, hour: [{ start: 4, end: 4, step: 1 }], comment: 'four' },
    ]);
    await h.delete();
  });

  test('intervals, @every, CRON_TZ=, skip, bounds and jitter come back as Temporal gives them', async () => {
    const startAt = new Date(Date.UTC(2026, 0, 2));
    const endAt = new Date(Date.UTC(2027, 0, 1));
    const h = await createWithSpec({
      intervals: [{ every: '1h', offset: '5m' }, { every: '1d' }],
      cronExpressions: [
        'CRON_TZ=Europe/Paris @every 90m/15m',
        'CRON_TZ=Europe/Paris 30 9 * * * # morning',
      ],
      skip: [{ dayOfWeek: 'SUNDAY' }],
      startAt,
      endAt,
      jitter: '10s',
    });
    assert.deepStrictEqual((await h.describe()).spec, {
      calendars: [
        {
          ...DEFAULTS,
          minute: [{ start: 30, end: 30, step: 1 }],
          hour: [{ start: 9, end: 9, step: 1 }],
          comment: 'morning',
        },
      ],
      intervals: [
        { every: HOUR, offset: 5 * MINUTE },
        { every: 24 * HOUR, offset: undefined },
        { every: 90 * MINUTE, offset: 15 * MINUTE },
      ],
      skip: [{ ...DEFAULTS, dayOfWeek: [{ start: 'SUNDAY', end: 'SUNDAY', step: 1 }] }],
      startAt,
      endAt,
      jitter: 10_000,
      timezone: 'Europe/Paris',
    } satisfies ScheduleSpecDescription);
    await h.delete();
  });

  test('update((d) => d) keeps the schedule and its times', async () => {
    const specs: ScheduleOptions['spec'][] = [
      { cronExpressions: ['0 12 * * MON-FRI'] },
      { cronExpressions: ['CRON_TZ=America/New_York 15 9,17 1-7 */2 *'], skip: [{ hour: 17 }] },
      { calendars: [{ hour: 12 }] },
      { intervals: [{ every: '2h', offset: '30m' }], jitter: '1m' },
      { cronExpressions: ['@every 45m'], calendars: [{ minute: 10 }] },
      // 7 is Sunday, as 0: Friday to Sunday.
      {
        calendars: [
          { hour: 6, dayOfWeek: { start: 5, end: 7 } },
          { hour: 7, dayOfWeek: 7 },
        ],
      },
    ];
    for (const spec of specs) {
      const h = await createWithSpec(spec);
      const before = await h.describe();
      // What goes back is the described form (calendars), not the cron expressions given.
      assert.equal(before.spec.cronExpressions, undefined);
      await h.update((d) => d);
      const after = await h.describe();
      assert.deepStrictEqual(after.spec, before.spec, JSON.stringify(spec));
      assert.deepStrictEqual(after.info.nextActionTimes, before.info.nextActionTimes);
      assert.equal(after.info.nextActionTimes.length, 10);
      await h.delete();
    }
  });
});

describe('schedules with two engines on one store', () => {
  test('each scheduled time acts exactly once', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const env = await startTestEnv({ clock, workflows: 'schedule-workflows.ts' });
    const second = await Engine.open({ store: env.storeUrl, clock });
    try {
      const sid = 'two-engines';
      const h = await env.client.schedule.create({
        scheduleId: sid,
        spec: { intervals: [{ every: '1m' }] },
        action: {
          type: 'startWorkflow',
          workflowType: quickJob,
          taskQueue: env.taskQueue,
          args: ['x'],
          workflowId: sid,
        },
        policies: { overlap: 'ALLOW_ALL' },
      });
      for (let i = 1; i <= 5; i++) {
        clock.set(Date.UTC(2026, 0, 1) + i * MINUTE);
        second.wakeTimers();
        env.engine.wakeTimers();
        await waitForTakenBy(h, i);
      }
      const runs: string[] = [];
      for await (const wf of env.client.workflow.list({
        query: `TemporalScheduledById = '${sid}'`,
      })) {
        runs.push(wf.workflowId);
      }
      assert.equal(runs.length, 5);
      assert.equal(new Set(runs).size, 5);
      assert.equal((await h.describe()).info.numActionsTaken, 5);
      await h.delete();
    } finally {
      await second.close();
      await env.close();
    }
  });
});

async function waitForTakenBy(h: ScheduleHandle, count: number): Promise<void> {
  await waitFor(
    async () => (await h.describe()).info.numActionsTaken >= count,
    `${h.scheduleId} to take ${count} action(s)`,
  );
}
