// Sandbox-safe: search attributes and memo, their values, and how an upsert merges into them.
import { z } from 'zod';

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

/** Custom search attribute names: an identifier, so a list filter can name it unquoted. */
export const SEARCH_ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

/**
 * One custom search attribute value. Reprise infers the type from the value, where Temporal
 * needs the attribute registered first: a string is a Keyword or Text (an ISO 8601 string, as
 * `Date.toISOString()` writes it, serves as a Datetime: those order correctly as strings), a
 * number an Int or Double, a boolean a Bool, a string array a KeywordList.
 */
export const SearchAttributeValue = z.union([
  z.string(),
  z.number().refine(Number.isFinite, 'must be a finite number'),
  z.boolean(),
  z.array(z.string()),
]);
export type SearchAttributeValue = z.infer<typeof SearchAttributeValue>;

/** The search attributes of a run: what `workflowInfo().searchAttributes` and `describe()` show. */
export type SearchAttributes = Record<string, SearchAttributeValue>;

const SearchAttributeName = z
  .string()
  .regex(
    SEARCH_ATTRIBUTE_NAME,
    'a search attribute name must be an identifier ([A-Za-z_][A-Za-z0-9_]*)',
  )
  .refine((name) => !isSystemSearchAttribute(name), 'a system search attribute cannot be set');

/**
 * Search attributes as given to start or upsert: a `null` or empty-array value removes the
 * attribute (on start: leaves it unset).
 */
export const SearchAttributesUpsert = z.record(
  SearchAttributeName,
  z.union([SearchAttributeValue, z.null()]),
);
export type SearchAttributesUpsert = z.infer<typeof SearchAttributesUpsert>;

/** A memo upsert: any JSON values; `null` removes the key (Temporal's upsertMemo). */
export const MemoUpsert = z.record(z.string().min(1), z.unknown());
export type Memo = Record<string, unknown>;

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
 */
export function normaliseSearchAttributes(
  input: Readonly<Record<string, unknown>>,
): { ok: true; value: SearchAttributesUpsert } | { ok: false; message: string } {
  const converted: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    const problem = isSystemSearchAttribute(name)
      ? 'is a system search attribute: it cannot be set'
      : SEARCH_ATTRIBUTE_NAME.test(name)
        ? undefined
        : 'is not a valid name: a search attribute name must be an identifier ([A-Za-z_][A-Za-z0-9_]*)';
    if (problem !== undefined) {
      return { ok: false, message: `Invalid search attributes: '${name}' ${problem}.` };
    }
    converted[name] =
      value instanceof Date ? value.toISOString() : value === undefined ? null : value;
  }
  const parsed = SearchAttributesUpsert.safeParse(converted);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? `'${issue.path.map(String).join('.')}'` : 'the attributes';
  return {
    ok: false,
    message:
      `Invalid search attributes: ${where}: ${issue?.message ?? 'invalid'}. A value must be a ` +
      'string, a finite number, a boolean, a Date or a string array (null or [] removes it).',
  };
}
