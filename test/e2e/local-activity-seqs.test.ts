import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { DeterminismViolationError, Worker } from 'reprise/worker';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';
import { LOCAL_ACTIVITY_MARKER } from '../../src/protocol/local-activity.ts';
import {
  LOCAL_ACTIVITY_BACKOFF_NEW_ID_PATCH,
  LOCAL_ACTIVITY_SEQ_SHARED_PATCH,
} from '../../src/workflow/local-activity.ts';
import * as activities from './fixtures/local-activity-activities.ts';
import { localState } from './fixtures/local-activity-activities.ts';
import { activityIds } from './fixtures/local-activity-workflows.ts';
import { fixturesPath, startTestEnv } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const WORKFLOWS = 'local-activity-workflows.ts';

/** Each activity's and local activity marker's seq and activity id, in history order. */
function numbering(events: readonly HistoryEvent[]): string[] {
  return events.flatMap((e) => {
    if (e.type === 'ActivityTaskScheduled') return [`activity ${e.seq} '${e.activityId}'`];
    if (e.type === 'MarkerRecorded' && e.markerName === LOCAL_ACTIVITY_MARKER) {
      const { seq, activityId, attempt } = e.details;
      return [`local ${String(seq)} '${String(activityId)}' attempt ${String(attempt)}`];
    }
    return [];
  });
}

/** The WorkflowTaskCompleted events that record `flag`. */
function flaggedTasks(events: readonly HistoryEvent[], flag: string): HistoryEvent[] {
  return events.filter((e) => e.type === 'WorkflowTaskCompleted' && e.sdkFlags?.includes(flag));
}

/**
 * Asserts that `flag` is recorded once, on the task that recorded the first local activity
 * marker `which` matches.
 */
function assertFlaggedAtMarker(
  events: readonly HistoryEvent[],
  flag: string,
  which: (details: Record<string, unknown>) => boolean,
): void {
  const flagged = flaggedTasks(events, flag);
  const marker = events.find(
    (e) =>
      e.type === 'MarkerRecorded' && e.markerName === LOCAL_ACTIVITY_MARKER && which(e.details),
  );
  assert.equal(flagged.length, 1);
  assert.ok(marker?.type === 'MarkerRecorded');
  assert.equal(marker.workflowTaskCompletedEventId, flagged[0]?.eventId);
}

/**
 * Reads the legacy history `name` of test/replay/fixtures (recorded by the old code with
 * generate-local-activity-seqs-history.ts), checks that it is numbered `expected` and does not
 * record `flag`, and replays it; returns it.
 */
async function replaysAsRecorded(
  name: string,
  flag: string,
  expected: string[],
): Promise<{ events: HistoryEvent[] }> {
  const file = new URL(`../replay/fixtures/${name}.history.json`, import.meta.url);
  const history = JSON.parse(readFileSync(file, 'utf8')) as { events: HistoryEvent[] };
  assert.deepEqual(numbering(history.events), expected);
  assert.deepEqual(flaggedTasks(history.events, flag), []);
  await Worker.runReplayHistory({ workflowsPath: fixturesPath(WORKFLOWS) }, history);
  return history;
}

describe('local activity seqs and ids', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ workflows: WORKFLOWS, activities });
  });
  after(async () => {
    await env.close();
  });

  test("local activities take their seqs from the activities' count, and a call's default activityId is its seq, as in Temporal", async () => {
    const workflowId = 'local-activity-seqs';
    const handle = await env.client.workflow.start(activityIds, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [workflowId],
    });
    assert.deepEqual(await handle.result(), ['1', '2', '3', '4', '6', 'mine', '8']);
    // What activityInfo().activityId was in each attempt (the two calls of one activation run
    // concurrently): the retry after the durable backoff is a new call, with its new seq's id.
    assert.deepEqual(
      [...(localState.activityIds.get(workflowId) ?? [])].sort(),
      ['1', '2', '3', '4', '5', '6', 'mine', '8'].sort(),
    );
    const { events } = await handle.fetchHistory();
    assert.deepEqual(numbering(events), [
      "activity 1 '1'",
      "local 2 '2' attempt 1",
      // One activation called local activity 3, then activity 4, which its task scheduled.
      "activity 4 '4'",
      "local 3 '3' attempt 1",
      "local 5 '5' attempt 1",
      "local 6 '6' attempt 2",
      "local 7 'mine' attempt 1",
      "activity 8 '8'",
    ]);
    // The idempotency key stays the call's across the durable backoff.
    const runId = handle.firstExecutionRunId;
    assert.equal(localState.idempotencyKeys.get(`${workflowId}:5`), `${runId}:5`);
    assert.equal(localState.idempotencyKeys.get(`${workflowId}:6`), `${runId}:5`);
    // Recorded where the run first made a call after a durable backoff: the task of its marker.
    assertFlaggedAtMarker(events, LOCAL_ACTIVITY_BACKOFF_NEW_ID_PATCH, (d) => d['seq'] === 6);
    // Recorded where the run first called a local activity: the task that recorded its marker.
    assertFlaggedAtMarker(events, LOCAL_ACTIVITY_SEQ_SHARED_PATCH, () => true);
    await Worker.runReplayHistory({ workflowsPath: fixturesPath(WORKFLOWS) }, { events });
  });

  test("a history recorded before local activities shared the activities' count replays as it ran: their own count, `local-<seq>` ids", async () => {
    const history = await replaysAsRecorded(
      'local-activity-seqs-legacy',
      LOCAL_ACTIVITY_SEQ_SHARED_PATCH,
      [
        "activity 1 '1'",
        "local 1 'local-1' attempt 1",
        "activity 2 '2'",
        "local 2 'local-2' attempt 1",
        "local 3 'local-3' attempt 1",
        "local 4 'local-3' attempt 2",
        "local 5 'mine' attempt 1",
        "activity 3 '3'",
      ],
    );
    // The rule is the run's: a history that records it, numbered the old way, does not replay.
    const flagged = structuredClone(history);
    const firstTask = flagged.events.find((e) => e.type === 'WorkflowTaskCompleted');
    assert.ok(firstTask?.type === 'WorkflowTaskCompleted');
    firstTask.sdkFlags = [...(firstTask.sdkFlags ?? []), LOCAL_ACTIVITY_SEQ_SHARED_PATCH];
    await assert.rejects(
      Worker.runReplayHistory({ workflowsPath: fixturesPath(WORKFLOWS) }, flagged),
      DeterminismViolationError,
    );
  });

  test('a history recorded before the call after a durable backoff took its new seq as its id replays as it ran: that call kept the first id', async () => {
    await replaysAsRecorded(
      'local-activity-backoff-id-legacy',
      LOCAL_ACTIVITY_BACKOFF_NEW_ID_PATCH,
      [
        "activity 1 '1'",
        "local 2 '2' attempt 1",
        "activity 4 '4'",
        "local 3 '3' attempt 1",
        "local 5 '5' attempt 1",
        "local 6 '5' attempt 2",
        "local 7 'mine' attempt 1",
        "activity 8 '8'",
      ],
    );
  });
});
