// DESIGN contract 3: timers fire once and never early. The engine runs on a ManualClock, so time
// moves only when the test says; `TimerFired.timeMs` is the engine clock when the timer fired.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from 'reprise/client';
import type { WorkflowHandle } from 'reprise/client';
import { Engine, ManualClock, openStore } from 'reprise/server';
import type { EngineOptions } from 'reprise/server';
import { Worker } from 'reprise/worker';
import { sleeper } from './fixtures/contract-workflows.ts';
import { contractFixture, contractWorkflows } from './fixtures/paths.ts';
import { counted } from '../helpers/counted-store.ts';
import {
  recordingLogger,
  startTestEnv,
  tempDir,
  uniqueQueue,
  waitFor,
} from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';
import { sqliteOnly, testStoreUrl } from '../helpers/test-store.ts';

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

// The timer loop sets fires going without awaiting their commits (a timer due meanwhile is not
// held behind them), one batch of 256 at a time under a backlog. An engine closed while fires are
// in flight waits for them; the timers its close cut short fire once, on the next engine.
describe('contract 3: an engine closed while its timers fire', () => {
  type Logger = NonNullable<EngineOptions['logger']>;
  /** More than one batch of 256: the first batch's fires are awaited before the next is taken. */
  const BACKLOG = 300;
  /** Less than a batch: nothing but close waits for their fires. */
  const FEW = 50;
  const SLEEP_MS = 1000;

  async function open(dbPath: string, clock: ManualClock, logger: Logger) {
    const store = counted(await openStore(await testStoreUrl(dbPath)));
    const engine = await Engine.open({ store: store.store, clock, logger });
    const client = new Client({ connection: engine.connection });
    return { engine, client, store };
  }

  /**
   * When close is called: after a number of microtask turns, or once every fire has sent its
   * write ('sent': turns of microtasks only, so none of those writes has committed yet).
   */
  type CloseAt = number | 'sent';
  const cases: { sleepers: number; closeAt: CloseAt }[] = [
    { sleepers: BACKLOG, closeAt: 0 },
    { sleepers: BACKLOG, closeAt: 2 },
    { sleepers: BACKLOG, closeAt: 8 },
    { sleepers: FEW, closeAt: 'sent' },
  ];
  const when = (closeAt: CloseAt) =>
    closeAt === 'sent' ? 'once every fire sent its write' : `${closeAt} turns of microtasks after`;
  for (const { sleepers, closeAt } of cases) {
    // Every write sent within microtasks of the clock's move: the SQLite store's group commit
    // waits for the next turn; a PostgreSQL store's timer lease is a round trip first.
    const only =
      closeAt === 'sent' ? sqliteOnly('writes sent but not committed, in microtasks') : {};
    test(
      `${sleepers} timers, the engine closed ${when(closeAt)}: each fires once`,
      only,
      async () => {
        const tmp = tempDir();
        const dbPath = join(tmp.dir, 'reprise.db');
        const clock = new ManualClock();
        const taskQueue = uniqueQueue('closing');
        const first = recordingLogger();
        const a = await open(dbPath, clock, first.logger);
        const workflowsPath = contractFixture('contract-workflows.ts');
        const workerA = await Worker.create({
          connection: a.engine.connection,
          taskQueue,
          workflowsPath,
        });
        const ids = Array.from(
          { length: sleepers },
          (_, i) => `closing-${sleepers}-${closeAt}-${i}`,
        );
        try {
          await workerA.runUntil(async () => {
            const handles = await Promise.all(
              ids.map((workflowId) =>
                a.client.workflow.start(sleeper, { taskQueue, workflowId, args: [SLEEP_MS] }),
              ),
            );
            for (const h of handles) {
              await waitFor(async () => (await h.describe()).pendingTimers.length === 1, 'timer');
            }
          });
          const appends = () => a.store.calls.get('appendToRun') ?? 0;
          const before = appends();
          clock.advance(SLEEP_MS);
          if (closeAt === 'sent') {
            // Microtasks only: a group commit waits for the next turn of the event loop.
            for (let i = 0; i < 100_000 && appends() - before < sleepers; i++)
              await Promise.resolve();
            assert.equal(appends() - before, sleepers, 'every fire sent its write before close');
            assert.equal(a.store.pending.get('appendToRun'), sleepers, 'none committed yet');
          } else {
            for (let i = 0; i < closeAt; i++) await Promise.resolve();
          }
          await a.engine.close();
          // The engine does not own this store: nothing but its own waiting committed the fires.
          assert.equal(a.store.pending.get('appendToRun') ?? 0, 0, 'close waited for the fires');
          await a.store.store.close();
          assert.deepEqual(first.errors, [], 'the closed engine logged no error');

          const second = recordingLogger();
          const b = await open(dbPath, clock, second.logger);
          const workerB = await Worker.create({
            connection: b.engine.connection,
            taskQueue,
            workflowsPath,
          });
          try {
            await workerB.runUntil(async () => {
              for (const workflowId of ids) {
                const h = b.client.workflow.getHandle<typeof sleeper>(workflowId);
                assert.equal(await h.result(), SLEEP_MS);
                const events = (await h.fetchHistory()).events;
                const started = events.find((e) => e.type === 'TimerStarted');
                const fired = events.filter((e) => e.type === 'TimerFired');
                assert.equal(fired.length, 1, `${workflowId}: TimerFired once`);
                assert.ok(started !== undefined && fired[0] !== undefined);
                assert.ok(fired[0].timeMs >= started.timeMs + SLEEP_MS, `${workflowId}: not early`);
              }
            });
          } finally {
            await b.engine.close();
            await b.store.store.close();
          }
          assert.deepEqual(second.errors, []);
        } finally {
          // A failed assertion must not leave the engine and its store holding the process open.
          await a.engine.close();
          await a.store.store.close();
          tmp.remove();
        }
      },
    );
  }
});
