// Sandbox-safe: no zod, no node:*; the workflow runtime imports it.
import ms from 'ms';

/** A duration: milliseconds as a number, or a string such as `'2 hours'`, `'30s'`, `'1 day'`. */
export type Duration = number | string;

/**
 * Converts a {@link Duration} to whole milliseconds.
 * Throws a `TypeError` naming the value when it is not a duration.
 */
export function msFromDuration(duration: Duration): number {
  if (typeof duration === 'number') {
    if (!Number.isFinite(duration) || duration < 0) {
      throw new TypeError(`Invalid duration ${duration}: use a non-negative number of ms.`);
    }
    return Math.round(duration);
  }
  const parsed = ms(duration as ms.StringValue) as number | undefined;
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) {
    throw new TypeError(
      `Invalid duration '${duration}': use a number of ms or a string such as '30s', '5 minutes', '2 days'.`,
    );
  }
  return Math.round(parsed);
}

/** Like {@link msFromDuration}, passing `undefined` through. */
export function msOptionalFromDuration(duration: Duration | undefined): number | undefined {
  return duration === undefined ? undefined : msFromDuration(duration);
}
