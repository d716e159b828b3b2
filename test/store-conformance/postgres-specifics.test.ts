// What only the PostgreSQL store has to show: several store objects (pools, as several engine
// processes would have) on one schema, connection errors, closing, and migrations.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { inspect } from 'node:util';
import pg from 'pg';
import {
  ErrorCode,
  IllegalStateError,
  InvalidArgumentError,
  RepriseError,
  RunConflictError,
  UnavailableError,
  WorkflowExecutionAlreadyStartedError,
} from '../../src/errors.ts';
import { loadMigrations } from '../../src/store/postgres/migrate.ts';
import { postgresErrorKind } from '../../src/store/postgres/postgres-errors.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { redactUrl } from '../../src/store/redact-url.ts';
import type { AppendToRunRequest, RunRecord } from '../../src/store/store.ts';
import { freePort } from '../helpers/postgres-cluster.ts';
import { freshSchema, openTestPostgresStore, testPostgresUrl } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/test-env.ts';
import { appendRequest, createRequest, makeRun, makeTimer, signaledEvent } from './builders.ts';

const opened: PostgresStore[] = [];

after(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

/** Two stores, each with its own pool, on one fresh schema: two engine processes' view. */
async function twoStores(): Promise<[PostgresStore, PostgresStore]> {
  const schema = freshSchema();
  const a = await openTestPostgresStore({ schema });
  const b = await openTestPostgresStore({ schema });
  opened.push(a, b);
  return [a, b];
}

/** Runs `sql` on the schema through a client of the test's own. */
async function query<R extends pg.QueryResultRow>(
  schema: string,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({
    connectionString: await testPostgresUrl(),
    options: `-c search_path=${schema}`,
  });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

function rejectedWith(results: PromiseSettledResult<unknown>[]): unknown[] {
  return results.flatMap((r): unknown[] => (r.status === 'rejected' ? [r.reason] : []));
}

describe('PostgreSQL store: two engine processes on one schema', () => {
  test('appends racing from two pools on one run: each round one wins, the other gets RunConflictError, and the history has no gap', async () => {
    const [a, b] = await twoStores();
    let run: RunRecord = makeRun();
    await a.createRun(createRequest(run));
    for (let round = 0; round < 10; round++) {
      const id = run.nextEventId;
      const reqA = appendRequest(run, { events: [signaledEvent(id, `a${round}`)], state: 'a' });
      const reqB = appendRequest(run, { events: [signaledEvent(id, `b${round}`)], state: 'b' });
      const results = await Promise.allSettled([a.appendToRun(reqA), b.appendToRun(reqB)]);
      const won = results.findIndex((r) => r.status === 'fulfilled');
      assert.notEqual(won, -1, `round ${round}: one append wins`);
      const [reason, ...more] = rejectedWith(results);
      assert.equal(more.length, 0, `round ${round}: only one append fails`);
      assert.ok(reason instanceof RunConflictError, `round ${round}: ${String(reason)}`);
      const winner = won === 0 ? `a${round}` : `b${round}`;
      assert.deepEqual(await b.readHistory({ runId: run.runId, fromEventId: id }), [
        signaledEvent(id, winner),
      ]);
      const stored = await a.getRun({ runId: run.runId });
      assert.ok(stored);
      assert.equal(stored.version, run.version + 1);
      run = stored;
    }
    const ids = (await a.readHistory({ runId: run.runId })).map((e) => e.eventId);
    assert.deepEqual(
      ids,
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
  });

  test('createRun racing from two pools with one workflow id: one run, the other WorkflowExecutionAlreadyStartedError naming it', async () => {
    const [a, b] = await twoStores();
    for (let round = 0; round < 10; round++) {
      const first = makeRun();
      const second = makeRun({ workflowId: first.workflowId });
      const results = await Promise.allSettled([
        a.createRun(createRequest(first)),
        b.createRun(createRequest(second)),
      ]);
      const won = results.findIndex((r) => r.status === 'fulfilled');
      assert.notEqual(won, -1, `round ${round}: one start wins`);
      const winner = won === 0 ? first : second;
      const loser = won === 0 ? second : first;
      const [reason, ...more] = rejectedWith(results);
      assert.equal(more.length, 0);
      assert.ok(reason instanceof WorkflowExecutionAlreadyStartedError, String(reason));
      assert.equal(reason.runId, winner.runId);
      assert.equal(await a.getRun({ runId: loser.runId }), undefined);
      assert.deepEqual(await b.readHistory({ runId: loser.runId }), []);
    }
  });

  test('two takeDueTimers at once never return the same timer, and together take each once', async () => {
    const [a, b] = await twoStores();
    const run = makeRun();
    const timers = Array.from({ length: 60 }, (_, i) =>
      makeTimer(run, { key: `t${i}`, dueAtMs: 100 + (i % 7) }),
    );
    await a.createRun({ ...createRequest(run), timers });
    const now = { nowMs: 1_000, leaseMs: 60_000 };
    const [takenA, takenB] = await Promise.all([
      a.takeDueTimers({ ...now, limit: 40, owner: 'a' }),
      b.takeDueTimers({ ...now, limit: 40, owner: 'b' }),
    ]);
    const rest = await a.takeDueTimers({ ...now, limit: 100 });
    const keys = [...takenA, ...takenB, ...rest].map((t) => t.key);
    assert.equal(new Set(keys).size, keys.length, 'no timer was taken twice');
    assert.deepEqual(new Set(keys), new Set(timers.map((t) => t.key)));
    for (const taken of [takenA, takenB, rest]) {
      const due = taken.map((t) => t.dueAtMs);
      assert.deepEqual(
        due,
        [...due].sort((x, y) => x - y),
        'each take returns its timers in due order',
      );
    }
  });

  test('removeEngineProcess called by two engines at once is true for exactly one', async () => {
    const [a, b] = await twoStores();
    await a.registerEngineProcess({
      processId: 'p1',
      hostKey: undefined,
      pid: 1,
      pidStart: undefined,
      startedAtMs: 1,
      seenAtMs: 1,
    });
    const results = await Promise.all([
      a.removeEngineProcess({ processId: 'p1' }),
      b.removeEngineProcess({ processId: 'p1' }),
    ]);
    assert.deepEqual(
      results.filter((r) => r),
      [true],
    );
    assert.deepEqual(await b.listEngineProcesses(), []);
  });
});

describe('PostgreSQL store: row locks', () => {
  /** A database of the test's own: its deadlock count (pg_stat_database) is the test's alone. */
  async function ownDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
    const serverUrl = await testPostgresUrl();
    const name = freshSchema();
    await queryAt(serverUrl, `CREATE DATABASE ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      drop: async () => {
        await queryAt(serverUrl, `DROP DATABASE ${name} WITH (FORCE)`);
      },
    };
  }

  async function queryAt<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<R>(sql)).rows;
    } finally {
      await client.end();
    }
  }

  /**
   * The deadlocks PostgreSQL found in the database at `url`, once every other session on it has
   * ended: a session's counts reach pg_stat_database by the time it is gone.
   */
  async function deadlocksOnceIdle(url: string): Promise<number> {
    await waitFor(async () => {
      const rows = await queryAt<{ n: number }>(
        url,
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() ' +
          "AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
      );
      return rows[0]?.n === 0;
    }, 'the stores’ sessions to end');
    const rows = await queryAt<{ deadlocks: number }>(
      url,
      'SELECT deadlocks::int AS deadlocks FROM pg_stat_database WHERE datname = current_database()',
    );
    assert.equal(rows.length, 1);
    return rows[0]?.deadlocks ?? Number.NaN;
  }

  test(
    'freeing a dead engine process’s timer leases while appends from another pool delete or replace those timers never deadlocks',
    { timeout: 120_000 },
    async () => {
      // Deadlocks are retried, so they show only as PostgreSQL's count (and 1 s of
      // deadlock_timeout each). Without one lock order, most runs of this test count several.
      const rounds = 10;
      const runsPerRound = 16;
      const keys = Array.from({ length: 50 }, (_, i) => `k${String(i).padStart(2, '0')}`);
      const db = await ownDatabase();
      try {
        const schema = freshSchema();
        const a = await PostgresStore.open({ url: db.url, schema });
        const b = await PostgresStore.open({ url: db.url, schema });
        try {
          for (let round = 0; round < rounds; round++) {
            const processId = `dead-${String(round)}`;
            await a.registerEngineProcess({
              processId,
              hostKey: undefined,
              pid: 1,
              pidStart: undefined,
              startedAtMs: 1,
              seenAtMs: 1,
            });
            const runs = Array.from({ length: runsPerRound }, () => makeRun());
            for (const run of runs) {
              await a.createRun({
                ...createRequest(run),
                // Due in an order other than the keys'.
                timers: keys.map((key, i) =>
                  makeTimer(run, { key, dueAtMs: 100 + ((i * 17) % keys.length) }),
                ),
              });
            }
            // Leased in batches, in due order: each batch's new row versions go to the table's
            // end, so a scan of the table meets a run's timers in neither key order.
            const all = runsPerRound * keys.length;
            let leased = 0;
            for (let batch = 0; batch < 5; batch++) {
              const now = { nowMs: 1_000, leaseMs: 60_000, limit: all / 5, owner: processId };
              leased += (await a.takeDueTimers(now)).length;
            }
            assert.equal(leased, all);
            // Each append names its run's timers in descending key order.
            const backwards = keys.toReversed();
            const appends = runs.map((run, i) => {
              const events = [signaledEvent(run.nextEventId, 'x')];
              return (i % 2 === 0 ? a : b).appendToRun(
                i % 4 < 2
                  ? appendRequest(run, { events, deleteTimerKeys: backwards })
                  : appendRequest(run, {
                      events,
                      timers: backwards.map((key) => makeTimer(run, { key, dueAtMs: 5_000 })),
                    }),
              );
            });
            const removed = b.removeEngineProcess({ processId });
            await Promise.all(appends);
            assert.equal(await removed, true);
            const left = await a.takeDueTimers({ nowMs: 1_000_000, leaseMs: 1, limit: all });
            assert.equal(left.length, all / 2, 'the replaced timers are left, free to take');
          }
        } finally {
          await Promise.all([a.close(), b.close()]);
        }
        assert.equal(await deadlocksOnceIdle(db.url), 0, 'deadlocks PostgreSQL found');
      } finally {
        await db.drop();
      }
    },
  );

  test(
    'two engine processes’ group commits that name the same runs in opposite orders never deadlock',
    { timeout: 60_000 },
    async () => {
      const db = await ownDatabase();
      try {
        const schema = freshSchema();
        const a = await PostgresStore.open({ url: db.url, schema });
        const b = await PostgresStore.open({ url: db.url, schema });
        const blocker = new pg.Client({
          connectionString: db.url,
          options: `-c search_path=${schema}`,
        });
        await blocker.connect();
        try {
          // Enough other runs that the compare-and-set finds each run through the primary key,
          // in the order its group commit lists them (with few, it scans the table in its order).
          await blocker.query(
            'INSERT INTO runs (run_id, namespace, workflow_id, workflow_type, task_queue, ' +
              "status, start_time_ms, next_event_id) SELECT 'other-' || i, 'default', " +
              "'other-' || i, 't', 'q', 'Completed', 1, 3 FROM generate_series(1, 5000) AS i",
          );
          await blocker.query(`ANALYZE runs`);
          const runs = Array.from({ length: 3 }, () => makeRun());
          for (const run of runs) await a.createRun(createRequest(run));
          const [, middle] = runs;
          assert.ok(middle !== undefined);
          // The middle run held: each group commit locks what it meets before it, then waits.
          await blocker.query('BEGIN');
          await blocker.query('SELECT 1 FROM runs WHERE run_id = $1 FOR UPDATE', [middle.runId]);
          const signal = (store: PostgresStore, run: RunRecord, name: string) =>
            store.appendToRun(
              appendRequest(run, { events: [signaledEvent(run.nextEventId, name)] }),
            );
          const fromA = Promise.allSettled(runs.map((run) => signal(a, run, 'a')));
          const fromB = Promise.allSettled(runs.toReversed().map((run) => signal(b, run, 'b')));
          await waitFor(async () => {
            const { rows } = await blocker.query<{ n: number }>(
              'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() ' +
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
            );
            return rows[0]?.n === 2;
          }, 'both group commits to wait for a row lock');
          await blocker.query('COMMIT');
          const results = [...(await fromA), ...(await fromB).toReversed()];
          // Each run's two appends expected one version: one of them commits.
          for (const [i, run] of runs.entries()) {
            const statuses = [results[i]?.status, results[i + runs.length]?.status].sort();
            assert.deepEqual(statuses, ['fulfilled', 'rejected'], `run ${String(i)}`);
            const history = await a.readHistory({ runId: run.runId });
            assert.equal(history.length, run.nextEventId);
          }
        } finally {
          await blocker.end();
          await Promise.all([a.close(), b.close()]);
        }
        assert.equal(await deadlocksOnceIdle(db.url), 0, 'deadlocks PostgreSQL found');
      } finally {
        await db.drop();
      }
    },
  );
});

describe('PostgreSQL store: `after`', () => {
  /** A run, an append that loses its compare-and-set, and one decided on it whose own would pass. */
  async function loserAndFollower(store: PostgresStore) {
    const run = makeRun();
    await store.createRun(createRequest(run));
    const loser = appendRequest(
      { ...run, version: run.version + 7 },
      { events: [signaledEvent(3, 'lost')] },
    );
    const follower: AppendToRunRequest = {
      ...appendRequest(run, { events: [signaledEvent(3, 'follows')] }),
      after: loser,
    };
    return { run, loser, follower };
  }

  test('a write decided on one still in flight that fails, fails with RunConflictError and writes nothing', async () => {
    const store = await openTestPostgresStore();
    opened.push(store);
    const { run, loser, follower } = await loserAndFollower(store);
    const results = await Promise.allSettled([
      store.appendToRun(loser),
      store.appendToRun(follower),
    ]);
    for (const r of results) {
      assert.ok(r.status === 'rejected' && r.reason instanceof RunConflictError);
    }
    assert.deepEqual(await store.getRun({ runId: run.runId }), run);
    assert.equal((await store.readHistory({ runId: run.runId })).length, 2);
  });

  test('a write decided on one that failed earlier fails too', async () => {
    const store = await openTestPostgresStore();
    opened.push(store);
    const { run, loser, follower } = await loserAndFollower(store);
    await assert.rejects(store.appendToRun(loser), RunConflictError);
    await assert.rejects(store.appendToRun(follower), RunConflictError);
    assert.deepEqual(await store.getRun({ runId: run.runId }), run);
  });

  test('a write decided on one still in flight waits for it, and commits after it', async () => {
    const store = await openTestPostgresStore();
    opened.push(store);
    const run = makeRun();
    await store.createRun(createRequest(run));
    for (let round = 0; round < 5; round++) {
      const current = await store.getRun({ runId: run.runId });
      assert.ok(current);
      const id = current.nextEventId;
      const first = appendRequest(current, { events: [signaledEvent(id, 'first')], linger: true });
      const next = { ...current, nextEventId: id + 1, version: current.version + 1 };
      const second: AppendToRunRequest = {
        ...appendRequest(next, { events: [signaledEvent(id + 1, 'second')] }),
        after: first,
      };
      await Promise.all([store.appendToRun(first), store.appendToRun(second)]);
    }
    const names = (await store.readHistory({ runId: run.runId, fromEventId: 3 })).map((e) =>
      e.type === 'WorkflowExecutionSignaled' ? e.signalName : e.type,
    );
    assert.deepEqual(names, Array(5).fill(['first', 'second']).flat());
  });
  test('a write decided on one in flight commits after it even when close() is called at once', async () => {
    const schema = freshSchema();
    const store = await openTestPostgresStore({ schema });
    const run = makeRun();
    await store.createRun(createRequest(run));
    const first = appendRequest(run, { events: [signaledEvent(3, 'first')], linger: true });
    const next = { ...run, nextEventId: 4, version: run.version + 1 };
    const second: AppendToRunRequest = {
      ...appendRequest(next, { events: [signaledEvent(4, 'second')] }),
      after: first,
    };
    await Promise.all([store.appendToRun(first), store.appendToRun(second), store.close()]);
    const reopened = await openTestPostgresStore({ schema });
    opened.push(reopened);
    assert.equal((await reopened.getRun({ runId: run.runId }))?.nextEventId, 5);
  });
});

describe('PostgreSQL store: connecting', () => {
  const password = 'hunter2-secret';

  test('a URL that is not PostgreSQL’s is refused with InvalidArgumentError saying what to give, without its password', async () => {
    const err = await PostgresStore.open({ url: `mysql://app:${password}@db.example/app` }).then(
      () => assert.fail('opened'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof InvalidArgumentError, String(err));
    assert.match(err.message, /postgres:\/\/user:password@host:5432\/database/);
    assert.doesNotMatch(err.message, new RegExp(password));
  });

  test(
    'a URL node-postgres cannot read is refused with InvalidArgumentError, and nothing in the error holds its password',
    { timeout: 30_000 },
    async () => {
      for (const url of [
        `postgres://app:${password}@[bad/app`, // Node's URL error holds the whole URL as `input`
        `postgres://app:${password}@db.example:99999/app`,
        `postgres://app:${password}@db.example/%E0%A4%A`,
        // Read as port NaN: the first connection fails, and the pool could not end after it.
        `postgres://app:${password}@127.0.0.1/app?port=abc`,
      ]) {
        const err = await PostgresStore.open({ url }).then(
          () => assert.fail(`opened ${url}`),
          (e: unknown) => e,
        );
        assert.ok(err instanceof InvalidArgumentError, String(err));
        assert.ok(err.message.includes(`'${redactUrl(url)}'`), err.message);
        assert.match(err.message, /give /);
        const chain: unknown[] = [];
        for (let e: unknown = err; e !== undefined; e = e instanceof Error ? e.cause : undefined) {
          chain.push(e);
        }
        for (const e of chain) {
          assert.doesNotMatch(String(e), new RegExp(password));
          assert.doesNotMatch(JSON.stringify(e), new RegExp(password));
        }
        assert.doesNotMatch(
          inspect(err, { depth: Infinity, showHidden: true }),
          new RegExp(password),
        );
        assert.doesNotMatch(err.stack ?? '', new RegExp(password));
      }
    },
  );

  test('a server that cannot be reached gives UnavailableError saying what to check, without the password', async () => {
    const port = await freePort();
    const err = await PostgresStore.open({
      url: `postgres://app:${password}@127.0.0.1:${port}/app`,
    }).then(
      () => assert.fail('opened'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof UnavailableError, String(err));
    assert.match(err.message, /Check that it is running and reachable/);
    assert.doesNotMatch(err.message, new RegExp(password));
    assert.doesNotMatch(JSON.stringify(err), new RegExp(password));
  });

  test('a schema name Reprise does not use is refused with InvalidArgumentError', async () => {
    await assert.rejects(
      PostgresStore.open({ url: await testPostgresUrl(), schema: 'Robert"); DROP' }),
      InvalidArgumentError,
    );
    // PostgreSQL keeps pg_ names for itself.
    await assert.rejects(
      PostgresStore.open({ url: await testPostgresUrl(), schema: 'pg_reprise' }),
      (e: unknown) => e instanceof InvalidArgumentError && /not pg_/.test(e.message),
    );
  });
});

describe('PostgreSQL store: values it cannot store', () => {
  test('a NUL character in a search attribute is refused with InvalidArgumentError, and nothing is written', async () => {
    const store = await openTestPostgresStore();
    opened.push(store);
    const run = makeRun({ searchAttributes: { CustomKeywordField: 'a\u0000b' } });
    await assert.rejects(store.createRun(createRequest(run)), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError, String(e));
      assert.match(e.message, /NUL character .* remove it/);
      return true;
    });
    assert.equal(await store.getRun({ runId: run.runId }), undefined);
  });
});

describe('PostgreSQL store: a connection lost mid-transaction', () => {
  test('a write whose connection the server ends fails with UnavailableError, and the process and store carry on', async () => {
    const schema = freshSchema();
    const store = await openTestPostgresStore({ schema });
    opened.push(store);
    const run = makeRun();
    await store.createRun(createRequest(run));
    // Another session holds the run's row, so the store's compare-and-set waits in its transaction.
    const holder = new pg.Client({
      connectionString: await testPostgresUrl(),
      options: `-c search_path=${schema}`,
    });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM runs WHERE run_id = $1 FOR UPDATE', [run.runId]);
      const append = store.appendToRun(appendRequest(run, { events: [signaledEvent(3, 'x')] }));
      const settled = append.then(
        () => undefined,
        (e: unknown) => e,
      );
      // The waiting session (blocked by the holder's lock), ended as a server restart would.
      for (;;) {
        const { rows } = await holder.query<{ ended: boolean }>(
          'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity ' +
            'WHERE $1 = ANY(pg_blocking_pids(pid))',
          [(await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid],
        );
        if (rows.some((r) => r.ended)) break;
      }
      const err = await settled;
      assert.ok(err instanceof UnavailableError, String(err));
      await holder.query('ROLLBACK');
    } finally {
      await holder.end();
    }
    // A statement sent on the lost connection later (between a transaction's statements) reads
    // as the server being unavailable too, not as an internal error.
    assert.equal(
      postgresErrorKind(
        new Error('Client has encountered a connection error and is not queryable'),
      ),
      'unavailable',
    );
    // The pool replaced the lost connection: the store still writes.
    await store.appendToRun(appendRequest(run, { events: [signaledEvent(3, 'y')] }));
    assert.equal((await store.getRun({ runId: run.runId }))?.version, run.version + 1);
  });
});

describe('PostgreSQL store: closing', () => {
  test('a closed store refuses calls with IllegalStateError, and closing again is a no-op', async () => {
    const store = await openTestPostgresStore();
    const run = makeRun();
    await store.createRun(createRequest(run));
    await store.close();
    await assert.rejects(store.getRun({ runId: run.runId }), /closed/);
    await assert.rejects(
      store.appendToRun(appendRequest(run, { events: [signaledEvent(3, 'x')] })),
      IllegalStateError,
    );
    await assert.rejects(store.createRun(createRequest(makeRun())), IllegalStateError);
    await assert.rejects(
      store.takeDueTimers({ nowMs: 1, limit: 1, leaseMs: 1 }),
      IllegalStateError,
    );
    assert.throws(() => store.foreignWrites(), IllegalStateError);
    await store.close();
  });

  test(
    'close() lets the calls made before it finish, also those waiting for a connection; then calls are refused',
    {
      timeout: 30_000,
    },
    async () => {
      const schema = freshSchema();
      const store = await openTestPostgresStore({ schema, maxConnections: 1 });
      const run = makeRun();
      await store.createRun({ ...createRequest(run), timers: [makeTimer(run, { key: 'k' })] });
      const holder = new pg.Client({
        connectionString: await testPostgresUrl(),
        options: `-c search_path=${schema}`,
      });
      await holder.connect();
      const later = makeRun();
      try {
        // The pool's one connection waits on the holder's lock; the next calls wait for it.
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM timers WHERE run_id = $1 FOR UPDATE', [run.runId]);
        const first = store.deleteTimer({ runId: run.runId, key: 'k' });
        const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))
          .rows[0]?.pid;
        for (;;) {
          const { rows } = await holder.query(
            'SELECT 1 FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
            [holderPid],
          );
          if (rows.length > 0) break;
        }
        const read = store.getRun({ runId: run.runId });
        const second = store.createRun(createRequest(later));
        const closed = store.close();
        await holder.query('ROLLBACK');
        await first;
        assert.equal((await read)?.runId, run.runId);
        await second;
        await closed;
        await assert.rejects(store.getRun({ runId: run.runId }), IllegalStateError);
      } finally {
        await holder.end();
      }
      const after = await openTestPostgresStore({ schema });
      opened.push(after);
      assert.equal(await after.nextTimerDueAt(), undefined);
      assert.equal((await after.getRun({ runId: later.runId }))?.runId, later.runId);
    },
  );
});

describe('PostgreSQL store: migrations', () => {
  test('two stores opening one fresh schema at once apply each migration once', async () => {
    const schema = freshSchema();
    const stores = await Promise.all([
      openTestPostgresStore({ schema }),
      openTestPostgresStore({ schema }),
      openTestPostgresStore({ schema }),
    ]);
    opened.push(...stores);
    const rows = await query<{ version: number }>(
      schema,
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    assert.deepEqual(
      rows.map((r) => r.version),
      loadMigrations().map((m) => m.version),
    );
    // Each works on the one schema.
    const run = makeRun();
    await stores[0].createRun(createRequest(run));
    assert.equal((await stores[2].getRun({ runId: run.runId }))?.runId, run.runId);
  });

  test('a migration holds its own schema’s lock only: a store in another schema opens meanwhile', async () => {
    const held = freshSchema();
    const url = await testPostgresUrl();
    // Another session holds the lock that migrations of `held` take.
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(
        "SELECT pg_advisory_xact_lock(hashtextextended('reprise migrations: ' || $1, 0))",
        [held],
      );
      const other = await openTestPostgresStore();
      opened.push(other);
      assert.equal(await other.hasNamespace({ namespace: 'default' }), true);
      // The held schema's opener waits for the lock, and opens once it is free.
      let open = false;
      const waiting = openTestPostgresStore({ schema: held }).then((s) => {
        open = true;
        opened.push(s);
        return s;
      });
      await waitFor(async () => {
        const rows = await query<{ n: number }>(
          held,
          'SELECT count(*)::int AS n FROM pg_stat_activity ' +
            "WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'",
        );
        return (rows[0]?.n ?? 0) > 0;
      }, 'the opener of the held schema to wait for its lock');
      assert.equal(open, false, 'not open while its schema’s lock is held');
      await locker.query('COMMIT');
      const s = await waiting;
      assert.equal(await s.hasNamespace({ namespace: 'default' }), true);
    } finally {
      await locker.end();
    }
  });

  test('a database at a schema version newer than the code is refused, and left as it is', async () => {
    const schema = freshSchema();
    const store = await openTestPostgresStore({ schema });
    await store.close();
    await query(
      schema,
      "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (9999, 'future', 0)",
    );
    const err = await openTestPostgresStore({ schema }).then(
      () => assert.fail('opened'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RepriseError, String(err));
    assert.equal(err.code, ErrorCode.Internal);
    assert.match(err.message, /version 9999, newer than this Reprise knows/);
    const rows = await query<{ version: number }>(
      schema,
      'SELECT max(version) AS version FROM schema_migrations',
    );
    assert.equal(rows[0]?.version, 9999);
  });
});
