// Sandbox-safe and zod-free: what workflow code needs of search attributes and memo (names,
// checks, merges). The sandbox runtime bundles this module, not `search-attributes.ts`: zod would
// be ~90 % of the runtime's code and cost 10–25 ms and ~1 MB per sandbox context (issue 5). The
// zod schemas at the engine's boundary (`search-attributes.ts`) accept exactly what
// `normaliseSearchAttributes` lets through; search-attribute-checks.test.ts holds them together.

/**
 * The attributes every run has, queryable in list filters but never set by a workflow (Temporal's
 * system search attributes), with the type of their values.
 */
export const SystemSearchAttributes = {
  WorkflowId: 'Keyword',
  RunId: 'Keyword',
  WorkflowType: 'Keyword',
  ExecutionStatus: 'Keyword',
  TaskQueue: 'Keyword',
  StartTime: 'Datetime',
  CloseTime: 'Datetime',
  ExecutionTime: 'Datetime',
  HistoryLength: 'Int',
} as const;
export type SystemSearchAttribute = keyof typeof SystemSearchAttributes;

export function isSystemSearchAttribute(name: string): name is SystemSearchAttribute {
  return Object.hasOwn(SystemSearchAttributes, name);
}

/** The search attributes Temporal sets on every run a schedule starts (Datetime, Keyword). */
export const SCHEDULED_START_TIME = 'TemporalScheduledStartTime';
export const SCHEDULED_BY_ID = 'TemporalScheduledById';

/**
 * The names Temporal's server reserves besides Reprise's system attributes and a schedule's (its
 * IsReserved): its other system attributes, those it sets itself (predefined) and its internal
 * fields, and every name that starts with `Temporal`. None can be a custom search attribute.
 */
const TEMPORAL_RESERVED: ReadonlySet<string> = new Set([
  'ExecutionDuration',
  'StateTransitionCount',
  'HistorySizeBytes',
  'ParentWorkflowId',
  'ParentRunId',
  'RootWorkflowId',
  'RootRunId',
  'BinaryChecksums',
  'BuildIds',
  'BatcherNamespace',
  'BatcherUser',
  'NamespaceId',
  'Memo',
  'MemoEncoding',
  'VisibilityTaskKey',
]);
const RESERVED_PREFIX = 'Temporal';

/**
 * Why `name` can be neither set (on a run or a schedule) nor registered, as a phrase that follows
 * the name, or undefined for a name a user may take. Temporal's server refuses these too, but for
 * a few of its predefined ones (BuildIds, TemporalScheduledById, …) that it still takes from
 * users for compatibility, and means to stop taking.
 */
export function reservedSearchAttributeProblem(name: string): string | undefined {
  if (isSystemSearchAttribute(name)) return 'is a system search attribute, which the engine keeps';
  if (name === SCHEDULED_START_TIME || name === SCHEDULED_BY_ID) {
    return 'is a system search attribute, which a schedule sets on each run it starts';
  }
  if (TEMPORAL_RESERVED.has(name) || name.startsWith(RESERVED_PREFIX)) {
    return `is reserved for Temporal's own search attributes, as is every name that starts with ${RESERVED_PREFIX}`;
  }
  return undefined;
}

/** The refusal of a value given to a reserved name (see {@link reservedSearchAttributeProblem}). */
export function reservedSearchAttributeMessage(name: string, problem: string): string {
  return `Invalid search attributes: '${name}' ${problem}: it cannot be set. Use another name for an attribute of your own.`;
}

/** Custom search attribute names: an identifier, so a list filter can name it unquoted. */
export const SEARCH_ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

/**
 * One custom search attribute value. Reprise infers the type from the value, where Temporal
 * needs the attribute registered first: a string is a Keyword or Text (an ISO 8601 string, as
 * `Date.toISOString()` writes it, serves as a Datetime: those order correctly as strings), a
 * number an Int or Double, a boolean a Bool, a string array a KeywordList.
 */
export type SearchAttributeValue = string | number | boolean | string[];

/** The search attributes of a run: what `workflowInfo().searchAttributes` and `describe()` show. */
export type SearchAttributes = Record<string, SearchAttributeValue>;

/**
 * Search attributes as given to start or upsert: a `null` or empty-array value removes the
 * attribute (on start: leaves it unset).
 */
export type SearchAttributesUpsert = Record<string, SearchAttributeValue | null>;

/** True for a value {@link SearchAttributeValue} allows: a finite number, never NaN. */
export function isSearchAttributeValue(value: unknown): value is SearchAttributeValue {
  if (typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  return isStringArray(value);
}

function isStringArray(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false;
  // By index, not for…of: a hole is not a string.
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return false;
  return true;
}

/** `current` with `upsert` applied: a null or empty-array value removes the attribute. */
export function mergeSearchAttributes(
  current: Readonly<Record<string, unknown>>,
  upsert: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const next: Record<string, unknown> = { ...current };
  for (const [name, value] of Object.entries(upsert)) {
    if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) {
      delete next[name];
    } else {
      next[name] = value;
    }
  }
  return next;
}

/** `current` with `upsert` applied: a null (or undefined) value removes the key. */
export function mergeMemo(
  current: Readonly<Record<string, unknown>>,
  upsert: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(upsert)) {
    if (value === null || value === undefined) delete next[key];
    else next[key] = value;
  }
  return next;
}

/**
 * Normalises what user code passes (a `Date` becomes its ISO string, `undefined` is a removal)
 * and checks it; returns a message naming the first problem, or the normalised attributes.
 * All names are checked before any value; arrays are copied.
 */
export function normaliseSearchAttributes(
  input: Readonly<Record<string, unknown>>,
): { ok: true; value: SearchAttributesUpsert } | { ok: false; message: string } {
  const converted: [string, unknown][] = [];
  for (const [name, raw] of Object.entries(input)) {
    // The other reserved names are refused by the engine (checkSearchAttributeTypes), which sees
    // only new commands: a history that set one before they were replays as it ran.
    if (isSystemSearchAttribute(name)) {
      const problem = reservedSearchAttributeProblem(name) ?? '';
      return { ok: false, message: reservedSearchAttributeMessage(name, problem) };
    }
    if (!SEARCH_ATTRIBUTE_NAME.test(name)) {
      return {
        ok: false,
        message: `Invalid search attributes: '${name}' is not a valid name: a search attribute name must be an identifier ([A-Za-z_][A-Za-z0-9_]*).`,
      };
    }
    converted.push([
      name,
      raw instanceof Date ? raw.toISOString() : raw === undefined ? null : raw,
    ]);
  }
  const value: SearchAttributesUpsert = {};
  for (const [name, v] of converted) {
    if (v !== null && !isSearchAttributeValue(v)) {
      return {
        ok: false,
        message:
          `Invalid search attributes: '${name}': Invalid input. A value must be a ` +
          'string, a finite number, a boolean, a Date or a string array (null or [] removes it).',
      };
    }
    value[name] = Array.isArray(v) ? v.slice() : v;
  }
  return { ok: true, value };
}
