// A schedule that can take no more actions closes itself after 7 days idle, as Temporal's does:
// on a real engine, SQLite file and worker, with a ManualClock moved by the test.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ScheduleNotFoundError } from 'reprise/client';
import type { ScheduleHandle, ScheduleOptions } from 'reprise/client';
import { ManualClock } from 'reprise/server';
import { quickJob } from './fixtures/schedule-workflows.ts';
import { startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

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
