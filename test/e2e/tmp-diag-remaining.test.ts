// TEMPORARY diagnostic (to be deleted).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ScheduleHandle, ScheduleOptions } from 'reprise/client';
import { ManualClock } from 'reprise/server';
import { heldJob, quickJob } from './fixtures/schedule-workflows.ts';
import { startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const HOUR = 3600_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

describe('diag', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let env: TestEnv;
  let n = 0;
  before(async () => {
    env = await startTestEnv({ clock, workflows: 'schedule-workflows.ts' });
  });
  after(async () => {
    await env.close();
  });
  const nextHour = (): number => (Math.floor(clock.now() / HOUR) + 1) * HOUR;
  const create = (sid: string, o: Partial<ScheduleOptions> & Pick<ScheduleOptions, 'spec'>, wt: typeof quickJob | typeof heldJob = quickJob) =>
    env.client.schedule.create({
      scheduleId: sid,
      action: { type: 'startWorkflow', workflowType: wt, taskQueue: env.taskQueue, args: [sid], workflowId: sid },
      ...o,
    });
  const taken = async (h: ScheduleHandle) => (await h.describe()).info.numActionsTaken;

  for (const wt of [quickJob, heldJob]) {
    test(`remaining with ${wt.name}`, async () => {
      const sid = `remaining-${++n}`;
      const base = nextHour();
      const h = await create(sid, { spec: { cronExpressions: ['0 * * * *'] }, state: { remainingActions: 2 } }, wt);
      clock.set(base);
      await waitFor(async () => (await taken(h)) >= 1, 'first');
      const firstStatus = (await env.client.workflow.getHandle(`${sid}-${iso(base)}`).describe()).status;
      clock.set(base + HOUR);
      try {
        await waitFor(async () => (await taken(h)) >= 2, 'second', 3000);
        console.log(`DIAG ${wt.name} ok; first run was ${firstStatus} when the clock moved`);
      } catch (e) {
        const d = await h.describe();
        console.log(`DIAG ${wt.name} FAILED; first run was ${firstStatus} when the clock moved;`,
          JSON.stringify({ taken: d.info.numActionsTaken, skipped: d.info.numActionsSkippedOverlap, remaining: d.state.remainingActions, next: d.info.nextActionTimes }));
        if (wt === quickJob) throw e;
      }
      await h.delete();
    });
  }
});
