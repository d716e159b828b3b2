import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Cron } from 'croner';
import type { ScheduleSpec } from '../../protocol/schedules.ts';
import { compileSpec } from './schedule-spec.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The first `count` spec times after `fromMs`, as RFC 3339 UTC. */
function times(spec: ScheduleSpec, fromMs: number, count: number): string[] {
  const compiled = compileSpec(spec, 'seed');
  const out: string[] = [];
  let after = fromMs;
  for (let i = 0; i < count; i++) {
    const t = compiled.next(after);
    if (t === undefined) break;
    out.push(new Date(t.nominalMs).toISOString());
    after = t.nominalMs;
  }
  return out;
}

/** The wall-clock reading of an instant in `timeZone`, as the UTC instant with that reading. */
function wallClock(timeZone: string): (ms: number) => number {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  return (ms) => {
    const parts = f.formatToParts(new Date(ms));
    const n = (type: Intl.DateTimeFormatPartTypes): number =>
      Number(parts.find((p) => p.type === type)?.value);
    return Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  };
}

describe('schedule spec times across daylight-saving transitions', () => {
  // Temporal's calendar tests (US/Pacific switches at 02:00).
  test('spring forward: a time the clocks skip does not happen that day', () => {
    const spec = { cronExpressions: ['33 33 2 * * * *'], timezone: 'US/Pacific' };
    assert.deepEqual(times(spec, Date.UTC(2022, 2, 12, 4), 2), [
      '2022-03-12T10:33:33.000Z', // 02:33:33 PST
      '2022-03-14T09:33:33.000Z', // 02:33:33 PDT: 13 March has none
    ]);
  });

  test('fall back: a time in the repeated hour happens twice', () => {
    const spec = { cronExpressions: ['33 33,44 1 * * * *'], timezone: 'US/Pacific' };
    assert.deepEqual(times(spec, Date.UTC(2021, 10, 7, 7, 15), 5), [
      '2021-11-07T08:33:33.000Z', // 01:33:33 PDT
      '2021-11-07T08:44:33.000Z',
      '2021-11-07T09:33:33.000Z', // 01:33:33 PST
      '2021-11-07T09:44:33.000Z',
      '2021-11-08T09:33:33.000Z',
    ]);
  });

  test('from any instant, the next time is the first matching one after it', () => {
    // From inside the repeated hour too: 01:10 PST is after 01:33 PDT, before 01:33 PST.
    const spec = compileSpec(
      { cronExpressions: ['33 33,44 1 * * * *'], timezone: 'US/Pacific' },
      'seed',
    );
    const seq = [Date.UTC(2021, 10, 7, 8, 33, 33), Date.UTC(2021, 10, 7, 8, 44, 33)];
    seq.push(Date.UTC(2021, 10, 7, 9, 33, 33), Date.UTC(2021, 10, 7, 9, 44, 33));
    let from = Date.UTC(2021, 10, 7, 7, 15);
    for (const expected of seq) {
      for (let t = from; t < expected; t += 61_003) {
        assert.equal(spec.next(t)?.nominalMs, expected, `next(${new Date(t).toISOString()})`);
      }
      from = expected;
    }
  });

  test('a one-off time in the repeated hour comes again after the first copy', () => {
    const spec = {
      calendars: [{ year: 2026, month: 11, dayOfMonth: 1, hour: 1, minute: 30 }],
      timezone: 'America/New_York',
    };
    // From 01:45 EDT: no 01:30 is left at that offset, but 01:30 EST is still to come.
    assert.deepEqual(times(spec, Date.UTC(2026, 10, 1, 5, 45), 2), ['2026-11-01T06:30:00.000Z']);
  });

  test('every wall-clock match once, in zones with other transitions', () => {
    // The reference: each minute whose wall-clock reading in the zone matches.
    const cases: [string, string, number][] = [
      ['America/New_York', '*/20 * * * *', Date.UTC(2026, 10, 1)],
      ['America/New_York', '30 1,2,3 * * *', Date.UTC(2026, 2, 8)],
      ['America/New_York', '0 * * * *', Date.UTC(2026, 10, 1)],
      // 30-minute transitions: 02:00 → 01:30 on 5 April, 02:00 → 02:30 on 4 October.
      ['Australia/Lord_Howe', '*/10 1,2 * * *', Date.UTC(2026, 3, 4, 12)],
      ['Australia/Lord_Howe', '15,40 2 * * *', Date.UTC(2026, 9, 3, 12)],
      // Transitions at midnight: 00:00 → 01:00 on 6 September, 00:00 → 23:00 on 4 April.
      ['America/Santiago', '0 0,23 * * *', Date.UTC(2026, 8, 5)],
      ['America/Santiago', '30 23 * * *', Date.UTC(2026, 3, 3)],
      ['Europe/London', '45 0,1,2 * * *', Date.UTC(2026, 9, 24)],
    ];
    for (const [timezone, cron, fromMs] of cases) {
      const utc = new Cron(cron, { paused: true, utcOffset: 0 });
      const wall = wallClock(timezone);
      const expected: string[] = [];
      for (let t = fromMs + MINUTE; t <= fromMs + 72 * HOUR; t += MINUTE) {
        if (utc.match(new Date(wall(t)))) expected.push(new Date(t).toISOString());
      }
      const got = times({ cronExpressions: [cron], timezone }, fromMs, expected.length + 1);
      assert.deepEqual(got.slice(0, expected.length), expected, `${cron} in ${timezone}`);
    }
  });

  test('intervals count real time, whatever the time zone', () => {
    const spec = { intervals: [{ everyMs: HOUR }], timezone: 'America/New_York' };
    assert.deepEqual(times(spec, Date.UTC(2026, 10, 1, 4, 30), 3), [
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T07:00:00.000Z',
    ]);
  });

  test('a skip calendar leaves out both copies of a repeated time', () => {
    const spec = {
      cronExpressions: ['30 * * * *'],
      skip: [{ hour: 1, minute: 30 }],
      timezone: 'America/New_York',
    };
    assert.deepEqual(times(spec, Date.UTC(2026, 10, 1, 4), 2), [
      '2026-11-01T04:30:00.000Z',
      '2026-11-01T07:30:00.000Z',
    ]);
  });

  test('without a time zone, times are in UTC whatever the host time zone', () => {
    const before = process.env['TZ'];
    process.env['TZ'] = 'Asia/Tokyo';
    try {
      assert.deepEqual(times({ cronExpressions: ['0 9 * * *'] }, Date.UTC(2026, 0, 1), 1), [
        '2026-01-01T09:00:00.000Z',
      ]);
    } finally {
      if (before === undefined) delete process.env['TZ'];
      else process.env['TZ'] = before;
    }
  });
});

describe('schedule spec jitter', () => {
  test("an action's jitter never takes it past the spec's next time (Temporal's cap)", () => {
    const compiled = compileSpec({ intervals: [{ everyMs: MINUTE }], jitterMs: 10 * MINUTE }, 's');
    let after = Date.UTC(2026, 0, 1);
    const delays: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = compiled.next(after);
      assert.ok(t !== undefined);
      delays.push(t.actualMs - t.nominalMs);
      after = t.nominalMs;
    }
    assert.ok(
      delays.every((d) => d >= 0 && d < MINUTE),
      `every delay is under the minute to the next time: ${delays.filter((d) => d >= MINUTE).length} were not`,
    );
    assert.ok(new Set(delays).size > 100, 'the delays still vary');
  });
});

describe("schedule cron expressions, read as Temporal's server reads them", () => {
  const from = Date.UTC(2026, 0, 1);
  const first = (cron: string, count = 3, extra: Partial<ScheduleSpec> = {}): string[] =>
    times({ cronExpressions: [cron], ...extra }, from, count);

  test('every field must match, day of month and day of week too (no cron OR rule)', () => {
    // Friday the 13th only: 2026 has three.
    assert.deepEqual(first('0 0 13 * FRI'), [
      '2026-02-13T00:00:00.000Z',
      '2026-03-13T00:00:00.000Z',
      '2026-11-13T00:00:00.000Z',
    ]);
  });

  test('six fields end with the year; seven start with the second', () => {
    assert.deepEqual(first('0 12 * * * 2027', 2), [
      '2027-01-01T12:00:00.000Z',
      '2027-01-02T12:00:00.000Z',
    ]);
    assert.deepEqual(first('*/30 * * * * *', 2), [
      '2026-01-01T00:30:00.000Z',
      '2026-01-01T01:00:00.000Z',
    ]);
    assert.deepEqual(first('30 0 9 * * * 2026', 2), [
      '2026-01-01T09:00:30.000Z',
      '2026-01-02T09:00:30.000Z',
    ]);
  });

  test('names from two or three letters, 7 as Sunday, a/step to the end of the field', () => {
    // 2026-01-01 is a Thursday.
    assert.deepEqual(first('0 9 * * mo-fr', 3), [
      '2026-01-01T09:00:00.000Z',
      '2026-01-02T09:00:00.000Z',
      '2026-01-05T09:00:00.000Z',
    ]);
    assert.deepEqual(first('0 0 1 january,jul *', 2), [
      '2026-07-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ]);
    // 1-7/3: Monday, Thursday and Sunday.
    assert.deepEqual(first('0 0 * * 1-7/3', 3), [
      '2026-01-04T00:00:00.000Z',
      '2026-01-05T00:00:00.000Z',
      '2026-01-08T00:00:00.000Z',
    ]);
    // 1-7: every day, Sunday (7) included.
    assert.deepEqual(first('0 0 * * 1-7', 4), [
      '2026-01-02T00:00:00.000Z',
      '2026-01-03T00:00:00.000Z',
      '2026-01-04T00:00:00.000Z',
      '2026-01-05T00:00:00.000Z',
    ]);
    assert.deepEqual(first('5/20 * * * *', 3), [
      '2026-01-01T00:05:00.000Z',
      '2026-01-01T00:25:00.000Z',
      '2026-01-01T00:45:00.000Z',
    ]);
  });

  test('@every is an interval with an optional phase, days allowed; # starts a comment', () => {
    assert.deepEqual(first('@every 1d/5h', 2), [
      '2026-01-01T05:00:00.000Z',
      '2026-01-02T05:00:00.000Z',
    ]);
    assert.deepEqual(first('@daily # nightly export', 1), ['2026-01-02T00:00:00.000Z']);
  });

  test('CRON_TZ= names the time zone, which must agree with the others', () => {
    assert.deepEqual(first('CRON_TZ=America/New_York 0 9 * * *', 1), ['2026-01-01T14:00:00.000Z']);
    // It is the whole spec's time zone, calendars' too.
    assert.deepEqual(
      times({ cronExpressions: ['TZ=Europe/Paris 0 9 * * *'], calendars: [{ hour: 10 }] }, from, 2),
      ['2026-01-01T08:00:00.000Z', '2026-01-01T09:00:00.000Z'],
    );
    assert.throws(
      () => first('CRON_TZ=America/New_York 0 9 * * *', 1, { timezone: 'UTC' }),
      /names the time zone 'America\/New_York' and `timezone` is 'UTC'/,
    );
    assert.throws(
      () => times({ cronExpressions: ['TZ=Europe/Paris 0 9 * * *', '0 10 * * *'] }, from, 1),
      /different time zones \('Europe\/Paris', none\)/,
    );
  });

  test('what Temporal refuses is refused, naming the field', () => {
    const refused: [string, RegExp][] = [
      ['0 0 L * *', /dayOfMonth 'L'/],
      ['0 0 ? * *', /dayOfMonth '\?'/],
      ['0 0 * * 8', /dayOfWeek '8'/],
      ['0 0 1 * * 1999', /year '1999'/],
      ['0 0 5-1 * *', /dayOfMonth '5-1' ends before it starts/],
      ['0 0 * *', /it has 4 fields/],
      ['@fortnightly', /unknown descriptor/],
    ];
    for (const [cron, message] of refused) {
      assert.throws(() => first(cron, 1), message, cron);
    }
  });
});
