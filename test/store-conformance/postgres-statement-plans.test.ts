// The plans of the PostgreSQL store's named statements: prepared once per connection, they run on
// a generic plan after five executions, and their rows come as one JSON text whose row count the
// planner cannot see (json_to_recordset counts as 100 rows). On a table of 10,000 runs and timers,
// a group commit's compare-and-set and its timer deletes must find their rows by index, for one
// run as for 1,000.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { COMPARE_AND_SET_RUNS } from '../../src/store/postgres/queries/runs.ts';
import { DELETE_TIMERS } from '../../src/store/postgres/timer-writes.ts';
import { freshSchema, openTestPostgresStore, testPostgresUrl } from '../helpers/postgres.ts';

const ROWS = 10_000;

describe('PostgreSQL store: plans of the named statements', () => {
  let client: pg.Client;
  let runIds: string[];

  before(async () => {
    const schema = freshSchema();
    // The store creates the schema's tables; the rows are written here, in two statements.
    await (await openTestPostgresStore({ schema })).close();
    client = new pg.Client({
      connectionString: await testPostgresUrl(),
      options: `-c search_path=${schema}`,
    });
    await client.connect();
    await client.query(
      'INSERT INTO runs (run_id, namespace, workflow_id, workflow_type, task_queue, status, ' +
        "start_time_ms, next_event_id, state) SELECT 'run-' || i, 'default', 'wf-' || i, 't', " +
        "'q', 'Running', i, 3, '{}' FROM generate_series(1, $1::int) AS i",
      [ROWS],
    );
    await client.query(
      'INSERT INTO timers (run_id, key, due_at_ms, payload) ' +
        "SELECT 'run-' || i, 'k', i, '{}' FROM generate_series(1, $1::int) AS i",
      [ROWS],
    );
    await client.query('ANALYZE runs, timers');
    runIds = Array.from({ length: 1_000 }, (_, i) => `run-${String(i * 7 + 1)}`);
  });
  after(async () => {
    await client.end();
  });

  /** The plan of `text` prepared with `types`, run with `args` under `mode`, as text. */
  async function plan(
    mode: 'force_generic_plan' | 'force_custom_plan',
    text: string,
    types: string,
    args: string[],
  ): Promise<string> {
    await client.query(`SET plan_cache_mode = ${mode}`);
    await client.query(`PREPARE planned ${types} AS ${text}`);
    try {
      const literals = args.map((a) => `'${a.replaceAll("'", "''")}'`).join(', ');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN EXECUTE planned (${literals})`,
      );
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    } finally {
      await client.query('DEALLOCATE planned');
    }
  }

  const cases = [
    ['force_custom_plan', 1],
    ['force_generic_plan', 1],
    ['force_generic_plan', 1_000],
  ] as const;

  for (const [mode, n] of cases) {
    test(`compare-and-set of ${String(n)} run(s), ${mode}: runs found by index`, async () => {
      const rows = runIds.slice(0, n).map((runId) => ({
        run_id: runId,
        expected_version: 0,
        expected_next_event_id: 3,
        status: 'Running',
        next_event_id: 4,
        state: '{}',
        first_event_id: 3,
        last_event_id: 3,
        events: '[]',
      }));
      const text = await plan(mode, COMPARE_AND_SET_RUNS, '(json)', [JSON.stringify(rows)]);
      assert.doesNotMatch(text, /Seq Scan on runs/, text);
    });

    test(`delete of ${String(n)} timer(s), ${mode}: timers found by index`, async () => {
      const ids = runIds.slice(0, n);
      const array = (values: string[]) => `{${values.join(',')}}`;
      const text = await plan(mode, DELETE_TIMERS, '(text[], text[], bigint[])', [
        array(ids),
        array(ids.map(() => 'k')),
        array(ids.map(() => 'NULL')),
      ]);
      assert.doesNotMatch(text, /Seq Scan on timers/, text);
    });
  }
});
