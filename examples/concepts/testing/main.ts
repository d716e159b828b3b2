// docs/testing.md, runnable: a workflow that sleeps thirty days finishes at once on a
// time-skipping TestWorkflowEnvironment (over a temporary SQLite file here; in memory by
// default), and an activity runs without an engine in a MockActivityEnvironment. testing.test.ts
// beside this file is the same, written as the tests the page shows.
// Run: npx tsx examples/concepts/testing/main.ts
import { pathToFileURL } from 'node:url';
import { MockActivityEnvironment, TestWorkflowEnvironment } from 'reprise/testing';
import { Worker } from 'reprise/worker';
import { tempStore } from '../temp-store.ts';
import * as activities from './activities.ts';
import { monthlyReport } from './workflows.ts';

export interface Outcome {
  /** The workflow's result. */
  readonly result: string;
  /** Virtual days that passed while the workflow ran. */
  readonly days: number;
  /** `uploadFile` run on its own, as its second attempt. */
  readonly upload: { readonly result: string; readonly heartbeats: readonly unknown[] };
}

export async function run(): Promise<Outcome> {
  const tmp = tempStore('testing');
  const env = await TestWorkflowEnvironment.createTimeSkipping({ store: tmp.store });
  let result: string;
  let days: number;
  try {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'test',
      workflowsPath: new URL('./workflows.ts', import.meta.url).pathname,
      activities,
    });
    const startedAt = env.currentTimeMs();
    result = await worker.runUntil(
      env.client.workflow.execute(monthlyReport, { taskQueue: 'test', workflowId: 'report-1' }),
    );
    days = Math.round((env.currentTimeMs() - startedAt) / 86_400_000);
  } finally {
    await env.teardown();
    tmp.remove();
  }

  const activityEnv = new MockActivityEnvironment({ attempt: 2 });
  const uploaded = await activityEnv.run(activities.uploadFile, 'report.pdf');
  return { result, days, upload: { result: uploaded, heartbeats: activityEnv.heartbeats } };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // eslint-disable-next-line no-console
  console.log(await run());
}
