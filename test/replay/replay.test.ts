import assert from 'node:assert/strict';
// First: it takes the test runner's listeners before any sandbox adds its own.
import { hideSandboxRejectionsFromTestRunner } from '../helpers/sandbox-rejections.ts';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DeterminismViolationError, ReplayError, Worker } from 'reprise/worker';
import { HistoryBuilder, applicationFailure } from '../helpers/history-builders.ts';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const workflowsPath = new URL('../e2e/fixtures/workflows.ts', import.meta.url).pathname;
const changedPath = new URL('./fixtures/changed-workflows.ts', import.meta.url).pathname;

describe('saved histories replay against the current code', () => {
  for (const name of ['sequence.history.json', 'approval.history.json']) {
    test(`${name} replays without a determinism violation`, async () => {
      await Worker.runReplayHistory({ workflowsPath }, fixture(name) as { events: unknown[] });
    });
  }

  test('changed code fails replay with DeterminismViolationError naming both sides', async () => {
    await assert.rejects(
      Worker.runReplayHistory(
        { workflowsPath: changedPath },
        fixture('sequence.history.json') as { events: unknown[] },
      ),
      (e: unknown) => {
        assert.ok(e instanceof DeterminismViolationError);
        assert.match(e.message, /ActivityTaskScheduled/);
        assert.match(e.message, /StartTimer/);
        return true;
      },
    );
  });

  test('runReplayHistories reports each history on its own', async () => {
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowsPath: changedPath }, [
      { workflowId: 'a', history: fixture('sequence.history.json') as { events: unknown[] } },
    ])) {
      results.push(r);
    }
    assert.equal(results.length, 1);
    assert.ok(results[0]?.error instanceof DeterminismViolationError);
    // Temporal's result shape: the run's id too.
    assert.equal(results[0].workflowId, 'a');
    assert.equal(results[0].runId, '00894486-5ec3-4689-a758-3c9b4fe8e51e');
  });

  test('runReplayHistories throws on something that is not a history, as Temporal does, after yielding the results before it', async () => {
    const replays = Worker.runReplayHistories({ workflowsPath }, [
      { workflowId: 'good', history: fixture('sequence.history.json') as { events: unknown[] } },
      { workflowId: 'bad', history: { events: [{ nope: 1 }] } },
    ]);
    const first = await replays.next();
    assert.equal(first.done, false);
    assert.deepEqual(first.value, {
      workflowId: 'good',
      runId: '00894486-5ec3-4689-a758-3c9b4fe8e51e',
      error: undefined,
    });
    await assert.rejects(replays.next(), /Not a Reprise history/);
  });

  test('something that is not a history is refused with a clear error', async () => {
    await assert.rejects(
      Worker.runReplayHistory({ workflowsPath }, { events: [{ nope: 1 }] }),
      /Not a Reprise history/,
    );
  });
});

describe('a replay of code that leaves a promise rejection unhandled', () => {
  hideSandboxRejectionsFromTestRunner();

  test('fails as the worker fails the task, with UnhandledRejectionError', async () => {
    // Recorded by code that awaited the charge before the timer; the code now awaits it after.
    const h = new HistoryBuilder().started('chargeAwaitedLate', [5]);
    h.startTask().completeTask([
      {
        type: 'ScheduleActivityTask',
        seq: 1,
        activityId: '1',
        activityType: 'charge',
        taskQueue: 'test-queue',
        args: [5],
        startToCloseTimeoutMs: 60_000,
      },
      { type: 'StartTimer', seq: 1, durationMs: 10 },
    ]);
    h.activityFailed(1, applicationFailure('card declined', 'CardDeclined'));
    h.startTask().completeTask([]);
    await assert.rejects(
      Worker.runReplayHistory(
        { workflowsPath: new URL('../runtime/workflows/basics.ts', import.meta.url).pathname },
        { events: h.events },
      ),
      (e: unknown) => {
        // Temporal's class for a replay that fails for another reason than nondeterminism.
        assert.ok(e instanceof ReplayError);
        assert.ok(!(e instanceof DeterminismViolationError));
        assert.equal(e.name, 'ReplayError');
        assert.equal(
          e.message,
          'Replay failed: Unhandled Promise rejection: ActivityFailure: Activity task failed',
        );
        return true;
      },
    );
  });
});
