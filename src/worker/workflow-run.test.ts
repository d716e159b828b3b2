import assert from 'node:assert/strict';
// First: it takes the test runner's listeners before any sandbox adds its own.
import { hideSandboxRejectionsFromTestRunner } from '../../test/helpers/sandbox-rejections.ts';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Command } from '../protocol/commands.ts';
import { PATCH_MARKER } from '../protocol/history-events.ts';
import type { HistoryEvent } from '../protocol/history-events.ts';
import type { OutcomesInHistory } from '../protocol/activation.ts';
import { PATCH_MARKER_NAME } from '../workflow/activator.ts';
import { Context } from '../activity/context.ts';
import { MockActivityEnvironment } from '../testing/mock-activity-environment.ts';
import {
  HistoryBuilder,
  START_TIME_MS,
  applicationFailure,
} from '../../test/helpers/history-builders.ts';
import { bundleWorkflows } from './sandbox/bundle.ts';
import type { WorkflowBundle } from './sandbox/bundle.ts';
import { VmSandbox } from './sandbox/vm-sandbox.ts';
import { recordingLogger, waitFor } from '../../test/helpers/test-env.ts';
import { WorkflowRun } from './workflow-run.ts';
import type { RunActivationResult } from './workflow-run.ts';

const BASICS = 'test/runtime/workflows/basics.ts';

let basics: WorkflowBundle;
let sandbox: VmSandbox;
let v1: VmSandbox;
let v2: VmSandbox;

before(async () => {
  basics = await bundleWorkflows({ workflowsPath: BASICS });
  sandbox = VmSandbox.create(basics);
  v1 = VmSandbox.create(
    await bundleWorkflows({ workflowsPath: 'test/runtime/workflows/versioned-v1.ts' }),
  );
  v2 = VmSandbox.create(
    await bundleWorkflows({ workflowsPath: 'test/runtime/workflows/versioned-v2.ts' }),
  );
});
after(() => {
  sandbox.dispose();
  v1.dispose();
  v2.dispose();
});

function newRun(on: VmSandbox = sandbox, runId = 'run-1'): WorkflowRun {
  return new WorkflowRun({ sandbox: on, runId, namespace: 'default' });
}

function commandsOf(result: RunActivationResult): Command[] {
  assert.equal(result.status, 'success', JSON.stringify(result));
  return result.commands;
}

function failureOf(
  result: RunActivationResult,
): Extract<RunActivationResult, { status: 'failed' }> {
  assert.equal(result.status, 'failed', JSON.stringify(result));
  return result;
}

/**
 * The run's answer to the built-in `__stack_trace` query. Every frame in it is the workflow's own,
 * in its source file: none of the runtime's, node's or the worker's below the sandbox.
 */
function stackTraceOf(run: WorkflowRun): string {
  const result = run.query({ queryType: '__stack_trace', args: [] });
  assert.equal(result.status, 'success', JSON.stringify(result));
  const stack = String(result.result);
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line));
  for (const frame of frames)
    assert.match(frame, /test\/runtime\/workflows\/basics\.ts:\d+:\d+/, stack);
  return stack;
}

/** A stack line at the first line of the test workflows that contains `text`. */
function atBasicsLine(text: string): RegExp {
  const line = readFileSync(BASICS, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text));
  assert.notEqual(line, -1, `no line of ${BASICS} contains ${text}`);
  return new RegExp(`basics\\.ts:${line + 1}:`);
}

/** A sandbox of the isolation workflows whose deadlock watchdog fires after 300 ms. */
async function quickSandbox(): Promise<VmSandbox> {
  return VmSandbox.create(
    await bundleWorkflows({ workflowsPath: 'test/runtime/workflows/isolation.ts' }),
    { deadlockTimeoutMs: 300 },
  );
}

/** Runs a live task on `run` for the events after what it has seen; records its commands. */
function step(run: WorkflowRun, h: HistoryBuilder): Command[] {
  h.startTask();
  const commands = commandsOf(run.activate(h.after(run.lastEventId)));
  h.completeTask(commands);
  return commands;
}

/**
 * A run of `workflowType` on `on` past its first task, with signal `signal` and a task for it
 * in its history, not yet activated.
 */
function signaledRun(
  on: VmSandbox,
  workflowType: string,
  runId: string,
  signal: string,
): { h: HistoryBuilder; run: WorkflowRun } {
  const h = new HistoryBuilder().started(workflowType);
  const run = newRun(on, runId);
  step(run, h);
  h.signaled(signal).startTask();
  return { h, run };
}

/**
 * `sleepChargeSleep` run live up to its second timer: its history then, and two earlier cuts
 * (the charge scheduled; the charge's result in history with no task after it).
 */
function sleepChargeSleepHistory(): {
  events: HistoryEvent[];
  chargePending: HistoryEvent[];
  chargeUndelivered: HistoryEvent[];
} {
  const h = new HistoryBuilder().started('sleepChargeSleep', [7]);
  const live = newRun(sandbox, 'live');
  step(live, h);
  h.advance(10).timerFired(1);
  step(live, h);
  const chargePending = h.events.slice();
  h.activityCompleted(1, 'receipt-7');
  const chargeUndelivered = h.events.slice();
  step(live, h);
  live.dispose();
  return { events: h.events, chargePending, chargeUndelivered };
}

describe('WorkflowRun', () => {
  test('sleep schedules one timer and completes when it fires', () => {
    const h = new HistoryBuilder().started('sleeper', [100]);
    const run = newRun();
    assert.deepEqual(step(run, h), [{ type: 'StartTimer', seq: 1, durationMs: 100 }]);
    h.advance(100).timerFired(1);
    assert.deepEqual(step(run, h), [{ type: 'CompleteWorkflowExecution', result: 'slept' }]);
    run.dispose();
  });

  test('a cancellation history did not record, of a timer that fired before the task completed, is accepted', () => {
    // The timer fired, and the approval came, before the second task: the signal handler runs
    // first and clears the timeout; the engine, with no timer left to cancel, records nothing.
    const h = new HistoryBuilder().started('clearTimeoutOnApproval', [1000]);
    const run = newRun();
    assert.deepEqual(
      step(run, h).map((c) => c.type),
      ['StartTimer'],
    );
    h.timerFired(1).signaled('approve', ['ann']).startTask();
    assert.deepEqual(commandsOf(run.activate(h.after(run.lastEventId))), [
      { type: 'CancelTimer', seq: 1 },
    ]);
    h.completeTask([]).signaled('approve', ['bob']).startTask();
    const done = [{ type: 'CompleteWorkflowExecution', result: 'approved' }];
    assert.deepEqual(commandsOf(run.activate(h.after(run.lastEventId))), done, 'cached');
    run.dispose();
    const replayed = newRun(sandbox, 'run-replayed');
    assert.deepEqual(commandsOf(replayed.activate(h.events)), done, 'replayed');
    replayed.dispose();
  });

  test('a cancellation history did not record, of a timer that fired only after the task completed, is non-determinism', () => {
    const h = new HistoryBuilder().started('clearTimeoutOnApproval', [1000]);
    const live = newRun();
    step(live, h);
    h.signaled('approve', ['ann']).startTask();
    assert.deepEqual(commandsOf(live.activate(h.after(live.lastEventId))), [
      { type: 'CancelTimer', seq: 1 },
    ]);
    live.dispose();
    // Not what the engine records for that answer: the timer was still pending when it came.
    h.completeTask([]).timerFired(1).signaled('approve', ['bob']).startTask();
    const run = newRun(sandbox, 'run-replayed');
    const failed = failureOf(run.activate(h.events));
    assert.equal(failed.cause, 'NonDeterminism');
    assert.match(failed.failure.message, /history has no event for it .*CancelTimer \(seq 1\)/);
    run.dispose();
  });

  test('a long run keeps no record of the activities and timers it is done with', () => {
    const h = new HistoryBuilder().started('chargeMany', [30]);
    const run = newRun();
    let [command] = step(run, h);
    for (let i = 1; i <= 30; i++) {
      assert.equal(command?.type, 'ScheduleActivityTask');
      h.activityCompleted(i, `receipt-${i}`);
      [command] = step(run, h);
      assert.equal(command?.type, 'StartTimer');
      h.advance(10).timerFired(i);
      [command] = step(run, h);
      // The activity waiting, or one whose outcome the last activation gave.
      assert.ok(run.trackedOperations <= 2, `step ${i}: ${run.trackedOperations} kept`);
    }
    assert.deepEqual(command, { type: 'CompleteWorkflowExecution', result: 30 });
    run.dispose();
  });

  test('a long run keeps no record of the timers it cancelled', () => {
    const h = new HistoryBuilder().started('approvals', [30]);
    const run = newRun();
    let commands = step(run, h);
    for (let i = 1; i <= 30; i++) {
      assert.equal(commands.at(-1)?.type, 'StartTimer', JSON.stringify(commands));
      h.signaled('approve', ['yes']);
      commands = step(run, h);
      assert.equal(commands[0]?.type, 'CancelTimer', JSON.stringify(commands));
      assert.ok(run.trackedOperations <= 2, `round ${i}: ${run.trackedOperations} kept`);
    }
    assert.deepEqual(commands.at(-1), { type: 'CompleteWorkflowExecution', result: 30 });
    run.dispose();
  });

  test('an activity result resolves the call and the workflow completes', () => {
    const h = new HistoryBuilder().started('charger', [42]);
    const run = newRun();
    assert.deepEqual(step(run, h), [
      {
        type: 'ScheduleActivityTask',
        seq: 1,
        activityId: '1',
        activityType: 'charge',
        taskQueue: 'test-queue',
        args: [42],
        startToCloseTimeoutMs: 60_000,
      },
    ]);
    h.activityCompleted(1, 'receipt-42');
    assert.deepEqual(step(run, h), [{ type: 'CompleteWorkflowExecution', result: 'receipt-42' }]);
    run.dispose();
  });

  test('allowEagerDispatch: false marks the command so that no worker takes it eagerly', () => {
    const h = new HistoryBuilder().started('queuedCharger', [7]);
    const run = newRun();
    const [command] = step(run, h);
    assert.ok(command?.type === 'ScheduleActivityTask');
    assert.equal(command.requestEagerExecution, false);
    run.dispose();
  });

  test('an activity failure surfaces as ActivityFailure with its cause', () => {
    const h = new HistoryBuilder().started('chargeOrReport', [1]);
    const run = newRun();
    step(run, h);
    h.activityFailed(1, applicationFailure('card declined', 'CardDeclined'));
    assert.deepEqual(step(run, h), [
      {
        type: 'CompleteWorkflowExecution',
        result: 'ActivityFailure|charge|CardDeclined|card declined',
      },
    ]);
    run.dispose();
  });

  test('a signal delivered before its handler is set is buffered until the handler is set', () => {
    const h = new HistoryBuilder().started('lateHandler');
    const run = newRun();
    step(run, h);
    h.signaled('approve', ['ann']).signaled('approve', ['bob']);
    assert.deepEqual(step(run, h), []);
    h.timerFired(1);
    assert.deepEqual(step(run, h), [{ type: 'CompleteWorkflowExecution', result: ['ann', 'bob'] }]);
    run.dispose();
  });

  test('condition unblocks after a signal', () => {
    const h = new HistoryBuilder().started('approval');
    const run = newRun();
    assert.deepEqual(step(run, h), []);
    h.signaled('approve', ['carol']);
    assert.deepEqual(step(run, h), [{ type: 'CompleteWorkflowExecution', result: 'carol' }]);
    run.dispose();
  });

  test('condition with a timeout returns false when its timer fires first', () => {
    const h = new HistoryBuilder().started('approvalWithDeadline', [5000]);
    const run = newRun();
    assert.deepEqual(step(run, h), [{ type: 'StartTimer', seq: 1, durationMs: 5000 }]);
    h.advance(5000).timerFired(1);
    assert.deepEqual(step(run, h), [{ type: 'CompleteWorkflowExecution', result: 'timed out' }]);
    run.dispose();
  });

  test('condition with a timeout returns true and cancels its timer when the signal comes first', () => {
    const h = new HistoryBuilder().started('approvalWithDeadline', [5000]);
    const run = newRun();
    step(run, h);
    h.signaled('approve');
    assert.deepEqual(step(run, h), [
      { type: 'CancelTimer', seq: 1 },
      { type: 'CompleteWorkflowExecution', result: 'approved' },
    ]);
    run.dispose();
  });

  test('Date, Math.random and uuid4 give the same values on replay as on first execution', () => {
    const h = new HistoryBuilder().started('determinism');
    const live = newRun(sandbox, 'run-det');
    step(live, h);
    const firstTaskStartedAt = START_TIME_MS;
    h.advance(1000).timerFired(1);
    h.startTask();
    const liveResult = commandsOf(live.activate(h.after(live.lastEventId)));
    live.dispose();

    const replayed = newRun(sandbox, 'run-det');
    const replayResult = commandsOf(replayed.activate(h.events));
    replayed.dispose();
    assert.deepEqual(replayResult, liveResult);

    const complete = liveResult[0];
    assert.equal(complete?.type, 'CompleteWorkflowExecution');
    const [first, second, runId] = (complete as { result: unknown[] }).result as [
      { now: number; iso: string; random: number; uuid: string },
      { now: number; random: number; uuid: string },
      string,
    ];
    assert.equal(first.now, firstTaskStartedAt);
    assert.equal(first.iso, new Date(firstTaskStartedAt).toISOString());
    assert.equal(second.now, firstTaskStartedAt + 1000);
    assert.notEqual(first.random, second.random);
    assert.match(
      first.uuid,
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.notEqual(first.uuid, second.uuid);
    assert.equal(runId, 'run-det');
  });

  test('Math.random and uuid4 in a query handler leave the run the numbers a replay draws', () => {
    const h = new HistoryBuilder().started('determinism');
    const live = newRun(sandbox, 'run-det');
    step(live, h);
    const drawn = [1, 2].map(() => {
      const result = live.query({ queryType: 'draw', args: [] });
      assert.equal(result.status, 'success', JSON.stringify(result));
      return result.result as [number, string];
    });
    assert.notDeepEqual(drawn[0], drawn[1]);
    h.advance(1000).timerFired(1);
    h.startTask();
    const liveResult = commandsOf(live.activate(h.after(live.lastEventId)));
    live.dispose();

    const replayed = newRun(sandbox, 'run-det');
    assert.deepEqual(commandsOf(replayed.activate(h.events)), liveResult);
    replayed.dispose();
  });

  test('Math.random and uuid4 in an update validator leave the run the numbers a replay draws', () => {
    const h = new HistoryBuilder().started('validatorDraws');
    const live = newRun(sandbox, 'run-val');
    assert.deepEqual(step(live, h), []);
    h.startTask();
    const update = { updateId: 'u1', name: 'pick', args: [7] };
    const accepted = commandsOf(live.activate(h.after(live.lastEventId), [update]));
    assert.deepEqual(
      accepted.map((c) => c.type),
      ['AcceptWorkflowUpdate', 'CompleteWorkflowUpdate', 'StartTimer'],
    );
    h.completeTask(accepted, [update]).timerFired(1).startTask();
    const liveResult = commandsOf(live.activate(h.after(live.lastEventId)));
    live.dispose();

    const replayed = newRun(sandbox, 'run-val'); // a replay runs no validator
    assert.deepEqual(commandsOf(replayed.activate(h.events)), liveResult);
    replayed.dispose();
  });

  test('another run id seeds another random sequence', () => {
    const results = ['run-a', 'run-b'].map((runId) => {
      const h = new HistoryBuilder().started('determinism');
      const run = newRun(sandbox, runId);
      step(run, h);
      h.timerFired(1);
      const [complete] = step(run, h);
      run.dispose();
      return (complete as { result: [{ uuid: string }] }).result[0].uuid;
    });
    assert.notEqual(results[0], results[1]);
  });

  test('changed code against an old history fails the task with NonDeterminism naming both sides', () => {
    const h = new HistoryBuilder().started('order');
    const old = newRun(v1);
    step(old, h);
    old.dispose();
    h.activityCompleted(1, 'receipt');
    h.startTask();
    const run = newRun(v2);
    const failed = failureOf(run.activate(h.events));
    assert.equal(failed.cause, 'NonDeterminism');
    assert.equal(failed.evict, true);
    assert.equal(
      failed.failure.message,
      "Non-determinism at event 5: history has ActivityTaskScheduled (activityType 'charge', activityId '1') " +
        'but the workflow code issued StartTimer (seq 1). Did the workflow code change while this run ' +
        'was in flight? Use patched() to branch, or deploy the old code.',
    );
    run.dispose();
  });

  test('patched() is true live and records a marker', () => {
    const h = new HistoryBuilder().started('patchedOrder');
    const run = newRun(v2);
    assert.deepEqual(step(run, h), [
      {
        type: 'RecordMarker',
        markerName: PATCH_MARKER,
        details: { patchId: 'wait-before-charge', deprecated: false },
      },
      { type: 'StartTimer', seq: 1, durationMs: 60_000 },
    ]);
    run.dispose();
  });

  test('patched() is false when replaying a history recorded before the patch', () => {
    const h = new HistoryBuilder().started('patchedOrder');
    // History as the unpatched code (v1's `order`) wrote it: the charge comes first.
    h.startTask().completeTask([
      {
        type: 'ScheduleActivityTask',
        seq: 1,
        activityId: '1',
        activityType: 'charge',
        taskQueue: 'test-queue',
        args: [10],
      },
    ]);
    h.activityCompleted(1, 'receipt').startTask();
    const run = newRun(v2);
    assert.deepEqual(commandsOf(run.activate(h.events)), [
      { type: 'CompleteWorkflowExecution', result: 'receipt|patched:false' },
    ]);
    run.dispose();
  });

  test('patched() is true when replaying a history that has its marker', () => {
    const h = new HistoryBuilder().started('patchedOrder');
    const live = newRun(v2);
    step(live, h);
    live.dispose();
    h.timerFired(1);
    h.startTask().completeTask([
      {
        type: 'ScheduleActivityTask',
        seq: 1,
        activityId: '1',
        activityType: 'charge',
        taskQueue: 'test-queue',
        args: [10],
      },
    ]);
    h.activityCompleted(1, 'receipt').startTask();
    const run = newRun(v2);
    assert.deepEqual(commandsOf(run.activate(h.events)), [
      { type: 'CompleteWorkflowExecution', result: 'receipt|patched:true' },
    ]);
    run.dispose();
  });

  test("patched() left out while replaying is taken once the run is live (Temporal's rule)", () => {
    // History as code without the patch wrote it: one round's timer, then a live task.
    const h = new HistoryBuilder().started('patchedLoop');
    h.startTask().completeTask([{ type: 'StartTimer', seq: 1, durationMs: 60_000 }]);
    h.timerFired(1);
    const run = newRun(v2);
    const live = step(run, h);
    assert.deepEqual(live, [
      {
        type: 'RecordMarker',
        markerName: PATCH_MARKER,
        details: { patchId: 'loop-patch', deprecated: false },
      },
      { type: 'StartTimer', seq: 2, durationMs: 60_000 },
    ]);
    run.dispose();
    // The history it leaves replays as it ran: the old branch first, the new one from the marker.
    h.timerFired(2).startTask();
    const replay = newRun(v2, 'run-2');
    assert.deepEqual(commandsOf(replay.activate(h.events)), [
      { type: 'CompleteWorkflowExecution', result: 'false,true' },
    ]);
    replay.dispose();
  });

  test('a query reads the answer patched() last gave, live or replayed', () => {
    const h = new HistoryBuilder().started('patchedLoop');
    h.startTask().completeTask([{ type: 'StartTimer', seq: 1, durationMs: 60_000 }]);
    const replayed = newRun(v2);
    assert.deepEqual(replayed.query({ queryType: 'loopPatched', args: [] }, h.events), {
      status: 'success',
      result: false,
    });
    replayed.dispose();
    const live = newRun(v2, 'run-2');
    step(live, new HistoryBuilder().started('patchedLoop'));
    assert.deepEqual(live.query({ queryType: 'loopPatched', args: [] }), {
      status: 'success',
      result: true,
    });
    live.dispose();
  });

  test('a patch marker in history with no matching call is skipped (a removed patch)', () => {
    const h = new HistoryBuilder().started('order');
    h.startTask().completeTask([
      {
        type: 'RecordMarker',
        markerName: PATCH_MARKER,
        details: { patchId: 'removed-patch', deprecated: true },
      },
      {
        type: 'ScheduleActivityTask',
        seq: 1,
        activityId: '1',
        activityType: 'charge',
        taskQueue: 'test-queue',
        args: [10],
      },
    ]);
    h.activityCompleted(1, 'receipt').startTask();
    const run = newRun(v1);
    assert.deepEqual(commandsOf(run.activate(h.events)), [
      { type: 'CompleteWorkflowExecution', result: 'receipt' },
    ]);
    run.dispose();
  });

  test('the sandbox uses the same patch marker name as history', () => {
    assert.equal(PATCH_MARKER_NAME, PATCH_MARKER);
  });

  test('a plain Error fails the task with WorkflowError; an ApplicationFailure fails the workflow', () => {
    const plain = newRun();
    const failed = failureOf(
      plain.activate(new HistoryBuilder().started('throwsPlainError').startTask().events),
    );
    assert.equal(failed.cause, 'WorkflowError');
    assert.equal(failed.failure.message, 'boom');
    plain.dispose();

    const app = newRun();
    const commands = commandsOf(
      app.activate(new HistoryBuilder().started('throwsApplicationFailure').startTask().events),
    );
    assert.equal(commands.length, 1);
    const fail = commands[0] as Extract<Command, { type: 'FailWorkflowExecution' }>;
    assert.equal(fail.type, 'FailWorkflowExecution');
    assert.equal(fail.failure.message, 'bad input');
    assert.deepEqual(fail.failure.info, {
      type: 'application',
      errorType: 'BadInput',
      nonRetryable: true,
      details: [],
    });
    app.dispose();
  });

  test('cancellation cancels a pending sleep and the workflow ends with CancelWorkflowExecution', () => {
    const h = new HistoryBuilder().started('cancellable');
    const run = newRun();
    assert.deepEqual(step(run, h), [{ type: 'StartTimer', seq: 1, durationMs: 3_600_000 }]);
    h.cancelRequested('user asked');
    const commands = step(run, h);
    assert.deepEqual(
      commands.map((c) => c.type),
      ['CancelTimer', 'ScheduleActivityTask'],
      'the cleanup activity runs in a non-cancellable scope',
    );
    h.activityCompleted(1, 'done');
    assert.deepEqual(step(run, h), [{ type: 'CancelWorkflowExecution' }]);
    run.dispose();
  });

  test('an unknown workflow type fails the task with WorkflowTypeNotFound listing the exported types', () => {
    const run = newRun();
    const failed = failureOf(run.activate(new HistoryBuilder().started('nope').startTask().events));
    assert.equal(failed.cause, 'WorkflowTypeNotFound');
    assert.match(failed.failure.message, /'nope'.*'approval'.*'sleeper'/);
    run.dispose();
  });

  test('a task that failed is not activated: its jobs carry over to the next task', () => {
    const h = new HistoryBuilder().started('approval');
    const run = newRun();
    step(run, h);
    h.signaled('approve', ['dan']).startTask().failTask().startTask();
    const replayed = newRun(sandbox, 'run-2');
    assert.deepEqual(commandsOf(replayed.activate(h.events)), [
      { type: 'CompleteWorkflowExecution', result: 'dan' },
    ]);
    replayed.dispose();
    run.dispose();
  });

  test('the __stack_trace query names the line where the workflow waits', () => {
    const h = new HistoryBuilder().started('sleeper', [100]);
    const run = newRun();
    step(run, h);
    assert.match(stackTraceOf(run), atBasicsLine('await sleep(ms)'));
    run.dispose();
  });

  test('after a replay, __stack_trace names the operation still pending, not the settled ones', () => {
    const { events, chargePending, chargeUndelivered } = sleepChargeSleepHistory();
    const stackAfterReplay = (events: readonly HistoryEvent[]): string => {
      const run = newRun(sandbox, 'replayed');
      commandsOf(run.replay(events));
      const stack = stackTraceOf(run);
      run.dispose();
      return stack;
    };

    // The timer fired within the replay; the charge is pending.
    let stack = stackAfterReplay(chargePending);
    assert.match(stack, atBasicsLine('receipt = await charge(amount)'));
    assert.doesNotMatch(stack, /not captured/);
    // The charge's result is in history, but no completed task delivered it: still pending.
    stack = stackAfterReplay(chargeUndelivered);
    assert.match(stack, atBasicsLine('receipt = await charge(amount)'));
    assert.doesNotMatch(stack, /not captured/);
    // The charge completed within the replay; the second timer is pending.
    stack = stackAfterReplay(events);
    assert.match(stack, atBasicsLine('await sleep(20)'));
    assert.doesNotMatch(stack, /not captured/);
  });

  test('a replayed task is told which of its activities and timers settle later in the replay', () => {
    const { events } = sleepChargeSleepHistory();
    const observed = VmSandbox.create(basics);
    const activate = observed.activate.bind(observed);
    const told: unknown[] = [];
    observed.activate = (runKey, activation) => {
      told.push(activation.outcomesInHistory);
      return activate(runKey, activation);
    };
    const run = newRun(observed);
    commandsOf(run.replay(events));
    run.dispose();
    observed.dispose();
    assert.deepEqual(told, [
      { activities: [], timerSeqs: [1] },
      { activities: [{ seq: 1, activityId: '1' }], timerSeqs: [] },
      // The last timer has not fired: its call site is captured.
      undefined,
    ]);
  });

  test('the sandbox does not capture the call site of an operation the activation lists as settled', () => {
    const told = VmSandbox.create(basics);
    const activate = told.activate.bind(told);
    let listed: OutcomesInHistory = {
      activities: [{ seq: 1, activityId: '1' }],
      timerSeqs: [1],
    };
    told.activate = (runKey, activation) =>
      activate(runKey, { ...activation, outcomesInHistory: listed });
    const stackOf = (workflowType: string, args: unknown[]): string => {
      const run = newRun(told, workflowType);
      step(run, new HistoryBuilder().started(workflowType, args));
      const stack = stackTraceOf(run);
      run.dispose();
      return stack;
    };
    assert.match(stackOf('sleeper', [100]), /timer 1 .*\n {4}\(not captured: its outcome was in/);
    assert.match(stackOf('charger', [5]), /activity 'charge' .*\n {4}\(not captured: its outcome/);
    // An activity is listed by seq and id: one that differs in either is captured.
    listed = { activities: [{ seq: 1, activityId: 'other' }], timerSeqs: [] };
    assert.match(stackOf('charger', [5]), atBasicsLine('return await charge(amount)'));
    listed = { activities: [{ seq: 2, activityId: '1' }], timerSeqs: [] };
    assert.match(stackOf('charger', [5]), atBasicsLine('return await charge(amount)'));
    told.dispose();
  });

  test('a replay that throws part-way leaves the run unusable, not half-fed', () => {
    const { events } = sleepChargeSleepHistory();
    const at = events.findIndex((e) => e.type === 'ActivityTaskCompleted');
    const bogus = { ...(events[at - 1] as HistoryEvent), type: 'TimerFired', timerId: '99' };
    const broken = [...events.slice(0, at - 1), bogus, ...events.slice(at)] as HistoryEvent[];
    const run = newRun();
    assert.throws(() => run.replay(broken), /fires timer '99', which history never started/);
    assert.throws(
      () => run.query({ queryType: '__stack_trace', args: [] }),
      /failed an activation earlier \(feeding event \d+ threw: .*timer '99'.*\): evict it/,
    );
    run.dispose();
  });

  test('a query handler that starts an activity, a timer, a patch or a condition fails and takes no seq', () => {
    const h = new HistoryBuilder().started('meddlingQuery');
    const run = newRun();
    const seqs = (commands: Command[]) =>
      commands.map((c) => (c.type === 'ScheduleActivityTask' ? [c.seq, c.activityId] : c.type));
    assert.deepEqual(seqs(step(run, h)), [[1, 'a']]);
    for (const what of ['activity', 'timer', 'patch', 'condition']) {
      const result = run.query({ queryType: 'meddle', args: [what] });
      assert.equal(result.status, 'failed', what);
      assert.match(
        result.failure.message,
        /^A query handler tried to issue .*: query handlers must only read workflow state\.$/,
      );
    }
    h.activityCompleted(1, 'ra');
    // Had a query used up activity seqs, b and c would be scheduled as 3 and 4 (or 5 and 6).
    assert.deepEqual(seqs(step(run, h)), [
      [2, 'b'],
      [3, 'c'],
    ]);
    h.activityCompleted(2, 'rb');
    assert.deepEqual(step(run, h), []);
    assert.match(stackTraceOf(run), atBasicsLine("const c = byId('c')"));
    run.dispose();

    // A replay lists b as settled and c as pending: c's line is named, not '(not captured…)'.
    const replayed = newRun(sandbox, 'replayed');
    commandsOf(replayed.replay(h.events));
    const stack = stackTraceOf(replayed);
    assert.match(stack, atBasicsLine("const c = byId('c')"));
    assert.doesNotMatch(stack, /not captured/);
    replayed.dispose();
  });

  test('a query answers from state, and an unregistered one fails listing the registered queries', () => {
    const h = new HistoryBuilder().started('approval');
    const run = newRun();
    step(run, h);
    assert.deepEqual(run.query({ queryType: 'status', args: [] }), {
      status: 'success',
      result: 'waiting',
    });
    const missing = run.query({ queryType: 'nope', args: [] });
    assert.equal(missing.status, 'failed');
    assert.match(
      missing.failure.message,
      /'nope'.*Registered queries: \[__stack_trace, __temporal_workflow_metadata, status\]/,
    );
    run.dispose();
  });

  test('a closed run replays from its full history and then answers a query', () => {
    const h = new HistoryBuilder().started('approval');
    const live = newRun();
    step(live, h);
    h.signaled('approve', ['eve']);
    step(live, h);
    live.dispose();
    const run = newRun();
    assert.deepEqual(run.query({ queryType: 'status', args: [] }, h.events), {
      status: 'success',
      result: 'approved',
    });
    assert.equal(run.closed, true);
    run.dispose();
  });

  test('logs are returned on first execution and suppressed on replay', () => {
    const h = new HistoryBuilder().started('logger');
    const live = newRun();
    h.startTask();
    const result = live.activate(h.events);
    assert.equal(result.status, 'success');
    assert.deepEqual(
      result.logs.map((l) => [l.level, l.message, l.attrs]),
      [
        ['info', 'hello', { n: 1 }],
        ['info', 'from console', undefined],
      ],
    );
    live.dispose();
    h.completeTask(result.commands);
    h.timerFired(1).startTask();
    const replayed = newRun();
    const again = replayed.activate(h.events);
    assert.deepEqual(again.logs, []);
    replayed.dispose();
  });

  test('code that stops yielding in a replayed task fails it as a potential deadlock', async () => {
    const quick = await quickSandbox();
    const h = new HistoryBuilder().started('spinner');
    h.startTask().completeTask([{ type: 'StartTimer', seq: 1, durationMs: 1 }]);
    h.advance(1).timerFired(1).startTask().completeTask([]);
    const run = newRun(quick, 'spin');
    const failure = failureOf(run.replay(h.events));
    assert.equal(failure.cause, 'WorkflowError');
    assert.equal(
      failure.failure.message.split('. ')[0],
      'Potential deadlock detected: workflow code did not yield within 300 ms',
    );
    assert.equal(quick.runCount, 0, 'the deadlocked run is disposed');
    // The sandbox still serves other runs after the interruption.
    const next = newRun(quick, 'after');
    const fresh = new HistoryBuilder().started('spinner').startTask();
    assert.deepEqual(commandsOf(next.activate(fresh.events)), [
      { type: 'StartTimer', seq: 1, durationMs: 1 },
    ]);
    next.dispose();
    quick.dispose();
  });

  test('tasks batched in one turn: a deadlock fails only its own run, the others are answered', async () => {
    const quick = await quickSandbox();
    const spinning = new HistoryBuilder().started('spinner');
    spinning.startTask().completeTask([{ type: 'StartTimer', seq: 1, durationMs: 1 }]);
    spinning.advance(1).timerFired(1).startTask();
    const fresh = () => new HistoryBuilder().started('spinner').startTask().events;
    const runs = ['first', 'spin', 'last'].map((id) => newRun(quick, id));
    const [first, spin, last] = runs as [WorkflowRun, WorkflowRun, WorkflowRun];
    const results = await Promise.all([
      first.activateShared(fresh()),
      spin.activateShared(spinning.events),
      last.activateShared(fresh()),
    ]);
    const timer = [{ type: 'StartTimer', seq: 1, durationMs: 1 }];
    assert.deepEqual(commandsOf(results[0]), timer);
    assert.equal(
      failureOf(results[1]).failure.message.split('. ')[0],
      'Potential deadlock detected: workflow code did not yield within 300 ms',
    );
    assert.deepEqual(commandsOf(results[2]), timer, 'the batch after the deadlock still runs');
    assert.equal(quick.runCount, 2, 'only the deadlocked run is disposed');
    for (const run of runs) run.dispose();
    assert.equal(quick.runCount, 0);
    quick.dispose();
  });

  test('a query handler that never yields fails the query and leaves the run unusable', async () => {
    const quick = await quickSandbox();
    const h = new HistoryBuilder().started('spinningQuery');
    const run = newRun(quick, 'spin');
    assert.deepEqual(step(run, h), [{ type: 'StartTimer', seq: 1, durationMs: 1 }]);
    const result = run.query({ queryType: 'spin', args: [] });
    assert.equal(result.status, 'failed');
    assert.match(result.failure.message, /^Potential deadlock detected/);
    // Cut short, the handler left the run in a state no replay reaches: it is not used again.
    assert.equal(run.usable, false);
    assert.equal(quick.runCount, 0);
    h.advance(1).timerFired(1).startTask();
    assert.throws(() => run.activate(h.after(run.lastEventId)), /failed an activation earlier/);
    run.dispose();
    // Its history replays on a fresh run, as the worker does on the next task.
    const replayed = newRun(quick, 'spin');
    assert.deepEqual(commandsOf(replayed.activate(h.events)), [
      { type: 'StartTimer', seq: 2, durationMs: 2 },
    ]);
    replayed.dispose();
    quick.dispose();
  });

  test('a deadlock inside a cancellation scope does not leave that scope to the next run', async () => {
    const quick = await quickSandbox();
    const spin = signaledRun(quick, 'scopeSpinner', 'spin', 'spinInScope');
    const probe = signaledRun(quick, 'scopeProbe', 'probe', 'probe');
    // One turn, one shared watched call: the probe's handler runs right after the interrupt.
    const [spun, probed] = await Promise.all([
      spin.run.activateShared(spin.h.after(spin.run.lastEventId)),
      probe.run.activateShared(probe.h.after(probe.run.lastEventId)),
    ]);
    assert.match(failureOf(spun).failure.message, /^Potential deadlock detected/);
    assert.deepEqual(commandsOf(probed), [{ type: 'CompleteWorkflowExecution', result: 'root' }]);
    spin.run.dispose();
    probe.run.dispose();
    quick.dispose();
  });

  test('a deadlock inside a cancellation scope gives an activity around it back its Context', async () => {
    // An activity that runs workflow code (replaying histories, say) keeps Context.current()
    // after that code deadlocks: the interrupt puts back the host's store, not an empty one.
    const quick = await quickSandbox();
    const { h, run } = signaledRun(quick, 'scopeSpinner', 'spin-in-activity', 'spinInScope');
    const env = new MockActivityEnvironment();
    const after = await env.run(async () => {
      const spun = run.activate(h.after(run.lastEventId)); // in this turn, in this resource
      assert.match(failureOf(spun).failure.message, /^Potential deadlock detected/);
      await Promise.resolve(); // the activity goes on, a turn later
      return Context.current();
    });
    assert.equal(after, env.context);
    run.dispose();
    quick.dispose();
  });

  test('workflow code run inside an activity’s async context finds its own root scope', async () => {
    // The one AsyncLocalStorage (util/async-store.ts) holds the activity's Context there: a
    // workflow task an activity's completion hands straight back runs in that continuation.
    const quick = await quickSandbox();
    const { h, run } = signaledRun(quick, 'scopeProbe', 'probe-in-activity', 'probe');
    const env = new MockActivityEnvironment();
    const probed = await env.run(async () => {
      assert.equal(Context.current(), env.context);
      return run.activateShared(h.after(run.lastEventId));
    });
    assert.deepEqual(commandsOf(probed), [{ type: 'CompleteWorkflowExecution', result: 'root' }]);
    run.dispose();
    quick.dispose();
  });

  test('a run disposed before its shared batch runs fails that batch, not the others', async () => {
    const runs = ['gone', 'kept'].map((id) => newRun(sandbox, id));
    const [gone, kept] = runs as [WorkflowRun, WorkflowRun];
    const events = () => new HistoryBuilder().started('sleeper', [100]).startTask().events;
    const pending = [gone.activateShared(events()), kept.activateShared(events())];
    gone.dispose();
    await assert.rejects(pending[0] as Promise<unknown>, /Run gone was disposed/);
    assert.deepEqual(commandsOf(await (pending[1] as Promise<RunActivationResult>)), [
      { type: 'StartTimer', seq: 1, durationMs: 100 },
    ]);
    kept.dispose();
  });
});

describe('WorkflowRun: promise rejections workflow code leaves unhandled', () => {
  hideSandboxRejectionsFromTestRunner();

  const CHARGE: Command = {
    type: 'ScheduleActivityTask',
    seq: 1,
    activityId: '1',
    activityType: 'charge',
    taskQueue: 'test-queue',
    args: [5],
    startToCloseTimeoutMs: 60_000,
  };

  /** A chargeAwaitedLate run past its first task: the charge and the timer are pending. */
  async function awaitingLate(on: VmSandbox, runId: string) {
    const h = new HistoryBuilder().started('chargeAwaitedLate', [5]);
    const run = newRun(on, runId);
    const commands = commandsOf(await run.activateShared(h.startTask().events));
    assert.deepEqual(commands, [CHARGE, { type: 'StartTimer', seq: 1, durationMs: 10 }]);
    h.completeTask(commands);
    return { h, run };
  }

  function assertUnhandledRejection(result: RunActivationResult): void {
    const { cause, failure } = failureOf(result);
    assert.equal(cause, 'WorkflowError');
    assert.equal(
      failure.message,
      'Unhandled Promise rejection: ActivityFailure: Activity task failed',
    );
    assert.deepEqual(failure.info, {
      type: 'application',
      errorType: 'UnhandledRejectionError',
      nonRetryable: false,
    });
    assert.equal(failure.cause?.info.type, 'activity', 'the original error is the cause');
    assert.equal(failure.cause.cause?.message, 'card declined');
  }

  test('a failed activity the code awaits only after a timer fails the task; its retry too', async () => {
    const { h, run } = await awaitingLate(sandbox, 'late');
    h.activityFailed(1, applicationFailure('card declined', 'CardDeclined')).startTask();
    const result = await run.activateShared(h.after(run.lastEventId));
    assertUnhandledRejection(result);
    assert.equal(run.usable, false, 'the run is evicted and replayed on the retry');
    run.dispose();
    // The engine retries the task: a fresh run replays the history and fails it the same way.
    h.failTask().startTask();
    const retry = newRun(sandbox, 'late');
    assertUnhandledRejection(await retry.activateShared(h.events));
    retry.dispose();
  });

  test('an AbortSignal listener that throws fails the task, as a rejection left unhandled', async () => {
    const h = new HistoryBuilder().started('abortListenerThrows');
    const run = newRun(sandbox, 'abort-listener');
    const { cause, failure } = failureOf(await run.activateShared(h.startTask().events));
    assert.equal(cause, 'WorkflowError');
    assert.equal(failure.message, 'Unhandled Promise rejection: Error: listener failed');
    assert.equal(
      failure.info.type === 'application' && failure.info.errorType,
      'UnhandledRejectionError',
    );
    run.dispose();
  });

  test('a rejection the code handles later in the same activation does not count', async () => {
    const { h, run } = await awaitingLate(sandbox, 'in-time');
    h.activityFailed(1, applicationFailure('card declined', 'CardDeclined'));
    h.advance(10).timerFired(1).startTask();
    assert.deepEqual(commandsOf(await run.activateShared(h.after(run.lastEventId))), [
      { type: 'CompleteWorkflowExecution', result: 'caught: card declined' },
    ]);
    run.dispose();
  });

  test('in one batch of tasks, only the run whose code left the rejection fails', async () => {
    const first = await awaitingLate(sandbox, 'first');
    const guilty = await awaitingLate(sandbox, 'guilty');
    const last = await awaitingLate(sandbox, 'last');
    const declined = applicationFailure('card declined', 'CardDeclined');
    guilty.h.activityFailed(1, declined);
    for (const { h } of [first, last]) h.activityFailed(1, declined).advance(10).timerFired(1);
    const results = await Promise.all(
      [first, guilty, last].map(({ h, run }) =>
        run.activateShared(h.startTask().after(run.lastEventId)),
      ),
    );
    const caught = [{ type: 'CompleteWorkflowExecution', result: 'caught: card declined' }];
    assert.deepEqual(commandsOf(results[0] as RunActivationResult), caught);
    assertUnhandledRejection(results[1] as RunActivationResult);
    assert.deepEqual(commandsOf(results[2] as RunActivationResult), caught);
    for (const { run } of [first, guilty, last]) run.dispose();
  });

  test('a rejection left by a signal handler fails the task that delivered the signal', async () => {
    const h = new HistoryBuilder().started('forgetfulHandler');
    const run = newRun(sandbox, 'forgetful');
    h.completeTask(commandsOf(await run.activateShared(h.startTask().events)));
    h.signaled('approve', ['x']).startTask();
    const { failure } = failureOf(await run.activateShared(h.after(run.lastEventId)));
    assert.equal(failure.message, 'Unhandled Promise rejection: Error: forgotten in a handler');
    run.dispose();
  });

  test("a rejection of workflow code's own Promise subclass fails the task too", async () => {
    const h = new HistoryBuilder().started('forgetfulSubclass');
    const run = newRun(sandbox, 'subclass');
    const { failure } = failureOf(await run.activateShared(h.startTask().events));
    assert.equal(failure.message, 'Unhandled Promise rejection: Error: forgotten in a subclass');
    run.dispose();
  });

  test('a rejection left in a replay for a query is logged, and fails nothing', async () => {
    const { logger, warnings } = recordingLogger();
    const logged = VmSandbox.create(basics, { logger });
    const h = new HistoryBuilder().started('chargeAwaitedLate', [5]);
    h.startTask().completeTask([CHARGE, { type: 'StartTimer', seq: 1, durationMs: 10 }]);
    h.activityFailed(1, applicationFailure('card declined', 'CardDeclined'));
    h.startTask().completeTask([]);
    const run = newRun(logged, 'replayed');
    assert.equal(run.replay(h.events).status, 'success');
    await waitFor(() => warnings.length > 0, 'the warning');
    assert.match(warnings[0] ?? '', /left a promise rejection unhandled outside a workflow task/);
    run.dispose();
    logged.dispose();
  });
  test('a query handler that returns a promise fails the query with DeterminismViolationError', async () => {
    const { logger, warnings } = recordingLogger();
    const logged = VmSandbox.create(basics, { logger });
    const h = new HistoryBuilder().started('asyncQueryHandler');
    const run = newRun(logged, 'async-query');
    step(run, h);
    for (const reject of [false, true]) {
      const result = run.query({ queryType: 'asyncAnswer', args: [reject] });
      assert.equal(result.status, 'failed', `reject: ${String(reject)}`);
      assert.equal(result.failure.message, 'Query handlers should not return a Promise');
      assert.deepEqual(result.failure.info, {
        type: 'application',
        errorType: 'DeterminismViolationError',
        nonRetryable: false,
      });
    }
    // The promise the handler returned and rejected is left unhandled outside a task: logged.
    await waitFor(() => warnings.length > 0, 'the warning');
    assert.match(warnings[0] ?? '', /left a promise rejection unhandled outside a workflow task/);
    run.dispose();
    logged.dispose();
  });
});

describe('WorkflowRun: rejections of the runtime’s own promises', () => {
  hideSandboxRejectionsFromTestRunner();

  test('a WAIT_CANCELLATION_REQUESTED child whose cancel request fails does not fail the task', async () => {
    const h = new HistoryBuilder().started('cancelsChildWaitingForRequest');
    const run = newRun(sandbox, 'cancels-child');
    const [start] = commandsOf(await run.activateShared(h.startTask().events));
    assert.equal(start?.type, 'StartChildWorkflowExecution');
    h.completeTask([]);
    const completed = h.lastEventId;
    const initiated = h.add({
      type: 'StartChildWorkflowExecutionInitiated',
      namespace: 'default',
      workflowId: 'kid-1',
      workflowType: 'kid',
      taskQueue: 'test-queue',
      input: [],
      parentClosePolicy: 'TERMINATE',
      workflowTaskCompletedEventId: completed,
    });
    const child = {
      namespace: 'default',
      workflowId: 'kid-1',
      workflowType: 'kid',
      runId: 'kid-run',
      initiatedEventId: initiated.eventId,
    };
    const started = h.add({ type: 'ChildWorkflowExecutionStarted', ...child });
    h.startTask();
    const [cancel] = commandsOf(await run.activateShared(h.after(run.lastEventId)));
    assert.equal(cancel?.type, 'RequestCancelExternalWorkflowExecution');
    h.completeTask([]);
    const cancelInitiated = h.add({
      type: 'RequestCancelExternalWorkflowExecutionInitiated',
      namespace: 'default',
      workflowId: 'kid-1',
      childWorkflowOnly: true,
      workflowTaskCompletedEventId: h.lastEventId,
    });
    // The child completed before the request reached it: the request fails.
    h.add({
      type: 'ChildWorkflowExecutionCompleted',
      ...child,
      startedEventId: started.eventId,
      result: 'ok',
    });
    h.add({
      type: 'RequestCancelExternalWorkflowExecutionFailed',
      namespace: 'default',
      workflowId: 'kid-1',
      initiatedEventId: cancelInitiated.eventId,
      cause: 'ExternalWorkflowExecutionNotFound',
    });
    h.startTask();
    assert.deepEqual(commandsOf(await run.activateShared(h.after(run.lastEventId))), [
      { type: 'CompleteWorkflowExecution', result: 'done: ok' },
    ]);
    run.dispose();
  });
});
