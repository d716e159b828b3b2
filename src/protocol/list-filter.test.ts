import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '../errors.ts';
import { parseListFilter } from './list-filter.ts';
import type { ListFilterAttribute, ListFilterExpr } from './list-filter.ts';

const sys = (
  name: 'WorkflowId' | 'WorkflowType' | 'ExecutionStatus' | 'StartTime' | 'HistoryLength',
): ListFilterAttribute => ({
  kind: 'system',
  name,
});
const custom = (name: string): ListFilterAttribute => ({ kind: 'custom', name });

describe('list filter parser', () => {
  const cases: [string, ListFilterExpr | undefined][] = [
    ['', undefined],
    ['   ', undefined],
    ["WorkflowId = 'a'", { type: 'compare', attribute: sys('WorkflowId'), op: '=', value: 'a' }],
    [
      'WorkflowId = "a\\"b"',
      { type: 'compare', attribute: sys('WorkflowId'), op: '=', value: 'a"b' },
    ],
    ["WorkflowId != 'a'", { type: 'compare', attribute: sys('WorkflowId'), op: '!=', value: 'a' }],
    ["WorkflowId <> 'a'", { type: 'compare', attribute: sys('WorkflowId'), op: '!=', value: 'a' }],
    [
      'HistoryLength >= 10',
      { type: 'compare', attribute: sys('HistoryLength'), op: '>=', value: 10 },
    ],
    ['Score < -1.5', { type: 'compare', attribute: custom('Score'), op: '<', value: -1.5 }],
    ['Done = true', { type: 'compare', attribute: custom('Done'), op: '=', value: true }],
    ['Done = FALSE', { type: 'compare', attribute: custom('Done'), op: '=', value: false }],
    ["`and` = 'x'", { type: 'compare', attribute: custom('and'), op: '=', value: 'x' }],
    [
      "StartTime > '2024-01-01T00:00:00Z'",
      { type: 'compare', attribute: sys('StartTime'), op: '>', value: Date.UTC(2024, 0, 1) },
    ],
    [
      "StartTime >= '2024-05-01T02:30'",
      {
        type: 'compare',
        attribute: sys('StartTime'),
        op: '>=',
        value: Date.UTC(2024, 4, 1, 2, 30),
      },
    ],
    [
      "StartTime < '2024-05-01 12:00:00.250+0200'",
      {
        type: 'compare',
        attribute: sys('StartTime'),
        op: '<',
        value: Date.UTC(2024, 4, 1, 10, 0, 0, 250),
      },
    ],
    [
      "ExecutionStatus = 'running'",
      { type: 'compare', attribute: sys('ExecutionStatus'), op: '=', value: 'Running' },
    ],
    [
      "WorkflowType in ('a', 'b')",
      { type: 'in', attribute: sys('WorkflowType'), values: ['a', 'b'], negated: false },
    ],
    [
      'Tier NOT IN (1, 2)',
      { type: 'in', attribute: custom('Tier'), values: [1, 2], negated: true },
    ],
    [
      'HistoryLength BETWEEN 1 AND 5',
      { type: 'between', attribute: sys('HistoryLength'), low: 1, high: 5, negated: false },
    ],
    [
      "WorkflowId STARTS_WITH 'order-'",
      { type: 'startsWith', attribute: sys('WorkflowId'), prefix: 'order-', negated: false },
    ],
    [
      "ExecutionStatus STARTS_WITH 'running'",
      { type: 'startsWith', attribute: sys('ExecutionStatus'), prefix: 'Running', negated: false },
    ],
    [
      "Code NOT STARTS_WITH '50%_'",
      { type: 'startsWith', attribute: custom('Code'), prefix: '50%_', negated: true },
    ],
    ['Customer IS NULL', { type: 'isNull', attribute: custom('Customer'), negated: false }],
    ['Customer is not null', { type: 'isNull', attribute: custom('Customer'), negated: true }],
  ];
  for (const [query, where] of cases) {
    test(`parses ${JSON.stringify(query)}`, () => {
      assert.deepEqual(parseListFilter(query), { where, orderBy: [] });
    });
  }

  // Temporal's (MySQL's) string escapes, the same in '…' and "…".
  const strings: [string, string][] = [
    ["'it''s'", "it's"],
    ['"say ""hi"""', 'say "hi"'],
    ["''''", "'"],
    ["''", ''],
    ['""', ''],
    [`'say "hi"'`, 'say "hi"'],
    [`"it's"`, "it's"],
    ["'it\\'s'", "it's"],
    ['"say \\"hi\\""', 'say "hi"'],
    ["'a\\\\b'", 'a\\b'],
    ["'\\0\\b\\n\\r\\t\\Z'", '\0\b\n\r\t\x1a'],
    ["'100\\%\\_'", '100%_'],
    ["'\\q'", 'q'],
  ];
  for (const [literal, value] of strings) {
    test(`reads the string ${literal} as ${JSON.stringify(value)}`, () => {
      assert.deepEqual(parseListFilter(`Note = ${literal}`).where, {
        type: 'compare',
        attribute: custom('Note'),
        op: '=',
        value,
      });
    });
  }

  test('two quoted strings apart are two strings, not one with a quote in it', () => {
    assert.throws(
      () => parseListFilter("Note = 'a' 'b'"),
      /position 12: expected AND, OR, ORDER BY or the end of the query, found the string 'b'/,
    );
  });

  test('AND binds tighter than OR, and parentheses override it', () => {
    const a = { type: 'compare', attribute: custom('A'), op: '=', value: 1 } as const;
    const b = { type: 'compare', attribute: custom('B'), op: '=', value: 2 } as const;
    const c = { type: 'compare', attribute: custom('C'), op: '=', value: 3 } as const;
    assert.deepEqual(parseListFilter('A = 1 OR B = 2 AND C = 3').where, {
      type: 'or',
      left: a,
      right: { type: 'and', left: b, right: c },
    });
    assert.deepEqual(parseListFilter('(A = 1 OR B = 2) AND C = 3').where, {
      type: 'and',
      left: { type: 'or', left: a, right: b },
      right: c,
    });
  });

  test('ORDER BY takes several attributes, ascending by default', () => {
    assert.deepEqual(parseListFilter("WorkflowType = 'x' ORDER BY StartTime DESC, Score").orderBy, [
      { attribute: sys('StartTime'), direction: 'DESC' },
      { attribute: custom('Score'), direction: 'ASC' },
    ]);
    assert.deepEqual(parseListFilter('order by HistoryLength asc'), {
      where: undefined,
      orderBy: [{ attribute: sys('HistoryLength'), direction: 'ASC' }],
    });
  });

  test("a count's filter may end with GROUP BY ExecutionStatus; Group stays an attribute name", () => {
    assert.deepEqual(parseListFilter('GROUP BY ExecutionStatus', 'count'), {
      where: undefined,
      orderBy: [],
      groupBy: 'ExecutionStatus',
    });
    assert.deepEqual(parseListFilter("Group = 'a' group by `ExecutionStatus`", 'count'), {
      where: { type: 'compare', attribute: custom('Group'), op: '=', value: 'a' },
      orderBy: [],
      groupBy: 'ExecutionStatus',
    });
    assert.deepEqual(parseListFilter("Group = 'a' ORDER BY Group", 'count'), {
      where: { type: 'compare', attribute: custom('Group'), op: '=', value: 'a' },
      orderBy: [{ attribute: custom('Group'), direction: 'ASC' }],
    });
  });

  const groupByErrors: [string, 'list' | 'count', RegExp][] = [
    [
      'GROUP BY ExecutionStatus',
      'list',
      /position 1: GROUP BY applies to a count, not to a list: drop it here, or pass the query to client.workflow.count/,
    ],
    [
      'ORDER BY StartTime GROUP BY ExecutionStatus',
      'list',
      /position 20: GROUP BY applies to a count, not to a list/,
    ],
    [
      'Tier = 1 GROUP BY WorkflowType',
      'count',
      /position 19: GROUP BY applies to ExecutionStatus only, as in Temporal, not to WorkflowType: write GROUP BY ExecutionStatus, or count each WorkflowType with its own filter/,
    ],
    [
      'GROUP BY Tier',
      'count',
      /GROUP BY applies to ExecutionStatus only, as in Temporal, not to Tier/,
    ],
    ['GROUP BY', 'count', /position 9: expected ExecutionStatus after GROUP BY, found the end/],
    [
      'GROUP BY ExecutionStatus, WorkflowType',
      'count',
      /position 25: GROUP BY takes one attribute, ExecutionStatus: drop the others/,
    ],
    [
      'GROUP BY ExecutionStatus ORDER BY StartTime',
      'count',
      /position 26: ORDER BY does not go with GROUP BY, as in Temporal: drop the ORDER BY/,
    ],
    [
      'ORDER BY StartTime GROUP BY ExecutionStatus',
      'count',
      /position 20: ORDER BY does not go with GROUP BY/,
    ],
    ['GROUP BY ExecutionStatus Tier', 'count', /position 26: expected the end of the query/],
    [
      'Tier = 1 Tier = 2',
      'count',
      /position 10: expected AND, OR, GROUP BY, ORDER BY or the end of the query/,
    ],
  ];
  for (const [query, use, message] of groupByErrors) {
    test(`refuses ${JSON.stringify(query)} in a ${use} query, saying what to do`, () => {
      assert.throws(
        () => parseListFilter(query, use),
        (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message),
      );
    });
  }

  const errors: [string, RegExp][] = [
    ['WorkflowId =', /position 13: expected a value after '=', found the end of the query/],
    [
      "WorkflowId 'a'",
      /position 12: expected an operator .* after WorkflowId, found the string 'a'/,
    ],
    ["WorkflowId = 'a' AND", /position 21: expected an attribute name or '\(', found the end/],
    ["(WorkflowId = 'a'", /position 18: expected '\)' to close the '\('/],
    ["WorkflowId = 'a' WorkflowType = 'b'", /position 18: expected AND, OR, ORDER BY or the end/],
    ["WorkflowId = 'a", /position 14: unterminated string: add the closing '\./],
    ["WorkflowId = 'it''s", /position 14: unterminated string: add the closing '/],
    ["WorkflowId = 'a\\'", /unterminated string: .*write \\\\ for a backslash/],
    ["WorkflowId 'it''s'", /expected an operator .*, found the string 'it''s'/],
    ['WorkflowId = 1', /WorkflowId is of type Keyword: compare it with a quoted string/],
    ["ExecutionStatus = 'Done'", /ExecutionStatus is of type Keyword: use one of 'Running'/],
    ["StartTime > 'yesterday'", /StartTime is of type Datetime: compare it with an ISO 8601/],
    ["StartTime > '2024-02-30'", /StartTime is of type Datetime: compare it with an ISO 8601/],
    ["StartTime > '2024-05-01T24:00:00Z'", /StartTime is of type Datetime/],
    ["HistoryLength > '5'", /HistoryLength is of type Int: compare it with an integer/],
    [
      "StartTime STARTS_WITH '2024'",
      /STARTS_WITH applies to Keyword attributes, and StartTime is of type Datetime: compare it with =/,
    ],
    ["HistoryLength NOT STARTS_WITH '1'", /STARTS_WITH applies to Keyword attributes/],
    ["ExecutionStatus STARTS_WITH 'Run'", /ExecutionStatus is of type Keyword: use one of/],
    ['WorkflowId STARTS_WITH 12', /position 24: STARTS_WITH takes a quoted string/],
    ['Code STARTS_WITH true', /STARTS_WITH takes a quoted string/],
    ['Tier IN (1, 2', /expected ',' or '\)' to close the IN list/],
    ['Tier BETWEEN 1 OR 2', /expected 'AND' between the two BETWEEN values, found 'OR'/],
    ['Tier IS 3', /expected 'NULL' or 'NOT NULL' after 'IS', found the number 3/],
    ['Tier NOT = 3', /expected IN, BETWEEN or STARTS_WITH after NOT/],
    [
      'AND = 3',
      /expected an attribute name or ORDER BY, found 'AND'|expected an attribute name or '\('/,
    ],
    ['`my-attr` = 3', /'my-attr' is not a search attribute name/],
    ['`a``b` = 3', /position 1: 'a`b' is not a search attribute name/],
    ['```Tier` = 3', /position 1: '`Tier' is not a search attribute name/],
    ['Tier = 3 ORDER BY `Start``Time`', /'Start`Time' is not a search attribute name/],
    ['`Tier`` = 3', /position 1: unterminated `quoted name`: add the closing `/],
    ['`` = 3', /position 1: empty `quoted name`/],
    ['Tier = 3 ORDER StartTime', /expected 'BY' after 'ORDER'/],
    ['ORDER BY StartTime DESC StartTime', /expected ',' or the end of the query/],
    ['Tier = 3 ;', /position 10: unexpected character ';'/],
  ];
  for (const [query, message] of errors) {
    test(`refuses ${JSON.stringify(query)} with a message naming the position and what was expected`, () => {
      assert.throws(
        () => parseListFilter(query),
        (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message),
      );
    });
  }
});
