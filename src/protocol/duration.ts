// Sandbox-safe: no zod, no node:*; the workflow runtime imports it.
import ms from 'ms';

/** A duration: milliseconds as a number, or a string such as `'2 hours'`, `'30s'`, `'1 day'`. */
export type Duration = number | string;

/**
 * Converts a {@link Duration} to whole milliseconds.
 * Throws a `TypeError` naming the value when it is not a duration.
 */
export function msFromDuration(duration: Duration): number {
  const parsed = signedMs(duration);
  if (parsed < 0) throw invalidDuration(duration);
  return Math.round(parsed);
}

/**
 * A timer's duration in whole milliseconds (`sleep`, `condition`'s and a scope's timeout), where a
 * negative one, a deadline already past, is 0: as in Temporal's SDK, such a timer lasts 1 ms.
 * Throws a `TypeError` naming the value when it is not a duration (NaN, Infinity, '1 fortnight').
 */
export function msFromTimerDuration(duration: Duration): number {
  return Math.max(0, Math.round(signedMs(duration)));
}

/**
 * Whether `duration` is exactly 0 ms (`0`, `'0s'`): what Temporal's SDK takes for no timeout
 * where it tests the timeout for truth (a scope's `timeout`). A negative one is a deadline already
 * past, not 0. Throws as {@link msFromTimerDuration} does.
 */
export function isZeroDuration(duration: Duration): boolean {
  return signedMs(duration) === 0;
}

/** A finite number of ms, negative or not; a `TypeError` for anything else. */
function signedMs(duration: Duration): number {
  const parsed =
    typeof duration === 'number'
      ? duration
      : (ms(duration as ms.StringValue) as number | undefined);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed)) throw invalidDuration(duration);
  return parsed;
}

function invalidDuration(duration: Duration): TypeError {
  return typeof duration === 'number'
    ? new TypeError(`Invalid duration ${duration}: use a non-negative number of ms.`)
    : new TypeError(
        `Invalid duration '${duration}': use a number of ms or a string such as '30s', '5 minutes', '2 days'.`,
      );
}

/** Like {@link msFromDuration}, passing `undefined` through. */
export function msOptionalFromDuration(duration: Duration | undefined): number | undefined {
  return duration === undefined ? undefined : msFromDuration(duration);
}
