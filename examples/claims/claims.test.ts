import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from 'reprise/client';
import { Engine, ManualClock } from 'reprise/server';
import { Worker } from 'reprise/worker';
import { tempDir, uniqueQueue, waitFor } from '../../test/helpers/test-env.ts';
import * as activities from './activities.ts';
import { approve, documentsUploaded, processClaim, status } from './workflows.ts';

const workflowsPath = new URL('./workflows.ts', import.meta.url).pathname;
const THREE_DAYS_MS = 3 * 24 * 60 * 60 * 1000;

/** An engine on a temporary SQLite file, a running worker for the claims queue, and a client. */
async function startClaims(clock?: ManualClock): Promise<{
  engine: Engine;
  client: Client;
  taskQueue: string;
  close: () => Promise<void>;
}> {
  const tmp = tempDir();
  const engine = await Engine.open({ store: `sqlite:${join(tmp.dir, 'claims.db')}`, clock });
  const taskQueue = uniqueQueue('claims');
  const worker = await Worker.create({
    connection: engine.connection,
    taskQueue,
    workflowsPath,
    activities,
  });
  const running = worker.run();
  return {
    engine,
    client: new Client({ connection: engine.connection }),
    taskQueue,
    close: async () => {
      await worker.shutdown();
      await running;
      await engine.close();
      tmp.remove();
    },
  };
}

describe('claims example', () => {
  let env: Awaited<ReturnType<typeof startClaims>>;
  before(async () => {
    env = await startClaims();
  });
  after(async () => {
    await env.close();
  });

  test('a covered claim with its documents is approved after a retried fraud check', async () => {
    const handle = await env.client.workflow.start(processClaim, {
      taskQueue: env.taskQueue,
      workflowId: 'claim-42-happy',
      args: ['42'],
    });
    await handle.signal(documentsUploaded, { documents: ['photos', 'repair-estimate'] });
    const result = await handle.result();
    assert.equal(result.decision, 'approved');
    assert.equal(result.claimId, '42');
    const history = await handle.fetchHistory();
    const fraudStarted = history.events.filter(
      (e) => e.type === 'ActivityTaskStarted' && e.attempt === 2,
    );
    assert.equal(fraudStarted.length, 1, 'the fraud check succeeded on its second attempt');
  });

  test('the status query reports the stage and the fields extracted so far', async () => {
    const handle = await env.client.workflow.start(processClaim, {
      taskQueue: env.taskQueue,
      workflowId: 'claim-42-status',
      args: ['42'],
    });
    await waitFor(
      async () => (await handle.query(status)).stage === 'awaiting-documents',
      'the claim to wait for documents',
    );
    const waiting = await handle.query(status);
    assert.ok(waiting.claim, 'the extracted fields are part of the status');
    assert.equal(waiting.claim.policyId, 'P-1001');
    assert.equal(waiting.claim.amount, 1850);
    assert.equal(waiting.claim.peril, 'water-damage');
    assert.deepEqual(waiting.missingDocuments, ['photos', 'repair-estimate']);

    await handle.signal(documentsUploaded, { documents: ['photos'] });
    await waitFor(
      async () => (await handle.query(status)).missingDocuments.length === 1,
      'the photos to be recorded',
    );
    await handle.signal(documentsUploaded, { documents: ['repair-estimate'] });
    assert.equal((await handle.result()).decision, 'approved');
    const done = await handle.query(status);
    assert.equal(done.stage, 'decided', 'a closed run answers queries by replay');
    assert.equal(done.decision?.decision, 'approved');
  });

  test('a claim above the auto-approve limit waits for a reviewer', async () => {
    const handle = await env.client.workflow.start(processClaim, {
      taskQueue: env.taskQueue,
      workflowId: 'claim-77-review',
      args: ['77'],
    });
    await handle.signal(documentsUploaded, { documents: ['police-report'] });
    await waitFor(
      async () => (await handle.query(status)).stage === 'awaiting-approval',
      'the claim to wait for a reviewer',
    );
    await handle.signal(approve, { reviewer: 'dana', approved: true });
    const result = await handle.result();
    assert.equal(result.decision, 'approved');
    assert.equal(result.reason, 'Reviewed by dana.');
  });

  test('a claim on an unknown policy is denied without waiting for documents', async () => {
    const result = await env.client.workflow.execute(processClaim, {
      taskQueue: env.taskQueue,
      workflowId: 'claim-13-denied',
      args: ['13'],
    });
    assert.equal(result.decision, 'denied');
    assert.match(result.reason, /P-9999/);
  });
});

describe('claims example, on a manual clock', () => {
  test('a claim whose documents do not arrive within 3 days is denied', async () => {
    const clock = new ManualClock();
    const env = await startClaims(clock);
    try {
      const handle = await env.client.workflow.start(processClaim, {
        taskQueue: env.taskQueue,
        workflowId: 'claim-42-deadline',
        args: ['42'],
      });
      await waitFor(
        async () => (await handle.describe()).pendingTimers.length === 1,
        'the 3-day deadline timer',
      );
      assert.equal((await handle.query(status)).stage, 'awaiting-documents');
      const startedAt = clock.now();
      clock.advance(THREE_DAYS_MS);
      const result = await handle.result();
      assert.equal(result.decision, 'denied');
      assert.match(result.reason, /photos, repair-estimate/);
      assert.equal(Date.parse(result.decidedAt), startedAt + THREE_DAYS_MS);
    } finally {
      await env.close();
    }
  });
});
