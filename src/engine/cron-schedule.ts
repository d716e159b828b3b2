// Temporal's `cronSchedule` start option: the string as Temporal reads it (robfig/cron's standard
// parser: five fields, the @ descriptors, `@every <duration>`, a `CRON_TZ=` or `TZ=` prefix;
// UTC otherwise), and the backoff before a cron run (`GetBackoffForNextSchedule`). Patterns are
// matched by the schedules' ZonedPattern, so a time zone's daylight-saving transitions are read as
// schedules read them. Test: cron-schedule.test.ts.
import { InvalidArgumentError, ensureError } from '../errors.ts';
import { ZonedPattern } from './schedules/zoned-pattern.ts';

/** A parsed cron schedule: the times it names, in ms. */
export interface CronSchedule {
  /**
   * robfig's loop: the schedule's next time after `afterMs`, then the next after that, and so on,
   * up to the first that is not before `notBeforeMs`; undefined if the schedule runs out first.
   */
  firstFrom(afterMs: number, notBeforeMs: number): number | undefined;
}

/** robfig/cron's descriptors, as five-field patterns (Temporal's schedules take the same). */
export const CRON_DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Go's duration units, in ms (and Temporal's `d`, taken only when asked for). */
const GO_UNITS_MS: Readonly<Record<string, number>> = {
  d: 86_400_000,
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** How {@link parseCronSchedule} reads a string. */
export interface ParseCronOptions {
  /**
   * The schedule of a chain already running: read as it was when its start was accepted, which
   * took Quartz's `L`, `W` and `#` and a day of week 7 before these were refused, so that such a
   * chain keeps running on its schedule.
   */
  readonly running?: boolean;
}

/**
 * Parses a cron schedule as Temporal does; throws `InvalidArgumentError` saying what is wrong
 * (Temporal refuses such a start with "Invalid CronSchedule.").
 */
export function parseCronSchedule(text: string, options: ParseCronOptions = {}): CronSchedule {
  const refuse = (why: string, cause?: unknown): never => {
    throw new InvalidArgumentError(
      `Invalid cronSchedule '${text}': ${why}. Use five fields (minute hour day-of-month month ` +
        `day-of-week, e.g. '0 12 * * MON'), a descriptor such as '@daily', or '@every 1h30m', ` +
        `optionally after 'CRON_TZ=<IANA zone> '.`,
      cause === undefined ? undefined : { cause: ensureError(cause) },
    );
  };
  let spec = text.trim();
  if (spec === '') refuse('it is empty');
  let timezone: string | undefined;
  if (spec.startsWith('CRON_TZ=') || spec.startsWith('TZ=')) {
    const space = spec.search(/\s/);
    if (space < 0) refuse('the time zone is not followed by a schedule');
    timezone = spec.slice(spec.indexOf('=') + 1, space);
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    } catch (e) {
      refuse(`unknown time zone '${timezone}'`, e);
    }
    spec = spec.slice(space).trim();
  }
  if (spec.startsWith('@every ')) {
    const everyMs = parseGoDurationMs(spec.slice('@every '.length).trim());
    if (everyMs === undefined) refuse('the @every duration is not a Go duration such as 1h30m');
    return everySchedule(everyMs ?? 0);
  }
  const pattern = spec.startsWith('@') ? CRON_DESCRIPTORS[spec] : spec;
  if (pattern === undefined) return refuse(`unknown descriptor ${spec}`);
  const fields = pattern.split(/\s+/);
  if (fields.length !== 5) refuse(`it has ${fields.length} fields, not 5`);
  const unsupported = options.running === true ? undefined : beyondStandardSyntax(fields);
  if (unsupported !== undefined) refuse(unsupported);
  try {
    const zoned = new ZonedPattern(pattern, timezone, false);
    return {
      firstFrom(afterMs, notBeforeMs) {
        const next = zoned.next(afterMs);
        // Every match between is a step of the loop: the first not before is the first after
        // notBeforeMs - 1 (matches fall on whole seconds).
        return next === undefined || next >= notBeforeMs ? next : zoned.next(notBeforeMs - 1);
      },
    };
  } catch (e) {
    return refuse(ensureError(e).message, e);
  }
}

/**
 * How long after `nowMs` the next cron run starts (Temporal's `GetBackoffForNextSchedule`):
 * `scheduledMs` is when the closing run was due to start (its start plus its first workflow task
 * backoff), or the start itself for a first run. The next run is the schedule's first time after
 * that which is not before now; times missed while a run was running are skipped. Rounded up to
 * whole seconds, as Temporal's. Undefined when the schedule names no later time.
 */
export function cronBackoffMs(
  schedule: CronSchedule,
  scheduledMs: number,
  nowMs: number,
): number | undefined {
  const next = nowMs < scheduledMs ? scheduledMs : schedule.firstFrom(scheduledMs, nowMs);
  if (next === undefined) return undefined;
  return Math.ceil((next - nowMs) / 1000) * 1000;
}

/**
 * Why a five-field pattern is beyond robfig/cron's standard syntax though the pattern matcher
 * would read it, and what to write instead; undefined when it is within. robfig refuses Quartz's
 * `L`, `W` and `#` and a day of week 7 (its days of week are 0-6, SUN-SAT), so Temporal refuses
 * such a start, and so does Reprise.
 */
function beyondStandardSyntax(fields: readonly string[]): string | undefined {
  const [, , dayOfMonth = '', , dayOfWeek = ''] = fields;
  if (/L/i.test(dayOfMonth) || /W/i.test(dayOfMonth)) {
    return (
      `'${dayOfMonth}': 'L' (last day) and 'W' (nearest weekday) are not cron-workflow syntax; ` +
      `list the days (e.g. '28-31', and check the date in the workflow), or use a Schedule ` +
      `(client.schedule.create)`
    );
  }
  // No weekday name holds an L (SUN-SAT), so any L in the field is Quartz's.
  if (dayOfWeek.includes('#') || /L/i.test(dayOfWeek)) {
    return (
      `'${dayOfWeek}': '#' (nth weekday) and 'L' (last weekday) are not cron-workflow syntax; ` +
      `run on the days it can fall on (e.g. '0 9 1-7 * *' for a first Monday) and check the ` +
      `weekday in the workflow, or use a Schedule (client.schedule.create)`
    );
  }
  const days = dayOfWeek.split(',').flatMap((part) => part.replace(/\/.*$/, '').split('-'));
  if (days.some((d) => /^\d+$/.test(d) && Number(d) === 7)) {
    return `day of week '${dayOfWeek}': days of week are 0-6 (or SUN-SAT); write Sunday as 0 or SUN`;
  }
  return undefined;
}

/** `@every d`: robfig's ConstantDelaySchedule (at least 1 s, whole seconds, from whole seconds). */
function everySchedule(everyMs: number): CronSchedule {
  const stepMs = Math.max(1000, everyMs - (everyMs % 1000));
  return {
    firstFrom(afterMs, notBeforeMs) {
      // Each step adds stepMs to the last (from the whole second at or before afterMs).
      const first = afterMs - (((afterMs % 1000) + 1000) % 1000) + stepMs;
      if (first >= notBeforeMs) return first;
      return first + Math.ceil((notBeforeMs - first) / stepMs) * stepMs;
    },
  };
}

/**
 * A Go `time.ParseDuration` string in ms (unsigned), or undefined if it is not one. With `days`,
 * also Temporal's `d` (24 hours), as its schedules' `@every` takes.
 */
export function parseGoDurationMs(
  text: string,
  options: { readonly days?: boolean } = {},
): number | undefined {
  if (text === '0') return 0;
  const re =
    options.days === true
      ? /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/y
      : /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) return undefined;
    total += Number(m[1]) * (GO_UNITS_MS[m[2] ?? ''] ?? Number.NaN);
    at = re.lastIndex;
  }
  return at === 0 || !Number.isFinite(total) ? undefined : total;
}
