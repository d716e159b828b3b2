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

/** robfig/cron's descriptors, as five-field patterns. */
const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Go's duration units, in ms. */
const GO_UNITS_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a cron schedule as Temporal does; throws `InvalidArgumentError` saying what is wrong
 * (Temporal refuses such a start with "Invalid CronSchedule.").
 */
export function parseCronSchedule(text: string): CronSchedule {
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
  const pattern = spec.startsWith('@') ? DESCRIPTORS[spec] : spec;
  if (pattern === undefined) return refuse(`unknown descriptor ${spec}`);
  const fields = pattern.split(/\s+/).length;
  if (fields !== 5) refuse(`it has ${fields} fields, not 5`);
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

/** A Go `time.ParseDuration` string in ms (unsigned), or undefined if it is not one. */
function parseGoDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
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
