// Sandbox-safe: Temporal's list-filter language (the `query` of client.workflow.list and count),
// parsed by hand into a checked syntax tree that a store translates into its own query language.
import { InvalidArgumentError } from '../errors.ts';
import { RunStatus } from './run-status.ts';
import {
  SEARCH_ATTRIBUTE_NAME,
  SystemSearchAttributes,
  isSystemSearchAttribute,
} from './search-attributes.ts';
import type { SystemSearchAttribute } from './search-attributes.ts';

/** A literal in a filter. System Datetime attributes get theirs as epoch ms, already converted. */
export type ListFilterValue = string | number | boolean;

export type ListFilterAttribute =
  { kind: 'system'; name: SystemSearchAttribute } | { kind: 'custom'; name: string };

export type ComparisonOperator = '=' | '!=' | '<' | '>' | '<=' | '>=';

export type ListFilterExpr =
  | { type: 'and'; left: ListFilterExpr; right: ListFilterExpr }
  | { type: 'or'; left: ListFilterExpr; right: ListFilterExpr }
  | {
      type: 'compare';
      attribute: ListFilterAttribute;
      op: ComparisonOperator;
      value: ListFilterValue;
    }
  | { type: 'in'; attribute: ListFilterAttribute; values: ListFilterValue[]; negated: boolean }
  | {
      type: 'between';
      attribute: ListFilterAttribute;
      low: ListFilterValue;
      high: ListFilterValue;
      negated: boolean;
    }
  | { type: 'startsWith'; attribute: ListFilterAttribute; prefix: string; negated: boolean }
  | { type: 'isNull'; attribute: ListFilterAttribute; negated: boolean };

export interface ListFilterOrder {
  attribute: ListFilterAttribute;
  direction: 'ASC' | 'DESC';
}

/**
 * A parsed list filter: no `where` matches every run; an empty `orderBy` means the default order.
 * `groupBy` (a count's `GROUP BY ExecutionStatus`, the one grouping Temporal allows) is there only
 * when the query has it, which only a count's may.
 */
export interface ListFilter {
  where: ListFilterExpr | undefined;
  orderBy: ListFilterOrder[];
  groupBy?: 'ExecutionStatus';
}

/** What a filter is for: a list's may not have GROUP BY, a count's may not have ORDER BY with it. */
export type ListFilterUse = 'list' | 'count';

/**
 * Parses a list filter, e.g.
 * `WorkflowType = 'order' AND (ExecutionStatus = 'Running' OR CloseTime > '2024-01-01T00:00:00Z')
 * ORDER BY StartTime DESC`. Grammar (keywords case-insensitive, attribute names case-sensitive):
 *
 * ```
 * query     := [or] [GROUP BY ExecutionStatus] [ORDER BY order {',' order}]
 * or        := and {OR and}
 * and       := primary {AND primary}
 * primary   := '(' or ')' | predicate
 * predicate := attr op value | attr [NOT] IN '(' value {',' value} ')'
 *            | attr [NOT] BETWEEN value AND value | attr [NOT] STARTS_WITH string
 *            | attr IS [NOT] NULL
 * op        := '=' | '!=' | '<>' | '<' | '>' | '<=' | '>='
 * order     := attr [ASC | DESC]
 * attr      := identifier | `any name`
 * value     := 'string' | "string" | number | TRUE | FALSE
 * ```
 *
 * In a string, a doubled quote or a backslash escapes (see scanString). GROUP BY is read only
 * where it can stand (`GROUP` is not a keyword), so an attribute may still be named `Group`.
 *
 * Throws `InvalidArgumentError` naming the position (1-based) and what was expected there, or a
 * literal that does not fit a system attribute (`ExecutionStatus = 'Done'`, a bad date). As
 * Temporal's server: GROUP BY only in a count's filter (`use` 'count'), only on ExecutionStatus,
 * and never with ORDER BY.
 */
export function parseListFilter(query: string, use: ListFilterUse = 'list'): ListFilter {
  return new Parser(query, use).parseQuery();
}

// ── lexer ──────────────────────────────────────────────────────────────────────────────────

type Token =
  | { kind: 'ident'; text: string; quoted: boolean; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; value: number; text: string; pos: number }
  | { kind: 'op'; text: ComparisonOperator; pos: number }
  | { kind: 'punct'; text: '(' | ')' | ','; pos: number }
  | { kind: 'end'; pos: number };

const KEYWORDS = new Set([
  'AND',
  'OR',
  'NOT',
  'IN',
  'BETWEEN',
  'STARTS_WITH',
  'IS',
  'NULL',
  'ORDER',
  'BY',
  'ASC',
  'DESC',
  'TRUE',
  'FALSE',
]);

const NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (pos: number, message: string): never => {
    throw filterError(query, pos, message);
  };
  while (i < query.length) {
    const c = query.charAt(i);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = query.slice(i);
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: 'punct', text: c, pos: i });
      i++;
    } else if (rest.startsWith('!=') || rest.startsWith('<>')) {
      tokens.push({ kind: 'op', text: '!=', pos: i });
      i += 2;
    } else if (rest.startsWith('<=') || rest.startsWith('>=')) {
      tokens.push({ kind: 'op', text: rest.slice(0, 2) as '<=' | '>=', pos: i });
      i += 2;
    } else if (c === '=' || c === '<' || c === '>') {
      tokens.push({ kind: 'op', text: c, pos: i });
      i++;
    } else if (c === "'" || c === '"') {
      const { value, end } = scanString(query, i, fail);
      tokens.push({ kind: 'string', value, pos: i });
      i = end;
    } else if (c === '`') {
      const { name, end } = scanQuotedName(query, i, fail);
      tokens.push({ kind: 'ident', text: name, quoted: true, pos: i });
      i = end;
    } else if (NUMBER.test(rest)) {
      const text = (NUMBER.exec(rest) as RegExpExecArray)[0];
      tokens.push({ kind: 'number', value: Number(text), text, pos: i });
      i += text.length;
    } else if (IDENT.test(rest)) {
      const text = (IDENT.exec(rest) as RegExpExecArray)[0];
      tokens.push({ kind: 'ident', text, quoted: false, pos: i });
      i += text.length;
    } else {
      fail(i, `unexpected character '${c}'`);
    }
  }
  tokens.push({ kind: 'end', pos: query.length });
  return tokens;
}

/**
 * The `quoted name` opening at `start`, read as Temporal's parser reads it: a doubled backquote
 * inside stands for one (`a``b` is the name a`b, which no search attribute has, so the parser
 * refuses it by name rather than stopping at the first backquote). Returns the name and the index
 * just past the closing backquote.
 */
function scanQuotedName(
  query: string,
  start: number,
  fail: (pos: number, message: string) => never,
): { name: string; end: number } {
  let name = '';
  let j = start + 1;
  for (;;) {
    const close = query.indexOf('`', j);
    if (close < 0) return fail(start, 'unterminated `quoted name`: add the closing `');
    name += query.slice(j, close);
    if (query.charAt(close + 1) !== '`') {
      if (name === '') fail(start, 'empty `quoted name`');
      return { name, end: close + 1 };
    }
    name += '`';
    j = close + 2;
  }
}

/** What a backslash followed by each character stands for; any other escaped character is itself. */
const STRING_ESCAPES: Partial<Record<string, string>> = {
  '0': '\0',
  b: '\b',
  n: '\n',
  r: '\r',
  t: '\t',
  Z: '\x1a',
};

/**
 * The string literal opening at `start` (its quote is `'` or `"`), with Temporal's escapes (those
 * of MySQL): the quote doubled (`'it''s'`, `"say ""hi"""`), or a backslash before a character
 * (`\'`, `\"`, `\\`, `\n`, `\t`, `\r`, `\b`, `\0`, `\Z`; `\%` is `%`, as is any other escaped
 * character itself). Returns the value and the index just past the closing quote.
 */
function scanString(
  query: string,
  start: number,
  fail: (pos: number, message: string) => never,
): { value: string; end: number } {
  const quote = query.charAt(start);
  let value = '';
  let j = start + 1;
  for (;;) {
    if (j >= query.length) {
      return fail(
        start,
        `unterminated string: add the closing ${quote}` +
          (query.includes('\\', start)
            ? ` (a backslash escapes the character after it: write \\\\ for a backslash)`
            : ''),
      );
    }
    const d = query.charAt(j);
    if (d === '\\' && j + 1 < query.length) {
      const e = query.charAt(j + 1);
      value += STRING_ESCAPES[e] ?? e;
      j += 2;
    } else if (d === quote && query.charAt(j + 1) === quote) {
      value += quote;
      j += 2;
    } else if (d === quote) {
      return { value, end: j + 1 };
    } else {
      value += d;
      j++;
    }
  }
}

// ── parser ─────────────────────────────────────────────────────────────────────────────────

class Parser {
  readonly #query: string;
  readonly #use: ListFilterUse;
  readonly #tokens: Token[];
  #i = 0;

  constructor(query: string, use: ListFilterUse) {
    this.#query = query;
    this.#use = use;
    this.#tokens = tokenize(query);
  }

  parseQuery(): ListFilter {
    const where =
      this.#atEnd() || this.#isKeyword('ORDER') || this.#atGroupBy() ? undefined : this.#parseOr();
    const groupBy = this.#atGroupBy() ? this.#parseGroupBy(false) : undefined;
    const orderBy: ListFilterOrder[] = [];
    if (this.#isKeyword('ORDER')) {
      if (groupBy !== undefined) {
        throw filterError(this.#query, this.#peek().pos, ORDER_WITH_GROUP);
      }
      this.#next();
      this.#expectKeyword('BY', "'BY' after 'ORDER'");
      do {
        const attribute = this.#parseAttribute('an attribute name to order by');
        let direction: 'ASC' | 'DESC' = 'ASC';
        if (this.#isKeyword('ASC') || this.#isKeyword('DESC')) {
          direction = (this.#next() as { text: string }).text.toUpperCase() as 'ASC' | 'DESC';
        }
        orderBy.push({ attribute, direction });
      } while (this.#acceptPunct(','));
      // GROUP BY goes before ORDER BY; after it, say what is wrong with the pair, not the place.
      if (this.#atGroupBy()) this.#parseGroupBy(true);
    }
    if (!this.#atEnd()) {
      const orGroupBy = this.#use === 'count' ? ', GROUP BY' : '';
      this.#fail(
        groupBy !== undefined
          ? 'the end of the query'
          : where === undefined && orderBy.length === 0
            ? `an attribute name${orGroupBy} or ORDER BY`
            : orderBy.length > 0
              ? "',' or the end of the query"
              : `AND, OR${orGroupBy}, ORDER BY or the end of the query`,
      );
    }
    return groupBy === undefined ? { where, orderBy } : { where, orderBy, groupBy };
  }

  /** At `GROUP BY`: GROUP is no keyword, so `Group = 1` stays a predicate on an attribute. */
  #atGroupBy(): boolean {
    return this.#isKeyword('GROUP') && this.#isKeyword('BY', 1);
  }

  /** `GROUP BY ExecutionStatus`, refused where Temporal's server refuses it. */
  #parseGroupBy(afterOrderBy: boolean): 'ExecutionStatus' {
    const groupPos = this.#peek().pos;
    if (this.#use === 'list') {
      throw filterError(
        this.#query,
        groupPos,
        'GROUP BY applies to a count, not to a list: drop it here, or pass the query to client.workflow.count',
      );
    }
    if (afterOrderBy) throw filterError(this.#query, groupPos, ORDER_WITH_GROUP);
    this.#next();
    this.#next();
    const attrToken = this.#peek();
    const attribute = this.#parseAttribute('ExecutionStatus after GROUP BY');
    if (attribute.name !== 'ExecutionStatus') {
      throw filterError(
        this.#query,
        attrToken.pos,
        `GROUP BY applies to ExecutionStatus only, as in Temporal, not to ${attribute.name}: write GROUP BY ExecutionStatus, or count each ${attribute.name} with its own filter (${attribute.name} = …)`,
      );
    }
    const comma = this.#peek();
    if (comma.kind === 'punct' && comma.text === ',') {
      throw filterError(
        this.#query,
        comma.pos,
        'GROUP BY takes one attribute, ExecutionStatus: drop the others',
      );
    }
    return 'ExecutionStatus';
  }

  #parseOr(): ListFilterExpr {
    let left = this.#parseAnd();
    while (this.#isKeyword('OR')) {
      this.#next();
      left = { type: 'or', left, right: this.#parseAnd() };
    }
    return left;
  }

  #parseAnd(): ListFilterExpr {
    let left = this.#parsePrimary();
    while (this.#isKeyword('AND')) {
      this.#next();
      left = { type: 'and', left, right: this.#parsePrimary() };
    }
    return left;
  }

  #parsePrimary(): ListFilterExpr {
    if (this.#acceptPunct('(')) {
      const inner = this.#parseOr();
      this.#expectPunct(')', "')' to close the '('");
      return inner;
    }
    return this.#parsePredicate();
  }

  #parsePredicate(): ListFilterExpr {
    const attrToken = this.#peek();
    const attribute = this.#parseAttribute("an attribute name or '('");
    const name = attribute.name;
    const op = this.#peek();
    if (op.kind === 'op') {
      this.#next();
      const value = this.#parseValue(`a value after '${op.text}'`);
      return { type: 'compare', attribute, op: op.text, value: this.#check(attribute, value) };
    }
    if (this.#isKeyword('IS')) {
      this.#next();
      const negated = this.#acceptKeyword('NOT');
      this.#expectKeyword(
        'NULL',
        negated ? "'NULL' after 'IS NOT'" : "'NULL' or 'NOT NULL' after 'IS'",
      );
      return { type: 'isNull', attribute, negated };
    }
    const negated = this.#acceptKeyword('NOT');
    if (this.#acceptKeyword('IN')) {
      this.#expectPunct('(', "'(' after IN");
      const values: ListFilterValue[] = [];
      do {
        values.push(this.#check(attribute, this.#parseValue('a value in the IN list')));
      } while (this.#acceptPunct(','));
      this.#expectPunct(')', "',' or ')' to close the IN list");
      return { type: 'in', attribute, values, negated };
    }
    if (this.#acceptKeyword('BETWEEN')) {
      const low = this.#check(attribute, this.#parseValue('a value after BETWEEN'));
      this.#expectKeyword('AND', "'AND' between the two BETWEEN values");
      const high = this.#check(attribute, this.#parseValue('a value after BETWEEN … AND'));
      return { type: 'between', attribute, low, high, negated };
    }
    if (this.#acceptKeyword('STARTS_WITH')) {
      // Temporal's rule: STARTS_WITH takes a string, on a Keyword attribute. A custom attribute's
      // type is the one its namespace registers, so the store checks it (assertFilterFitsRegistry).
      if (attribute.kind === 'system' && SystemSearchAttributes[attribute.name] !== 'Keyword') {
        throw filterError(
          this.#query,
          attrToken.pos,
          `STARTS_WITH applies to Keyword attributes, and ${name} is of type ${SystemSearchAttributes[attribute.name]}: compare it with =, <, >, BETWEEN or IN`,
        );
      }
      const v = this.#parseValue('a quoted string after STARTS_WITH');
      if (typeof v.value !== 'string') {
        throw filterError(this.#query, v.pos, "STARTS_WITH takes a quoted string, e.g. 'order-'");
      }
      // An ExecutionStatus literal must name a status, as for = (and as Temporal requires).
      const prefix = this.#check(attribute, v) as string;
      return { type: 'startsWith', attribute, prefix, negated };
    }
    return this.#fail(
      negated
        ? 'IN, BETWEEN or STARTS_WITH after NOT'
        : `an operator (=, !=, <, >, <=, >=, IN, BETWEEN, STARTS_WITH, IS) after ${name}`,
    );
  }

  #parseAttribute(expected: string): ListFilterAttribute {
    const t = this.#peek();
    if (t.kind !== 'ident' || (!t.quoted && KEYWORDS.has(t.text.toUpperCase()))) {
      return this.#fail(expected);
    }
    this.#next();
    if (isSystemSearchAttribute(t.text)) return { kind: 'system', name: t.text };
    if (!SEARCH_ATTRIBUTE_NAME.test(t.text)) {
      throw filterError(
        this.#query,
        t.pos,
        `'${t.text}' is not a search attribute name: names are identifiers ([A-Za-z_][A-Za-z0-9_]*)`,
      );
    }
    return { kind: 'custom', name: t.text };
  }

  #parseValue(expected: string): { value: ListFilterValue; pos: number } {
    const t = this.#peek();
    if (t.kind === 'string' || t.kind === 'number') {
      this.#next();
      return { value: t.value, pos: t.pos };
    }
    if (this.#isKeyword('TRUE') || this.#isKeyword('FALSE')) {
      this.#next();
      return { value: (t as { text: string }).text.toUpperCase() === 'TRUE', pos: t.pos };
    }
    return this.#fail(expected);
  }

  /** Checks a literal against a system attribute's type; converts Datetime strings to ms. */
  #check(
    attribute: ListFilterAttribute,
    v: { value: ListFilterValue; pos: number },
  ): ListFilterValue {
    if (attribute.kind === 'custom') return v.value;
    const name = attribute.name;
    const type = SystemSearchAttributes[name];
    const bad = (what: string): never => {
      throw filterError(this.#query, v.pos, `${name} is of type ${type}: ${what}`);
    };
    switch (type) {
      case 'Keyword':
        if (typeof v.value !== 'string') return bad('compare it with a quoted string');
        if (name === 'ExecutionStatus') return executionStatus(v.value) ?? bad(STATUS_HINT);
        return v.value;
      case 'Int':
        if (typeof v.value !== 'number' || !Number.isInteger(v.value)) {
          return bad('compare it with an integer');
        }
        return v.value;
      case 'Datetime': {
        const ms = typeof v.value === 'string' ? parseDatetime(v.value) : undefined;
        return (
          ms ?? bad("compare it with an ISO 8601 date-time string, e.g. '2024-05-01T12:00:00Z'")
        );
      }
    }
  }

  #peek(): Token {
    return this.#tokens[this.#i] as Token;
  }

  #next(): Token {
    const t = this.#peek();
    if (t.kind !== 'end') this.#i++;
    return t;
  }

  #atEnd(): boolean {
    return this.#peek().kind === 'end';
  }

  #isKeyword(keyword: string, at = 0): boolean {
    const t = this.#tokens[this.#i + at];
    return t?.kind === 'ident' && !t.quoted && t.text.toUpperCase() === keyword;
  }

  #acceptKeyword(keyword: string): boolean {
    if (!this.#isKeyword(keyword)) return false;
    this.#next();
    return true;
  }

  #expectKeyword(keyword: string, expected: string): void {
    if (!this.#acceptKeyword(keyword)) this.#fail(expected);
  }

  #acceptPunct(p: '(' | ')' | ','): boolean {
    const t = this.#peek();
    if (t.kind !== 'punct' || t.text !== p) return false;
    this.#next();
    return true;
  }

  #expectPunct(p: '(' | ')' | ',', expected: string): void {
    if (!this.#acceptPunct(p)) this.#fail(expected);
  }

  #fail(expected: string): never {
    const t = this.#peek();
    throw filterError(this.#query, t.pos, `expected ${expected}, found ${describeToken(t)}`);
  }
}

const ORDER_WITH_GROUP =
  "ORDER BY does not go with GROUP BY, as in Temporal: drop the ORDER BY (a count's groups come in ExecutionStatus order)";

const STATUS_HINT = `use one of ${Object.values(RunStatus)
  .map((s) => `'${s}'`)
  .join(', ')}`;

function executionStatus(value: string): RunStatus | undefined {
  return Object.values(RunStatus).find((s) => s.toLowerCase() === value.toLowerCase());
}

const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * An ISO 8601 date or date-time, as ms. One without a zone is UTC (as a date alone is), so a
 * query means the same whatever the engine's time zone; a day or time that does not exist
 * (February 30, 24:00) is refused rather than rolled over.
 */
function parseDatetime(value: string): number | undefined {
  const m = ISO_DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone = 'Z'] = m;
  const day = new Date(0);
  day.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  if (day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  const offset = zone === 'Z' || zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${fraction}${offset}`);
  return Number.isNaN(ms) ? undefined : ms;
}

function describeToken(t: Token): string {
  switch (t.kind) {
    case 'end':
      return 'the end of the query';
    case 'ident':
      return t.quoted ? `\`${t.text}\`` : `'${t.text}'`;
    case 'string':
      return `the string '${t.value.replaceAll("'", "''")}'`;
    case 'number':
      return `the number ${t.text}`;
    case 'op':
    case 'punct':
      return `'${t.text}'`;
  }
}

function filterError(query: string, pos: number, message: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `Invalid list filter at position ${pos + 1}: ${message}. Query: ${JSON.stringify(query)}`,
  );
}
