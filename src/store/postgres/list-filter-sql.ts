// A parsed list filter (protocol/list-filter.ts) as parameterised PostgreSQL over the `runs`
// table (or schedules, through `attributes`): the database evaluates it, and every literal is a
// bound `$n` parameter, never spliced into the text. The semantics are the SQLite store's
// (sqlite/list-filter-sql.ts), which the conformance suite and list-filter-sql.test.ts hold both
// to:
//
// - System attributes are columns. Strings compare and sort in code point order (COLLATE "C", as
//   SQLite compares UTF-8 bytes), whatever the database's collation; `=`, IN and STARTS_WITH
//   are the same under any deterministic collation, so they keep the column's (and its index).
// - Custom search attributes live in the JSONB object `search_attributes`. A predicate on one
//   walks the attribute's elements (one for a scalar, one per element for an array), so
//   `Tags = 'x'` means "is x" for a string and "contains x" for a string list (Temporal's
//   KeywordList rule) with one SQL shape; a literal matches only an element of its own JSON type
//   (a boolean is not a number, nor a string). A run that lacks the attribute matches no
//   comparison, only `IS NULL`; a negated test (`!=`, NOT IN, NOT BETWEEN, NOT STARTS_WITH) is
//   "present, and no element passes the positive test".
// - NULLs sort first ascending and last descending, as in SQLite.
import type {
  ListFilter,
  ListFilterAttribute,
  ListFilterExpr,
  ListFilterValue,
} from '../../protocol/list-filter.ts';
import type { SystemSearchAttribute } from '../../protocol/search-attributes.ts';

/** A bound value: node-postgres sends arrays as PostgreSQL arrays. */
export type PgParam = string | number | boolean | string[] | number[] | boolean[];

export interface PgListFilterSql {
  /** A boolean SQL expression over the row ('TRUE' when the filter has no WHERE part). */
  where: string;
  /** The ORDER BY list, without the keywords. */
  orderBy: string;
  /** The values of the placeholders in `where` and `orderBy`, from `firstParam` on, in order. */
  params: PgParam[];
}

export interface ListFilterSqlOptions {
  /** The number of the first placeholder (`$firstParam`): the caller's own come before. */
  firstParam: number;
  /**
   * The SQL expression of the JSONB object of custom search attributes (default
   * `search_attributes`); the schedule list passes one with `TemporalSchedulePaused` added.
   */
  attributes?: string | undefined;
}

interface SystemColumn {
  sql: string;
  kind: 'text' | 'bigint';
}

const SYSTEM_COLUMNS: Record<SystemSearchAttribute, SystemColumn> = {
  WorkflowId: { sql: 'workflow_id', kind: 'text' },
  RunId: { sql: 'run_id', kind: 'text' },
  WorkflowType: { sql: 'workflow_type', kind: 'text' },
  ExecutionStatus: { sql: 'status', kind: 'text' },
  TaskQueue: { sql: 'task_queue', kind: 'text' },
  StartTime: { sql: 'start_time_ms', kind: 'bigint' },
  CloseTime: { sql: 'close_time_ms', kind: 'bigint' },
  ExecutionTime: { sql: 'coalesce(execution_time_ms, start_time_ms)', kind: 'bigint' },
  HistoryLength: { sql: '(next_event_id - 1)', kind: 'bigint' },
};

/** Open runs first, then the most recently closed (Temporal's SQL visibility order). */
const DEFAULT_ORDER = `coalesce(close_time_ms, ${Number.MAX_SAFE_INTEGER}) DESC, start_time_ms DESC, run_id`;
/** After a filter's own ORDER BY, so that pages never overlap. */
const TIE_BREAK = 'start_time_ms DESC, run_id';

/** The placeholders of one statement, numbered in the order their values are added. */
class Params {
  readonly values: PgParam[] = [];
  readonly #first: number;

  constructor(first: number) {
    this.#first = first;
  }

  /** The placeholder of `value`, with `cast` (a type name) when given. */
  add(value: PgParam, cast?: string): string {
    this.values.push(value);
    const ph = `$${String(this.#first + this.values.length - 1)}`;
    return cast === undefined ? ph : `${ph}::${cast}`;
  }
}

/**
 * Compiles `filter`. The caller checks it against the namespace's registry first
 * (assertFilterFitsRegistry), as the SQLite store does.
 */
export function listFilterToSql(filter: ListFilter, opts: ListFilterSqlOptions): PgListFilterSql {
  const params = new Params(opts.firstParam);
  const attributes = opts.attributes ?? 'search_attributes';
  const where = filter.where === undefined ? 'TRUE' : exprSql(filter.where, { params, attributes });
  const orderBy =
    filter.orderBy.length === 0
      ? DEFAULT_ORDER
      : [
          ...filter.orderBy.map((o) =>
            orderKeys(o.attribute, { params, attributes })
              .map(
                (key) => `${key} ${o.direction} NULLS ${o.direction === 'ASC' ? 'FIRST' : 'LAST'}`,
              )
              .join(', '),
          ),
          TIE_BREAK,
        ].join(', ');
  return { where, orderBy, params: params.values };
}

interface Ctx {
  params: Params;
  attributes: string;
}

function exprSql(e: ListFilterExpr, ctx: Ctx): string {
  switch (e.type) {
    case 'and':
      return `(${exprSql(e.left, ctx)} AND ${exprSql(e.right, ctx)})`;
    case 'or':
      return `(${exprSql(e.left, ctx)} OR ${exprSql(e.right, ctx)})`;
    case 'compare':
    case 'in':
    case 'between':
    case 'startsWith':
    case 'isNull':
      return e.attribute.kind === 'system'
        ? systemPredicate(SYSTEM_COLUMNS[e.attribute.name], e, ctx.params)
        : customPredicate(e.attribute.name, e, ctx);
  }
}

type Predicate = Exclude<ListFilterExpr, { type: 'and' | 'or' }>;
type ValuePredicate = Exclude<Predicate, { type: 'isNull' }>;

function systemPredicate(column: SystemColumn, p: Predicate, params: Params): string {
  const c = column.sql;
  if (p.type === 'isNull') return `${c} IS ${p.negated ? 'NOT ' : ''}NULL`;
  const test = columnTest(column, p, params);
  // `!=` is positive here: a NULL column (CloseTime of an open run) matches neither way.
  return p.type !== 'compare' && p.negated ? `(${c} IS NOT NULL AND NOT ${test})` : test;
}

/** The test of a column against the predicate's literals, ignoring negation of IN/BETWEEN/…. */
function columnTest(column: SystemColumn, p: ValuePredicate, params: Params): string {
  const { sql, kind } = column;
  // Ranges of strings in code point order; equality is the same under any collation.
  const ranged = kind === 'text' ? `${sql} COLLATE "C"` : sql;
  switch (p.type) {
    case 'compare':
      return p.op === '=' || p.op === '!='
        ? `${sql} ${p.op} ${params.add(p.value, kind)}`
        : `${ranged} ${p.op} ${params.add(p.value, kind)}`;
    case 'in':
      // One array parameter: PostgreSQL looks each element up in the column's index.
      return `${sql} = ANY(${params.add(p.values as string[] | number[], `${kind}[]`)})`;
    case 'between':
      return `${ranged} BETWEEN ${params.add(p.low, kind)} AND ${params.add(p.high, kind)}`;
    case 'startsWith':
      return `${sql} LIKE ${params.add(likePrefix(p.prefix), 'text')} ESCAPE '\\'`;
  }
}

function customPredicate(name: string, p: Predicate, ctx: Ctx): string {
  const value = `(${ctx.attributes} -> ${ctx.params.add(name, 'text')})`;
  if (p.type === 'isNull') return `${value} IS ${p.negated ? 'NOT ' : ''}NULL`;
  const negated = p.type === 'compare' ? p.op === '!=' : p.negated;
  // A negated test is "present, and no element passes the positive test".
  const positive: ValuePredicate = p.type === 'compare' && negated ? { ...p, op: '=' } : p;
  const elements =
    `jsonb_array_elements(CASE jsonb_typeof(${value}) WHEN 'array' THEN ${value} ` +
    `ELSE jsonb_build_array(${value}) END)`;
  const exists = `EXISTS (SELECT 1 FROM ${elements} AS e(v) WHERE ${elementTest('e.v', positive, ctx.params)})`;
  return negated ? `(${value} IS NOT NULL AND NOT ${exists})` : exists;
}

/** How a JSON element of each literal's kind is read, and the type its literal is bound as. */
const ELEMENT_KINDS = {
  string: { jsonType: 'string', read: (v: string) => `(${v} #>> '{}')`, cast: 'text' },
  number: { jsonType: 'number', read: (v: string) => `(${v})::numeric`, cast: 'numeric' },
  boolean: { jsonType: 'boolean', read: (v: string) => `(${v})::boolean`, cast: 'boolean' },
} as const;
type ElementKind = keyof typeof ELEMENT_KINDS;

function kindOf(value: ListFilterValue): ElementKind {
  return typeof value as ElementKind;
}

/**
 * `test` of the element `v` read as a `kind` value, for an element of that JSON type only. A
 * CASE, not an AND: PostgreSQL does not promise to evaluate an AND's left side first, and a cast
 * of an element of another type would fail.
 */
function typed(v: string, kind: ElementKind, test: (read: string) => string): string {
  const k = ELEMENT_KINDS[kind];
  return `CASE jsonb_typeof(${v}) WHEN '${k.jsonType}' THEN ${test(k.read(v))} ELSE FALSE END`;
}

/** The test of one JSON element `v` against the predicate's literals, ignoring negation. */
function elementTest(v: string, p: ValuePredicate, params: Params): string {
  const collated = (kind: ElementKind, read: string) =>
    kind === 'string' ? `${read} COLLATE "C"` : read;
  switch (p.type) {
    case 'compare': {
      const kind = kindOf(p.value);
      const op = p.op;
      return typed(v, kind, (read) =>
        op === '=' || op === '!='
          ? `${read} ${op} ${params.add(p.value, ELEMENT_KINDS[kind].cast)}`
          : `${collated(kind, read)} ${op} ${params.add(p.value, ELEMENT_KINDS[kind].cast)}`,
      );
    }
    case 'in': {
      // One array per JSON kind of the literals.
      const byKind = new Map<ElementKind, ListFilterValue[]>();
      for (const value of p.values) {
        const kind = kindOf(value);
        const values = byKind.get(kind);
        if (values === undefined) byKind.set(kind, [value]);
        else values.push(value);
      }
      const lists = [...byKind].map(([kind, values]) =>
        typed(
          v,
          kind,
          (read) =>
            `${read} = ANY(${params.add(values as string[] | number[] | boolean[], `${ELEMENT_KINDS[kind].cast}[]`)})`,
        ),
      );
      return lists.length === 0 ? 'FALSE' : `(${lists.join(' OR ')})`;
    }
    case 'between': {
      const low = kindOf(p.low);
      const high = kindOf(p.high);
      if (low === high) {
        const cast = ELEMENT_KINDS[low].cast;
        return typed(
          v,
          low,
          (read) =>
            `${collated(low, read)} BETWEEN ${params.add(p.low, cast)} AND ${params.add(p.high, cast)}`,
        );
      }
      // Bounds of two kinds, as SQLite compares them: the element must be of the low bound's
      // kind; a bound of a higher class (strings above numbers and booleans) is above it, one of
      // a lower class below it, and a boolean and a number compare as numbers (0 and 1).
      const rank = (kind: ElementKind) => (kind === 'string' ? 2 : 1);
      const asNumber = (value: ListFilterValue) =>
        typeof value === 'boolean' ? (value ? 1 : 0) : value;
      if (rank(high) < rank(low)) return 'FALSE';
      return typed(v, low, (read) => {
        const above = `${collated(low, read)} >= ${params.add(p.low, ELEMENT_KINDS[low].cast)}`;
        if (rank(high) > rank(low)) return above;
        const numeric = low === 'boolean' ? `(CASE WHEN ${read} THEN 1 ELSE 0 END)` : read;
        return `(${above} AND ${numeric} <= ${params.add(asNumber(p.high), 'numeric')})`;
      });
    }
    case 'startsWith':
      return typed(
        v,
        'string',
        (read) => `${read} LIKE ${params.add(likePrefix(p.prefix), 'text')} ESCAPE '\\'`,
      );
  }
}

/**
 * The LIKE pattern of the strings that start with `prefix`: its `\`, `%` and `_` escaped (they
 * are plain characters in a STARTS_WITH), then `%`. LIKE is case-sensitive in PostgreSQL.
 */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The ORDER BY keys of an attribute, each to be sorted in the order's direction. A custom one
 * sorts as SQLite's json_extract does: missing (or JSON null) first, then numbers and booleans
 * (false as 0, true as 1) by value, then strings (and arrays, as their JSON text) in code point
 * order.
 */
function orderKeys(attribute: ListFilterAttribute, ctx: Ctx): string[] {
  if (attribute.kind === 'system') {
    const column = SYSTEM_COLUMNS[attribute.name];
    return [column.kind === 'text' ? `${column.sql} COLLATE "C"` : column.sql];
  }
  const x = `(${ctx.attributes} -> ${ctx.params.add(attribute.name, 'text')})`;
  const type = `jsonb_typeof(${x})`;
  return [
    `(CASE ${type} WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 WHEN 'string' THEN 2 ` +
      `WHEN 'array' THEN 2 WHEN 'object' THEN 2 END)`,
    `(CASE ${type} WHEN 'number' THEN (${x})::numeric ` +
      `WHEN 'boolean' THEN CASE WHEN (${x})::boolean THEN 1 ELSE 0 END END)`,
    `(CASE ${type} WHEN 'string' THEN ${x} #>> '{}' WHEN 'array' THEN (${x})::text ` +
      `WHEN 'object' THEN (${x})::text END) COLLATE "C"`,
  ];
}
