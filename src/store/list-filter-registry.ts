// The backend-neutral check of a parsed list filter (protocol/list-filter.ts) against a
// namespace's search attribute registry, run by every store before it compiles the filter into
// its own SQL: the names it may use, and the operators each registered type takes (Temporal's).
import { InvalidArgumentError } from '../errors.ts';
import type { ListFilter, ListFilterExpr } from '../protocol/list-filter.ts';
import { reservedSearchAttributeProblem } from '../protocol/search-attribute-checks.ts';
import {
  INDEXED_VALUE_TYPES,
  ScheduleSearchAttributes,
} from '../protocol/search-attribute-types.ts';
import type { IndexedValueType } from '../protocol/search-attribute-types.ts';

type InferredType = IndexedValueType;

const ALL_TYPES: readonly InferredType[] = INDEXED_VALUE_TYPES;

/** The operators that only some types take, each with the types that take it (Temporal's rule). */
const RANGE_TYPES: readonly InferredType[] = ['Keyword', 'Int', 'Double', 'Datetime', 'Bool'];
const TAKEN_BY: Partial<Record<string, readonly InferredType[]>> = {
  STARTS_WITH: ['Keyword'],
  BETWEEN: ['Keyword', 'Int', 'Double', 'Datetime'],
  '<': RANGE_TYPES,
  '<=': RANGE_TYPES,
  '>': RANGE_TYPES,
  '>=': RANGE_TYPES,
};

/** What a list filter reads: runs (`workflow.list`, `count`) or schedules (`schedule.list`). */
export type FilterTarget = 'runs' | 'schedules';

/**
 * The attributes each target holds with its custom ones that the engine sets, with their types
 * as Temporal's: never registered, yet known to filters. A schedule's paused state is its
 * `TemporalSchedulePaused` (each store adds it, from the schedule's state, to what the filter reads).
 */
const ENGINE_SET: Record<FilterTarget, Readonly<Record<string, IndexedValueType>>> = {
  runs: ScheduleSearchAttributes,
  schedules: { TemporalSchedulePaused: 'Bool' },
};

/**
 * Refuses a filter that names a custom attribute the namespace does not register (`typeOf`: its
 * registry), as Temporal's server refuses one ("is not a valid search attribute"): never
 * registered, or removed, though runs may still hold values of it. The names the engine sets on
 * the target ({@link ENGINE_SET}) are known. Refuses too a test with an operator the attribute's
 * type does not take (Temporal's rules: STARTS_WITH applies to Keyword attributes only; BETWEEN
 * to Keyword, Int, Double and Datetime ones; <, <=, >, >= to all but KeywordList, which takes
 * only =, !=, IN and NOT IN): without this, a prefix or a range would match the elements of a
 * string list and the text of a Datetime, where Temporal refuses the query.
 */
export function assertFilterFitsRegistry(
  typeOf: (name: string) => IndexedValueType | undefined,
  namespace: string,
  filter: ListFilter,
  target: FilterTarget,
): void {
  const types = new Map<string, IndexedValueType>();
  for (const name of customNames(filter)) {
    const type = engineSetType(target, name) ?? typeOf(name);
    if (type === undefined) throw unknownAttribute(name, namespace, target);
    types.set(name, type);
  }
  for (const { name, op } of restrictedUses(filter.where)) {
    const allowed = TAKEN_BY[op] ?? ALL_TYPES;
    const type = types.get(name);
    if (type === undefined || allowed.includes(type)) continue;
    const why =
      engineSetType(target, name) !== undefined
        ? 'a system search attribute'
        : `namespace '${namespace}' registers it as one`;
    throw new InvalidArgumentError(
      `Invalid list filter: ${op} applies to ${joinTypes(allowed)} search attributes, and ` +
        `${name} is ${article(type)} ${type} (${why}). ` +
        typeHint(type, name),
    );
  }
}

function engineSetType(target: FilterTarget, name: string): IndexedValueType | undefined {
  const set = ENGINE_SET[target];
  return Object.hasOwn(set, name) ? set[name] : undefined;
}

/** Why a filter may not name `name`, which neither the namespace nor the engine defines. */
function unknownAttribute(
  name: string,
  namespace: string,
  target: FilterTarget,
): InvalidArgumentError {
  const other: FilterTarget = target === 'runs' ? 'schedules' : 'runs';
  const reserved = reservedSearchAttributeProblem(name);
  const why =
    engineSetType(other, name) !== undefined
      ? target === 'runs'
        ? "is a schedule's search attribute, not a workflow's: filter schedules on it with " +
          'client.schedule.list({ query }).'
        : 'is a search attribute of the runs a schedule starts, not of a schedule: filter ' +
          'those runs on it with client.workflow.list({ query }).'
      : reserved !== undefined
        ? `${reserved}, and Reprise does not record it: it cannot be queried.`
        : `is not a valid search attribute: namespace '${namespace}' does not register it (it ` +
          'was never set, or was removed). Register it with ' +
          `engine.searchAttributes.add('${namespace}', { ${name}: 'Keyword' }) (or the type ` +
          'it holds); a start or an upsert that sets it registers it too, from its value.';
  return new InvalidArgumentError(`Invalid list filter: ${name} ${why}`);
}

/**
 * Each custom attribute the filter names, in its WHERE part or its ORDER BY, once: the names
 * {@link assertFilterFitsRegistry} asks the registry about (a store may read just those).
 */
export function customNames(filter: ListFilter): string[] {
  const names = new Set<string>();
  const walk = (x: ListFilterExpr): void => {
    if (x.type === 'and' || x.type === 'or') {
      walk(x.left);
      walk(x.right);
    } else if (x.attribute.kind === 'custom') {
      names.add(x.attribute.name);
    }
  };
  if (filter.where !== undefined) walk(filter.where);
  for (const o of filter.orderBy) if (o.attribute.kind === 'custom') names.add(o.attribute.name);
  return [...names];
}

/** What to write instead, for an attribute of a type that an operator does not apply to. */
function typeHint(type: InferredType, name: string): string {
  switch (type) {
    case 'KeywordList':
      return `A KeywordList takes only =, !=, IN and NOT IN: match whole elements with = or IN, e.g. ${name} IN ('a', 'b').`;
    case 'Bool':
      return `Compare it with = or !=, e.g. ${name} = true.`;
    case 'Keyword':
    case 'Int':
    case 'Double':
    case 'Datetime':
      return 'Compare it with =, <, >, BETWEEN or IN.';
  }
}

function article(type: string): string {
  return /^[AEIOU]/.test(type) ? 'an' : 'a';
}

/** 'Keyword', 'Keyword and Int', 'Keyword, Int and Double'. */
function joinTypes(types: readonly string[]): string {
  return types.length <= 1
    ? types.join('')
    : `${types.slice(0, -1).join(', ')} and ${types[types.length - 1] ?? ''}`;
}

/** Each custom attribute the filter tests with an operator that only some types take, once. */
function restrictedUses(e: ListFilterExpr | undefined): { name: string; op: string }[] {
  const uses = new Map<string, { name: string; op: string }>();
  const walk = (x: ListFilterExpr): void => {
    if (x.type === 'and' || x.type === 'or') {
      walk(x.left);
      walk(x.right);
      return;
    }
    if (x.attribute.kind !== 'custom') return;
    const op =
      x.type === 'startsWith'
        ? 'STARTS_WITH'
        : x.type === 'between'
          ? 'BETWEEN'
          : x.type === 'compare'
            ? x.op
            : undefined;
    if (op === undefined || TAKEN_BY[op] === undefined) return;
    uses.set(`${x.attribute.name} ${op}`, { name: x.attribute.name, op });
  };
  if (e !== undefined) walk(e);
  return [...uses.values()];
}
