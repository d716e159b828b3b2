// A schedule that can take no more actions closes itself after 7 days idle, as Temporal's does:
// on a real engine, SQLite file and worker, with a ManualClock moved by the test.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Client, ScheduleNotFoundError } from 'reprise/client';
import type { ScheduleHandle, ScheduleOptions } from 'reprise/client';
import { Engine, ManualClock } from 'reprise/server';
import { quickJob } from './fixtures/schedule-workflows.ts';
import { startTestEnv, tempDir, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';
import { sqliteOnly } from '../helpers/test-store.ts';

const SECOND = 1000;
const HOUR = 60 * 60 * SECOND;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

describe('idle schedules', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let env: TestEnv;
  let n = 0;

  before(async () => {
    env = await startTestEnv({ clock, workflows: 'schedule-workflows.ts' });
  });
  after(async () => {
    await env.close();
  });

  const create = (
    prefix: string,
    options: Partial<ScheduleOptions> & Pick<ScheduleOptions, 'spec'>,
  ): Promise<ScheduleHandle> => {
    const scheduleId = `${prefix}-${++n}`;
    return env.client.schedule.create({
      scheduleId,
      action: {
        type: 'startWorkflow',
        workflowType: quickJob,
        taskQueue: env.taskQueue,
        args: [scheduleId],
        workflowId: scheduleId,
      },
      ...options,
    });
  };

  const exists = async (h: ScheduleHandle): Promise<boolean> => {
    try {
      await h.describe();
      return true;
    } catch (e) {
      if (e instanceof ScheduleNotFoundError) return false;
      throw e;
    }
  };

  const listed = async (h: ScheduleHandle): Promise<boolean> => {
    for await (const s of env.client.schedule.list())
      if (s.scheduleId === h.scheduleId) return true;
    return false;
  };

  const waitForGone = (h: ScheduleHandle): Promise<void> =>
    waitFor(async () => !(await exists(h)), `${h.scheduleId} to be deleted`);

  const waitForTaken = (h: ScheduleHandle, count: number): Promise<void> =>
    waitFor(
      async () => (await h.describe()).info.numActionsTaken >= count,
      `${h.scheduleId} to take ${count} action(s)`,
    );

  /** Moves the clock to `toMs` and waits until a schedule acting then has acted. */
  const advanceWithWitness = async (toMs: number): Promise<void> => {
    const period = 10 * 365 * DAY;
    const witness = await create('witness', {
      spec: { intervals: [{ every: period, offset: toMs % period }] },
    });
    clock.set(toMs);
    await waitForTaken(witness, 1);
    await witness.delete();
  };

  const nextHour = (): number => (Math.floor(clock.now() / HOUR) + 1) * HOUR;

  test('out of remaining actions, it is deleted 7 days after its last action', async () => {
    const h = await create('used-up', {
      spec: { cronExpressions: ['0 * * * *'] },
      state: { remainingActions: 1 },
    });
    const actionAt = nextHour();
    clock.set(actionAt);
    await waitForTaken(h, 1);
    const { info } = await h.describe();
    const takenAt = info.recentActions[0]?.takenAt.getTime() ?? 0;
    const started = info.recentActions[0]?.action.workflow.workflowId ?? '';

    await advanceWithWitness(takenAt + WEEK - SECOND);
    assert.equal(await exists(h), true);
    clock.set(takenAt + WEEK);
    await waitForGone(h);
    await assert.rejects(h.describe(), ScheduleNotFoundError);
    assert.equal(await listed(h), false);
    // The run it started is not touched.
    assert.equal(await env.client.workflow.getHandle(started).result(), h.scheduleId);
  });

  test('past its endAt, it is deleted 7 days after it was created', async () => {
    const createdAt = clock.now();
    const h = await create('ended', {
      spec: { intervals: [{ every: '1h' }], endAt: new Date(createdAt - HOUR) },
    });
    assert.deepEqual((await h.describe()).info.nextActionTimes, []);
    await advanceWithWitness(createdAt + WEEK - SECOND);
    assert.equal(await exists(h), true);
    clock.set(createdAt + WEEK);
    await waitForGone(h);
  });

  test('an update that lets it act again keeps it; one that does not counts as its last event', async () => {
    const again = await create('updated', {
      spec: { cronExpressions: ['0 * * * *'] },
      state: { remainingActions: 1 },
    });
    const still = await create('noted', {
      spec: { cronExpressions: ['0 * * * *'] },
      state: { remainingActions: 1 },
    });
    clock.set(nextHour());
    await waitForTaken(again, 1);
    await waitForTaken(still, 1);
    const takenAt = clock.now();

    await advanceWithWitness(takenAt + 3 * DAY);
    const updatedAt = clock.now();
    await again.update((d) => ({ ...d, state: { remainingActions: 5 } }));
    await still.update((d) => ({ ...d, state: { ...d.state, note: 'still out of actions' } }));

    await advanceWithWitness(takenAt + WEEK + HOUR);
    await waitForTaken(again, 2);
    assert.equal(await exists(again), true);
    assert.equal(await exists(still), true);
    clock.set(updatedAt + WEEK);
    await waitForGone(still);
    assert.equal(await exists(again), true);
    await again.delete();
  });

  test('paused, it is kept; unpaused, it is kept 7 more days', async () => {
    const createdAt = clock.now();
    const h = await create('paused', {
      spec: { cronExpressions: ['0 * * * *'] },
      state: { remainingActions: 0, paused: true },
    });
    await advanceWithWitness(createdAt + 2 * WEEK);
    assert.equal(await exists(h), true);
    const unpausedAt = clock.now();
    await h.unpause();
    await advanceWithWitness(unpausedAt + WEEK - SECOND);
    assert.equal(await exists(h), true);
    clock.set(unpausedAt + WEEK);
    await waitForGone(h);
  });
});

describe(
  'idle schedules of a database from before the 7-day rule',
  sqliteOnly('a SQLite file as an older version left it'),
  () => {
    const t0 = Date.UTC(2026, 0, 1);
    const period = 10 * 365 * DAY;
    const clock = new ManualClock(t0 - 8 * DAY);
    const tmp = tempDir();
    const file = join(tmp.dir, 'reprise.db');
    let engine: Engine | undefined;
    let client: Client;

    const open = async (): Promise<void> => {
      engine = await Engine.open({ store: `sqlite:${file}`, clock });
      client = new Client({ connection: engine.connection });
    };
    after(async () => {
      await engine?.close();
      tmp.remove();
    });

    const create = (scheduleId: string, options: Pick<ScheduleOptions, 'spec' | 'state'>) =>
      client.schedule.create({
        scheduleId,
        action: {
          type: 'startWorkflow',
          workflowType: quickJob,
          taskQueue: 'q',
          workflowId: scheduleId,
        },
        ...options,
      });

    const exists = (id: string): Promise<boolean> =>
      client.schedule
        .getHandle(id)
        .describe()
        .then(
          () => true,
          (e: unknown) => {
            if (e instanceof ScheduleNotFoundError) return false;
            throw e;
          },
        );
    const waitForGone = (id: string): Promise<void> =>
      waitFor(async () => !(await exists(id)), `${id} to be deleted`);

    /** The version of a schedule's row and when its wake-up is due (null: none). */
    const rowOf = (db: Database.Database, id: string) =>
      db
        .prepare<[string], { version: number; due_at_ms: number | null }>(
          'SELECT s.version, t.due_at_ms FROM schedules s LEFT JOIN timers t ' +
            "ON t.run_id = 'schedule:' || s.namespace || ':' || s.schedule_id AND t.key = 'next' " +
            "WHERE s.namespace = 'default' AND s.schedule_id = ?",
        )
        .get(id);

    /**
     * With the engine closed, the file as a version before the rule left it: the idle schedules
     * `ids` have no wake-up (their wake-up was their next action, and they had none) and, with
     * `schema9`, the schema is 9 (migration 10 adds rows only; 11's columns are dropped). Returns the rows of `active` and
     * `paused`.
     */
    const asBeforeTheRule = async (ids: string[], schema9: boolean) => {
      await engine?.close();
      engine = undefined;
      const db = new Database(file);
      try {
        const forget = db.prepare("DELETE FROM timers WHERE run_id = ? AND key = 'next'");
        for (const id of ids) forget.run(`schedule:default:${id}`);
        if (schema9) {
          // Schema 9 had no namespace records either: migration 11 adds them again.
          db.exec(
            'DELETE FROM schema_migrations WHERE version >= 10; ' +
              'ALTER TABLE namespaces DROP COLUMN description; ' +
              'ALTER TABLE namespaces DROP COLUMN created_at_ms',
          );
        }
        return [rowOf(db, 'active'), rowOf(db, 'paused')];
      } finally {
        db.close();
      }
    };

    test('get their deadline when an engine of this version opens it; others are not touched', async () => {
      const ended = { intervals: [{ every: '1h' }], endAt: new Date(t0 - 9 * DAY) };
      await open();
      await create('stale', { spec: ended });
      await asBeforeTheRule(['stale'], false);
      clock.set(t0);
      await open();
      await create('ended', { spec: ended });
      await create('used-up', {
        spec: { cronExpressions: ['0 * * * *'] },
        state: { remainingActions: 0 },
      });
      await create('paused', {
        spec: { cronExpressions: ['0 * * * *'] },
        state: { remainingActions: 0, paused: true },
      });
      await create('active', {
        spec: { intervals: [{ every: period, offset: (t0 + 30 * DAY) % period }] },
      });
      const before = await asBeforeTheRule(['ended', 'used-up'], true);
      assert.deepEqual(
        before.map((r) => r?.due_at_ms),
        [t0 + 30 * DAY, null],
      );

      clock.set(t0 + 2 * DAY);
      await open();
      // Idle for 10 days when the engine opens: deleted at once.
      await waitForGone('stale');
      // The others are deleted 7 days after they were created, not before: a witness acting a
      // second before shows the engine has looked at that time.
      const witness = await create('witness', {
        spec: { intervals: [{ every: period, offset: (t0 + WEEK - SECOND) % period }] },
      });
      clock.set(t0 + WEEK - SECOND);
      await waitFor(
        async () => (await witness.describe()).info.numActionsTaken >= 1,
        'the witness to act',
      );
      assert.equal(await exists('ended'), true);
      assert.equal(await exists('used-up'), true);
      clock.set(t0 + WEEK);
      await waitForGone('ended');
      await waitForGone('used-up');
      assert.equal(await exists('paused'), true);
      // Neither a schedule that had its wake-up nor a paused one is written to.
      assert.deepEqual(await asBeforeTheRule([], false), before);
    });
  },
);
