// docs/schedules.md, runnable: a schedule that starts `report` at 09:00 Paris time every day, on
// an engine whose ManualClock moves only when the program says, over a temporary SQLite file.
// Run: npx tsx examples/concepts/schedules/main.ts
import { pathToFileURL } from 'node:url';
import { Client, ScheduleOverlapPolicy } from 'reprise/client';
import { Engine, ManualClock } from 'reprise/server';
import { Worker } from 'reprise/worker';
import { tempStore, until } from '../temp-store.ts';
import type { report } from './workflows.ts';

export interface Outcome {
  /** The first action time, before the clock moves: 09:00 in Paris, in UTC. */
  readonly nextActionTime: string | undefined;
  /** The id of the run the schedule started at that time. */
  readonly startedWorkflowId: string | undefined;
  /** That run's result. */
  readonly result: string;
  /** The next action time after it: the next morning. */
  readonly followingActionTime: string | undefined;
}

export async function run(): Promise<Outcome> {
  const tmp = tempStore('schedules');
  const clock = new ManualClock(Date.UTC(2026, 0, 1)); // time moves only when we say
  const engine = await Engine.open({ store: tmp.store, clock });
  try {
    const worker = await Worker.create({
      connection: engine.connection,
      taskQueue: 'reports',
      workflowsPath: new URL('./workflows.ts', import.meta.url).pathname,
    });
    const client = new Client({ connection: engine.connection });
    return await worker.runUntil(async () => {
      const handle = await client.schedule.create({
        scheduleId: 'daily-report',
        spec: { cronExpressions: ['0 9 * * *'], timezone: 'Europe/Paris' },
        action: {
          type: 'startWorkflow',
          workflowType: 'report',
          taskQueue: 'reports',
          args: ['today'],
          workflowId: 'report',
        },
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
      });
      const nextActionTime = (await handle.describe()).info.nextActionTimes[0]?.toISOString();

      clock.set(Date.UTC(2026, 0, 1, 8)); // 09:00 in Paris
      await until(
        async () => (await handle.describe()).info.recentActions.length === 1,
        'the schedule to start its first run',
      );
      const { info } = await handle.describe();
      const startedWorkflowId = info.recentActions[0]?.action.workflow.workflowId;
      const result = await client.workflow
        .getHandle<typeof report>(startedWorkflowId ?? '')
        .result();

      await handle.delete();
      return {
        nextActionTime,
        startedWorkflowId,
        result,
        followingActionTime: info.nextActionTimes[0]?.toISOString(),
      };
    });
  } finally {
    await engine.close();
    tmp.remove();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // eslint-disable-next-line no-console
  console.log(await run());
}
