// Sandbox-safe (no zod): Temporal's user metadata, a short summary and longer details that UIs
// show for a run (from its start), an activity, a timer or a child. The schema is in payload.ts.

/**
 * Temporal's `UserMetadata`: `summary` (one line) and `details` (may span lines), each a payload
 * (a string before the data converter). Recorded on the events of the commands and starts that
 * set them; never part of what replay matches, so code may change them freely.
 */
export interface UserMetadata {
  summary?: unknown;
  details?: unknown;
}

/** Temporal's defaults (`limit.userMetadataSummarySize`, `limit.userMetadataDetailsSize`). */
export const MAX_SUMMARY_BYTES = 400;
export const MAX_DETAILS_BYTES = 20_000;

/** The userMetadata of a call's options: undefined when it sets neither. */
export function userMetadataOf(
  summary: string | undefined,
  details?: string,
): UserMetadata | undefined {
  if (summary === undefined && details === undefined) return undefined;
  return {
    ...(summary !== undefined && { summary }),
    ...(details !== undefined && { details }),
  };
}
