import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '../errors.ts';
import { cronBackoffMs, parseCronSchedule } from './cron-schedule.ts';

const H = 3_600_000;
const M = 60_000;
const S = 1000;

function backoff(cron: string, scheduled: string, now = scheduled): number | undefined {
  return cronBackoffMs(parseCronSchedule(cron), Date.parse(scheduled), Date.parse(now));
}

describe('cronBackoffMs', () => {
  // Temporal's own table (common/backoff/cron_test.go): the same strings give the same backoffs.
  const cases: [string, string, string | undefined, number][] = [
    ['0 10 * * *', '2018-12-17T08:00:00-08:00', undefined, 18 * H],
    ['0 10 * * *', '2018-12-18T02:00:00-08:00', undefined, 24 * H],
    ['0 * * * *', '2018-12-17T08:08:00+00:00', undefined, 52 * M],
    ['0 * * * *', '2018-12-17T09:00:00+00:00', undefined, H],
    ['* * * * *', '2018-12-17T08:08:18+00:00', undefined, 42 * S],
    ['0 10 * * *', '2018-12-17T08:00:00+00:00', '2018-12-20T00:00:00+00:00', 10 * H],
    ['0 10 * * *', '2018-12-17T08:00:00+00:00', '2018-12-17T09:00:00+00:00', H],
    ['*/10 * * * *', '2018-12-17T00:04:00+00:00', '2018-12-17T01:02:00+00:00', 8 * M],
    ['@every 5h', '2018-12-17T08:00:00+00:00', '2018-12-17T09:00:00+00:00', 4 * H],
    ['@every 5h', '2018-12-17T08:00:00+00:00', '2018-12-18T00:00:00+00:00', 4 * H],
    ['0 3 * * 0-6', '2018-12-17T08:00:00-08:00', undefined, 11 * H],
    ['@every 30s', '2020-07-17T09:00:02-01:00', '2020-07-17T09:00:02-01:00', 30 * S],
    ['@every 30s', '2020-07-17T09:00:02-01:00', '2020-09-17T03:00:53-01:00', 9 * S],
    ['@every 30m', '2020-07-17T09:00:00-01:00', '2020-07-17T08:45:00-01:00', 15 * M],
    [
      'CRON_TZ=America/New_York 5 16 * * *',
      '2021-03-14T00:00:00-04:00',
      '2021-03-14T15:05:00-04:00',
      H,
    ],
    [
      'CRON_TZ=America/New_York 5 4 * * *',
      '2021-11-25T00:00:00-05:00',
      '2021-11-25T03:05:00-05:00',
      H,
    ],
  ];
  for (const [cron, scheduled, now, expected] of cases) {
    test(`'${cron}' scheduled ${scheduled}, now ${now ?? 'the same'}: ${expected / S} s`, () => {
      assert.equal(backoff(cron, scheduled, now), expected);
    });
  }

  test('rounds up to whole seconds, as Temporal does', () => {
    assert.equal(backoff('* * * * *', '2018-12-17T08:08:18.500Z'), 42 * S);
  });

  test('a run that closes at its own scheduled time waits a whole step: one time never starts two runs', () => {
    assert.equal(backoff('*/10 * * * *', '2018-12-17T08:10:00Z'), 10 * M);
    assert.equal(
      backoff('*/10 * * * *', '2018-12-17T08:10:00Z', '2018-12-17T08:10:00.001Z'),
      10 * M,
    );
    assert.equal(backoff('@every 5m', '2018-12-17T08:10:00Z'), 5 * M);
    // robfig's @every steps whole seconds, at least one: a chain never spins faster than 1/s.
    assert.equal(backoff('@every 100ms', '2018-12-17T08:10:00Z'), S);
    assert.equal(backoff('@every 1500ms', '2018-12-17T08:10:00Z'), S);
  });

  test('takes the descriptors and TZ= as robfig/cron does', () => {
    assert.equal(backoff('@hourly', '2018-12-17T08:30:00Z'), 30 * M);
    assert.equal(backoff('@daily', '2018-12-17T23:00:00Z'), H);
    assert.equal(backoff('TZ=Europe/Paris 0 1 * * *', '2018-12-17T23:00:00Z'), H);
  });
});

describe('parseCronSchedule', () => {
  for (const bad of [
    'invalid-cron-spec',
    '',
    '* * * *',
    '0 0 * * * *',
    '61 * * * *',
    'CRON_TZ=Nowhere/Land * * * * *',
    'CRON_TZ=UTC',
    '@every 5x',
    '@every',
    '@fortnightly',
  ]) {
    test(`refuses '${bad}' with InvalidArgumentError`, () => {
      assert.throws(() => parseCronSchedule(bad), InvalidArgumentError);
    });
  }

  // robfig/cron's standard parser, which Temporal's server uses, refuses Quartz's L, W and # and a
  // day of week 7, though the pattern matcher underneath would read them.
  for (const [bad, says] of [
    ['0 0 L * *', /'L' \(last day\).*list the days/],
    ['0 0 15W * *', /'W' \(nearest weekday\)/],
    ['0 0 LW * *', /'L' \(last day\)/],
    ['0 9 * * MON#1', /'#' \(nth weekday\).*check the weekday in the workflow/],
    ['0 9 * * 5L', /'L' \(last weekday\)/],
    ['0 0 * * 7', /days of week are 0-6.*write Sunday as 0 or SUN/],
    ['0 0 * * 1-7', /days of week are 0-6/],
    ['CRON_TZ=Europe/Paris 0 0 * * 5,07', /days of week are 0-6/],
  ] as const) {
    test(`refuses '${bad}' (beyond robfig/cron's syntax), saying what to write instead`, () => {
      assert.throws(
        () => parseCronSchedule(bad),
        (e: unknown) => e instanceof InvalidArgumentError && says.test(e.message),
      );
    });
  }

  test("reads a running chain's schedule as it was accepted, so a chain started with L runs on", () => {
    assert.equal(
      cronBackoffMs(
        parseCronSchedule('0 0 L * *', { running: true }),
        Date.parse('2024-02-01T00:00:00Z'),
        Date.parse('2024-02-01T00:00:00Z'),
      ),
      28 * 24 * H,
    );
  });

  test("takes what robfig/cron takes: '?', names, steps over the days of week", () => {
    for (const good of ['0 0 ? * *', '0 0 * * ?', '0 9 * JUL WED', '0 0 * * */7', '0 0 * * 0-6']) {
      assert.doesNotThrow(() => parseCronSchedule(good), good);
    }
  });
});
