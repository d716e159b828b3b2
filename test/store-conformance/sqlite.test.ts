import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import {
  ErrorCode,
  InvalidArgumentError,
  NamespaceNotFoundError,
  RepriseError,
  RunConflictError,
} from '../../src/errors.ts';
import { parseListFilter } from '../../src/protocol/list-filter.ts';
import { RunStatus } from '../../src/protocol/run-status.ts';
import { openStore } from '../../src/store/open-store.ts';
import { loadMigrations, migrate } from '../../src/store/sqlite/migrate.ts';
import { RUN_COLUMNS, prepareRunQueries } from '../../src/store/sqlite/queries/runs.ts';
import { prepareTaskQueries } from '../../src/store/sqlite/queries/tasks.ts';
import { prepareTimerQueries } from '../../src/store/sqlite/queries/timers.ts';
import { runToRow } from '../../src/store/rows.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { AppendToRunRequest, RunRecord } from '../../src/store/store.ts';
import { makeTimer } from './builders.ts';
import { storeConformance } from './suite.ts';

const execFileAsync = promisify(execFile);

/** A bound for the tests on fake time, which a regression may leave waiting for ever. */
const HANG_GUARD = { timeout: 20_000 };

let dir = '';
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reprise-sqlite-'));
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});
const freshFile = () => path.join(dir, `${randomUUID()}.db`);

storeConformance('sqlite :memory:', () => SqliteStore.open({ path: ':memory:' }));
storeConformance('sqlite file', () => SqliteStore.open({ path: freshFile() }));

function appliedMigrations(file: string): number[] {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare<[], { version: number }>('SELECT version FROM schema_migrations ORDER BY version')
      .all()
      .map((r) => r.version);
  } finally {
    db.close();
  }
}

const allVersions = () => loadMigrations().map((m) => m.version);

function makeRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    namespace: 'default',
    workflowId: `wf-${randomUUID()}`,
    runId: randomUUID(),
    workflowType: 'w',
    taskQueue: 'q',
    status: RunStatus.Running,
    startTimeMs: 1,
    closeTimeMs: undefined,
    nextEventId: 1,
    version: 0,
    state: null,
    ...overrides,
  };
}

/** A signal event with id `eventId`, for appends. */
const signal = (eventId: number) => ({
  type: 'WorkflowExecutionSignaled' as const,
  eventId,
  timeMs: 1,
  signalName: 's',
  input: [],
});

describe('SqliteStore on a file', () => {
  test('migrations run once when a file store is opened twice, and data survives', async () => {
    const file = freshFile();
    const first = await SqliteStore.open({ path: file });
    await first.ensureNamespace({ namespace: 'kept' });
    await first.close();
    const second = await SqliteStore.open({ path: file });
    assert.equal(await second.hasNamespace({ namespace: 'kept' }), true);
    await second.close();
    assert.deepEqual(appliedMigrations(file), allVersions());
  });

  test('two opens at once on the same file apply migrations once', async () => {
    const file = freshFile();
    const stores = await Promise.all([
      SqliteStore.open({ path: file }),
      SqliteStore.open({ path: file }),
    ]);
    await Promise.all(stores.map((s) => s.close()));
    assert.deepEqual(appliedMigrations(file), allVersions());
  });

  test('processes opening one new file at once apply migrations once', async () => {
    const file = freshFile();
    const storeUrl = new URL('../../src/store/sqlite/sqlite-store.ts', import.meta.url).href;
    const script =
      `const { SqliteStore } = await import(${JSON.stringify(storeUrl)});` +
      `const s = await SqliteStore.open({ path: ${JSON.stringify(file)} });` +
      `await s.ensureNamespace({ namespace: 'p' + process.pid });` +
      'await s.close();';
    const children = Array.from({ length: 4 }, () =>
      execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]),
    );
    await Promise.all(children);
    assert.deepEqual(appliedMigrations(file), allVersions());
  });

  test('history written one row per event (schema 4) reads back the same after the upgrade', async () => {
    const file = freshFile();
    const run = makeRun({ nextEventId: 4 });
    const events = [1, 2, 3].map(signal);
    const old = new Database(file);
    try {
      migrate(old, { nowMs: 0, migrations: loadMigrations().filter((m) => m.version <= 4) });
      // The runs table as schema 4 had it (no held_by yet).
      const row = runToRow(run);
      old
        .prepare(
          `INSERT INTO runs (${RUN_COLUMNS}) VALUES (${Object.keys(row)
            .map((k) => `@${k}`)
            .join(', ')})`,
        )
        .run(row);
      const insert = old.prepare(
        'INSERT INTO history_events (run_id, event_id, type, time_ms, data) VALUES (?, ?, ?, ?, ?)',
      );
      for (const e of events) insert.run(run.runId, e.eventId, e.type, e.timeMs, JSON.stringify(e));
    } finally {
      old.close();
    }
    const store = await SqliteStore.open({ path: file });
    try {
      assert.deepEqual(await store.readHistory({ runId: run.runId }), events);
      assert.deepEqual(
        await store.readHistory({ runId: run.runId, fromEventId: 2 }),
        events.slice(1),
      );
      await store.appendToRun({
        runId: run.runId,
        expectedNextEventId: 4,
        expectedVersion: 0,
        events: [signal(4), signal(5)],
        status: RunStatus.Running,
        closeTimeMs: undefined,
        nextEventId: 6,
        state: null,
        tasks: [],
        timers: [],
        deleteTimerKeys: [],
        deleteTaskIds: [],
      });
      assert.deepEqual(await store.readHistory({ runId: run.runId, fromEventId: 3 }), [
        signal(3),
        signal(4),
        signal(5),
      ]);
    } finally {
      await store.close();
    }
    // SQL readers still find one row per event.
    const reader = new Database(file, { readonly: true });
    try {
      const rows = reader
        .prepare<[string], { event_id: number; type: string }>(
          'SELECT event_id, type FROM history_events WHERE run_id = ? ORDER BY event_id',
        )
        .all(run.runId);
      assert.deepEqual(
        rows.map((r) => r.event_id),
        [1, 2, 3, 4, 5],
      );
      assert.ok(rows.every((r) => r.type === 'WorkflowExecutionSignaled'));
    } finally {
      reader.close();
    }
  });

  test('a file store uses WAL', async () => {
    const file = freshFile();
    const store = await SqliteStore.open({ path: file });
    await store.close();
    const db = new Database(file);
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
  });

  test('a timer lease is written but not counted as a durable commit (ADR 0014)', async () => {
    const file = freshFile();
    const store = await SqliteStore.open({ path: file });
    const reader = new Database(file, { readonly: true });
    try {
      const run = makeRun();
      await store.createRun({ run, events: [], tasks: [], timers: [makeTimer(run)] });
      const before = store.writeTransactions;
      const taken = await store.takeDueTimers({ nowMs: 1_000, limit: 10, leaseMs: 500 });
      assert.deepEqual(
        taken.map((t) => t.key),
        ['timer-1'],
      );
      assert.equal(store.writeTransactions, before, 'the lease waited for no fsync');
      assert.deepEqual(
        reader.prepare('SELECT lease_until_ms FROM timers WHERE run_id = ?').get(run.runId),
        { lease_until_ms: 1_500 },
        'the lease is committed',
      );
      assert.deepEqual(await store.takeDueTimers({ nowMs: 1_400, limit: 10, leaseMs: 500 }), []);
      // Writes after it are counted again.
      await store.createRun({ run: makeRun(), events: [], tasks: [], timers: [] });
      assert.equal(store.writeTransactions, before + 1);
    } finally {
      reader.close();
      await store.close();
    }
  });

  test('history reads back exactly as written, and a batch edited out of shape is refused', async () => {
    const file = freshFile();
    const run = makeRun({ nextEventId: 4 });
    // A field no schema names is kept: the history read back equals the one the engine keeps.
    const events = [1, 2, 3].map((id) => ({ ...signal(id), extra: { kept: id } }));
    const store = await SqliteStore.open({ path: file });
    try {
      await store.ensureNamespace({ namespace: 'default' });
      await store.createRun({ run, events, tasks: [], timers: [] });
      assert.deepEqual(await store.readHistory({ runId: run.runId }), events);
      assert.deepEqual(await store.readHistory({ runId: run.runId, fromEventId: 3 }), [events[2]]);
      const edits: [string, unknown][] = [
        ['an unknown event type', [{ ...events[0], type: 'Bogus' }, events[1], events[2]]],
        ['a missing eventId', [{ ...events[0], eventId: undefined }, events[1], events[2]]],
        ['ids out of sequence', [events[0], events[2], events[1]]],
        ['a time that is not an integer', [events[0], { ...events[1], timeMs: 'noon' }, events[2]]],
        ['not an array', { events }],
        ['an empty batch', []],
      ];
      const db = new Database(file);
      try {
        for (const [what, batch] of edits) {
          db.prepare('UPDATE history_batches SET events = ? WHERE run_id = ?').run(
            JSON.stringify(batch),
            run.runId,
          );
          await assert.rejects(store.readHistory({ runId: run.runId }), (e: unknown) => {
            assert.ok(e instanceof RepriseError, what);
            assert.equal(e.code, ErrorCode.Internal, what);
            assert.match(
              e.message,
              /Stored history of run .* is not valid: .*restore it from a backup/,
              what,
            );
            return true;
          });
        }
        db.prepare('UPDATE history_batches SET events = ? WHERE run_id = ?').run('{', run.runId);
        await assert.rejects(store.readHistory({ runId: run.runId }), /is not valid: not JSON/);
      } finally {
        db.close();
      }
    } finally {
      await store.close();
    }
  });
});

describe('SqliteStore specifics', () => {
  test('createRun in a namespace that does not exist throws NamespaceNotFoundError', async () => {
    const store = await SqliteStore.open({ path: ':memory:' });
    try {
      await assert.rejects(
        store.createRun({ run: makeRun({ namespace: 'nope' }), events: [], tasks: [], timers: [] }),
        NamespaceNotFoundError,
      );
    } finally {
      await store.close();
    }
  });

  test('opening a file in a missing directory throws InvalidArgumentError', async () => {
    await assert.rejects(
      SqliteStore.open({ path: path.join(dir, 'missing', 'x.db') }),
      (e: unknown) => e instanceof InvalidArgumentError && /does not exist/.test(e.message),
    );
  });

  test('appendToRun refuses event ids that do not continue the history, changing nothing', async () => {
    const store = await SqliteStore.open({ path: ':memory:' });
    try {
      const run = makeRun();
      await store.createRun({ run, events: [], tasks: [], timers: [] });
      const req = {
        runId: run.runId,
        expectedNextEventId: 1,
        expectedVersion: 0,
        status: RunStatus.Running,
        closeTimeMs: undefined,
        state: null,
        tasks: [],
        timers: [],
        deleteTimerKeys: [],
        deleteTaskIds: [],
      };
      await assert.rejects(
        store.appendToRun({ ...req, events: [signal(2)], nextEventId: 3 }),
        /has id 2, expected 1/,
      );
      await assert.rejects(
        store.appendToRun({ ...req, events: [signal(1)], nextEventId: 5 }),
        /expected 2/,
      );
      assert.deepEqual(await store.readHistory({ runId: run.runId }), []);
      assert.equal((await store.getRun({ runId: run.runId }))?.nextEventId, 1);
    } finally {
      await store.close();
    }
  });

  test("a lingering append shares the next write's transaction (one history row), and close commits one still waiting", async () => {
    const file = freshFile();
    // A linger window longer than any test: only another write or close() commits the append.
    const store = await SqliteStore.open({ path: file, lingerMs: 30_000 });
    const run = makeRun();
    await store.createRun({ run, events: [], tasks: [], timers: [] });
    const append = (eventId: number, linger: boolean) =>
      appendSignal(store, run.runId, eventId, linger);
    const reader = new Database(file, { readonly: true });
    const storedEvents = () =>
      reader
        .prepare<[string], { n: number }>(
          'SELECT count(*) AS n FROM history_events WHERE run_id = ?',
        )
        .get(run.runId)?.n;
    try {
      const before = store.writeTransactions;
      const first = append(1, true);
      await new Promise((r) => setImmediate(r));
      assert.equal(storedEvents(), 0, 'the lingering append waits');
      await Promise.all([first, append(2, false)]);
      assert.equal(store.writeTransactions - before, 1, 'both in one transaction');
      assert.equal(storedEvents(), 2);
      const rows = reader
        .prepare<[string], { first_event_id: number; last_event_id: number }>(
          'SELECT first_event_id, last_event_id FROM history_batches WHERE run_id = ?',
        )
        .all(run.runId);
      assert.deepEqual(
        rows,
        [{ first_event_id: 1, last_event_id: 2 }],
        'the second continued the first: one row',
      );
      const third = append(3, true);
      await store.close();
      await third;
      assert.equal(storedEvents(), 3, 'close() committed the append still waiting');
    } finally {
      reader.close();
      await store.close();
    }
  });

  // A window longer than any test: a regression would wait it out, so each fails in 10 s instead.
  test(
    "a lingering append waits out other runs' commits for its own run's next write",
    { timeout: 10_000 },
    async () => {
      const file = freshFile();
      const { store, waiting, busy } = await twoRuns(30_000, file);
      const reader = new Database(file, { readonly: true });
      const batches = (runId: string) =>
        reader
          .prepare<[string], { first_event_id: number; last_event_id: number }>(
            'SELECT first_event_id, last_event_id FROM history_batches WHERE run_id = ?',
          )
          .all(runId);
      try {
        const first = appendSignal(store, waiting.runId, 1, true);
        await new Promise((r) => setImmediate(r));
        // Another run's writes commit, one turn each, and leave the lingering one waiting.
        for (const eventId of [1, 2]) {
          const before = store.writeTransactions;
          await appendSignal(store, busy.runId, eventId, false);
          assert.equal(store.writeTransactions - before, 1);
          assert.deepEqual(batches(waiting.runId), [], `still waiting after commit ${eventId}`);
        }
        const before = store.writeTransactions;
        await Promise.all([first, appendSignal(store, waiting.runId, 2, false)]);
        assert.equal(store.writeTransactions - before, 1, 'it committed with its run’s next write');
        assert.deepEqual(batches(waiting.runId), [{ first_event_id: 1, last_event_id: 2 }]);
        // One held back when the store closes is committed by close().
        const third = appendSignal(store, waiting.runId, 3, true);
        await appendSignal(store, busy.runId, 3, false);
        assert.equal(batches(waiting.runId).length, 1, 'the third waits');
        await store.close();
        await third;
        assert.deepEqual(batches(waiting.runId).at(-1), { first_event_id: 3, last_event_id: 3 });
      } finally {
        reader.close();
        await store.close();
      }
    },
  );

  test(
    "a run's lingering appends are held back together, and go at once with its next write",
    { timeout: 10_000 },
    async () => {
      const { store, waiting, busy } = await twoRuns(30_000);
      try {
        const first = appendSignal(store, waiting.runId, 1, true);
        const second = appendSignal(store, waiting.runId, 2, true);
        await appendSignal(store, busy.runId, 1, false);
        assert.equal((await store.getRun({ runId: waiting.runId }))?.nextEventId, 1, 'both held');
        const before = store.writeTransactions;
        await Promise.all([first, second, appendSignal(store, waiting.runId, 3, false)]);
        assert.equal(store.writeTransactions - before, 1, 'the three in one transaction');
        assert.equal((await store.getRun({ runId: waiting.runId }))?.nextEventId, 4);
      } finally {
        await store.close();
      }
    },
  );

  test(
    'a lingering append decided on one that failed fails at once, not at its window’s end',
    { timeout: 10_000 },
    async () => {
      const { store, waiting: run } = await twoRuns(30_000);
      try {
        // Expects event 5 where 1 is next: loses its compare-and-set.
        const lost = signalAppend(run.runId, 5, false);
        await assert.rejects(store.appendToRun(lost), RunConflictError);
        // Alone in the store, it does not wait for a window: it fails at the end of the turn.
        const before = performance.now();
        await assert.rejects(
          store.appendToRun({ ...signalAppend(run.runId, 6, true), after: lost }),
          RunConflictError,
        );
        assert.ok(performance.now() - before < 15_000, 'not at the window’s end');
      } finally {
        await store.close();
      }
    },
  );

  // On fake time (see onFakeTime): each window ends when the test moves the clock there, however
  // late a busy machine runs the steps between.
  test(
    "a lingering append held back past other runs' commits still commits when its window ends",
    HANG_GUARD,
    async () => {
      const lingerMs = 1_000;
      const { store, waiting, busy } = await twoRuns(lingerMs);
      await onFakeTime(store, async (advance) => {
        const first = appendSignal(store, waiting.runId, 1, true);
        await turn();
        await appendSignal(store, busy.runId, 1, false);
        assert.equal(await nextEventIdOf(store, waiting.runId), 1, 'held back');
        const before = store.writeTransactions;
        await advance(lingerMs - 1);
        assert.equal(await nextEventIdOf(store, waiting.runId), 1, 'still held, 1 ms before');
        await advance(1);
        assert.equal(await nextEventIdOf(store, waiting.runId), 2, 'committed at its window’s end');
        await first;
        assert.equal(store.writeTransactions - before, 1, 'committed alone');
      });
    },
  );

  test(
    "a run's held appends go together when the oldest one's window ends, not the newest's",
    HANG_GUARD,
    async () => {
      const lingerMs = 1_000;
      const { store, waiting: run, busy } = await twoRuns(lingerMs);
      await onFakeTime(store, async (advance) => {
        const firstWrite = signalAppend(run.runId, 1, true);
        const first = store.appendToRun(firstWrite);
        // Half-way through the first window, a second lingering write to the run, decided on it.
        await advance(lingerMs / 2);
        const second = store.appendToRun({
          ...signalAppend(run.runId, 2, true),
          after: firstWrite,
        });
        // Another run's commit holds both back, and must keep the first one's end for them.
        await advance(lingerMs / 4);
        await appendSignal(store, busy.runId, 1, false);
        assert.equal(await nextEventIdOf(store, run.runId), 1, 'both held back');
        const before = store.writeTransactions;
        await advance(lingerMs / 4 - 1);
        assert.equal(await nextEventIdOf(store, run.runId), 1, 'still held, 1 ms before');
        // The first one's window ends (the second's has half of its length to go).
        await advance(1);
        assert.equal(await nextEventIdOf(store, run.runId), 3, 'committed at its end');
        await Promise.all([first, second]);
        assert.equal(store.writeTransactions - before, 1, 'both in one transaction');
      });
    },
  );

  test(
    'a lingering append commits alone when its own window ends, not an earlier window’s',
    HANG_GUARD,
    async () => {
      const lingerMs = 400;
      const store = await SqliteStore.open({ path: freshFile(), lingerMs });
      const run = makeRun();
      await store.createRun({ run, events: [], tasks: [], timers: [] });
      const append = (eventId: number, linger: boolean) =>
        appendSignal(store, run.runId, eventId, linger);
      await onFakeTime(store, async (advance) => {
        // A first window, closed at once by a write that does not linger; its timer stays armed.
        await Promise.all([append(1, true), append(2, false)]);
        // A second window, opened inside the first one's time: it must run its own length, not
        // end with the first one's timer, nor wait that timer's time again.
        await advance(lingerMs / 2);
        const before = store.writeTransactions;
        const third = append(3, true);
        await advance(lingerMs / 2);
        assert.equal(await nextEventIdOf(store, run.runId), 3, 'not at the first window’s end');
        await advance(lingerMs / 2 - 1);
        assert.equal(await nextEventIdOf(store, run.runId), 3, 'still held, 1 ms before its end');
        await advance(1);
        assert.equal(await nextEventIdOf(store, run.runId), 4, 'committed at its own end');
        await third;
        assert.equal(store.writeTransactions - before, 1, 'committed alone');
      });
    },
  );

  test('a lingering append after close is refused, also when a window opened while closing', async () => {
    const store = await SqliteStore.open({ path: freshFile(), lingerMs: 50 });
    const run = makeRun();
    await store.createRun({ run, events: [], tasks: [], timers: [] });
    const first = appendSignal(store, run.runId, 1, true);
    const closing = store.close();
    // Joins the batch close() is flushing, and opens a window of its own.
    const second = appendSignal(store, run.runId, 2, true);
    await Promise.all([first, second, closing]);
    await store.close();
    await assert.rejects(appendSignal(store, run.runId, 3, true), /store was closed/);
  });

  test('a closed store refuses calls with a clear error, and closing twice is fine', async () => {
    const store = await SqliteStore.open({ path: ':memory:' });
    await store.close();
    await store.close();
    await assert.rejects(store.hasNamespace({ namespace: 'default' }), /store was closed/);
  });

  test('a database from before the search attribute registry gets one from its stored values, the first seen type of each name', async () => {
    const file = freshFile();
    const old = new Database(file);
    try {
      migrate(old, { nowMs: 0, migrations: loadMigrations().filter((m) => m.version <= 7) });
      const insert = (workflowId: string, startTimeMs: number, attrs: unknown) => {
        const row = runToRow(
          makeRun({ workflowId, startTimeMs, searchAttributes: attrs as never }),
        );
        old
          .prepare(
            `INSERT INTO runs (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row)
              .map((k) => `@${k}`)
              .join(', ')})`,
          )
          .run(row);
      };
      // Started later but inserted first: the earliest start decides.
      insert('later', 2_000, { Mixed: 'text', Amount: 1.5 });
      insert('earlier', 1_000, {
        Mixed: 7,
        Tags: ['a'],
        When: '2024-05-01T00:00:00.000Z',
        Paid: false,
        Plain: '2024-05-01',
      });
      insert('none', 500, null);
    } finally {
      old.close();
    }
    const store = await SqliteStore.open({ path: file });
    try {
      assert.deepEqual(await store.listSearchAttributes({ namespace: 'default' }), {
        Amount: 'Double',
        Mixed: 'Double',
        Paid: 'Bool',
        Plain: 'Keyword',
        Tags: 'KeywordList',
        When: 'Datetime',
      });
    } finally {
      await store.close();
    }
  });

  test('namespaces from before their records (schema 10) open with no description, created with the database', async () => {
    const file = freshFile();
    const old = new Database(file);
    try {
      migrate(old, { nowMs: 7_000, migrations: loadMigrations().filter((m) => m.version <= 10) });
      old.prepare("INSERT INTO namespaces (name) VALUES ('by-hand')").run();
    } finally {
      old.close();
    }
    const store = await SqliteStore.open({ path: file });
    try {
      assert.deepEqual(await store.listNamespaces(), [
        { namespace: 'by-hand', description: '', createdAtMs: 7_000 },
        { namespace: 'default', description: '', createdAtMs: 7_000 },
      ]);
      await store.createNamespace({ namespace: 'new', description: 'd', createdAtMs: 9_000 });
      assert.deepEqual(await store.getNamespace({ namespace: 'new' }), {
        namespace: 'new',
        description: 'd',
        createdAtMs: 9_000,
      });
    } finally {
      await store.close();
    }
    assert.deepEqual(appliedMigrations(file), allVersions());
  });

  test('tasks queued before priorities (schema 8) are kept at the default key, 3, in their order', async () => {
    const file = freshFile();
    const old = new Database(file);
    try {
      migrate(old, { nowMs: 0, migrations: loadMigrations().filter((m) => m.version <= 8) });
      const insert = old.prepare(
        'INSERT INTO tasks (namespace, task_queue, kind, run_id, scheduled_event_id, attempt) ' +
          "VALUES ('default', 'old', 'workflow', ?, ?, 1)",
      );
      insert.run('run-a', 2);
      insert.run('run-b', 2);
    } finally {
      old.close();
    }
    const store = await SqliteStore.open({ path: file });
    try {
      await store.ensureNamespace({ namespace: 'default' });
      const run = makeRun({ taskQueue: 'old' });
      await store.createRun({
        run,
        events: [],
        tasks: [1, 5].map((priority) => ({
          namespace: 'default',
          taskQueue: 'old',
          kind: 'workflow' as const,
          runId: run.runId,
          scheduledEventId: 2,
          attempt: 1,
          priority,
        })),
        timers: [],
      });
      const found = await store.findTasks({
        namespace: 'default',
        taskQueue: 'old',
        kind: 'workflow',
        skipTaskIds: [],
        limit: 10,
      });
      assert.deepEqual(
        found.map((t) => [t.runId, t.priority]),
        [
          [run.runId, 1],
          ['run-a', 3],
          ['run-b', 3],
          [run.runId, 5],
        ],
      );
    } finally {
      await store.close();
    }
  });

  test('a registered search attribute type edited out of shape is refused with a clear error', async () => {
    const file = freshFile();
    const store = await SqliteStore.open({ path: file });
    try {
      await store.ensureNamespace({ namespace: 'default' });
      await store.addSearchAttributes({ namespace: 'default', types: { Bad: 'Int' } });
      const db = new Database(file);
      try {
        db.prepare("UPDATE search_attribute_types SET type = 'Integer' WHERE name = 'Bad'").run();
      } finally {
        db.close();
      }
      const corrupt = (e: unknown) => {
        assert.ok(e instanceof RepriseError);
        assert.equal(e.code, ErrorCode.Internal);
        assert.match(
          e.message,
          /Stored type of search attribute 'Bad' in namespace 'default' is not valid: .*restore it from a backup/s,
        );
        return true;
      };
      await assert.rejects(store.listSearchAttributes({ namespace: 'default' }), corrupt);
      // The operator check of a list filter reads it too.
      await assert.rejects(
        store.countRuns({
          namespace: 'default',
          filter: parseListFilter("Bad STARTS_WITH '1'"),
        }),
        corrupt,
      );
    } finally {
      await store.close();
    }
  });

  test('a database newer than this code is refused', () => {
    const db = new Database(':memory:');
    try {
      migrate(db, { nowMs: 0 });
      db.prepare('INSERT INTO schema_migrations VALUES (9999, ?, 0)').run('from-the-future');
      assert.throws(() => migrate(db, { nowMs: 0 }), /newer than this Reprise knows/);
    } finally {
      db.close();
    }
  });

  test('hot queries read through their indexes, never a full scan', () => {
    const db = new Database(':memory:');
    try {
      migrate(db, { nowMs: 0 });
      const plan = (sql: string) =>
        db
          .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
          .all(...Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 0))
          .map((r) => r.detail)
          .join('; ');
      const timers = prepareTimerQueries(db);
      assert.match(plan(timers.due.source), /USING (COVERING )?INDEX timers_by_due/);
      assert.match(
        plan(timers.nextAvailableAt.source),
        /USING (COVERING )?INDEX timers_by_available/,
      );
      const find = prepareTaskQueries(db).find(16).source.replace(/@\w+/g, '?');
      assert.match(plan(find), /USING (COVERING )?INDEX tasks_by_queue/);
      assert.doesNotMatch(plan(find), /TEMP B-TREE/, 'the index gives the queue its order');
      const runs = prepareRunQueries(db);
      assert.match(plan(runs.latestOfWorkflow.source), /USING INDEX runs_by_workflow_id/);
      assert.doesNotMatch(plan(runs.latestOfWorkflow.source), /TEMP B-TREE/);
      assert.doesNotMatch(plan(runs.list.source), /TEMP B-TREE/);
      assert.match(plan(runs.runningRunId.source), /runs_running_workflow_id/);
    } finally {
      db.close();
    }
  });
});

describe('openStore', () => {
  test('opens sqlite::memory: and sqlite: file URLs', async () => {
    const memory = await openStore('sqlite::memory:');
    assert.equal(await memory.hasNamespace({ namespace: 'default' }), true);
    await memory.close();
    const file = freshFile();
    const onDisk = await openStore(`sqlite:${file}`);
    await onDisk.close();
    assert.ok(fs.existsSync(file));
  });

  test('refuses other schemes and malformed PostgreSQL URLs, naming the accepted forms, without the password', async () => {
    await assert.rejects(openStore('mysql://u:secret@localhost/db'), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError);
      assert.match(e.message, /sqlite::memory:/);
      assert.match(e.message, /postgres:\/\/user:password@host/);
      assert.doesNotMatch(e.message, /secret/);
      return true;
    });
    await assert.rejects(openStore('postgres://u:secret@[bad/db'), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError);
      assert.match(e.message, /not a valid URL/);
      assert.doesNotMatch(e.message, /secret/);
      return true;
    });
    await assert.rejects(openStore('./reprise.db'), InvalidArgumentError);
    await assert.rejects(openStore('sqlite:'), InvalidArgumentError);
  });
});

/**
 * Runs `fn` with `setTimeout` (the store's linger timer) and `performance.now()` (its windows'
 * ends) on a clock that moves only by `advance`, which then lets what came due commit. Closes
 * `store` at the end, still on that clock.
 */
async function onFakeTime(
  store: SqliteStore,
  fn: (advance: (ms: number) => Promise<void>) => Promise<void>,
): Promise<void> {
  // A whole number: the store's timer delays (a window's end less now) are then exact, where a
  // fraction could leave one a rounding error past the tick that should fire it (Node 24's mock
  // timers then wait for the next).
  let nowMs = Math.floor(performance.now());
  mock.timers.enable({ apis: ['setTimeout'] });
  const now = mock.method(performance, 'now', () => nowMs);
  try {
    await fn(async (ms) => {
      nowMs += ms;
      mock.timers.tick(ms);
      await turn();
    });
  } finally {
    await store.close();
    now.mock.restore();
    mock.timers.reset();
  }
}

/** A turn of the event loop: what a timer that fired set going (a commit) has run. */
function turn(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

async function nextEventIdOf(store: SqliteStore, runId: string): Promise<number | undefined> {
  return (await store.getRun({ runId }))?.nextEventId;
}

/** A store with its linger window, holding two fresh runs: one to linger on, one kept busy. */
async function twoRuns(lingerMs: number, path = freshFile()) {
  const store = await SqliteStore.open({ path, lingerMs });
  const waiting = makeRun();
  const busy = makeRun();
  for (const run of [waiting, busy]) {
    await store.createRun({ run, events: [], tasks: [], timers: [] });
  }
  return { store, waiting, busy };
}

/** Appends signal `eventId` to a run whose row holds no state, lingering or not. */
function appendSignal(store: SqliteStore, runId: string, eventId: number, linger: boolean) {
  return store.appendToRun(signalAppend(runId, eventId, linger));
}

/** The request that appends signal `eventId` to a run whose row holds no state. */
function signalAppend(runId: string, eventId: number, linger: boolean): AppendToRunRequest {
  return {
    runId,
    expectedNextEventId: eventId,
    expectedVersion: eventId - 1,
    events: [signal(eventId)],
    status: RunStatus.Running,
    closeTimeMs: undefined,
    nextEventId: eventId + 1,
    state: null,
    tasks: [],
    timers: [],
    deleteTimerKeys: [],
    deleteTaskIds: [],
    linger,
  };
}
