// A croner pattern read in a time zone with Temporal's rule for daylight-saving transitions: its
// times are the instants whose wall-clock reading there matches. So a time the clocks skip
// (02:30 when 02:00 becomes 03:00) does not happen that day, and a time in an hour the clocks
// repeat (01:30 when 02:00 becomes 01:00) happens twice. Croner itself moves a skipped time to
// after the gap, takes a repeated time once, and from inside the repeat can answer a time before
// the one asked after; so croner is only asked about fixed UTC offsets, one stretch of the zone's
// offset at a time.
import { Cron } from 'croner';

/** How far ahead the stretches are followed; past it croner's own answer is taken. */
const HORIZON_MS = 100 * 366 * 24 * 3600 * 1000;
/** More than a zone's offsets ever differ by (Samoa moved a whole day in 2011). */
const MAX_SHIFT_MS = 2 * 24 * 3600 * 1000;
/** Offset samples per year: two transitions closer than this could go unseen. */
const SAMPLE_MS = 7 * 24 * 3600 * 1000;

export class ZonedPattern {
  readonly #pattern: string;
  readonly #domAndDow: boolean;
  readonly #timezone: string | undefined;
  /** In the zone (or at UTC without one): parsing, matching and the far future. */
  readonly #zoned: Cron;
  readonly #byOffset = new Map<number, Cron>();

  /** Throws croner's error for a bad pattern. Without a time zone, times are in UTC. */
  constructor(pattern: string, timezone: string | undefined, domAndDow: boolean) {
    this.#pattern = pattern;
    this.#domAndDow = domAndDow;
    this.#timezone = timezone;
    this.#zoned = new Cron(pattern, {
      paused: true,
      domAndDow,
      ...(timezone === undefined ? { utcOffset: 0 } : { timezone }),
    });
  }

  /** Whether the wall-clock reading of `ms` in the zone matches (both copies of a repeated time). */
  matches(ms: number): boolean {
    const tz = this.#timezone;
    return (tz === undefined ? this.#zoned : this.#atOffset(offsetAt(tz, ms))).match(new Date(ms));
  }

  /** The first instant after `afterMs` whose wall-clock reading matches, or undefined. */
  next(afterMs: number): number | undefined {
    const tz = this.#timezone;
    if (tz === undefined) return this.#zoned.nextRun(new Date(afterMs))?.getTime();
    const horizon = afterMs + HORIZON_MS;
    let t = afterMs;
    let offset = offsetAt(tz, t + 1);
    while (t < horizon) {
      // Instants in (t, end) all have `offset`.
      const change = nextTransition(tz, t + 1);
      const end = change?.atMs ?? lookaheadEnd(t + 1);
      const x = this.#atOffset(offset).nextRun(new Date(t))?.getTime();
      if (x !== undefined && x < end) return x;
      if (x === undefined) {
        // No wall-clock time after t's matches: only clocks turned back just after t can
        // bring one again.
        if (change === undefined || change.atMs - t > offset - change.offsetMs) return undefined;
      } else if (end - t > MAX_SHIFT_MS && x - MAX_SHIFT_MS > end) {
        // No instant in (t + MAX_SHIFT_MS, x - MAX_SHIFT_MS) can read a wall-clock time
        // between t's and x's at this offset, where none matches: skip the stretches there.
        t = x - MAX_SHIFT_MS - 1;
        offset = offsetAt(tz, t + 1);
        continue;
      }
      t = end - 1;
      if (change !== undefined) offset = change.offsetMs;
    }
    return this.#zoned.nextRun(new Date(t))?.getTime();
  }

  /** The pattern at a fixed UTC offset (croner is exact there). */
  #atOffset(offset: number): Cron {
    // Croner takes whole minutes; only a zone's old local mean time is not.
    if (offset % 60_000 !== 0) return this.#zoned;
    let cron = this.#byOffset.get(offset);
    if (cron === undefined) {
      cron = new Cron(this.#pattern, {
        paused: true,
        domAndDow: this.#domAndDow,
        utcOffset: offset / 60_000,
      });
      this.#byOffset.set(offset, cron);
    }
    return cron;
  }
}

interface Transition {
  /** The first instant (whole second) with the new offset. */
  atMs: number;
  /** The offset from then on, in ms east of UTC. */
  offsetMs: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** A zone's transitions in (start, end] of each UTC year, once computed: they do not change. */
const transitionsByYear = new Map<string, readonly Transition[]>();

/** The zone's UTC offset at `ms`, in ms east of UTC. */
function offsetAt(timezone: string, ms: number): number {
  let f = formatters.get(timezone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' });
    formatters.set(timezone, f);
  }
  const name = f.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const m = /([+-])(\d\d):(\d\d)(?::(\d\d))?$/.exec(name);
  if (m === null) return 0; // 'GMT'
  const abs = (Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0)) * 1000;
  return m[1] === '-' ? -abs : abs;
}

/** The zone's first offset change after `ms` within this UTC year and the next, if any. */
function nextTransition(timezone: string, ms: number): Transition | undefined {
  const year = new Date(ms).getUTCFullYear();
  for (const y of [year, year + 1]) {
    for (const tr of transitionsIn(timezone, y)) if (tr.atMs > ms) return tr;
  }
  return undefined;
}

/** Where nextTransition stopped looking. */
function lookaheadEnd(ms: number): number {
  return Date.UTC(new Date(ms).getUTCFullYear() + 2, 0, 1);
}

function transitionsIn(timezone: string, year: number): readonly Transition[] {
  const key = `${timezone} ${year}`;
  const cached = transitionsByYear.get(key);
  if (cached !== undefined) return cached;
  const out: Transition[] = [];
  const end = Date.UTC(year + 1, 0, 1);
  let a = Date.UTC(year, 0, 1);
  let oa = offsetAt(timezone, a);
  while (a < end) {
    const b = Math.min(a + SAMPLE_MS, end);
    const ob = offsetAt(timezone, b);
    if (ob !== oa) {
      // Bisect to the second: offsets change on whole seconds.
      let lo = a;
      let hi = b;
      while (hi - lo > 1000) {
        const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
        if (offsetAt(timezone, mid) === oa) lo = mid;
        else hi = mid;
      }
      out.push({ atMs: hi, offsetMs: offsetAt(timezone, hi) });
    }
    a = b;
    oa = ob;
  }
  transitionsByYear.set(key, out);
  return out;
}
