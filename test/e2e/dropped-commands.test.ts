import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, describe, test } from 'node:test';
import { Worker } from 'reprise/worker';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';
import * as activities from './fixtures/activities.ts';
import {
  CANCELLED_CALLS,
  activityCancelledAtOnce,
  cancelledAfterLocalActivity,
  cancelledCallOrder,
  collectNotes,
  droppedSignalOrder,
  localActivityCancelledAtOnce,
  signalCancelledAtOnce,
  timersCancelledAtOnce,
} from './fixtures/dropped-command-workflows.ts';
import { fixturesPath, startTestEnv } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';
import { ruleFlags } from '../helpers/rule-flags.ts';

const workflows = 'dropped-command-workflows.ts';

type History = { workflowId: string; runId: string; events: HistoryEvent[] };

const flagsOf = (history: History): string[] =>
  history.events.flatMap((e) => (e.type === 'WorkflowTaskCompleted' ? ruleFlags(e.sdkFlags) : []));

/** The types of the events of workflow code's commands, in order (the task events left out). */
const commandEventsOf = (history: History): string[] =>
  history.events
    .map((e) => e.type)
    .filter((t) => /^(Timer|ActivityTask|SignalExternal|MarkerRecorded)/.test(t));

function legacyHistory(name: string, prefix = 'dropped-commands-legacy'): History {
  // Recorded by the old code (generate-dropped-commands-histories.ts and the other generators).
  const file = `../replay/fixtures/${prefix}-${name}.history.json`;
  return JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8')) as History;
}

const SETTLE_LATER_FLAG = 'reprise/cancellations-settle-next-activation';

describe('commands cancelled in the activation that issued them', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;
  const replay = (history: History): Promise<void> =>
    Worker.runReplayHistory({ workflowsPath: fixturesPath(workflows) }, history);

  before(async () => {
    env = await startTestEnv({ workflows, activities });
  });
  beforeEach(() => {
    activities.resetActivityState();
  });
  after(async () => {
    await env.close();
  });

  test('a timer cancelled where it started is not recorded, nor one a condition met at once started', async () => {
    const handle = await env.client.workflow.start(timersCancelledAtOnce, {
      taskQueue: env.taskQueue,
      workflowId: id('timers'),
    });
    assert.deepEqual(await handle.result(), ['sleep: cancelled', 'condition: true', 'slept']);
    const history = await handle.fetchHistory();
    const types = history.events.map((e) => e.type);
    assert.deepEqual(
      types.filter((t) => t.startsWith('Timer')),
      ['TimerStarted', 'TimerFired'],
    );
    assert.deepEqual(flagsOf(history), ['reprise/timer-cancel-unsent-drops']);
    await replay(history);
  });

  test('a signal whose scope is cancelled where it was made is not sent, and rejects as cancelled', async () => {
    const target = await env.client.workflow.start(collectNotes, {
      taskQueue: env.taskQueue,
      workflowId: id('notes'),
    });
    const handle = await env.client.workflow.start(signalCancelledAtOnce, {
      taskQueue: env.taskQueue,
      workflowId: id('signal'),
      args: [target.workflowId],
    });
    assert.deepEqual(await handle.result(), ['signal: cancelled', 'sent']);
    assert.deepEqual(await target.result(), ['sent']);
    const history = await handle.fetchHistory();
    const initiated = history.events.filter(
      (e) => e.type === 'SignalExternalWorkflowExecutionInitiated',
    );
    assert.equal(initiated.length, 1);
    assert.deepEqual(flagsOf(history), [
      'reprise/signal-cancel-unsent-drops',
      'reprise/dropped-signal-rejects-next-activation',
    ]);
    await replay(history);
  });

  for (const cancellationType of [
    'TRY_CANCEL',
    'WAIT_CANCELLATION_COMPLETED',
    'ABANDON',
  ] as const) {
    test(`an activity (${cancellationType}) cancelled where it was scheduled is not scheduled`, async () => {
      const handle = await env.client.workflow.start(activityCancelledAtOnce, {
        taskQueue: env.taskQueue,
        workflowId: id('activity'),
        args: [cancellationType],
      });
      assert.equal(await handle.result(), 'activity: cancelled');
      const history = await handle.fetchHistory();
      const types = history.events.map((e) => e.type);
      assert.ok(!types.some((t) => t.startsWith('ActivityTask')), types.join(', '));
      // One workflow task: nothing came back to wake the run again.
      assert.equal(types.filter((t) => t === 'WorkflowTaskCompleted').length, 1);
      assert.deepEqual(flagsOf(history), [
        'reprise/activity-cancel-unsent-drops',
        SETTLE_LATER_FLAG,
      ]);
      assert.equal(activities.state.calls.get('greet'), undefined);
      await replay(history);
    });
  }

  test('a timer, an activity and a signal cancelled after a local activity of their workflow task are not sent either', async () => {
    const target = await env.client.workflow.start(collectNotes, {
      taskQueue: env.taskQueue,
      workflowId: id('notes'),
    });
    const handle = await env.client.workflow.start(cancelledAfterLocalActivity, {
      taskQueue: env.taskQueue,
      workflowId: id('in-task'),
      args: [target.workflowId],
    });
    assert.deepEqual(await handle.result(), [
      'sleep: cancelled',
      'activity: cancelled',
      'signal: cancelled',
      'sent',
    ]);
    assert.deepEqual(await target.result(), ['sent']);
    const history = await handle.fetchHistory();
    // The first task records only the local activity's marker; the signal sent later follows.
    assert.deepEqual(commandEventsOf(history), [
      'MarkerRecorded',
      'SignalExternalWorkflowExecutionInitiated',
    ]);
    assert.deepEqual(flagsOf(history), [
      'reprise/cancel-in-task-drops',
      SETTLE_LATER_FLAG,
      'reprise/dropped-signal-rejects-next-activation',
    ]);
    assert.equal(activities.state.calls.get('greet'), undefined);
    await replay(history);
  });

  test('a dropped signal rejects in the next activation, after the microtasks of the one that dropped it', async () => {
    const handle = await env.client.workflow.start(droppedSignalOrder, {
      taskQueue: env.taskQueue,
      workflowId: id('signal-order'),
      args: ['nobody'],
    });
    assert.equal(await handle.result(), 'microtasks');
    const history = await handle.fetchHistory();
    assert.deepEqual(commandEventsOf(history), []);
    assert.deepEqual(flagsOf(history), [
      'reprise/signal-cancel-unsent-drops',
      'reprise/dropped-signal-rejects-next-activation',
    ]);
    await replay(history);
  });

  test('a local activity (WAIT_CANCELLATION_COMPLETED) cancelled where it was called is not run, and records its cancellation there', async () => {
    const handle = await env.client.workflow.start(localActivityCancelledAtOnce, {
      taskQueue: env.taskQueue,
      workflowId: id('local-activity'),
    });
    assert.deepEqual(await handle.result(), ['local activity: cancelled', 'slept']);
    const history = await handle.fetchHistory();
    // Its marker comes where it was cancelled: before the timer started after it.
    assert.deepEqual(commandEventsOf(history), ['MarkerRecorded', 'TimerStarted', 'TimerFired']);
    const marker = history.events.find((e) => e.type === 'MarkerRecorded');
    assert.ok(marker?.type === 'MarkerRecorded');
    assert.equal(
      (marker.details as { failure?: { cause?: { info?: { type?: string } } } }).failure?.cause
        ?.info?.type,
      'cancelled',
    );
    assert.deepEqual(flagsOf(history), ['reprise/local-activity-cancel-unsent-not-run']);
    assert.equal(activities.state.calls.get('greet'), undefined);
    await replay(history);
  });

  // Temporal's worker answers these cancellations with a job, so the call learns of its
  // cancellation in the next activation, once the cancelling one ran its microtasks.
  for (const kind of CANCELLED_CALLS) {
    test(`a call whose cancellation settles it rejects in the next activation, after the microtasks of the one that cancelled it: ${kind}`, async () => {
      const handle = await env.client.workflow.start(cancelledCallOrder, {
        taskQueue: env.taskQueue,
        workflowId: id(`order-${kind}`),
        args: [kind],
      });
      assert.equal(await handle.result(), 'microtasks');
      const history = await handle.fetchHistory();
      assert.ok(flagsOf(history).includes(SETTLE_LATER_FLAG), flagsOf(history).join(', '));
      await replay(history);
    });

    test(`a history recorded before cancellations settled in the next activation replays as it ran: ${kind}`, async () => {
      const history = legacyHistory(kind, 'cancelled-call-order-legacy');
      assert.ok(!flagsOf(history).includes(SETTLE_LATER_FLAG));
      // The call rejected first, and a timer recorded that.
      assert.equal(history.events.at(-1)?.type, 'WorkflowExecutionCompleted');
      const completed = history.events.at(-1);
      assert.ok(completed?.type === 'WorkflowExecutionCompleted');
      assert.equal(completed.result, 'call rejected');
      await replay(history);
    });
  }

  // Each recorded by the code of before a rule (the flags it took then).
  for (const [name, flags] of [
    ['timers', []],
    ['signal', []],
    ['activity-try-cancel', []],
    ['activity-wait-cancellation-completed', []],
    ['activity-abandon', []],
    ['in-task', []],
    ['signal-order', ['reprise/signal-cancel-unsent-drops']],
    ['local-activity-wait-cancellation-completed', []],
  ] as const) {
    test(`a history recorded before these rules replays as it ran: ${name}`, async () => {
      const history = legacyHistory(name);
      assert.deepEqual(flagsOf(history), flags);
      await replay(history);
    });
  }
});
