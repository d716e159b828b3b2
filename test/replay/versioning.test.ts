// Versioning: histories recorded on three versions of `order` (fixtures/versioning-v*.ts, see
// fixtures/generate-versioning-histories.ts) replayed against each version, a live run moving
// from a v1 worker to a v2 worker, and the buildId each worker records.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DeterminismViolationError, Worker } from 'reprise/worker';
import * as activities from './fixtures/versioning-activities.ts';
import { startTestEnv, waitFor } from '../helpers/test-env.ts';

type Version = 'v1' | 'v2' | 'v3';
const codeOf = (v: Version): string =>
  new URL(`./fixtures/versioning-${v}.ts`, import.meta.url).pathname;
const historyOf = (v: Version): { events: unknown[] } =>
  JSON.parse(
    readFileSync(new URL(`./fixtures/order-${v}.history.json`, import.meta.url), 'utf8'),
  ) as { events: unknown[] };

async function replays(code: Version, history: Version): Promise<void> {
  await Worker.runReplayHistory({ workflowsPath: codeOf(code) }, historyOf(history));
}

describe('patched and deprecatePatch replay histories recorded before and after a patch', () => {
  test('v2 (patched) replays a history recorded by v1, taking the old branch', async () => {
    await replays('v2', 'v1');
  });

  test('v2 replays its own history, taking the new branch', async () => {
    await replays('v2', 'v2');
  });

  test('v3 (deprecatePatch) replays a history recorded by v2', async () => {
    await replays('v3', 'v2');
    await replays('v3', 'v3');
  });

  test('v3 cannot replay a history recorded by v1: the old branch is gone', async () => {
    await assert.rejects(replays('v3', 'v1'), (e: unknown) => {
      assert.ok(e instanceof DeterminismViolationError);
      assert.match(e.message, /activityType 'charge'/);
      assert.match(e.message, /chargeWithTax/);
      return true;
    });
  });

  test('v1 cannot replay a history recorded by v2', async () => {
    await assert.rejects(replays('v1', 'v2'), DeterminismViolationError);
  });
});

describe('a live run moves between workers of different versions', () => {
  test('a run started on v1 replays the old branch on a v2 worker, and takes the patch once live', async () => {
    const env = await startTestEnv({
      workflows: '../../replay/fixtures/versioning-v1.ts',
      activities,
      worker: { buildId: 'order-v1' },
    });
    try {
      const handle = await env.client.workflow.start('order', {
        taskQueue: env.taskQueue,
        workflowId: 'order-live',
        args: ['B-2'],
      });
      await waitFor(
        async () =>
          (await handle.fetchHistory()).events.some((e) => e.type === 'ActivityTaskCompleted') &&
          (await handle.describe()).pendingActivities.length === 0 &&
          (await handle.fetchHistory()).events.at(-1)?.type === 'WorkflowTaskCompleted',
        'v1 to charge and wait for the signal',
      );
      assert.equal((await handle.describe()).mostRecentWorkerBuildId, 'order-v1');

      // Deploy: the v1 worker stops, a v2 worker takes over and replays the run from history.
      await env.worker.shutdown();
      await env.startWorker({ workflowsPath: codeOf('v2'), buildId: 'order-v2' });
      await handle.signal('proceed');
      // Charged on v1 without tax (replayed: no marker); asked again live, the patch is taken.
      assert.equal(await handle.result(), 'v2 new: notified: charged B-2');

      const history = await handle.fetchHistory();
      const { events } = history;
      const markers = events.filter((e) => e.type === 'MarkerRecorded');
      assert.equal(markers.length, 1, 'one marker, recorded by the v2 worker live');
      const marker = markers[0];
      assert.ok(marker?.type === 'MarkerRecorded');
      assert.deepEqual(marker.details, { patchId: 'charge-with-tax', deprecated: false });
      const markedBy = events.find((e) => e.eventId === marker.workflowTaskCompletedEventId);
      assert.ok(markedBy?.type === 'WorkflowTaskCompleted');
      assert.equal(markedBy.buildId, 'order-v2');
      // The history it leaves replays on v2 as it ran.
      await Worker.runReplayHistory({ workflowsPath: codeOf('v2') }, history);
      const buildIds = events.flatMap((e) =>
        e.type === 'WorkflowTaskCompleted' ? [e.buildId] : [],
      );
      assert.deepEqual(buildIds.slice(0, 2), ['order-v1', 'order-v1']);
      assert.equal(buildIds.at(-1), 'order-v2', 'the v2 worker completed the last task');
      assert.equal((await handle.describe()).mostRecentWorkerBuildId, 'order-v2');
    } finally {
      await env.close();
    }
  });

  test('a run started on v2 takes the new branch and records the patch marker', async () => {
    const env = await startTestEnv({
      workflows: '../../replay/fixtures/versioning-v2.ts',
      activities,
      worker: { buildId: 'order-v2' },
    });
    try {
      const handle = await env.client.workflow.start('order', {
        taskQueue: env.taskQueue,
        workflowId: 'order-new',
        args: ['C-3'],
      });
      await handle.signal('proceed');
      assert.equal(await handle.result(), 'v2 new: notified: charged C-3 with tax');
      const { events } = await handle.fetchHistory();
      const marker = events.find((e) => e.type === 'MarkerRecorded');
      assert.ok(marker?.type === 'MarkerRecorded');
      assert.deepEqual(marker.details, { patchId: 'charge-with-tax', deprecated: false });
      assert.ok(
        events.every((e) => e.type !== 'WorkflowTaskCompleted' || e.buildId === 'order-v2'),
      );
    } finally {
      await env.close();
    }
  });

  test('a worker without a buildId records none', async () => {
    const env = await startTestEnv({
      workflows: '../../replay/fixtures/versioning-v2.ts',
      activities,
    });
    try {
      const handle = await env.client.workflow.start('order', {
        taskQueue: env.taskQueue,
        workflowId: 'order-no-build',
        args: ['D-4'],
      });
      await handle.signal('proceed');
      await handle.result();
      const { events } = await handle.fetchHistory();
      assert.ok(events.every((e) => e.type !== 'WorkflowTaskCompleted' || e.buildId === undefined));
      assert.equal((await handle.describe()).mostRecentWorkerBuildId, undefined);
    } finally {
      await env.close();
    }
  });
});
