// DESIGN contract 3: timers fire once and never early. The engine runs on a ManualClock, so time
// moves only when the test says; `TimerFired.timeMs` is the engine clock when the timer fired.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from 'reprise/client';
import { ManualClock } from 'reprise/server';
import { sleeper } from './fixtures/contract-workflows.ts';
import { contractWorkflows } from './fixtures/paths.ts';
import { startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const HOUR = 60 * 60 * 1000;

describe('contract 3: timers fire once and never early', () => {
  const clock = new ManualClock();
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({ clock, workflows: contractWorkflows });
  });
  after(async () => {
    await env.close();
  });

  const startSleeper = (ms: number): Promise<WorkflowHandle<typeof sleeper>> =>
    env.client.workflow.start(sleeper, {
      taskQueue: env.taskQueue,
      workflowId: id(`sleep-${ms}`),
      args: [ms],
    });

  const timerPending = async (h: WorkflowHandle): Promise<boolean> =>
    (await h.describe()).pendingTimers.length === 1;

  const eventsOf = async (h: WorkflowHandle, type: string) =>
    (await h.fetchHistory()).events.filter((e) => e.type === type);

  test('a 1-hour sleep has not fired at 1 h − 1 ms and fires exactly once at 1 h', async () => {
    const startMs = clock.now();
    const target = await startSleeper(HOUR);
    // A witness due 1 ms earlier: once it completes, the timer loop has run at 1 h − 1 ms.
    const witness = await startSleeper(HOUR - 1);
    await waitFor(async () => (await timerPending(target)) && timerPending(witness), 'both timers');

    clock.advance(HOUR - 1);
    assert.equal(await witness.result(), HOUR - 1);
    assert.deepEqual(await eventsOf(target, 'TimerFired'), [], 'no TimerFired at 1 h − 1 ms');
    const pending = (await target.describe()).pendingTimers;
    assert.equal(pending.length, 1, 'describe() still shows the timer');
    assert.equal(pending[0]?.firesAtMs, startMs + HOUR);
    assert.equal((await target.describe()).status, 'Running');

    clock.advance(1);
    assert.equal(await target.result(), HOUR);
    const fired = await eventsOf(target, 'TimerFired');
    assert.equal(fired.length, 1, 'TimerFired appears exactly once');
    assert.equal(fired[0]?.timeMs, startMs + HOUR, 'fired at its due time, not before');
    assert.deepEqual((await target.describe()).pendingTimers, []);
  });

  test('sleeps of many durations each fire once, in due order, none early', async () => {
    const startMs = clock.now();
    const seconds = [7, 3, 12, 1, 5, 3, 9, 2, 12, 6];
    const runs = await Promise.all(
      seconds.map(async (s) => ({ ms: s * 1000, handle: await startSleeper(s * 1000) })),
    );
    await waitFor(
      async () => (await Promise.all(runs.map((r) => timerPending(r.handle)))).every(Boolean),
      'every timer started',
    );

    const dueTimes = [...new Set(seconds.map((s) => s * 1000))].sort((a, b) => a - b);
    for (const due of dueTimes) {
      clock.set(startMs + due);
      const dueNow = runs.filter((r) => r.ms <= due);
      for (const r of dueNow) assert.equal(await r.handle.result(), r.ms);
      for (const r of runs.filter((x) => x.ms > due)) {
        const d = await r.handle.describe();
        assert.equal(d.status, 'Running', `the ${r.ms} ms sleep is still running at ${due} ms`);
        assert.deepEqual(await eventsOf(r.handle, 'TimerFired'), []);
      }
    }

    for (const r of runs) {
      const fired = await eventsOf(r.handle, 'TimerFired');
      assert.equal(fired.length, 1, `the ${r.ms} ms timer fired once`);
      assert.equal(fired[0]?.timeMs, startMs + r.ms, `the ${r.ms} ms timer fired at its due time`);
    }
  });
});
