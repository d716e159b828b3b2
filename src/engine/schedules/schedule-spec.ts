// A schedule's spec compiled into "the next time after t": cron expressions (read as Temporal's
// server reads them: schedule-cron.ts) and calendars through croner in the time zone (with Temporal's rule at daylight-saving transitions: see
// zoned-pattern.ts), intervals by arithmetic, minus the skip calendars, within startAt/endAt,
// plus a deterministic jitter.
import { createHash } from 'node:crypto';
import { InvalidArgumentError, ensureError } from '../../errors.ts';
import type { CalendarRange, CalendarSpec, ScheduleSpec } from '../../protocol/schedules.ts';
import { DAYS, MONTHS } from '../../protocol/schedules.ts';
import { parseScheduleCron, sundayAsZero } from './schedule-cron.ts';
import type { NumericRange, ScheduleCron } from './schedule-cron.ts';
import { ZonedPattern } from './zoned-pattern.ts';

export interface SpecTime {
  /** The time the spec names. */
  nominalMs: number;
  /** The nominal time plus jitter: when the action is due. */
  actualMs: number;
}

export interface CompiledSpec {
  /** The first spec time whose nominal time is after `afterMs`, or undefined if none is. */
  next(afterMs: number): SpecTime | undefined;
}

/** How many skipped matches one `next` call steps over before it gives up (an all-skipping spec). */
const MAX_SKIPPED = 10_000;

/**
 * Compiles a spec; throws `InvalidArgumentError` naming the first bad cron expression, calendar,
 * interval or time zone. `seed` (the schedule id) makes the jitter of a time the same on every
 * engine and after every restart.
 */
export function compileSpec(spec: ScheduleSpec, seed: string): CompiledSpec {
  const { cronExpressions, timezone } = parseCrons(spec);
  const crons: ZonedPattern[] = [];
  const intervals = [...(spec.intervals ?? [])];
  for (const [i, c] of cronExpressions.entries()) {
    const what = `cron expression '${spec.cronExpressions?.[i] ?? ''}'`;
    if ('interval' in c) intervals.push(c.interval);
    else crons.push(makeCron(calendarToPattern(c.calendar, what), timezone, what));
  }
  for (const [i, cal] of (spec.calendars ?? []).entries()) {
    crons.push(makeCron(calendarToPattern(cal, `calendars[${i}]`), timezone, `calendars[${i}]`));
  }
  const skips = (spec.skip ?? []).map((cal, i) =>
    makeCron(calendarToPattern(cal, `skip[${i}]`), timezone, `skip[${i}]`),
  );
  for (const iv of intervals) {
    // Temporal's floor: its times, and the workflow ids made from them, are whole seconds.
    if (iv.everyMs < 1000) {
      throw new InvalidArgumentError(
        `Invalid schedule spec: an interval (${iv.everyMs} ms) must be at least 1 second.`,
      );
    }
    if ((iv.offsetMs ?? 0) >= iv.everyMs) {
      throw new InvalidArgumentError(
        `Invalid schedule spec: an interval's offset (${iv.offsetMs ?? 0} ms) must be less than ` +
          `its period (${iv.everyMs} ms).`,
      );
    }
  }
  const jitterMs = spec.jitterMs ?? 0;

  const nextNominal = (afterMs: number): number | undefined => {
    let best: number | undefined;
    for (const c of crons) {
      const t = c.next(afterMs);
      if (t !== undefined && (best === undefined || t < best)) best = t;
    }
    for (const iv of intervals) {
      const offset = iv.offsetMs ?? 0;
      const t = (Math.floor((afterMs - offset) / iv.everyMs) + 1) * iv.everyMs + offset;
      if (best === undefined || t < best) best = t;
    }
    return best;
  };

  return {
    next(afterMs) {
      let from = afterMs;
      if (spec.startAtMs !== undefined && from < spec.startAtMs - 1) from = spec.startAtMs - 1;
      for (let skipped = 0; skipped < MAX_SKIPPED; skipped++) {
        const t = nextNominal(from);
        if (t === undefined) return undefined;
        if (spec.endAtMs !== undefined && t > spec.endAtMs) return undefined;
        if (!skips.some((s) => s.matches(t))) {
          // As in Temporal, the jitter never pushes an action past the spec's next time.
          const following = jitterMs > 0 ? nextNominal(t) : undefined;
          const maxJitterMs =
            following === undefined ? jitterMs : Math.min(jitterMs, following - t);
          return { nominalMs: t, actualMs: t + jitter(seed, t, maxJitterMs) };
        }
        from = t;
      }
      return undefined;
    },
  };
}

/**
 * The spec's cron expressions parsed (in order) and its time zone; throws `InvalidArgumentError`
 * naming the first bad expression or zone.
 */
function parseCrons(spec: ScheduleSpec): {
  cronExpressions: ScheduleCron[];
  timezone: string | undefined;
} {
  const cronExpressions = (spec.cronExpressions ?? []).map((expr) => {
    try {
      return parseScheduleCron(expr);
    } catch (e) {
      throw new InvalidArgumentError(
        `Invalid schedule spec: cron expression '${expr}': ${ensureError(e).message}.`,
        { cause: ensureError(e) },
      );
    }
  });
  const timezone = specTimeZone(spec, cronExpressions);
  if (timezone !== undefined) assertTimeZone(timezone);
  return { cronExpressions, timezone };
}

/**
 * A spec as Temporal's server gives it back (its canonical form): each cron expression turned
 * into a calendar (or, for `@every`, an interval) after those given, the time zone a
 * `CRON_TZ=` names copied into `timezone`, and every calendar with all its fields as ranges
 * `{ start, end, step }` of numbers, defaults filled in (second, minute and hour 0; day of
 * month 1-31, month 1-12, day of week 0-6; no range for the year, meaning every one) and a
 * comment (`''` when none). Throws `InvalidArgumentError` for a spec that does not compile.
 */
export function canonicalSpec(spec: ScheduleSpec): ScheduleSpec {
  const { cronExpressions, timezone } = parseCrons(spec);
  const calendars = (spec.calendars ?? []).map((c, i) => canonicalCalendar(c, `calendars[${i}]`));
  const intervals = [...(spec.intervals ?? [])];
  for (const [i, c] of cronExpressions.entries()) {
    const what = `cron expression '${spec.cronExpressions?.[i] ?? ''}'`;
    if ('interval' in c) intervals.push(c.interval);
    else calendars.push(canonicalCalendar(c.calendar, what));
  }
  return {
    calendars,
    intervals,
    skip: (spec.skip ?? []).map((c, i) => canonicalCalendar(c, `skip[${i}]`)),
    ...(timezone !== undefined && { timezone }),
    ...(spec.startAtMs !== undefined && { startAtMs: spec.startAtMs }),
    ...(spec.endAtMs !== undefined && { endAtMs: spec.endAtMs }),
    ...(spec.jitterMs !== undefined && { jitterMs: spec.jitterMs }),
  };
}

/**
 * A stored schedule's spec as describe and list give it: in its canonical form, or as stored if
 * it no longer compiles (see {@link compileStoredSpec}).
 */
export function describedSpec(spec: ScheduleSpec): ScheduleSpec {
  try {
    return canonicalSpec(spec);
  } catch (e) {
    if (e instanceof InvalidArgumentError) return spec;
    throw e;
  }
}

/** What a stored spec that no longer compiles compiles to: no time. */
const NO_TIMES: CompiledSpec = { next: () => undefined };

/** False for what {@link compileStoredSpec} gives for a spec that no longer compiles. */
export function specCompiled(spec: CompiledSpec): boolean {
  return spec !== NO_TIMES;
}

/**
 * A stored schedule's spec. One that no longer compiles (stored before a rule was tightened: a
 * cron expression with Quartz's `L`, say) names no time, as Temporal's scheduler takes no action
 * on a spec it cannot compile; the schedule can still be described, listed, updated or deleted.
 */
export function compileStoredSpec(s: { spec: ScheduleSpec; scheduleId: string }): CompiledSpec {
  try {
    return compileSpec(s.spec, s.scheduleId);
  } catch (e) {
    if (e instanceof InvalidArgumentError) return NO_TIMES;
    throw e;
  }
}

/** A delay in [0, maxMs) that depends only on the seed and the time (Temporal's jitter). */
function jitter(seed: string, nominalMs: number, maxMs: number): number {
  if (maxMs <= 0) return 0;
  const h = createHash('sha256').update(`${seed}@${nominalMs}`).digest();
  return h.readUInt32BE(0) % maxMs;
}

/**
 * The spec's time zone: `timezone`, or the one its cron expressions name with `CRON_TZ=`. As in
 * Temporal, they must all name the same one (or none), and it must be `timezone` if both are set.
 */
function specTimeZone(spec: ScheduleSpec, crons: readonly ScheduleCron[]): string | undefined {
  const named = [...new Set(crons.map((c) => c.timezone))];
  const [cronZone] = named;
  if (named.length > 1) {
    const zones = named.map((z) => (z === undefined ? 'none' : `'${z}'`)).join(', ');
    throw new InvalidArgumentError(
      `Invalid schedule spec: the cron expressions name different time zones (${zones}). ` +
        'Name it in every one, or set `timezone` instead.',
    );
  }
  if (cronZone !== undefined && spec.timezone !== undefined && cronZone !== spec.timezone) {
    throw new InvalidArgumentError(
      `Invalid schedule spec: a cron expression names the time zone '${cronZone}' and ` +
        `\`timezone\` is '${spec.timezone}'. Give it once.`,
    );
  }
  return spec.timezone ?? cronZone;
}

function assertTimeZone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch (e) {
    throw new InvalidArgumentError(
      `Invalid schedule spec: unknown time zone '${timezone}'. Use an IANA name such as ` +
        `'America/New_York' or 'UTC'.`,
      { cause: ensureError(e) },
    );
  }
}

function makeCron(pattern: string, timezone: string | undefined, what: string): ZonedPattern {
  try {
    // A calendar, and so a cron expression, matches when every field does (Temporal's rule).
    return new ZonedPattern(pattern, timezone, true);
  } catch (e) {
    throw new InvalidArgumentError(
      `Invalid schedule spec: ${what} (${pattern}): ${ensureError(e).message}`,
      { cause: ensureError(e) },
    );
  }
}

type CalendarField = Exclude<keyof CalendarSpec, 'comment'>;

/**
 * Each field of a calendar as numeric ranges (names turned into numbers), or undefined for a
 * field not given (or given as an empty list): it then takes its default. Throws
 * `InvalidArgumentError` for a name or value it cannot read.
 */
function calendarRanges(
  cal: CalendarSpec,
  what: string,
): Record<CalendarField, NumericRange[] | undefined> {
  const field = (
    value: CalendarSpec[CalendarField],
    every: NumericRange | undefined,
    names: readonly string[] = [],
    nameBase = 0,
  ): NumericRange[] | undefined => {
    if (value === undefined) return undefined;
    // '*', as Temporal's client takes it: every value of the field (every year: no range).
    if (value === '*') return every === undefined ? undefined : [every];
    const ranges = Array.isArray(value) ? value : [value];
    if (ranges.length === 0) return undefined;
    return ranges.map((r) => numericRange(r, names, nameBase, what));
  };
  return {
    second: field(cal.second, every(0, 59)),
    minute: field(cal.minute, every(0, 59)),
    hour: field(cal.hour, every(0, 23)),
    dayOfMonth: field(cal.dayOfMonth, every(1, 31)),
    month: field(cal.month, every(1, 12), MONTHS, 1),
    year: field(cal.year, undefined),
    dayOfWeek: field(cal.dayOfWeek, every(0, 6), DAYS, 0),
  };
}

function every(start: number, end: number): NumericRange {
  return { start, end, step: 1 };
}

/** A calendar as a 7-part croner pattern: second minute hour day-of-month month day-of-week year. */
export function calendarToPattern(cal: CalendarSpec, what: string): string {
  const r = calendarRanges(cal, what);
  const field = (ranges: NumericRange[] | undefined, fallback: string): string =>
    ranges === undefined ? fallback : ranges.map(rangeToCron).join(',');
  return [
    field(r.second, '0'),
    field(r.minute, '0'),
    field(r.hour, '0'),
    field(r.dayOfMonth, '*'),
    field(r.month, '*'),
    field(r.dayOfWeek, '*'),
    field(r.year, '*'),
  ].join(' ');
}

/** A calendar in Temporal's canonical form: see {@link canonicalSpec}. */
function canonicalCalendar(cal: CalendarSpec, what: string): CalendarSpec {
  const r = calendarRanges(cal, what);
  const only = (n: number): NumericRange[] => [{ start: n, end: n, step: 1 }];
  return {
    second: r.second ?? only(0),
    minute: r.minute ?? only(0),
    hour: r.hour ?? only(0),
    dayOfMonth: r.dayOfMonth ?? [every(1, 31)],
    month: r.month ?? [every(1, 12)],
    year: r.year ?? [],
    // 7, Sunday, as 0: the client names the days, and a range to 7 would end before it starts.
    dayOfWeek: r.dayOfWeek?.flatMap(sundayAsZero) ?? [every(0, 6)],
    comment: cal.comment ?? '',
  };
}

function rangeToCron(r: NumericRange): string {
  if (r.end === r.start) return String(r.start);
  return r.step === 1 ? `${r.start}-${r.end}` : `${r.start}-${r.end}/${r.step}`;
}

function numericRange(
  r: CalendarRange,
  names: readonly string[],
  nameBase: number,
  what: string,
): NumericRange {
  const unit = (u: number | string): number => {
    if (typeof u === 'number') return u;
    const i = names.indexOf(u.toUpperCase());
    if (i >= 0) return i + nameBase;
    if (/^\d+$/.test(u)) return Number(u);
    throw new InvalidArgumentError(
      `Invalid schedule spec: ${what} has the value '${u}'` +
        (names.length ? `; use a number or one of ${names.join(', ')}.` : '; use a number.'),
    );
  };
  if (typeof r !== 'object') {
    const value = unit(r);
    return { start: value, end: value, step: 1 };
  }
  const start = unit(r.start);
  const end = r.end === undefined ? start : unit(r.end);
  return { start, end: Math.max(start, end), step: r.step ?? 1 };
}
