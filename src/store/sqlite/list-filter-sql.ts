// A parsed list filter (protocol/list-filter.ts) as parameterised SQLite over the `runs` table:
// the database evaluates it, and every literal is a bound parameter, never spliced into the text.
//
// System attributes are columns. Custom search attributes live in the JSON object column
// `search_attributes` (why not a side table: see migrations/0002-visibility.sql). A predicate on
// one walks the attribute's value with json_each, which yields one row for a scalar and one per
// element for an array, so `Tags = 'x'` means "is x" for a string and "contains x" for a string
// list (Temporal's KeywordList rule) with one SQL shape. A run that lacks the attribute matches
// no comparison (SQL's rule for NULL), only `IS NULL`.
import type {
  ListFilter,
  ListFilterAttribute,
  ListFilterExpr,
  ListFilterValue,
} from '../../protocol/list-filter.ts';
import type { SystemSearchAttribute } from '../../protocol/search-attributes.ts';
import Database from 'better-sqlite3';

export type SqlParam = string | number;

export interface ListFilterSql {
  /** A boolean SQL expression over `runs` ('1' when the filter has no WHERE part). */
  where: string;
  whereParams: SqlParam[];
  /** The ORDER BY list, without the keywords. */
  orderBy: string;
  orderByParams: SqlParam[];
}

const SYSTEM_COLUMNS: Record<SystemSearchAttribute, string> = {
  WorkflowId: 'workflow_id',
  RunId: 'run_id',
  WorkflowType: 'workflow_type',
  ExecutionStatus: 'status',
  TaskQueue: 'task_queue',
  StartTime: 'start_time_ms',
  CloseTime: 'close_time_ms',
  ExecutionTime: 'coalesce(execution_time_ms, start_time_ms)',
  HistoryLength: '(next_event_id - 1)',
};

/** Open runs first, then the most recently closed (Temporal's SQL visibility order). */
const DEFAULT_ORDER = `coalesce(close_time_ms, ${Number.MAX_SAFE_INTEGER}) DESC, start_time_ms DESC, run_id`;
/** After a filter's own ORDER BY, so that pages never overlap. */
const TIE_BREAK = 'start_time_ms DESC, run_id';

export function listFilterToSql(filter: ListFilter): ListFilterSql {
  const whereParams: SqlParam[] = [];
  const where = filter.where === undefined ? '1' : exprSql(filter.where, whereParams);
  const orderByParams: SqlParam[] = [];
  const orderBy =
    filter.orderBy.length === 0
      ? DEFAULT_ORDER
      : [
          ...filter.orderBy.map((o) => `${orderKey(o.attribute, orderByParams)} ${o.direction}`),
          TIE_BREAK,
        ].join(', ');
  return { where, whereParams, orderBy, orderByParams };
}

function exprSql(e: ListFilterExpr, params: SqlParam[]): string {
  switch (e.type) {
    case 'and':
      return `(${exprSql(e.left, params)} AND ${exprSql(e.right, params)})`;
    case 'or':
      return `(${exprSql(e.left, params)} OR ${exprSql(e.right, params)})`;
    case 'compare':
    case 'in':
    case 'between':
    case 'startsWith':
    case 'isNull':
      return e.attribute.kind === 'system'
        ? systemPredicate(SYSTEM_COLUMNS[e.attribute.name], e, params)
        : customPredicate(e.attribute.name, e, params);
  }
}

type Predicate = Exclude<ListFilterExpr, { type: 'and' | 'or' }>;

function systemPredicate(column: string, p: Predicate, params: SqlParam[]): string {
  if (p.type === 'isNull') return `${column} IS ${p.negated ? 'NOT ' : ''}NULL`;
  const test = valueTest(column, p, params);
  // `!=` is positive here: a NULL column (CloseTime of an open run) matches neither way.
  return p.type !== 'compare' && p.negated ? `(${column} IS NOT NULL AND NOT ${test})` : test;
}

function customPredicate(name: string, p: Predicate, params: SqlParam[]): string {
  // `name` is an identifier (checked by the parser), so the path needs no escaping; bound anyway.
  const path = `$."${name}"`;
  if (p.type === 'isNull') {
    params.push(path);
    return `json_type(search_attributes, ?) IS ${p.negated ? 'NOT ' : ''}NULL`;
  }
  const negated = p.type === 'compare' ? p.op === '!=' : p.negated;
  // A negated test is "present, and no element passes the positive test".
  const positive: Predicate = p.type === 'compare' && negated ? { ...p, op: '=' } : p;
  if (negated) params.push(path);
  params.push(path);
  const exists = `EXISTS (SELECT 1 FROM json_each(search_attributes, ?) WHERE ${valueTest('value', positive, params, 'type')})`;
  return negated ? `(json_type(search_attributes, ?) IS NOT NULL AND NOT ${exists})` : exists;
}

/**
 * The test of `subject` against the predicate's literals, ignoring negation of IN/BETWEEN/….
 * With `typeColumn` (json_each's `type`), a literal matches only a value of its own JSON type:
 * SQLite reads JSON true and false back as 1 and 0, so a boolean and a number would otherwise
 * compare equal, and it orders every number before every string, so `Amount < '100'` would
 * match any number.
 */
function valueTest(
  subject: string,
  p: Exclude<Predicate, { type: 'isNull' }>,
  params: SqlParam[],
  typeColumn?: string,
): string {
  const typed = (value: ListFilterValue, test: string): string => {
    const types = typeColumn === undefined ? undefined : JSON_TYPES[typeof value];
    return types === undefined ? test : `(${typeColumn} IN (${types}) AND ${test})`;
  };
  switch (p.type) {
    case 'compare':
      params.push(bind(p.value));
      return typed(p.value, `${subject} ${p.op} ?`);
    case 'in': {
      // One IN list per JSON type (one list for a column): SQLite looks each up in an index,
      // where an OR of equalities over many values (the close watch's run ids) scans.
      const byType = new Map<string, ListFilterValue[]>();
      for (const v of p.values) {
        const key = typeColumn === undefined ? 'column' : typeof v;
        const values = byType.get(key);
        if (values === undefined) byType.set(key, [v]);
        else values.push(v);
      }
      const lists: string[] = [];
      for (const values of byType.values()) {
        params.push(...values.map(bind));
        const test = `${subject} IN (${values.map(() => '?').join(', ')})`;
        lists.push(values[0] === undefined ? test : typed(values[0], test));
      }
      return `(${lists.join(' OR ')})`;
    }
    case 'between':
      params.push(bind(p.low), bind(p.high));
      return typed(p.low, `${subject} BETWEEN ? AND ?`);
    case 'startsWith': {
      // A range, not LIKE or substr: SQLite reads it from an index on a column (runs_by_workflow_id,
      // runs_by_type), where substr() scans; it is case-sensitive, where LIKE is not; and % and _
      // are plain characters in it. With `typeColumn`, only strings match (a number's text never).
      const upper = prefixUpperBound(p.prefix);
      params.push(p.prefix);
      if (upper === undefined) return typed(p.prefix, `${subject} >= ?`);
      params.push(upper);
      return typed(p.prefix, `(${subject} >= ? AND ${subject} < ?)`);
    }
  }
}

/**
 * How a lone surrogate in a bound string reaches SQLite: as its own 3 bytes (node 20 and 22), or
 * replaced by U+FFFD (node 24, whose V8 writes strings as well-formed UTF-8).
 */
export type LoneSurrogates = 'kept' | 'replaced';

let storedSurrogates: LoneSurrogates | undefined;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** How this process's SQLite driver stores a lone surrogate: asked once, of SQLite itself. */
export function loneSurrogatesInStore(): LoneSurrogates {
  if (storedSurrogates !== undefined) return storedSurrogates;
  const db = new Database(':memory:');
  try {
    const hex = db.prepare<[string], string>('SELECT hex(?)').pluck().get('\ud800');
    storedSurrogates = hex === 'EDA080' ? 'kept' : 'replaced';
  } finally {
    db.close();
  }
  return storedSurrogates;
}

/**
 * The least string above every string that starts with `prefix`, in SQLite's text order (its
 * UTF-8 bytes, which is code point order): the prefix with its last code point below U+10FFFF
 * incremented and what follows it dropped. Undefined when every code point is U+10FFFF.
 *
 * Where lone surrogates are `kept`, one counts as its code point, as SQLite stores it (3 bytes).
 * The one successor a JavaScript string cannot hold, a low surrogate after a lone high one (the
 * two would pair up), becomes U+E000: no stored string has a low surrogate there, so the bound is
 * still exact. Where they are `replaced`, the prefix is read as it is stored (each as U+FFFD), and
 * no stored string holds a surrogate: U+D7FF's successor is U+E000.
 */
export function prefixUpperBound(
  prefix: string,
  surrogates: LoneSurrogates = loneSurrogatesInStore(),
): string | undefined {
  const text = surrogates === 'replaced' ? prefix.replace(LONE_SURROGATE, '\ufffd') : prefix;
  let end = text.length;
  while (end > 0) {
    const start = end >= 2 && (text.codePointAt(end - 2) ?? 0) > 0xffff ? end - 2 : end - 1;
    const codePoint = text.codePointAt(start) ?? 0;
    if (codePoint < 0x10ffff) {
      const head = text.slice(0, start);
      let next = codePoint + 1;
      const surrogate = next >= 0xd800 && next <= 0xdfff;
      if (
        surrogate &&
        (surrogates === 'replaced' ||
          (next >= 0xdc00 && isHighSurrogate(head.charCodeAt(head.length - 1))))
      ) {
        next = 0xe000;
      }
      return head + String.fromCodePoint(next);
    }
    end = start;
  }
  return undefined;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

/** json_each's `type` values a literal of each kind may match. */
const JSON_TYPES: Partial<Record<string, string>> = {
  boolean: "'true', 'false'",
  number: "'integer', 'real'",
  string: "'text'",
};

function orderKey(attribute: ListFilterAttribute, params: SqlParam[]): string {
  if (attribute.kind === 'system') return SYSTEM_COLUMNS[attribute.name];
  params.push(`$."${attribute.name}"`);
  return 'json_extract(search_attributes, ?)';
}

/** SQLite has no boolean: JSON true and false read back from json_each as 1 and 0. */
function bind(value: ListFilterValue): SqlParam {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}
