import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { InvalidArgumentError } from '../../errors.ts';
import { parseListFilter } from '../../protocol/list-filter.ts';
import { RunStatus } from '../../protocol/run-status.ts';
import type { SearchAttributeTypes } from '../../protocol/search-attribute-types.ts';
import { freshSchema, testPostgresUrl } from '../../../test/helpers/postgres.ts';
import { runToRow } from '../rows.ts';
import { listFilterToSql as sqliteListFilterToSql } from '../sqlite/list-filter-sql.ts';
import { migrate as migrateSqlite } from '../sqlite/migrate.ts';
import type { RunRecord } from '../store.ts';
import { likePrefix, listFilterToSql } from './list-filter-sql.ts';
import { PostgresDb } from './postgres-db.ts';
import { PostgresStore } from './postgres-store.ts';
import { addSearchAttributes, countRuns, listRunsByQuery } from './visibility.ts';

const TYPES: SearchAttributeTypes = {
  Customer: 'Keyword',
  Amount: 'Double',
  Vip: 'Bool',
  Tags: 'KeywordList',
  Code: 'Keyword',
  When: 'Datetime',
};

let runSeq = 0;
function run(
  workflowId: string,
  overrides: Partial<RunRecord> & { searchAttributes?: Record<string, unknown> } = {},
): RunRecord {
  runSeq++;
  return {
    namespace: 'default',
    workflowId,
    runId: `00000000-0000-4000-8000-${String(runSeq).padStart(12, '0')}`,
    workflowType: 'order',
    taskQueue: 'q1',
    status: RunStatus.Running,
    startTimeMs: 1_000 * runSeq,
    closeTimeMs: undefined,
    nextEventId: 3,
    version: 0,
    state: undefined,
    ...overrides,
  };
}

const closed = (closeTimeMs: number, status: RunStatus = RunStatus.Completed) => ({
  status,
  closeTimeMs,
});

/** Runs with every kind of value the filters meet: other types than registered, arrays, nulls. */
const RUNS: RunRecord[] = [
  run('a1', {
    searchAttributes: {
      Customer: 'acme',
      Amount: 120,
      Vip: true,
      Tags: ['red', 'blue'],
      Code: 'a_1',
      When: '2024-05-01T00:00:00.000Z',
    },
  }),
  run('a2', {
    ...closed(50_000, RunStatus.Failed),
    nextEventId: 10,
    executionTimeMs: 2_500,
    searchAttributes: { Customer: 'globex', Amount: 80.5, Vip: false, Tags: ['green'] },
  }),
  run('b1', {
    ...closed(40_000),
    workflowType: 'billing',
    taskQueue: 'q2',
    searchAttributes: { Code: '50%-off' },
  }),
  run('Order_1'),
  run('OrderX2', {
    searchAttributes: { Customer: 'Acme', Amount: '1', Vip: 'true', Tags: 'red', Code: 'ab\\x' },
  }),
  run('100%', { ...closed(40_000), searchAttributes: { Amount: 0, Customer: null, Tags: [] } }),
  run('é-1', { searchAttributes: { Customer: 'é', Amount: -3, Code: '\\%' } }),
  run('zz', {
    ...closed(60_000, RunStatus.Terminated),
    searchAttributes: { Customer: 'b', Amount: 1e20, When: '2023-01-01T00:00:00.000Z' },
  }),
  run('a1', { namespace: 'other', searchAttributes: { Customer: 'acme' } }),
];

describe('PostgreSQL listFilterToSql', () => {
  let store: PostgresStore;
  let db: PostgresDb;
  let sqlite: Database.Database;

  before(async () => {
    const url = await testPostgresUrl();
    const schema = freshSchema();
    store = await PostgresStore.open({ url, schema });
    db = await PostgresDb.open({ url, schema });
    sqlite = new Database(':memory:');
    migrateSqlite(sqlite, { nowMs: 0 });
    await db.write('fixture', async (tx) => {
      await tx.query("INSERT INTO namespaces (name) VALUES ('other')");
      for (const r of RUNS) {
        const row = runToRow(r);
        await tx.query(
          'INSERT INTO runs (run_id, namespace, workflow_id, workflow_type, task_queue, status, ' +
            'start_time_ms, close_time_ms, next_event_id, version, state, search_attributes, ' +
            'memo, execution_time_ms) ' +
            'VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14)',
          Object.values(row),
        );
      }
    });
    await addSearchAttributes(db, { namespace: 'default', types: TYPES });
    sqlite.prepare("INSERT INTO namespaces (name) VALUES ('other')").run();
    const columns = Object.keys(runToRow(RUNS[0] as RunRecord));
    const insert = sqlite.prepare(
      `INSERT INTO runs (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
    );
    for (const r of RUNS) insert.run(runToRow(r));
  });

  after(async () => {
    sqlite.close();
    await db.close();
    await store.close();
  });

  /** The workflow ids the PostgreSQL store lists for `query`, in order. */
  async function ids(query: string): Promise<string[]> {
    const runs = await listRunsByQuery(db, {
      namespace: 'default',
      filter: parseListFilter(query),
      limit: 100,
      offset: 0,
    });
    return runs.map((r) => r.workflowId);
  }

  /** What the SQLite store's compiler lists for `query` over the same rows. */
  function sqliteIds(query: string): string[] {
    const sql = sqliteListFilterToSql(parseListFilter(query));
    return sqlite
      .prepare<unknown[], { workflow_id: string }>(
        `SELECT workflow_id FROM runs WHERE namespace = ? AND ${sql.where} ORDER BY ${sql.orderBy}`,
      )
      .all('default', ...sql.whereParams, ...sql.orderByParams)
      .map((r) => r.workflow_id);
  }

  test('placeholders are numbered from the given start, their values in order', () => {
    const sql = listFilterToSql(
      parseListFilter("WorkflowId IN ('a', 'b') AND Amount > 3 ORDER BY Customer"),
      { firstParam: 4 },
    );
    assert.deepEqual(sql.params, [['a', 'b'], 'Amount', 3, 'Customer']);
    assert.match(
      sql.where,
      /^\(workflow_id = ANY\(\$4::text\[\]\) AND .*-> \$5::text.*\$6::numeric/,
    );
    assert.match(sql.orderBy, /-> \$7::text/);
    assert.doesNotMatch(`${sql.where} ${sql.orderBy}`, /\$[1-38-9]\b/);
    assert.equal(listFilterToSql(parseListFilter(''), { firstParam: 1 }).where, 'TRUE');
  });

  test('a LIKE prefix escapes the backslash, % and _, which STARTS_WITH takes literally', () => {
    assert.equal(likePrefix('a_b%c\\d'), 'a\\_b\\%c\\\\d%');
    assert.equal(likePrefix(''), '%');
  });

  test('each operator on a system attribute matches what it says', async () => {
    const cases: [string, string[]][] = [
      ["WorkflowType = 'billing'", ['b1']],
      ["WorkflowType != 'order' ORDER BY WorkflowId", ['b1']],
      ["WorkflowId < 'a2' ORDER BY WorkflowId", ['100%', 'OrderX2', 'Order_1', 'a1']],
      ["WorkflowId >= 'b1' ORDER BY WorkflowId", ['b1', 'zz', 'é-1']],
      ["WorkflowId BETWEEN 'a' AND 'b' ORDER BY WorkflowId", ['a1', 'a2']],
      ["WorkflowId NOT BETWEEN 'O' AND 'z' ORDER BY WorkflowId", ['100%', 'zz', 'é-1']],
      ["WorkflowId IN ('a1', 'b1', 'none') ORDER BY WorkflowId DESC", ['b1', 'a1']],
      [
        "WorkflowId NOT IN ('a1', 'a2', 'b1') ORDER BY WorkflowId",
        ['100%', 'OrderX2', 'Order_1', 'zz', 'é-1'],
      ],
      ["WorkflowId STARTS_WITH 'Order_'", ['Order_1']],
      ["WorkflowId STARTS_WITH 'order'", []],
      ["WorkflowId STARTS_WITH '%'", []],
      ["WorkflowId STARTS_WITH '100%'", ['100%']],
      ["WorkflowId STARTS_WITH 'é'", ['é-1']],
      [
        "WorkflowId NOT STARTS_WITH 'a' AND WorkflowId NOT STARTS_WITH 'O' ORDER BY WorkflowId",
        ['100%', 'b1', 'zz', 'é-1'],
      ],
      ["ExecutionStatus IN ('Failed', 'Terminated') ORDER BY WorkflowId", ['a2', 'zz']],
      ["TaskQueue = 'q2'", ['b1']],
      ["StartTime > '1970-01-01T00:00:06Z' ORDER BY StartTime", ['é-1', 'zz']],
      [
        "StartTime BETWEEN '1970-01-01T00:00:02Z' AND '1970-01-01T00:00:03Z' ORDER BY StartTime",
        ['a2', 'b1'],
      ],
      ['CloseTime IS NOT NULL ORDER BY WorkflowId', ['100%', 'a2', 'b1', 'zz']],
      ["CloseTime IS NULL AND WorkflowId STARTS_WITH 'a'", ['a1']],
      // A NULL column (an open run's CloseTime) matches neither = nor != nor NOT IN.
      ["CloseTime != '1970-01-01T00:00:40Z' ORDER BY WorkflowId", ['a2', 'zz']],
      ["CloseTime NOT IN ('1970-01-01T00:00:40Z') ORDER BY WorkflowId", ['a2', 'zz']],
      // ExecutionTime is the start time unless a start delay set it.
      ["ExecutionTime = '1970-01-01T00:00:02.500Z'", ['a2']],
      ["ExecutionTime < '1970-01-01T00:00:02.600Z' ORDER BY WorkflowId", ['a1', 'a2']],
      ['HistoryLength > 5', ['a2']],
      ['HistoryLength IN (9, 7) ORDER BY WorkflowId', ['a2']],
      [
        "(WorkflowType = 'billing' OR ExecutionStatus = 'Failed') ORDER BY WorkflowId",
        ['a2', 'b1'],
      ],
    ];
    for (const [query, expected] of cases) assert.deepEqual(await ids(query), expected, query);
  });

  test('each operator on a custom attribute compares by stored type and matches array elements', async () => {
    const cases: [string, string[]][] = [
      ["Customer = 'acme'", ['a1']],
      // Code point order: 'Acme' < 'a…' < 'b' < 'é'.
      ["Customer < 'acme' ORDER BY WorkflowId", ['OrderX2']],
      ["Customer > 'acme' ORDER BY WorkflowId", ['a2', 'zz', 'é-1']],
      ["Customer BETWEEN 'a' AND 'c' ORDER BY WorkflowId", ['a1', 'zz']],
      ["Customer NOT BETWEEN 'a' AND 'c' ORDER BY WorkflowId", ['100%', 'OrderX2', 'a2', 'é-1']],
      // A missing attribute matches no comparison; a JSON null is present, and no string.
      ["Customer != 'acme' ORDER BY WorkflowId", ['100%', 'OrderX2', 'a2', 'zz', 'é-1']],
      ["Customer NOT IN ('acme', 'b') ORDER BY WorkflowId", ['100%', 'OrderX2', 'a2', 'é-1']],
      ["Customer STARTS_WITH 'ac'", ['a1']],
      ["Customer NOT STARTS_WITH 'ac' ORDER BY WorkflowId", ['100%', 'OrderX2', 'a2', 'zz', 'é-1']],
      ['Customer IS NULL ORDER BY WorkflowId', ['Order_1', 'b1']],
      ['Customer IS NOT NULL ORDER BY WorkflowId', ['100%', 'OrderX2', 'a1', 'a2', 'zz', 'é-1']],
      ['Amount > 100 ORDER BY WorkflowId', ['a1', 'zz']],
      ['Amount <= 0 ORDER BY WorkflowId', ['100%', 'é-1']],
      ['Amount BETWEEN 80 AND 90', ['a2']],
      ['Amount NOT BETWEEN 80 AND 90 ORDER BY WorkflowId', ['100%', 'OrderX2', 'a1', 'zz', 'é-1']],
      // A number is not a string, nor a string a number.
      ['Amount = 1', []],
      ["Amount = '1'", ['OrderX2']],
      ["Amount < '5'", ['OrderX2']],
      ["Amount IN (0, 120, '1') ORDER BY WorkflowId", ['100%', 'OrderX2', 'a1']],
      ['Amount > 1e19', ['zz']],
      ['Vip = true', ['a1']],
      ['Vip = 1', []],
      ["Vip = 'true'", ['OrderX2']],
      ['Vip != true ORDER BY WorkflowId', ['OrderX2', 'a2']],
      ['Vip > false', ['a1']],
      ['Vip IN (false, 7)', ['a2']],
      // KeywordList: = and IN when any element matches, != and NOT IN when none does.
      ["Tags = 'red' ORDER BY WorkflowId", ['OrderX2', 'a1']],
      ["Tags != 'red' ORDER BY WorkflowId", ['100%', 'a2']],
      ["Tags IN ('green', 'pink')", ['a2']],
      ["Tags NOT IN ('blue', 'green') ORDER BY WorkflowId", ['100%', 'OrderX2']],
      ['Tags IS NOT NULL ORDER BY WorkflowId', ['100%', 'OrderX2', 'a1', 'a2']],
      // STARTS_WITH takes %, _ and \ literally.
      ["Code STARTS_WITH 'a_'", ['a1']],
      ["Code STARTS_WITH 'a%'", []],
      ["Code STARTS_WITH '50%'", ['b1']],
      ["Code STARTS_WITH '\\\\'", ['é-1']],
      ["Code STARTS_WITH 'ab\\\\'", ['OrderX2']],
      // A Datetime is its ISO string.
      ["When > '2024-01-01T00:00:00.000Z'", ['a1']],
      ["When BETWEEN '2022-01-01T00:00:00.000Z' AND '2023-06-01T00:00:00.000Z'", ['zz']],
      ["Customer = 'acme' AND (Amount > 100 OR Tags = 'green')", ['a1']],
    ];
    for (const [query, expected] of cases) assert.deepEqual(await ids(query), expected, query);
  });

  test('ORDER BY puts missing values first ascending and last descending, numbers before strings', async () => {
    // Ties (the missing ones) in the tie-break order: newest start first.
    assert.deepEqual(await ids('ORDER BY Amount'), [
      ...['Order_1', 'b1'],
      ...['é-1', '100%', 'a2', 'a1', 'zz'],
      'OrderX2',
    ]);
    assert.deepEqual(await ids('ORDER BY Amount DESC'), [
      'OrderX2',
      ...['zz', 'a1', 'a2', '100%', 'é-1'],
      ...['Order_1', 'b1'],
    ]);
    // Strings in code point order: digits, upper case, '_', lower case, then 'é'.
    assert.deepEqual(await ids('ORDER BY CloseTime DESC, WorkflowId'), [
      ...['zz', 'a2', '100%', 'b1'],
      ...['OrderX2', 'Order_1', 'a1', 'é-1'],
    ]);
  });

  test('every filter lists the same runs in the same order as the SQLite store', async () => {
    const queries = [
      '',
      'ORDER BY WorkflowId',
      'ORDER BY WorkflowId DESC',
      'ORDER BY Customer',
      'ORDER BY Customer DESC',
      'ORDER BY Amount, WorkflowId',
      'ORDER BY Vip DESC',
      'ORDER BY Tags',
      'ORDER BY Code DESC',
      'ORDER BY When',
      'ORDER BY CloseTime',
      'ORDER BY ExecutionTime DESC',
      'ORDER BY HistoryLength, ExecutionStatus',
      "WorkflowId > 'O' ORDER BY StartTime DESC",
      "Customer >= 'a' ORDER BY Customer",
      "Customer IN ('acme', 'Acme', 'é')",
      "Customer NOT STARTS_WITH 'a'",
      'Amount >= 0',
      'Amount != 0',
      "Amount BETWEEN 0 AND 'z'",
      "Customer BETWEEN 'a' AND 5",
      'Amount BETWEEN -5 AND true',
      'Amount BETWEEN false AND 0.5',
      "Code BETWEEN 1 AND 'a'",
      "Amount NOT IN (0, '1')",
      'Vip != false',
      'Vip < true',
      "Tags = 'blue' OR Tags = 'green'",
      "Tags NOT IN ('red')",
      'Tags IS NULL',
      "Code STARTS_WITH ''",
      "Code NOT STARTS_WITH '5'",
      "When < '2024-05-01T00:00:00.001Z'",
      "CloseTime BETWEEN '1970-01-01T00:00:40Z' AND '1970-01-01T00:00:55Z'",
      "CloseTime NOT BETWEEN '1970-01-01T00:00:40Z' AND '1970-01-01T00:00:55Z'",
      "ExecutionStatus != 'Running' AND (Customer IS NULL OR Amount < 100)",
    ];
    for (const query of queries) assert.deepEqual(await ids(query), sqliteIds(query), query);
  });

  test('countRuns counts the namespace matches, by status with GROUP BY ExecutionStatus', async () => {
    const count = (query: string, namespace = 'default') =>
      countRuns(db, { namespace, filter: parseListFilter(query, 'count') });
    assert.deepEqual(await count("Customer = 'acme'"), { count: 1, groups: [] });
    assert.deepEqual(await count('CloseTime IS NOT NULL GROUP BY ExecutionStatus'), {
      count: 4,
      groups: [
        { status: RunStatus.Completed, count: 2 },
        { status: RunStatus.Failed, count: 1 },
        { status: RunStatus.Terminated, count: 1 },
      ],
    });
  });

  test('a filter on a custom attribute the namespace does not register is refused', async () => {
    await assert.rejects(ids("Never = 'x'"), InvalidArgumentError);
    await assert.rejects(
      countRuns(db, { namespace: 'other', filter: parseListFilter("Customer = 'acme'") }),
      /Customer is not a valid search attribute: namespace 'other' does not register it/,
    );
    await assert.rejects(ids("Tags > 'a'"), /> applies to Keyword, Int, Double, Datetime and Bool/);
  });

  test('pages of limit and offset do not overlap', async () => {
    const page = async (offset: number) =>
      (
        await listRunsByQuery(db, {
          namespace: 'default',
          filter: parseListFilter('ORDER BY WorkflowType'),
          limit: 3,
          offset,
        })
      ).map((r) => r.workflowId);
    const pages = [await page(0), await page(3), await page(6)];
    assert.deepEqual(pages.flat(), await ids('ORDER BY WorkflowType'));
    assert.deepEqual(
      pages.map((p) => p.length),
      [3, 3, 2],
    );
  });
});
