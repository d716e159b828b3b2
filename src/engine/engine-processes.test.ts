import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Command } from '../protocol/commands.ts';
import { Engine } from './engine.ts';
import { EngineProcesses } from './engine-processes.ts';
import { reclaimTasksHeldBy } from './ops/reclaim-held-tasks.ts';
import { thisProcess } from './process-liveness.ts';

const dir = mkdtempSync(join(tmpdir(), 'reprise-engine-processes-'));

describe('engine processes (ADR 0012)', () => {
  let engine: Engine;
  before(async () => {
    engine = await Engine.open({ store: `sqlite:${join(dir, 'processes.db')}` });
  });
  after(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A run of an unregistered type whose first workflow task was answered with `commands`. */
  async function answeredRun(taskQueue: string, commands: Command[]) {
    const c = engine.connection;
    const ids = { namespace: 'default', workflowId: taskQueue };
    const { runId } = await c.startWorkflow({ ...ids, workflowType: 'W', taskQueue, args: [] });
    const poll = { namespace: ids.namespace, taskQueue, identity: 'me', waitMs: 5_000 };
    const first = await c.pollWorkflowTask(poll);
    assert.ok(first?.kind === 'workflow');
    await c.completeWorkflowTask({ taskToken: first.taskToken, identity: 'me', commands });
    return { ...ids, runId, poll };
  }

  test('a record is not taken for dead because its wall-clock age is large', async () => {
    const store = engine.deps.store;
    const ancient = { startedAtMs: 0, seenAtMs: 0 };
    // A live process here (this one, as another engine of it would record it): judged by pid.
    const here = thisProcess();
    await store.registerEngineProcess({ processId: 'alive-here', ...here, ...ancient });
    // A process elsewhere: aged only by this engine's own monotonic clock, from now on.
    await store.registerEngineProcess({
      processId: 'elsewhere',
      hostKey: 'another-boot pid:[1]',
      pid: 1,
      pidStart: '1',
      ...ancient,
    });
    await new EngineProcesses(engine.deps).check();
    const ids = (await store.listEngineProcesses()).map((p) => p.processId);
    assert.ok(ids.includes('alive-here'));
    assert.ok(ids.includes('elsewhere'));
  });

  test('taking back a process’s tasks leaves those another process holds in the same run', async () => {
    const other = await Engine.open({ store: `sqlite:${join(dir, 'processes.db')}` });
    try {
      const c = engine.connection;
      const taskQueue = 'two-holders';
      const schedule = (seq: number): Command => ({
        type: 'ScheduleActivityTask',
        seq,
        activityId: String(seq),
        activityType: 'work',
        taskQueue,
        args: [],
        startToCloseTimeoutMs: 3_600_000,
      });
      const { namespace, workflowId, runId, poll } = await answeredRun(taskQueue, [
        schedule(1),
        schedule(2),
      ]);
      // One attempt started through each engine: each is held by its engine's process.
      const mine = await c.pollActivityTask(poll);
      const theirs = await other.connection.pollActivityTask(poll);
      assert.ok(mine !== undefined && theirs !== undefined);
      assert.equal(await reclaimTasksHeldBy(engine.deps, engine.deps.processId, 'a test'), 1);
      const pending = (await engine.connection.describeWorkflow({ namespace, workflowId }))
        .pendingActivities;
      const byId = new Map(pending.map((a) => [a.activityId, a]));
      assert.equal(
        byId.get(mine.activityId)?.attempt,
        2,
        'the taken-back attempt failed and retries',
      );
      assert.equal(byId.get(theirs.activityId)?.attempt, 1);
      assert.equal(
        byId.get(theirs.activityId)?.state,
        'Started',
        'the other process’s attempt runs on',
      );
      assert.deepEqual(
        await engine.deps.store.listRunsHeldBy({ processId: other.deps.processId }),
        [runId],
      );
    } finally {
      await other.close();
    }
  });

  test('a started speculative workflow task stays held when another event arrives', async () => {
    const c = engine.connection;
    const { namespace, workflowId, runId, poll } = await answeredRun('speculative-held', []);
    // An update to an idle run travels in a speculative workflow task.
    const update = c.updateWorkflow({
      namespace,
      workflowId,
      updateId: 'u1',
      name: 'u',
      args: [],
      waitForStage: 'Accepted',
      waitMs: 1_000,
    });
    update.catch(() => undefined);
    assert.equal((await c.pollWorkflowTask(poll))?.kind, 'workflow');
    const held = () => engine.deps.store.listRunsHeldBy({ processId: engine.deps.processId });
    assert.deepEqual(await held(), [runId]);
    // A signal writes the speculative task's events to history first.
    await c.signalWorkflow({ namespace, workflowId, signalName: 's', args: [] });
    assert.deepEqual(await held(), [runId]);
  });
});
