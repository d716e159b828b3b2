// Sandbox-safe (no zod): Temporal's task priority, as a start, a child or an activity sets it, and
// the rules for reading it. The zod schema of its wire form is in priority-schema.ts.

/**
 * Temporal's `Priority`: how a task of the run or activity is ordered against the others waiting
 * in its task queue. Each field left unset (or 0, or '') is inherited from the calling workflow,
 * field by field, and otherwise takes its default.
 */
export interface Priority {
  /**
   * A whole number from 1: lower is more urgent. A queue's backlog is handed out lowest key
   * first, first in first out within a key. Default 3, the middle of Temporal's 5 levels.
   */
  readonly priorityKey?: number | undefined;
  /**
   * A short string (at most 64 bytes as UTF-8), such as a tenant id, for Temporal's fairness:
   * recorded and inherited; Reprise hands a backlog out by `priorityKey` only
   * (docs/workflows.md#task-priority).
   */
  readonly fairnessKey?: string | undefined;
  /** The fairness key's weight (Temporal clamps it to [0.001, 1000]); default 1. Recorded only. */
  readonly fairnessWeight?: number | undefined;
}

/** The key of a task whose priority sets none: the middle of Temporal's default 5 levels. */
export const DEFAULT_PRIORITY_KEY = 3;

/** The largest key: Temporal's is a 32-bit integer. */
export const MAX_PRIORITY_KEY = 2_147_483_647;

/** Temporal's limit on a fairness key, in UTF-8 bytes. */
export const MAX_FAIRNESS_KEY_BYTES = 64;

/**
 * What is wrong with `p` as a priority (Temporal's rules), naming `what` it is the priority of
 * and saying what to pass instead; undefined when nothing is. Unset, 0 and '' are "inherit".
 */
export function priorityProblem(p: unknown, what: string): string | undefined {
  if (p === undefined || p === null) return undefined;
  if (typeof p !== 'object' || Array.isArray(p)) {
    return `The priority of ${what} is ${describe(p)}: pass an object such as { priorityKey: 1 }, or leave it unset.`;
  }
  const { priorityKey, fairnessKey, fairnessWeight } = p as Record<string, unknown>;
  if (
    priorityKey !== undefined &&
    priorityKey !== null &&
    !(
      typeof priorityKey === 'number' &&
      Number.isInteger(priorityKey) &&
      priorityKey >= 0 &&
      priorityKey <= MAX_PRIORITY_KEY
    )
  ) {
    return (
      `The priorityKey of ${what} is ${describe(priorityKey)}: it must be a whole number from 1 ` +
      `(the most urgent) to ${MAX_PRIORITY_KEY}; Temporal's levels are 1 to 5, and unset is ` +
      `${DEFAULT_PRIORITY_KEY}. Pass such a number, or leave it unset (or 0) to inherit.`
    );
  }
  if (fairnessKey !== undefined && fairnessKey !== null) {
    if (typeof fairnessKey !== 'string') {
      return `The fairnessKey of ${what} is ${describe(fairnessKey)}: pass a string (a tenant id, say), or leave it unset.`;
    }
    const bytes = utf8Bytes(fairnessKey);
    if (bytes > MAX_FAIRNESS_KEY_BYTES) {
      return (
        `The fairnessKey of ${what} is ${bytes} bytes as UTF-8, over Temporal's ` +
        `${MAX_FAIRNESS_KEY_BYTES}-byte limit: a fairness key is a short name, such as a tenant id. Shorten it.`
      );
    }
  }
  if (
    fairnessWeight !== undefined &&
    fairnessWeight !== null &&
    !(typeof fairnessWeight === 'number' && Number.isFinite(fairnessWeight) && fairnessWeight >= 0)
  ) {
    return (
      `The fairnessWeight of ${what} is ${describe(fairnessWeight)}: it must be a finite number ` +
      'above 0 (Temporal clamps it to 0.001 to 1000; unset is 1). Pass such a number, or leave it ' +
      'unset (or 0) to inherit.'
    );
  }
  return undefined;
}

/**
 * `p` with only the fields it sets (0, '' and nullish are "inherit", Temporal's zero values);
 * undefined when it sets none. Check it with {@link priorityProblem} first.
 */
export function compilePriority(p: Priority | null | undefined): Priority | undefined {
  if (p === undefined || p === null) return undefined;
  const out: { priorityKey?: number; fairnessKey?: string; fairnessWeight?: number } = {};
  if (typeof p.priorityKey === 'number' && p.priorityKey !== 0) out.priorityKey = p.priorityKey;
  if (typeof p.fairnessKey === 'string' && p.fairnessKey !== '') out.fairnessKey = p.fairnessKey;
  if (typeof p.fairnessWeight === 'number' && p.fairnessWeight !== 0) {
    out.fairnessWeight = p.fairnessWeight;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * `p` compiled ({@link compilePriority}) once checked: a bad value throws `TypeError` with
 * {@link priorityProblem}'s message, as Temporal's SDK throws at the call that passes it.
 */
export function checkedPriority(p: Priority | undefined, what: string): Priority | undefined {
  const problem = priorityProblem(p, what);
  if (problem !== undefined) throw new TypeError(problem);
  return compilePriority(p);
}

/**
 * Temporal's inheritance: each field `override` sets wins, the others are `base`'s (a child's or
 * an activity's own priority over its workflow's). Both compiled; undefined when neither sets any.
 */
export function mergePriority(
  base: Priority | undefined,
  override: Priority | undefined,
): Priority | undefined {
  if (base === undefined) return override;
  if (override === undefined) return base;
  return { ...base, ...override };
}

/** The key a task of this (compiled) priority is handed out by. */
export function priorityKeyOf(p: Priority | undefined): number {
  return p?.priorityKey ?? DEFAULT_PRIORITY_KEY;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

/** The length of `s` in UTF-8, counted here: the sandbox has no Buffer. */
function utf8Bytes(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}
