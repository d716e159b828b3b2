// maxConcurrentLocalActivityExecutions and a local activity's scheduleToStartTimeout, as in
// Temporal: attempts past the worker's slots wait for one, and one that waits longer than its
// scheduleToStartTimeout fails with a TimeoutFailure (ScheduleToStart), not retried.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InvalidArgumentError } from 'reprise/client';
import { Worker } from 'reprise/worker';
import { twoAtOnce } from './fixtures/la-slot-workflows.ts';
import type { SlotActivities } from './fixtures/la-slot-workflows.ts';
import { fixturesPath, startTestEnv } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('local activity slots', () => {
  const spans = new Map<string, { startMs: number; endMs: number }>();
  const activities: SlotActivities = {
    async busy(name, ms) {
      const startMs = Date.now();
      // The activity's own work: it holds its slot this long.
      await new Promise((resolve) => setTimeout(resolve, ms));
      spans.set(name, { startMs, endMs: Date.now() });
      return name;
    },
  };
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({
      workflows: 'la-slot-workflows.ts',
      activities,
      worker: { maxConcurrentLocalActivityExecutions: 1 },
    });
  });
  after(async () => {
    await env.close();
  });

  test('with one slot, the second local activity starts once the first has ended', async () => {
    spans.clear();
    const result = await env.client.workflow.execute(twoAtOnce, {
      workflowId: 'la-slots-wait',
      taskQueue: env.taskQueue,
      args: [false],
    });
    assert.deepEqual(result, ['first', 'second']);
    const first = spans.get('first')!;
    const second = spans.get('second')!;
    assert.ok(second.startMs >= first.endMs, 'the second ran after the first released its slot');
  });

  test('one that waits past its scheduleToStartTimeout fails with ScheduleToStart and never runs', async () => {
    spans.clear();
    const result = await env.client.workflow.execute(twoAtOnce, {
      workflowId: 'la-slots-give-up',
      taskQueue: env.taskQueue,
      args: [true],
    });
    assert.deepEqual(result, ['first', 'timed out: ScheduleToStart']);
    assert.equal(spans.has('second'), false);
    const { events } = await env.client.workflow.getHandle('la-slots-give-up').fetchHistory();
    const markers = events.filter((e) => e.type === 'MarkerRecorded');
    assert.equal(markers.length, 2);
  });

  test('a maxConcurrentLocalActivityExecutions that is not a whole number of at least 1 is refused', async () => {
    await assert.rejects(
      Worker.create({
        connection: env.engine.connection,
        taskQueue: env.taskQueue,
        workflowsPath: fixturesPath('la-slot-workflows.ts'),
        activities,
        maxConcurrentLocalActivityExecutions: 0,
      }),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        e.message.includes('maxConcurrentLocalActivityExecutions must be a whole number'),
    );
  });
});
