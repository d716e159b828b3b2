// Temporal's task priority: a backlog is handed out lowest priorityKey first (first in, first out
// within a key), for workflow tasks and activity tasks; activities and children inherit the
// workflow's priority field by field and override what they set; continue-as-new, retries and a
// schedule's runs carry it; workflowInfo(), activityInfo(), describe() and the history show it;
// bad values are refused and change nothing; priority is not matched on replay.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { InvalidArgumentError, ScheduleNotFoundError, WorkflowNotFoundError } from 'reprise/client';
import type { Priority } from 'reprise/client';
import { Worker } from 'reprise/worker';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';
import * as activities from './fixtures/priority-activities.ts';
import {
  callsWith,
  childPriority,
  continues,
  failsOnce,
  inheritance,
  scheduleActivities,
  served,
} from './fixtures/priority-workflows.ts';
import { fixturesPath, startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

/** The priority each event of a history records, by event type, in history order. */
function prioritiesOf(events: readonly HistoryEvent[]): [string, unknown][] {
  return events.flatMap((e): [string, unknown][] =>
    'priority' in e && e.priority !== undefined ? [[e.type, e.priority]] : [],
  );
}

describe('task priority', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ workflows: 'priority-workflows.ts', activities });
  });
  after(async () => {
    await env.close();
  });
  beforeEach(() => {
    activities.recorded.length = 0;
  });

  test('a backlog of workflow tasks is served lowest priorityKey first, first in first out within a key', async () => {
    await env.stopWorkers();
    const queued: [string, number | undefined][] = [
      ['a', 5],
      ['b', undefined],
      ['c', 1],
      ['d', 3],
      ['e', 1],
      ['f', 2],
      ['g', undefined],
      ['h', 4],
    ];
    const handles = [];
    for (const [name, priorityKey] of queued) {
      handles.push(
        await env.client.workflow.start(served, {
          workflowId: `backlog-${name}`,
          taskQueue: env.taskQueue,
          args: [name],
          ...(priorityKey !== undefined && { priority: { priorityKey } }),
        }),
      );
    }
    // One workflow task at a time: the worker takes the queue's tasks one by one.
    const { stop } = await env.startWorker({ maxConcurrentWorkflowTaskExecutions: 1 });
    try {
      await Promise.all(handles.map((h) => h.result()));
      assert.deepEqual(activities.recorded, ['c', 'e', 'f', 'b', 'd', 'g', 'h', 'a']);
    } finally {
      await stop();
      await env.startWorker();
    }
  });

  test("a backlog of activity tasks is served by each activity's priority, its own over its workflow's", async () => {
    const activityQueue = `${env.taskQueue}-activities`;
    // The workflow schedules its activities on a queue no worker serves yet: they wait there.
    const handle = await env.client.workflow.start(scheduleActivities, {
      workflowId: 'activity-backlog',
      taskQueue: env.taskQueue,
      args: [activityQueue],
      priority: { priorityKey: 2 },
    });
    await waitFor(
      async () => (await handle.describe()).pendingActivities.length === 5,
      'the five activities to be scheduled',
    );
    // describe() shows each pending activity's own priority, as Temporal's server does ('inherits'
    // sets none: {}); activityInfo().priority is the one with the workflow's filled in.
    assert.deepEqual(
      (await handle.describe()).pendingActivities.map((a) => a.priority),
      [{ priorityKey: 5 }, {}, { priorityKey: 3 }, { priorityKey: 1 }, { priorityKey: 4 }],
    );
    const worker = await Worker.create({
      connection: env.engine.connection,
      taskQueue: activityQueue,
      activities,
      maxConcurrentActivityTaskExecutions: 1,
    });
    await worker.runUntil(handle.result());
    // 'inherits' has the workflow's key, 2.
    assert.deepEqual(activities.recorded, ['one', 'inherits', 'three', 'four', 'five']);
  });

  test("activities and children inherit the workflow's priority field by field and override what they set", async () => {
    const priority = { priorityKey: 2, fairnessKey: 'tenant-a' };
    const handle = await env.client.workflow.start(inheritance, {
      workflowId: 'inherits',
      taskQueue: env.taskQueue,
      priority,
    });
    assert.deepEqual(await handle.result(), {
      workflow: priority,
      activity: priority,
      ownActivity: { priorityKey: 5, fairnessKey: 'activity' },
      localActivity: { ...priority, fairnessWeight: 2.5 },
      child: { priorityKey: 4, fairnessKey: 'tenant-a', fairnessWeight: 0.5 },
      plainChild: priority,
    });
    // The history records each call's own, and each run's start what the run has.
    assert.deepEqual(prioritiesOf((await handle.fetchHistory()).events), [
      ['WorkflowExecutionStarted', priority],
      ['ActivityTaskScheduled', { priorityKey: 5, fairnessKey: 'activity' }],
      ['StartChildWorkflowExecutionInitiated', { priorityKey: 4, fairnessWeight: 0.5 }],
    ]);
    const child = env.client.workflow.getHandle('inherits-child');
    assert.deepEqual(prioritiesOf((await child.fetchHistory()).events), [
      [
        'WorkflowExecutionStarted',
        { priorityKey: 4, fairnessKey: 'tenant-a', fairnessWeight: 0.5 },
      ],
    ]);
    assert.deepEqual((await handle.describe()).priority, priority);
    assert.deepEqual((await child.describe()).priority, {
      priorityKey: 4,
      fairnessKey: 'tenant-a',
      fairnessWeight: 0.5,
    });
    // A list item has the run's priority too, as Temporal's WorkflowExecutionInfo.
    const listed = [];
    for await (const run of env.client.workflow.list({
      query: "WorkflowId = 'inherits' OR WorkflowId = 'inherits-child' ORDER BY WorkflowId",
    })) {
      listed.push([run.workflowId, run.priority]);
    }
    assert.deepEqual(listed, [
      ['inherits', priority],
      ['inherits-child', { priorityKey: 4, fairnessKey: 'tenant-a', fairnessWeight: 0.5 }],
    ]);
  });

  test('a run started without a priority has none: workflowInfo() and describe() give {}', async () => {
    const handle = await env.client.workflow.start(childPriority, {
      workflowId: 'no-priority',
      taskQueue: env.taskQueue,
      // Temporal's zero values are "unset".
      priority: { priorityKey: 0, fairnessKey: '', fairnessWeight: 0 },
    });
    assert.deepEqual(await handle.result(), {});
    assert.deepEqual((await handle.describe()).priority, {});
    const listed = [];
    for await (const run of env.client.workflow.list({ query: "WorkflowId = 'no-priority'" })) {
      listed.push(run.priority);
    }
    assert.deepEqual(listed, [{}]);
    assert.deepEqual(prioritiesOf((await handle.fetchHistory()).events), []);
  });

  test("continue-as-new and a retry keep the run's priority", async () => {
    const priority = { priorityKey: 1, fairnessKey: 'chain', fairnessWeight: 3 };
    const chain = await env.client.workflow.start(continues, {
      workflowId: 'continues',
      taskQueue: env.taskQueue,
      args: [2],
      priority,
    });
    assert.deepEqual(await chain.result(), priority);
    assert.deepEqual((await chain.describe()).priority, priority);
    const retried = await env.client.workflow.start(failsOnce, {
      workflowId: 'retried',
      taskQueue: env.taskQueue,
      retry: { maximumAttempts: 2, initialInterval: 1 },
      priority,
    });
    assert.deepEqual(await retried.result(), { attempt: 2, priority });
  });

  test("a schedule's action gives each run it starts its priority", async () => {
    const priority = { priorityKey: 4, fairnessKey: 'nightly' };
    const h = await env.client.schedule.create({
      scheduleId: 'prio-schedule',
      spec: { cronExpressions: ['0 0 1 1 *'] },
      action: {
        type: 'startWorkflow',
        workflowType: childPriority,
        taskQueue: env.taskQueue,
        workflowId: 'prio-scheduled',
        priority,
      },
      state: { paused: true },
    });
    assert.deepEqual((await h.describe()).action.priority, priority);
    await h.trigger();
    await waitFor(
      async () => (await h.describe()).info.recentActions.length === 1,
      'the triggered run',
    );
    const [action] = (await h.describe()).info.recentActions;
    const run = env.client.workflow.getHandle(action?.action.workflow.workflowId ?? '');
    assert.deepEqual(await run.result(), priority);
    await h.delete();
  });

  test('a bad priority is refused with InvalidArgumentError that says what to pass, and nothing is started', async () => {
    const bad: [Priority, RegExp][] = [
      [
        { priorityKey: 1.5 },
        /priorityKey of workflow 'bad' is 1\.5: it must be a whole number from 1/,
      ],
      [{ priorityKey: -1 }, /priorityKey of workflow 'bad' is -1: .*leave it unset \(or 0\)/],
      [
        { fairnessKey: 'k'.repeat(65) },
        /fairnessKey of workflow 'bad' is 65 bytes as UTF-8, over Temporal's 64-byte limit/,
      ],
      [{ fairnessKey: 'é'.repeat(33) }, /fairnessKey of workflow 'bad' is 66 bytes/],
      [
        { fairnessWeight: -2 },
        /fairnessWeight of workflow 'bad' is -2: it must be a finite number above 0/,
      ],
    ];
    for (const [priority, message] of bad) {
      await assert.rejects(
        env.client.workflow.start(childPriority, {
          workflowId: 'bad',
          taskQueue: env.taskQueue,
          priority,
        }),
        (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message),
      );
    }
    await assert.rejects(
      env.client.workflow.signalWithStart(childPriority, {
        workflowId: 'bad',
        taskQueue: env.taskQueue,
        signal: 'poke',
        priority: { priorityKey: 2.5 },
      }),
      InvalidArgumentError,
    );
    await assert.rejects(env.client.workflow.getHandle('bad').describe(), WorkflowNotFoundError);
    await assert.rejects(
      env.client.schedule.create({
        scheduleId: 'bad-schedule',
        spec: { cronExpressions: ['0 0 1 1 *'] },
        action: {
          type: 'startWorkflow',
          workflowType: childPriority,
          taskQueue: env.taskQueue,
          priority: { priorityKey: 0.5 },
        },
      }),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        /priorityKey of the action of schedule 'bad-schedule' is 0\.5/.test(e.message),
    );
    await assert.rejects(
      env.client.schedule.getHandle('bad-schedule').describe(),
      ScheduleNotFoundError,
    );
  });

  test("a schedule action's wrongly typed priority is refused as a start's is, with the same message, and nothing is written", async () => {
    const wrong = { priorityKey: 'high' } as unknown as Priority;
    const message = (what: string) =>
      new RegExp(`^The priorityKey of ${what} is "high": it must be a whole number from 1`);
    await assert.rejects(
      env.client.workflow.start(childPriority, {
        workflowId: 'typed-wrong',
        taskQueue: env.taskQueue,
        priority: wrong,
      }),
      (e: unknown) =>
        e instanceof InvalidArgumentError && message("workflow 'typed-wrong'").test(e.message),
    );
    const action = {
      type: 'startWorkflow',
      workflowType: childPriority,
      taskQueue: env.taskQueue,
      workflowId: 'typed-wrong-run',
    } as const;
    await assert.rejects(
      env.client.schedule.create({
        scheduleId: 'typed-wrong',
        spec: { cronExpressions: ['0 0 1 1 *'] },
        action: { ...action, priority: wrong },
      }),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        message("the action of schedule 'typed-wrong'").test(e.message),
    );
    await assert.rejects(
      env.client.schedule.getHandle('typed-wrong').describe(),
      ScheduleNotFoundError,
    );
    // An update's action is checked the same way, and leaves the schedule as it was.
    const h = await env.client.schedule.create({
      scheduleId: 'typed-wrong',
      spec: { cronExpressions: ['0 0 1 1 *'] },
      action: { ...action, priority: { priorityKey: 2 } },
      state: { paused: true },
    });
    await assert.rejects(
      h.update((d) => ({
        ...d,
        action: { ...d.action, priority: { fairnessKey: 7 } as unknown as Priority },
      })),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        /^The fairnessKey of the action of schedule 'typed-wrong' is 7: pass a string/.test(
          e.message,
        ),
    );
    assert.deepEqual((await h.describe()).action.priority, { priorityKey: 2 });
    await h.delete();
  });

  test('a bad priority in workflow code fails the workflow task at the call, and records nothing', async () => {
    const handle = await env.client.workflow.start(callsWith, {
      workflowId: 'calls-with-bad',
      taskQueue: env.taskQueue,
      args: [{ priorityKey: 0.5 }],
    });
    await waitFor(
      async () => (await handle.describe()).lastWorkflowTaskFailure !== undefined,
      'the workflow task to fail',
    );
    const failure = (await handle.describe()).lastWorkflowTaskFailure;
    assert.match(
      failure?.failure.message ?? '',
      /priorityKey of an activity is 0\.5: it must be a whole number from 1/,
    );
    const events = (await handle.fetchHistory()).events;
    assert.ok(!events.some((e) => e.type === 'ActivityTaskScheduled'));
    await handle.terminate();
  });

  test('priority is not matched on replay: a history without it replays under code that sets it, and the reverse', async () => {
    const handle = await env.client.workflow.start(inheritance, {
      workflowId: 'replayed',
      taskQueue: env.taskQueue,
      priority: { priorityKey: 1 },
    });
    await handle.result();
    const history = await handle.fetchHistory();
    assert.notDeepEqual(prioritiesOf(history.events), []);
    // As recorded before priorities: no event has the field.
    const before = {
      ...history,
      events: history.events.map((e) => {
        const { priority: _dropped, ...rest } = e as HistoryEvent & { priority?: unknown };
        return rest;
      }),
    };
    assert.deepEqual(prioritiesOf(before.events), []);
    const workflowsPath = fixturesPath('priority-workflows.ts');
    await Worker.runReplayHistory({ workflowsPath }, before);
    // And code whose calls set no priority replays the history that records theirs.
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath('priority-workflows-changed.ts') },
      history,
    );
  });
});
