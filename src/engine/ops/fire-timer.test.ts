// A timer row fired a second time after its first firing set the same key again (two engines on
// one file, or a firing that outlived its lease) must leave the new row alone. Runs written before
// ADR 0008 keep one row per timer, and a workflow task timeout reuses its key for every task: a
// stale second firing of the first task's timeout used to delete the second task's.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Client } from '../../client/index.ts';
import type { TimerRecord } from '../../store/store.ts';
import { asWorkflowTask } from '../../../test/helpers/commands.ts';
import { tempDir, uniqueQueue, waitFor } from '../../../test/helpers/test-env.ts';
import { ManualClock } from '../clock.ts';
import { Engine } from '../engine.ts';
import { workflowTaskTimerKey } from '../timer-keys.ts';
import { fireTimer } from './fire-timer.ts';

const SECOND = 1000;

describe('a timer row fired twice', () => {
  const clock = new ManualClock();
  let tmp: ReturnType<typeof tempDir>;
  let path: string;
  let engine: Engine;
  before(() => {
    tmp = tempDir();
    path = join(tmp.dir, 'reprise.db');
  });
  after(async () => {
    await engine.close();
    tmp.remove();
  });

  const timerRows = (runId: string): TimerRecord[] => {
    const db = new Database(path, { readonly: true });
    try {
      return db
        .prepare<[string], { key: string; due_at_ms: number; payload: string }>(
          'SELECT key, due_at_ms, payload FROM timers WHERE run_id = ?',
        )
        .all(runId)
        .map((r) => ({
          runId,
          key: r.key,
          dueAtMs: r.due_at_ms,
          payload: JSON.parse(r.payload) as TimerRecord['payload'],
        }));
    } finally {
      db.close();
    }
  };

  /** Writes the run as a run from before ADR 0008 looks: no timers in its state, no rows. */
  const makeLegacy = (runId: string): void => {
    const db = new Database(path);
    try {
      const row = db.prepare<[string], { state: string }>(
        'SELECT state FROM runs WHERE run_id = ?',
      );
      const state = JSON.parse(row.get(runId)?.state ?? 'null') as {
        timers?: unknown;
        timerRowDueAtMs?: unknown;
      };
      assert.ok(state.timers !== undefined, 'a new run keeps its timers in its state');
      delete state.timers;
      delete state.timerRowDueAtMs;
      db.prepare('UPDATE runs SET state = ? WHERE run_id = ?').run(JSON.stringify(state), runId);
      db.prepare('DELETE FROM timers WHERE run_id = ?').run(runId);
    } finally {
      db.close();
    }
  };

  test('a stale firing of a task timeout keeps the next task’s timeout', async () => {
    const taskQueue = uniqueQueue('fired-twice');
    engine = await Engine.open({ store: `sqlite:${path}`, clock });
    const started = await new Client({ connection: engine.connection }).workflow.start('any', {
      taskQueue,
      workflowId: 'fired-twice',
      workflowTaskTimeout: '10 seconds',
    });
    const { runId } = await started.describe();
    await engine.close();
    makeLegacy(runId);
    engine = await Engine.open({ store: `sqlite:${path}`, clock });
    const handle = new Client({ connection: engine.connection }).workflow.getHandle('fired-twice');

    const poll = async () =>
      asWorkflowTask(
        await engine.connection.pollWorkflowTask({
          namespace: 'default',
          taskQueue,
          identity: 'test',
          waitMs: 5000,
        }),
      );
    const timedOut = async () =>
      (await handle.fetchHistory()).events.filter((e) => e.type === 'WorkflowTaskTimedOut').length;

    await poll();
    const [first] = timerRows(runId);
    assert.equal(first?.key, workflowTaskTimerKey(), 'the legacy run keeps its timeout in a row');
    assert.equal(first.dueAtMs, clock.now() + 10 * SECOND);

    // The first firing (the clock is not moved: the engine's own timer loop stays out of it):
    // the task times out and is scheduled again.
    await fireTimer(engine.deps, first);
    assert.equal(await timedOut(), 1);
    clock.advance(SECOND);
    await poll();
    const second = timerRows(runId);
    assert.deepEqual(
      second.map((t) => [t.key, t.dueAtMs]),
      [[workflowTaskTimerKey(), first.dueAtMs + SECOND]],
      'the second task’s timeout, under the same key',
    );

    // The stale second firing of the first row changes nothing.
    await fireTimer(engine.deps, first);
    assert.deepEqual(timerRows(runId), second);
    assert.equal(await timedOut(), 1);

    // The second task still times out when its time comes.
    clock.advance(10 * SECOND);
    await waitFor(async () => (await timedOut()) === 2, 'the second task to time out');
  });
});
