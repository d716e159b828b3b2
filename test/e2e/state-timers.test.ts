// A run's own timers (task timeouts and retries, user timers) live in its state, with one timer
// row that wakes the run at or before the earliest (engine/update-run.ts, RunTx.setTimer). The
// engine runs on a ManualClock and the test plays the worker through the engine API, so that
// each timeout is seen to come due, or not, exactly when it should.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ManualClock } from 'reprise/server';
import { scheduleWork } from '../helpers/commands.ts';
import { collect } from '../contract/fixtures/contract-workflows.ts';
import { startTestEnv, uniqueQueue, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';
import { sqliteOnly } from '../helpers/test-store.ts';

const SECOND = 1000;

describe(
  'timers kept in the run state',
  sqliteOnly('it reads the timers table of the SQLite file'),
  () => {
    const clock = new ManualClock();
    let env: TestEnv;
    let db: Database.Database;
    let n = 0;
    before(async () => {
      env = await startTestEnv({ clock });
      db = new Database(env.dbPath, { readonly: true });
    });
    after(async () => {
      db.close();
      await env.close();
    });

    const api = () => env.engine.connection;
    const timerRows = (runId: string) =>
      db
        .prepare<[string], { key: string; due_at_ms: number }>(
          'SELECT key, due_at_ms FROM timers WHERE run_id = ? ORDER BY key',
        )
        .all(runId);

    async function startedWithActivity(taskQueue: string) {
      const handle = await env.client.workflow.start(collect, {
        taskQueue,
        workflowId: `state-timers-${++n}`,
        args: [1],
        workflowTaskTimeout: '10 seconds',
      });
      const task = await api().pollWorkflowTask({
        namespace: 'default',
        taskQueue,
        identity: 'me',
        waitMs: 5000,
      });
      assert.ok(task?.kind === 'workflow');
      const schedule = scheduleWork(taskQueue, 1, {
        args: [],
        startToCloseTimeoutMs: 60 * SECOND,
        retry: { maximumAttempts: 1 },
        requestEagerExecution: true,
      });
      const res = await api().completeWorkflowTask({
        taskToken: task.taskToken,
        identity: 'me',
        commands: [schedule],
      });
      assert.equal(res.activityTasks?.length, 1, 'the activity came back started');
      return handle;
    }

    test('a step writes no timer row: the one row wakes the run for the earliest timeout', async () => {
      const startMs = clock.now();
      const handle = await startedWithActivity(uniqueQueue('state-timers'));
      const { runId } = await handle.describe();
      // The row was set for the workflow task's timeout, the first timer, and stayed there: the
      // task completed and the activity's later timeout did not move it.
      assert.deepEqual(timerRows(runId), [
        { key: 'state:timers', due_at_ms: startMs + 10 * SECOND },
      ]);
      const eventsBefore = (await handle.fetchHistory()).events.length;

      // At 10 s the row comes due with nothing due: the run gains no event, and the row moves to
      // the activity's start-to-close timeout.
      clock.advance(10 * SECOND);
      await waitFor(
        () => timerRows(runId)[0]?.due_at_ms === startMs + 60 * SECOND,
        'the row to move to the activity timeout',
      );
      assert.equal((await handle.fetchHistory()).events.length, eventsBefore);
      assert.equal((await handle.describe()).pendingActivities[0]?.state, 'Started');

      // At 60 s the activity times out (one attempt only), not a millisecond before.
      clock.advance(50 * SECOND);
      await waitFor(
        async () =>
          (await handle.fetchHistory()).events.some((e) => e.type === 'ActivityTaskTimedOut'),
        'the activity to time out',
      );
      const timedOut = (await handle.fetchHistory()).events.find(
        (e) => e.type === 'ActivityTaskTimedOut',
      );
      assert.equal(timedOut?.timeMs, startMs + 60 * SECOND, 'timed out at its due time');
      await env.client.workflow.getHandle(handle.workflowId).terminate('done');
      assert.deepEqual(timerRows(runId), [], 'a closed run keeps no timer row');
    });
  },
);
