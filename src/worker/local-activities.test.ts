import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Command } from '../protocol/commands.ts';
import { LOCAL_ACTIVITY_MARKER, LocalActivityMarkerDetails } from '../protocol/local-activity.ts';
import { LOCAL_ACTIVITY_CANCEL_SETTLES_PATCH } from '../workflow/local-activity.ts';
import { CANCELLATIONS_SETTLE_LATER_PATCH } from '../workflow/activator.ts';
import { HistoryBuilder } from '../../test/helpers/history-builders.ts';
import { hideSandboxRejectionsFromTestRunner } from '../../test/helpers/sandbox-rejections.ts';
import { bundleWorkflows } from './sandbox/bundle.ts';
import { VmSandbox } from './sandbox/vm-sandbox.ts';
import { WorkflowRun } from './workflow-run.ts';
import type { RunActivationResult } from './workflow-run.ts';
import { ruleFlags } from '../../test/helpers/rule-flags.ts';

let sandbox: VmSandbox;

before(async () => {
  sandbox = VmSandbox.create(
    await bundleWorkflows({ workflowsPath: 'test/runtime/workflows/local-activities.ts' }),
  );
});
after(() => {
  sandbox.dispose();
});

function success(result: RunActivationResult): Extract<RunActivationResult, { status: 'success' }> {
  assert.equal(result.status, 'success', JSON.stringify(result));
  return result;
}

function failed(result: RunActivationResult): Extract<RunActivationResult, { status: 'failed' }> {
  assert.equal(result.status, 'failed', JSON.stringify(result));
  return result;
}

function marker(seq: number, activityType: string, result: unknown): LocalActivityMarkerDetails {
  return {
    seq,
    activityId: `local-${seq}`,
    activityType,
    attempt: 1,
    originalScheduleTimeMs: 0,
    result,
  };
}

/** Answers the first task live, delivering the outcomes in the order given. */
async function liveTask(
  h: HistoryBuilder,
  outcomes: LocalActivityMarkerDetails[],
): Promise<Command[]> {
  const run = new WorkflowRun({ sandbox, runId: 'run-live', namespace: 'default' });
  try {
    h.startTask();
    const first = success(run.activate(h.after(0)));
    const commands = [...first.commands];
    for (const outcome of outcomes)
      commands.push(...success(await run.resolveLocalActivity(outcome)).commands);
    h.completeTask(commands);
    return commands;
  } finally {
    run.dispose();
  }
}

describe('local activities in WorkflowRun', () => {
  test('an activation asks for its local activities instead of issuing commands', () => {
    const h = new HistoryBuilder().started('concurrentLocals', []);
    const run = new WorkflowRun({ sandbox, runId: 'run-1', namespace: 'default' });
    h.startTask();
    const first = success(run.activate(h.after(0)));
    assert.deepEqual(first.commands, []);
    assert.deepEqual(
      first.localActivities?.schedule.map((r) => [r.seq, r.activityType, r.attempt]),
      [
        [1, 'a', 1],
        [2, 'b', 1],
      ],
    );
    run.dispose();
  });

  test('outcomes that end out of call order replay to the same commands', async () => {
    const h = new HistoryBuilder().started('concurrentLocals', []);
    const live = await liveTask(h, [marker(2, 'b', 'B'), marker(1, 'a', 'A')]);
    assert.deepEqual(
      live.map((c) => (c.type === 'RecordMarker' ? `marker ${String(c.details['seq'])}` : c.type)),
      ['marker 2', 'marker 1', 'StartTimer'],
    );
    const replay = new WorkflowRun({ sandbox, runId: 'run-live', namespace: 'default' });
    const result = replay.replay(h.events);
    assert.equal(result.status, 'success', JSON.stringify(result));
    replay.dispose();
  });

  test('an ABANDON call cancelled where it is made records its cancellation and is never run', async () => {
    const h = new HistoryBuilder().started('abandonedAtOnce', []);
    const run = new WorkflowRun({ sandbox, runId: 'run-abandon', namespace: 'default' });
    h.startTask();
    const first = success(run.activate(h.after(0)));
    assert.deepEqual(
      ruleFlags(first.sdkFlags),
      [LOCAL_ACTIVITY_CANCEL_SETTLES_PATCH, CANCELLATIONS_SETTLE_LATER_PATCH],
      'flags, no marker',
    );
    const [cancelled, ...others] = first.commands;
    assert.ok(cancelled?.type === 'RecordMarker', JSON.stringify(first.commands));
    assert.equal(cancelled.markerName, LOCAL_ACTIVITY_MARKER);
    assert.deepEqual(others, []);
    const details = LocalActivityMarkerDetails.parse(cancelled.details);
    assert.deepEqual(
      [details.seq, details.activityType, details.attempt, details.result, details.backoffMs],
      [1, 'a', 1, undefined, undefined],
    );
    assert.equal(details.failure?.info.type, 'activity');
    assert.equal(details.failure.cause?.info.type, 'cancelled');
    assert.deepEqual(first.localActivities?.settled, [1]);
    assert.deepEqual(first.localActivities.cancel, []);
    assert.deepEqual(
      first.localActivities.schedule.map((r) => [r.seq, r.activityType]),
      [[2, 'b']],
      'the cancelled call is not started',
    );
    const last = success(await run.resolveLocalActivity(marker(2, 'b', 'B')));
    const commands = [...first.commands, ...last.commands];
    assert.deepEqual(
      commands.map((c) => c.type),
      ['RecordMarker', 'RecordMarker', 'CompleteWorkflowExecution'],
    );
    assert.deepEqual(
      commands[2]?.type === 'CompleteWorkflowExecution' ? commands[2].result : undefined,
      ['cancelled', 'B'],
    );
    h.completeTask(commands, [], first.sdkFlags);
    run.dispose();
    const replay = new WorkflowRun({ sandbox, runId: 'run-abandon', namespace: 'default' });
    const result = replay.replay(h.events);
    assert.equal(result.status, 'success', JSON.stringify(result));
    replay.dispose();
  });

  test('a history without the patch marker replays an ABANDON cancel as it ran before it', () => {
    // Recorded before the patch: the cancelled call was started all the same, and the run
    // closed before it ended, so history has no marker for it.
    const h = new HistoryBuilder().started('abandonedAtOnce', []);
    h.startTask();
    h.completeTask([
      {
        type: 'RecordMarker',
        markerName: LOCAL_ACTIVITY_MARKER,
        details: { ...marker(2, 'b', 'B') },
      },
      { type: 'CompleteWorkflowExecution', result: ['cancelled', 'B'] },
    ]);
    const replay = new WorkflowRun({ sandbox, runId: 'run-abandon-legacy', namespace: 'default' });
    const result = replay.replay(h.events);
    assert.equal(result.status, 'success', JSON.stringify(result));
    replay.dispose();
  });

  test('a marker for another activity type is non-determinism', async () => {
    const h = new HistoryBuilder().started('oneLocal', []);
    await liveTask(h, [marker(1, 'a', 'A')]);
    const changed = h.events.map((e) =>
      e.type === 'MarkerRecorded' ? { ...e, details: { ...e.details, activityType: 'z' } } : e,
    );
    const run = new WorkflowRun({ sandbox, runId: 'run-live', namespace: 'default' });
    const result = failed(run.replay(changed));
    assert.equal(result.cause, 'NonDeterminism');
    assert.match(result.failure.message, /'z'.*'a'/s);
    run.dispose();
  });

  test('a completed task without the marker of a call it made is non-determinism', () => {
    const h = new HistoryBuilder().started('oneLocal', []);
    h.startTask().completeTask([]);
    const run = new WorkflowRun({ sandbox, runId: 'run-live', namespace: 'default' });
    const result = failed(run.replay(h.events));
    assert.equal(result.cause, 'NonDeterminism');
    assert.match(result.failure.message, /no marker/);
    run.dispose();
  });
});

describe('a local activity outcome whose activation leaves a rejection unhandled', () => {
  hideSandboxRejectionsFromTestRunner();

  test('fails the task live, as the replay of that task fails it', async () => {
    const h = new HistoryBuilder().started('localAwaitedLate', []);
    const run = new WorkflowRun({ sandbox, runId: 'run-late', namespace: 'default' });
    const first = success(await run.activateShared(h.startTask().events));
    const boom = {
      ...marker(1, 'a', undefined),
      failure: {
        message: 'boom',
        info: { type: 'application' as const, errorType: 'Boom', nonRetryable: true },
      },
    };
    const live = failed(await run.resolveLocalActivity(boom));
    assert.equal(live.cause, 'WorkflowError');
    assert.match(live.failure.message, /^Unhandled Promise rejection: .*boom/);
    assert.equal(run.usable, false, 'the run is evicted');
    run.dispose();
    // A worker that replays the task (its marker in history) fails it the same way.
    const recorded: Command[] = [
      ...first.commands,
      { type: 'RecordMarker', markerName: LOCAL_ACTIVITY_MARKER, details: { ...boom } },
    ];
    h.completeTask(recorded).signaled('nothing').startTask();
    const fresh = new WorkflowRun({ sandbox, runId: 'run-late-2', namespace: 'default' });
    assert.match(
      failed(await fresh.activateShared(h.events)).failure.message,
      /^Unhandled Promise rejection: .*boom/,
    );
    fresh.dispose();
  });
});
