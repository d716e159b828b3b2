import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  InvalidArgumentError,
  NamespaceNotFoundError,
  ScheduleAlreadyRunning,
  ScheduleConflictError,
} from '../../errors.ts';
import { parseListFilter } from '../../protocol/list-filter.ts';
import { freshSchema, testPostgresUrl } from '../../../test/helpers/postgres.ts';
import { makeSchedule as baseSchedule } from '../../../test/store-conformance/builders.ts';
import type { NewTimer, ScheduleRecord } from '../store.ts';
import { PostgresDb } from './postgres-db.ts';
import { PostgresStore } from './postgres-store.ts';
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listSchedules,
  updateSchedule,
} from './schedules.ts';
import { upsertTimers } from './timer-writes.ts';
import { addSearchAttributes, listSearchAttributes } from './visibility.ts';

/** builders.ts's schedule, with search attributes (the JSONB column). */
function makeSchedule(scheduleId: string, overrides: Partial<ScheduleRecord> = {}): ScheduleRecord {
  return baseSchedule(scheduleId, { searchAttributes: { Team: 'ops', Tier: 2 }, ...overrides });
}

const timerOf = (scheduleId: string, dueAtMs: number, key = 'next'): NewTimer => ({
  runId: `schedule:default:${scheduleId}`,
  key,
  dueAtMs,
  payload: { kind: 'scheduleDue', namespace: 'default', scheduleId },
});

describe('PostgreSQL schedules', () => {
  let store: PostgresStore | undefined;
  let url: string;
  let db: PostgresDb;

  before(async () => {
    url = await testPostgresUrl();
  });

  // A fresh schema per test; the store object only migrates it (closing twice is a no-op).
  beforeEach(async () => {
    if (store !== undefined) await Promise.all([db.close(), store.close()]);
    const schema = freshSchema();
    store = await PostgresStore.open({ url, schema });
    db = await PostgresDb.open({ url, schema });
  });

  after(async () => {
    await db.close();
    await store?.close();
  });

  async function timers(): Promise<{ key: string; due: number; lease: number; owner: null }[]> {
    return db.read('timers', async (q) => {
      const { rows } = await q.query<{ key: string; due: number; lease: number; owner: null }>(
        "SELECT run_id || '/' || key AS key, due_at_ms AS due, lease_until_ms AS lease, " +
          'lease_owner AS owner FROM timers ORDER BY run_id, key',
      );
      return rows;
    });
  }

  async function leaseAll(untilMs: number): Promise<void> {
    await db.write('lease', (tx) =>
      tx.query("UPDATE timers SET lease_until_ms = $1, lease_owner = 'engine-1'", [untilMs]),
    );
  }

  test('a created schedule reads back field for field, with its timer; its types are registered', async () => {
    const s = makeSchedule('hourly', { version: 7 });
    await createSchedule(db, {
      schedule: s,
      timers: [timerOf('hourly', 500)],
      registerSearchAttributes: { namespace: 'default', types: { Team: 'Keyword', Tier: 'Int' } },
    });
    assert.deepEqual(await getSchedule(db, { namespace: 'default', scheduleId: 'hourly' }), {
      ...s,
      version: 0,
    });
    assert.equal(await getSchedule(db, { namespace: 'default', scheduleId: 'none' }), undefined);
    assert.deepEqual(await timers(), [
      { key: 'schedule:default:hourly/next', due: 500, lease: 0, owner: null },
    ]);
    assert.deepEqual(await listSearchAttributes(db, { namespace: 'default' }), {
      Team: 'Keyword',
      Tier: 'Int',
    });
    // Absent memo and search attributes read back absent.
    await createSchedule(db, {
      schedule: makeSchedule('bare', { memo: undefined, searchAttributes: undefined }),
      timers: [],
    });
    const bare = await getSchedule(db, { namespace: 'default', scheduleId: 'bare' });
    assert.equal(bare?.memo, undefined);
    assert.equal(bare?.searchAttributes, undefined);
    assert.equal(bare?.nextActionAtMs, 3_600_000);
  });

  test('creating a schedule with a taken id throws ScheduleAlreadyRunning and changes nothing', async () => {
    await createSchedule(db, { schedule: makeSchedule('s'), timers: [timerOf('s', 500)] });
    await assert.rejects(
      createSchedule(db, {
        schedule: makeSchedule('s', { memo: { owner: 'bob' } }),
        timers: [timerOf('s', 900), timerOf('s', 900, 'other')],
        registerSearchAttributes: { namespace: 'default', types: { New: 'Keyword' } },
      }),
      ScheduleAlreadyRunning,
    );
    const s = await getSchedule(db, { namespace: 'default', scheduleId: 's' });
    assert.deepEqual(s?.memo, { owner: 'ann' });
    assert.deepEqual(await timers(), [
      { key: 'schedule:default:s/next', due: 500, lease: 0, owner: null },
    ]);
    assert.deepEqual(await listSearchAttributes(db, { namespace: 'default' }), {});
  });

  test('a schedule in a namespace that does not exist throws NamespaceNotFoundError', async () => {
    await assert.rejects(
      createSchedule(db, { schedule: makeSchedule('s', { namespace: 'nowhere' }), timers: [] }),
      NamespaceNotFoundError,
    );
    await assert.rejects(
      addSearchAttributes(db, { namespace: 'nowhere', types: { A: 'Int' } }),
      NamespaceNotFoundError,
    );
  });

  test('a registration of a name held with another type refuses the whole write', async () => {
    await addSearchAttributes(db, { namespace: 'default', types: { Tier: 'Keyword' } });
    await assert.rejects(
      createSchedule(db, {
        schedule: makeSchedule('s'),
        timers: [timerOf('s', 500)],
        registerSearchAttributes: { namespace: 'default', types: { Team: 'Keyword', Tier: 'Int' } },
      }),
      (e) => {
        assert.ok(e instanceof InvalidArgumentError, String(e));
        assert.equal(
          e.message,
          "Cannot register search attribute 'Tier' as Int: it is registered as Keyword in " +
            "namespace 'default'. Use a value of that type, or another name.",
        );
        return true;
      },
    );
    assert.equal(await getSchedule(db, { namespace: 'default', scheduleId: 's' }), undefined);
    assert.deepEqual(await timers(), []);
    assert.deepEqual(await listSearchAttributes(db, { namespace: 'default' }), {
      Tier: 'Keyword',
    });
  });

  test('two updates from one version: one wins, the other gets ScheduleConflictError and writes nothing', async () => {
    await createSchedule(db, { schedule: makeSchedule('s'), timers: [timerOf('s', 500)] });
    await leaseAll(10_000);
    const update = (owner: string, dueAtMs: number) =>
      updateSchedule(db, {
        schedule: makeSchedule('s', { memo: { owner } }),
        expectedVersion: 0,
        timers: [timerOf('s', dueAtMs)],
        deleteTimers: [],
      });
    const results = await Promise.allSettled([update('bob', 700), update('cy', 800)]);
    const won = results.findIndex((r) => r.status === 'fulfilled');
    const lost = results.find((r) => r.status === 'rejected');
    assert.ok(won >= 0 && lost !== undefined);
    assert.ok(lost.reason instanceof ScheduleConflictError, String(lost.reason));
    const s = await getSchedule(db, { namespace: 'default', scheduleId: 's' });
    assert.ok(s);
    assert.equal(s.version, 1);
    assert.deepEqual(s.memo, { owner: won === 0 ? 'bob' : 'cy' });
    // The winner's timer replaced the leased one, and its lease is free.
    assert.deepEqual(await timers(), [
      { key: 'schedule:default:s/next', due: won === 0 ? 700 : 800, lease: 0, owner: null },
    ]);
  });

  test('an update deletes and upserts timers in its transaction; one of a deleted schedule conflicts', async () => {
    await createSchedule(db, {
      schedule: makeSchedule('s'),
      timers: [timerOf('s', 500), timerOf('s', 600, 'catchup')],
    });
    await updateSchedule(db, {
      schedule: makeSchedule('s', { searchAttributes: { Team: 'dev' } }),
      expectedVersion: 0,
      timers: [timerOf('s', 900, 'later')],
      deleteTimers: [{ runId: 'schedule:default:s', key: 'next' }],
    });
    assert.deepEqual(
      (await timers()).map((t) => t.key),
      ['schedule:default:s/catchup', 'schedule:default:s/later'],
    );
    const s = await getSchedule(db, { namespace: 'default', scheduleId: 's' });
    assert.deepEqual(s?.searchAttributes, { Team: 'dev' });
    assert.ok(
      await deleteSchedule(db, { namespace: 'default', scheduleId: 's', deleteTimers: [] }),
    );
    await assert.rejects(
      updateSchedule(db, {
        schedule: makeSchedule('s'),
        expectedVersion: 1,
        timers: [timerOf('s', 1_000, 'again')],
        deleteTimers: [{ runId: 'schedule:default:s', key: 'later' }],
      }),
      ScheduleConflictError,
    );
    assert.equal((await timers()).length, 2);
  });

  test('delete removes the schedule and its timers, at an expected version only if unchanged', async () => {
    await createSchedule(db, { schedule: makeSchedule('s'), timers: [timerOf('s', 500)] });
    const del = (expectedVersion?: number) =>
      deleteSchedule(db, {
        namespace: 'default',
        scheduleId: 's',
        deleteTimers: [{ runId: 'schedule:default:s', key: 'next' }],
        ...(expectedVersion !== undefined && { expectedVersion }),
      });
    await updateSchedule(db, {
      schedule: makeSchedule('s'),
      expectedVersion: 0,
      timers: [],
      deleteTimers: [],
    });
    assert.equal(await del(0), false);
    assert.equal((await timers()).length, 1);
    assert.equal(await del(1), true);
    assert.deepEqual(await timers(), []);
    assert.equal(await getSchedule(db, { namespace: 'default', scheduleId: 's' }), undefined);
    assert.equal(await del(), false);
  });

  test('listSchedules pages in code point order after an id, within the namespace', async () => {
    await db.write('ns', (tx) => tx.query("INSERT INTO namespaces (name) VALUES ('other')"));
    for (const id of ['b', 'B', 'a_1', 'aX', 'é']) {
      await createSchedule(db, { schedule: makeSchedule(id), timers: [] });
    }
    await createSchedule(db, { schedule: makeSchedule('c', { namespace: 'other' }), timers: [] });
    const page = async (afterScheduleId?: string) =>
      (
        await listSchedules(db, {
          namespace: 'default',
          limit: 2,
          ...(afterScheduleId !== undefined && { afterScheduleId }),
        })
      ).map((s) => s.scheduleId);
    assert.deepEqual(await page(), ['B', 'aX']);
    assert.deepEqual(await page('aX'), ['a_1', 'b']);
    assert.deepEqual(await page('b'), ['é']);
  });

  test('listSchedules filters on custom attributes and TemporalSchedulePaused, and reads back the stored ones', async () => {
    await addSearchAttributes(db, {
      namespace: 'default',
      types: { Team: 'Keyword', Tier: 'Int', Tags: 'KeywordList' },
    });
    const base = makeSchedule('x');
    await createSchedule(db, { schedule: makeSchedule('ops-1'), timers: [] });
    await createSchedule(db, {
      schedule: makeSchedule('ops-2', {
        state: { ...base.state, paused: true },
        searchAttributes: { Team: 'ops', Tier: 5, Tags: ['eu', 'gold'] },
      }),
      timers: [],
    });
    await createSchedule(db, {
      schedule: makeSchedule('dev-1', { searchAttributes: undefined }),
      timers: [],
    });
    const list = async (query: string) =>
      (
        await listSchedules(db, {
          namespace: 'default',
          limit: 10,
          filter: parseListFilter(query),
        })
      ).map((s) => s.scheduleId);
    assert.deepEqual(await list('TemporalSchedulePaused = true'), ['ops-2']);
    assert.deepEqual(await list('TemporalSchedulePaused = false'), ['dev-1', 'ops-1']);
    assert.deepEqual(await list("Team = 'ops' AND Tier > 2"), ['ops-2']);
    assert.deepEqual(await list("Tags = 'gold'"), ['ops-2']);
    assert.deepEqual(await list('Team IS NULL'), ['dev-1']);
    assert.deepEqual(await list("Team STARTS_WITH 'op' AND TemporalSchedulePaused != true"), [
      'ops-1',
    ]);
    const [paused] = await listSchedules(db, {
      namespace: 'default',
      limit: 10,
      filter: parseListFilter('TemporalSchedulePaused = true'),
    });
    assert.deepEqual(paused?.searchAttributes, { Team: 'ops', Tier: 5, Tags: ['eu', 'gold'] });
    await assert.rejects(list("Owner = 'ann'"), /Owner is not a valid search attribute/);
    await assert.rejects(
      list("TemporalScheduledById = 's'"),
      /is a search attribute of the runs a schedule starts, not of a schedule/,
    );
  });

  test('one upsert of timers with a key twice keeps the last, as a loop of upserts would', async () => {
    await db.write('upsert', (tx) =>
      upsertTimers(tx, [timerOf('s', 100), timerOf('s', 300, 'b'), timerOf('s', 200)]),
    );
    assert.deepEqual(
      (await timers()).map((t) => [t.key, t.due]),
      [
        ['schedule:default:s/b', 300],
        ['schedule:default:s/next', 200],
      ],
    );
  });
});
