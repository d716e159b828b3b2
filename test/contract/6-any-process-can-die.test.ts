// DESIGN contract 6 (and 2): a worker host — engine and worker in one process on the shared
// SQLite file — is SIGKILLed at a random step and replaced; the run completes, every activity
// result is recorded once, and no step whose completion was recorded runs again.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from 'reprise/client';
import { Engine } from 'reprise/server';
import { kill, startWorkerProcess } from '../helpers/child-worker.ts';
import { tempDir, uniqueQueue, waitFor } from '../helpers/test-env.ts';
import { testStoreUrl } from '../helpers/test-store.ts';

function sideEffectLines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
}

describe('contract 6: any process can die at any point', () => {
  let tmp: ReturnType<typeof tempDir>;
  let engine: Engine;
  let client: Client;

  before(async () => {
    tmp = tempDir();
    engine = await Engine.open({ store: await testStoreUrl(join(tmp.dir, 'shared.db')) });
    client = new Client({ connection: engine.connection });
  });
  after(async () => {
    await engine.close();
    tmp.remove();
  });

  test('a 20-activity workflow survives its worker host being SIGKILLed at a random step', async () => {
    const taskQueue = uniqueQueue('crash');
    const sideEffects = join(tmp.dir, 'effects-1.log');
    const db = join(tmp.dir, 'shared.db');
    const killAt = 3 + Math.floor(Math.random() * 14);
    let child = await startWorkerProcess({ db, taskQueue, sideEffects });
    // The default workflow task timeout (10 s): a shorter one times tasks out on a busy machine.
    // A task its killed process held is given out again at once, on Linux; elsewhere, after it.
    const handle = await client.workflow.start('twentySteps', {
      taskQueue,
      workflowId: `twenty-${killAt}`,
    });
    // A guard against a stall only: a busy machine's worker takes its time.
    await waitFor(() => sideEffectLines(sideEffects).length >= killAt, `step ${killAt}`, 120_000);
    await kill(child);
    const recordedAtKill = (await handle.fetchHistory()).events.flatMap((e) =>
      e.type === 'ActivityTaskCompleted' ? [e.scheduledEventId] : [],
    ).length;
    child = await startWorkerProcess({ db, taskQueue, sideEffects });
    try {
      const result = (await handle.result()) as number[];
      assert.deepEqual(
        result,
        Array.from({ length: 20 }, (_, i) => (i + 1) * 10),
      );
    } finally {
      await kill(child);
    }
    const history = (await handle.fetchHistory()).events;
    const completed = history.filter((e) => e.type === 'ActivityTaskCompleted');
    assert.equal(completed.length, 20, 'each activity result is recorded exactly once');
    const runs = new Map<string, number>();
    for (const line of sideEffectLines(sideEffects)) runs.set(line, (runs.get(line) ?? 0) + 1);
    for (let i = 1; i <= 20; i++) {
      const count = [...runs.entries()]
        .filter(([l]) => l.startsWith(`step ${i} `))
        .reduce((a, [, c]) => a + c, 0);
      if (i <= recordedAtKill)
        assert.equal(count, 1, `step ${i} completed before the kill and never ran again`);
      else assert.ok(count >= 1, `step ${i} ran`);
    }
  });

  test('a workflow waiting on a signal survives a restart of every process', async () => {
    const taskQueue = uniqueQueue('signal');
    const sideEffects = join(tmp.dir, 'effects-2.log');
    const db = join(tmp.dir, 'shared.db');
    let child = await startWorkerProcess({ db, taskQueue, sideEffects });
    const handle = await client.workflow.start('awaitSignal', {
      taskQueue,
      workflowId: 'await-signal',
    });
    await waitFor(
      async () =>
        (await handle.fetchHistory()).events.some((e) => e.type === 'WorkflowTaskCompleted'),
      'the first workflow task',
    );
    await kill(child);
    // A new engine on the same store stands in for a restarted client/engine process.
    const engine2 = await Engine.open({ store: await testStoreUrl(db) });
    try {
      const client2 = new Client({ connection: engine2.connection });
      const handle2 = client2.workflow.getHandle(handle.workflowId);
      await handle2.signal('proceed', 'yes');
      child = await startWorkerProcess({ db, taskQueue, sideEffects });
      assert.equal(await handle2.result(), 'got yes');
    } finally {
      await kill(child);
      await engine2.close();
    }
    assert.deepEqual(
      sideEffectLines(sideEffects).map((l) => l.split(' ')[1]),
      ['99'],
    );
  });
});
