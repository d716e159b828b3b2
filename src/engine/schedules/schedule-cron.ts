// A schedule's cron expression as Temporal's server reads it (its scheduler's calendar.go), which is
// not how cron, croner or a cron workflow's `cronSchedule` read one:
// - an optional `CRON_TZ=<zone> ` (or `TZ=<zone> `) prefix, and a comment after `#`;
// - `@every <interval>[/<phase>]` (Go durations, and `d` for days) is an interval;
// - `@yearly`, `@monthly`, `@weekly`, `@daily`, `@hourly` (and `@annually`, `@midnight`);
// - otherwise 5 fields (minute hour day-of-month month day-of-week), 6 (the same and the year:
//   not seconds) or 7 (second minute hour day-of-month month day-of-week year);
// - each field is `*`, a value, `a-b`, `a-b/step`, `*/step` or `a/step` (from a to the field's
//   end), or a comma list of those; month names from 3 letters and day names from 2 (`jan`,
//   `mo`, `Monday`), day of week 0-7 (0 and 7 are Sunday), years 2000-2100;
// - and, as in a calendar, every field must match: a time matches `0 0 13 * FRI` only on a
//   Friday the 13th (cron's rule would take every 13th and every Friday).
// The result is a calendar (numbers only) or an interval, for schedule-spec.ts to compile.
import { DAYS, MONTHS } from '../../protocol/schedules.ts';
import type { CalendarRange, CalendarSpec, IntervalSpec } from '../../protocol/schedules.ts';
import { CRON_DESCRIPTORS, parseGoDurationMs } from '../cron-schedule.ts';

export type ScheduleCron =
  | { readonly calendar: CalendarSpec; readonly timezone: string | undefined }
  | { readonly interval: IntervalSpec; readonly timezone: string | undefined };

interface FieldRule {
  readonly name: Exclude<keyof CalendarSpec, 'comment'>;
  readonly min: number;
  readonly max: number;
  /** Names of the values from `min` on, and the shortest prefix that names one. */
  readonly names?: { readonly list: readonly string[]; readonly minLength: number };
}

const SECOND: FieldRule = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldRule = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldRule = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldRule = { name: 'dayOfMonth', min: 1, max: 31 };
const MONTH: FieldRule = { name: 'month', min: 1, max: 12, names: { list: MONTHS, minLength: 3 } };
const DAY_OF_WEEK: FieldRule = {
  name: 'dayOfWeek',
  min: 0,
  max: 7,
  names: { list: DAYS, minLength: 2 },
};
const YEAR: FieldRule = { name: 'year', min: 2000, max: 2100 };

/** The fields of a 5-, 6- and 7-field expression, in order. */
const LAYOUTS: Readonly<Record<number, readonly FieldRule[]>> = {
  5: [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK],
  6: [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK, YEAR],
  7: [SECOND, MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK, YEAR],
};

/** Parses one cron expression of a schedule spec; throws an `Error` saying what is wrong. */
export function parseScheduleCron(text: string): ScheduleCron {
  let rest = text.trim();
  let timezone: string | undefined;
  if (rest.startsWith('TZ=') || rest.startsWith('CRON_TZ=')) {
    const space = rest.indexOf(' ');
    if (space < 0) throw new Error('it names a time zone and then no schedule');
    timezone = rest.slice(rest.indexOf('=') + 1, space);
    rest = rest.slice(space + 1);
  }
  const hash = rest.indexOf('#');
  const comment = hash < 0 ? undefined : rest.slice(hash + 1).trim();
  if (hash >= 0) rest = rest.slice(0, hash);
  rest = rest.trim();
  if (rest.startsWith('@every')) return { interval: parseEvery(rest), timezone };
  if (rest.startsWith('@') && CRON_DESCRIPTORS[rest] === undefined) {
    throw new Error(`unknown descriptor '${rest}'`);
  }
  const fields = (CRON_DESCRIPTORS[rest] ?? rest).split(/\s+/).filter((f) => f !== '');
  const layout = LAYOUTS[fields.length];
  if (layout === undefined) {
    throw new Error(
      `it has ${fields.length} fields; use 5 (minute hour day-of-month month day-of-week), ` +
        '6 (the same and the year) or 7 (second first, year last)',
    );
  }
  // Fields left out keep a calendar's defaults: second 0, every year.
  const calendar: { -readonly [K in keyof CalendarSpec]: CalendarSpec[K] } = {};
  for (const [i, rule] of layout.entries()) {
    const field = fields[i] ?? '';
    if (rule !== YEAR || field !== '*') calendar[rule.name] = parseField(field, rule);
  }
  if (comment) calendar.comment = comment;
  return { calendar, timezone };
}

/** `@every 1h30m` or `@every 1d/5h`: an interval and an optional phase. */
function parseEvery(text: string): IntervalSpec {
  const [, arg = ''] = /^@every\s+(\S+)$/.exec(text) ?? [];
  const [every = '', phase] = arg.split('/', 2);
  const everyMs = parseGoDurationMs(every, { days: true });
  if (everyMs === undefined) {
    throw new Error(`'@every' takes a duration such as 1h30m or 1d/5h, not '${arg}'`);
  }
  if (phase === undefined) return { everyMs };
  const offsetMs = parseGoDurationMs(phase, { days: true });
  if (offsetMs === undefined) throw new Error(`the phase '${phase}' is not a duration`);
  return { everyMs, offsetMs };
}

/** A field as numeric ranges (Temporal's makeRange), Sunday always 0. */
function parseField(text: string, rule: FieldRule): CalendarRange[] {
  const ranges: CalendarRange[] = [];
  for (const part of text.split(',')) {
    const [span = '', stepText, extra] = part.split('/');
    if (extra !== undefined) throw new Error(`${rule.name} '${part}' has more than one '/'`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (stepText !== undefined && !(/^\d+$/.test(stepText) && step >= 1)) {
      throw new Error(`${rule.name} '${part}' has the step '${stepText}'; use a whole number`);
    }
    let start = rule.min;
    let end = rule.max;
    if (span !== '*') {
      const bounds = span.split('-');
      if (bounds.length > 2) throw new Error(`${rule.name} '${part}' has more than one '-'`);
      start = parseValue(bounds[0] ?? '', rule, rule.min, part);
      if (bounds.length === 2) end = parseValue(bounds[1] ?? '', rule, start, part);
      else if (stepText === undefined) end = start;
    }
    const numeric =
      rule === DAY_OF_WEEK ? sundayAsZero({ start, end, step }) : [{ start, end, step }];
    for (const r of numeric) ranges.push(r.start === r.end ? r.start : r);
  }
  return ranges;
}

/** A range of numbers, `end` at least `start`, `step` at least 1. */
export interface NumericRange {
  start: number;
  end: number;
  step: number;
}

/**
 * A day-of-week range with Sunday as 0 only (Temporal's makeRange): one that ends at 7 ends at 6
 * instead, with 0 added first when it steps onto 7 (and does not start at 0).
 */
export function sundayAsZero(r: NumericRange): NumericRange[] {
  if (r.end !== 7) return [r];
  const out: NumericRange[] = [];
  if ((7 - r.start) % r.step === 0 && r.start > 0) out.push({ start: 0, end: 0, step: 1 });
  if (r.start !== 7) out.push({ ...r, end: 6 });
  return out;
}

function parseValue(text: string, rule: FieldRule, min: number, part: string): number {
  let value: number | undefined;
  const names = rule.names;
  if (names !== undefined && text.length >= names.minLength && /^[a-z]+$/i.test(text)) {
    const i = names.list.findIndex((n) => n.startsWith(text.toUpperCase()));
    if (i >= 0) value = i + (rule === MONTH ? 1 : 0);
  }
  if (value === undefined && /^\d+$/.test(text)) value = Number(text);
  if (value === undefined || value < rule.min || value > rule.max) {
    const what = names === undefined ? 'a number' : 'a number or a name';
    throw new Error(`${rule.name} '${part}': '${text}' is not ${what} in ${rule.min}-${rule.max}`);
  }
  if (value < min) throw new Error(`${rule.name} '${part}' ends before it starts`);
  return value;
}
