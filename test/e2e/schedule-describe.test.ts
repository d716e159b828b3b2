// What describe() and list() give back as a schedule's spec: its canonical form, as Temporal's
// server gives it and its TypeScript SDK decodes it (cron expressions as calendars, every field
// of a calendar spelled out as ranges), on a real engine, SQLite file and worker.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type {
  CalendarSpecDescription,
  ScheduleHandle,
  ScheduleOptions,
  ScheduleSpecDescription,
} from 'reprise/client';
import { ManualClock } from 'reprise/server';
import { quickJob } from './fixtures/schedule-workflows.ts';
import { startTestEnv } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

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

describe('a schedule spec as describe() and list() give it', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let env: TestEnv;
  let n = 0;

  before(async () => {
    env = await startTestEnv({ clock, workflows: 'schedule-workflows.ts' });
  });
  after(async () => {
    await env.close();
  });

  const create = (spec: ScheduleOptions['spec']): Promise<ScheduleHandle> =>
    env.client.schedule.create({
      scheduleId: `described-${++n}`,
      spec,
      action: { type: 'startWorkflow', workflowType: quickJob, taskQueue: env.taskQueue },
    });

  const listed = async (scheduleId: string): Promise<ScheduleSpecDescription | undefined> => {
    for await (const s of env.client.schedule.list())
      if (s.scheduleId === scheduleId) return s.spec;
    return undefined;
  };

  test('a cron expression comes back as a calendar, as Temporal gives it', async () => {
    const h = await create({ cronExpressions: ['0 12 * * MON-WED,FRI'] });
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
    assert.deepStrictEqual(await listed(h.scheduleId), expected);
    await h.delete();
  });

  test('a calendar comes back with its defaults filled in and its names', async () => {
    const h = await create({
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
    const h = await create({
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
    ];
    for (const spec of specs) {
      const h = await create(spec);
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
