import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  WorkflowFailedError,
} from 'reprise/client';
import type { WorkflowHandle } from 'reprise/client';
import { ActivityCancellationDetails, Context } from 'reprise/activity';
import { ManualClock } from 'reprise/server';
import { DeterminismViolationError, Worker } from 'reprise/worker';
import { PATCH_MARKER } from '../../src/protocol/history-events.ts';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';
import type { Failure } from '../../src/protocol/failure.ts';
import {
  LOCAL_ACTIVITY_MARKER,
  LocalActivityMarkerDetails,
} from '../../src/protocol/local-activity.ts';
import {
  LOCAL_ACTIVITY_CANCEL_SETTLES_PATCH,
  LOCAL_ACTIVITY_MARKER_NAME,
} from '../../src/workflow/local-activity.ts';
import { CANCELLATIONS_SETTLE_LATER_PATCH } from '../../src/workflow/activator.ts';
import * as activities from './fixtures/local-activity-activities.ts';
import { localState } from './fixtures/local-activity-activities.ts';
import { encryptionCodec } from './fixtures/encryption-codec.ts';
import {
  abandonFailingLocally,
  cancelBlockedLocally,
  cancelLocally,
  failsHugelyLocally,
  failsLocally,
  flakyLocally,
  flakyWithLocalBackoff,
  flakyWithLongBackoff,
  heldLocally,
  hugeLocally,
  shoutLocally,
  shoutTwice,
  slowLocally,
} from './fixtures/local-activity-workflows.ts';
import { MAX_PAYLOAD_BYTES } from '../../src/protocol/payload.ts';
import { fixturesPath, recordingLogger, startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';
import type { Logger } from '../../src/logger.ts';
import { ruleFlags } from '../helpers/rule-flags.ts';

const WORKFLOWS = 'local-activity-workflows.ts';

function markers(events: readonly HistoryEvent[]): Record<string, unknown>[] {
  const details: Record<string, unknown>[] = [];
  for (const e of events) {
    if (e.type === 'MarkerRecorded' && e.markerName === LOCAL_ACTIVITY_MARKER) {
      details.push(e.details);
    }
  }
  return details;
}

describe('local activities', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({ workflows: WORKFLOWS, activities });
  });
  after(async () => {
    await env.close();
  });

  test('the sandbox and the protocol agree on the marker name', () => {
    assert.equal(LOCAL_ACTIVITY_MARKER_NAME, LOCAL_ACTIVITY_MARKER);
  });

  test('a local activity returns its result without an activity task in history', async () => {
    const workflowId = id('shout');
    const handle = await env.client.workflow.start(shoutLocally, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [workflowId, 'hello'],
    });
    assert.equal(await handle.result(), 'HELLO!');
    assert.equal(localState.isLocal.get(workflowId), true, 'activityInfo().isLocal');
    const { events } = await handle.fetchHistory();
    const types = events.map((e) => e.type);
    assert.ok(!types.includes('ActivityTaskScheduled'), types.join(', '));
    assert.deepEqual(
      types.filter((t) => t.startsWith('WorkflowTask')),
      ['WorkflowTaskScheduled', 'WorkflowTaskStarted', 'WorkflowTaskCompleted'],
      'one workflow task: the activity ran within it',
    );
    assert.deepEqual(markers(events), [
      {
        seq: 1,
        activityId: '1',
        activityType: 'shout',
        attempt: 1,
        originalScheduleTimeMs: markers(events)[0]?.['originalScheduleTimeMs'],
        result: 'HELLO!',
      },
    ]);
  });

  test('a local activity is not re-run on replay', async () => {
    const workflowId = id('twice');
    const handle = await env.client.workflow.start(shoutTwice, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [workflowId],
    });
    assert.deepEqual(await handle.result(), ['ONE!', 'TWO!']);
    assert.equal(localState.calls.get(workflowId), 2);
    const history = await handle.fetchHistory();
    assert.equal(markers(history.events).length, 2);

    await Worker.runReplayHistory({ workflowsPath: fixturesPath(WORKFLOWS) }, history);
    assert.equal(localState.calls.get(workflowId), 2, 'runReplayHistory runs no activity');
  });

  test('a worker without a cache replays local activities from their markers', async () => {
    const uncached = await startTestEnv({
      workflows: WORKFLOWS,
      activities,
      maxCachedWorkflows: 0,
    });
    try {
      const workflowId = id('uncached');
      const handle = await uncached.client.workflow.start(shoutTwice, {
        taskQueue: uncached.taskQueue,
        workflowId,
        args: [workflowId],
      });
      assert.deepEqual(await handle.result(), ['ONE!', 'TWO!']);
      assert.equal(localState.calls.get(workflowId), 2, 'each local activity ran once');
      assert.ok(uncached.worker.getStatus().workflowTasksReplayed >= 2);
      const { events } = await handle.fetchHistory();
      assert.equal(markers(events).length, 2);
      assert.ok(!events.some((e) => e.type === 'WorkflowTaskFailed'));
    } finally {
      await uncached.close();
    }
  });

  test('local retries follow the policy', async () => {
    const workflowId = id('flaky');
    const handle = await env.client.workflow.start(flakyLocally, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [workflowId, 2],
    });
    assert.equal(await handle.result(), 3);
    assert.deepEqual(localState.attempts.get(workflowId), [1, 2, 3]);
    const { events } = await handle.fetchHistory();
    const recorded = markers(events);
    assert.equal(recorded.length, 1, 'local retries record only the outcome');
    assert.equal(recorded[0]?.['attempt'], 3);
    assert.ok(!events.some((e) => e.type === 'TimerStarted'), 'short backoffs wait in the worker');
  });

  test('a local activity that keeps failing surfaces as ActivityFailure', async () => {
    const workflowId = id('fails');
    const handle = await env.client.workflow.start(failsLocally, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [workflowId],
    });
    const err = await handle.result().then(
      () => assert.fail('expected the workflow to fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ActivityFailure, String(err.cause));
    assert.equal(err.cause.activityType, 'alwaysFails');
    assert.equal(err.cause.retryState, 'MaximumAttemptsReached');
    assert.ok(err.cause.cause instanceof ApplicationFailure);
    assert.equal(err.cause.cause.type, 'Boom');
    assert.equal(localState.calls.get(workflowId), 4, 'maximumAttempts: 4');
    const recorded = markers((await handle.fetchHistory()).events);
    assert.equal(recorded.length, 1);
    assert.equal(recorded[0]?.['attempt'], 4);
  });

  for (const [what, chars] of [
    ['over the payload limit', 3 * 1024 * 1024],
    // Within the limit alone, over it in its marker: the engine would refuse the marker, and the
    // workflow task would fail and run the activity again and again.
    ['within the limit but not with its marker', MAX_PAYLOAD_BYTES - 22],
  ] as const) {
    test(`a local activity result ${what} fails it for good`, async () => {
      const workflowId = id('huge');
      const handle = await env.client.workflow.start(hugeLocally, {
        taskQueue: env.taskQueue,
        workflowId,
        args: [workflowId, chars],
      });
      const err = await handle.result().then(
        () => assert.fail('expected the workflow to fail'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ActivityFailure);
      assert.ok(err.cause.cause instanceof ApplicationFailure);
      assert.equal(err.cause.cause.type, 'PayloadTooLarge');
      assert.equal(localState.calls.get(workflowId), 1, 'not retried');
      const types = (await handle.fetchHistory()).events.map((e) => e.type);
      assert.ok(!types.includes('WorkflowTaskFailed'), 'no workflow task failed');
    });
  }

  test('cancelling its scope aborts a running local activity', async () => {
    const workflowId = id('cancel');
    const handle = await env.client.workflow.start(cancelLocally, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [workflowId],
    });
    assert.equal(await handle.result(), 'cancelled');
    assert.equal(localState.outcome.get(workflowId), 'cancelled', 'the activity saw its abort');
    // As in Temporal: the reason as the message, and the activity's cancellationDetails.
    assert.deepEqual(localState.cancelledWith.get(workflowId), {
      message: 'CANCELLED',
      details: new ActivityCancellationDetails({ cancelRequested: true }),
    });
    const history = await handle.fetchHistory();
    assert.equal(markers(history.events).length, 2);
    await Worker.runReplayHistory({ workflowsPath: fixturesPath(WORKFLOWS) }, history);
  });

  for (const cancellationType of ['ABANDON', 'TRY_CANCEL'] as const) {
    test(`cancelling a local activity with ${cancellationType} settles it at once: the task does not wait for it`, async () => {
      const workflowId = id(`no-wait-${cancellationType}`);
      try {
        const handle = await env.client.workflow.start(cancelBlockedLocally, {
          taskQueue: env.taskQueue,
          workflowId,
          args: [workflowId, cancellationType],
          // Were the task to wait for the activity, it would end at the deadline (1.6 s) instead.
          workflowTaskTimeout: '2s',
        });
        assert.equal(await handle.result(), 'cancelled');
        assert.equal(localState.outcome.get(workflowId), undefined, 'the activity still runs');
        assert.equal(
          localState.sawAbort.get(workflowId),
          cancellationType === 'TRY_CANCEL',
          'TRY_CANCEL aborts it; ABANDON does not tell it',
        );
        const history = await handle.fetchHistory();
        const recorded = markers(history.events);
        assert.deepEqual(
          recorded.map((m) => [m['seq'], m['activityType']]),
          [
            [2, 'shout'],
            [1, 'blockUntilReleased'],
          ],
        );
        const failure = recorded[1]?.['failure'] as { cause?: { info?: { type?: string } } };
        assert.equal(failure.cause?.info?.type, 'cancelled', JSON.stringify(failure));
        assert.equal(recorded[1]?.['backoffMs'], undefined);
        const types = history.events.map((e) => e.type);
        assert.ok(!types.includes('WorkflowTaskFailed'), types.join(', '));
        // The run records the internal rule where it first settles a cancelled call: as a flag
        // of that workflow task, which records the call's cancellation marker (no patch marker).
        const commands = history.events.flatMap((e) => {
          if (e.type === 'WorkflowTaskCompleted') {
            return ruleFlags(e.sdkFlags).map((f) => [`flag ${f}`, e.eventId]);
          }
          if (e.type === 'TimerStarted') return [[e.type, e.workflowTaskCompletedEventId]];
          if (e.type !== 'MarkerRecorded') return [];
          const what = e.markerName === PATCH_MARKER ? e.details['patchId'] : e.details['seq'];
          return [[`${e.markerName} ${String(what)}`, e.workflowTaskCompletedEventId]];
        });
        const task = commands[0]?.[1];
        assert.deepEqual(commands, [
          [`flag ${LOCAL_ACTIVITY_CANCEL_SETTLES_PATCH}`, task],
          [`flag ${CANCELLATIONS_SETTLE_LATER_PATCH}`, task],
          [`${LOCAL_ACTIVITY_MARKER} 2`, task],
          [`${LOCAL_ACTIVITY_MARKER} 1`, task],
          ['TimerStarted', task],
        ]);
        await Worker.runReplayHistory({ workflowsPath: fixturesPath(WORKFLOWS) }, history);
      } finally {
        localState.releases.get(workflowId)?.();
      }
    });
  }

  test('an ABANDONed local activity whose attempts fail starts no attempt after the cancel', async () => {
    // The worker's debug log says when the abandoned call ends: after it, no attempt can start.
    const debug: string[] = [];
    const logger: Logger = {
      debug: (_obj, msg) => {
        debug.push(msg ?? '');
      },
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
      child: () => logger,
    };
    const logged = await startTestEnv({ workflows: WORKFLOWS, activities, worker: { logger } });
    const workflowId = id('abandon-failing');
    try {
      const handle = await logged.client.workflow.start(abandonFailingLocally, {
        taskQueue: logged.taskQueue,
        workflowId,
        args: [workflowId],
      });
      assert.equal(await handle.result(), 'cancelled');
      assert.deepEqual(localState.attempts.get(workflowId), [1], 'attempt 1 runs still');
      const release = localState.releases.get(workflowId);
      assert.ok(release !== undefined);
      release(); // attempt 1 fails now, after the cancel
      await waitFor(
        () =>
          debug.some((m) => /'failsOnceReleased' was abandoned by its workflow/.test(m)) ||
          (localState.attempts.get(workflowId)?.length ?? 0) > 1,
        'the abandoned local activity to end, or to start another attempt',
      );
      assert.deepEqual(localState.attempts.get(workflowId), [1], 'no attempt after the cancel');
      const types = (await handle.fetchHistory()).events.map((e) => e.type);
      assert.ok(!types.includes('WorkflowTaskFailed'), types.join(', '));
    } finally {
      localState.releases.get(workflowId)?.();
      await logged.close();
    }
  });

  test('an attempt still running at the workflow task deadline is cut and retried in a later task', async () => {
    const workflowId = id('slow');
    // The worker cuts each attempt at 80 % of the task timeout (4 s), counted from when it got the
    // task: the 1 s left must hold the task's way to it and the answer on a loaded machine.
    const handle = await env.client.workflow.start(slowLocally, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [workflowId, 60_000],
      workflowTaskTimeout: '5s',
    });
    const err = await handle.result().then(
      () => assert.fail('expected the workflow to fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ActivityFailure);
    assert.equal(err.cause.retryState, 'MaximumAttemptsReached');
    assert.ok(err.cause.cause instanceof TimeoutFailure, String(err.cause.cause));
    assert.deepEqual(localState.attempts.get(workflowId), [1, 2]);
    // The activity saw Temporal's TIMED_OUT cancellation; the workflow, the TimeoutFailure.
    assert.equal(localState.cancelledWith.get(workflowId)?.message, 'TIMED_OUT');
    assert.equal(localState.cancelledWith.get(workflowId)?.details?.timedOut, true);
    const { events } = await handle.fetchHistory();
    assert.ok(!events.some((e) => e.type === 'WorkflowTaskTimedOut'), 'answered in time');
    const [cut, last] = markers(events);
    assert.equal(cut?.['backoffMs'], 10, 'the retry waited on a durable timer');
    assert.equal(last?.['attempt'], 2);
    assert.ok(events.some((e) => e.type === 'TimerFired'));
  });

  test("changing a local activity's type is a non-determinism error on replay", async () => {
    const workflowId = id('changed');
    const handle = await env.client.workflow.start(shoutLocally, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [workflowId, 'Hi'],
    });
    await handle.result();
    const history = await handle.fetchHistory();
    await Worker.runReplayHistory({ workflowsPath: fixturesPath(WORKFLOWS) }, history);
    await assert.rejects(
      Worker.runReplayHistory(
        { workflowsPath: fixturesPath('local-activity-workflows-changed.ts') },
        history,
      ),
      (e: unknown) =>
        e instanceof DeterminismViolationError &&
        /activityType 'shout'/.test(e.message) &&
        /'whisper'/.test(e.message),
    );
  });
});

describe('local activities, on an engine with a small payload limit', () => {
  const LIMIT = 1000;
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({
      workflows: WORKFLOWS,
      activities,
      limits: { maxPayloadBytes: LIMIT, payloadSizeWarnBytes: LIMIT },
    });
  });
  after(async () => {
    await env.close();
  });

  /**
   * The failure its local activity's marker recorded, once the run failed (the workflow's own
   * failure, with its stacks, is over the limit: the engine shortens it). Fails the test at a
   * failed workflow task instead: the engine refused a marker.
   */
  async function markedFailure(handle: WorkflowHandle): Promise<Failure> {
    let events: HistoryEvent[] = [];
    await waitFor(async () => {
      events = (await handle.fetchHistory()).events;
      return events.some(
        (e) => e.type === 'WorkflowTaskFailed' || e.type === 'WorkflowExecutionFailed',
      );
    }, 'the run to fail, or a workflow task to');
    const types = events.map((e) => e.type);
    assert.ok(!types.includes('WorkflowTaskFailed'), `a marker was refused: ${types.join(', ')}`);
    const [marker, ...others] = markers(events).map((m) => LocalActivityMarkerDetails.parse(m));
    assert.deepEqual(others, []);
    assert.ok(marker?.failure !== undefined, JSON.stringify(marker));
    assert.equal(marker.failure.info.type, 'activity');
    assert.ok(marker.failure.cause !== undefined);
    return marker.failure.cause;
  }

  for (const [what, chars] of [
    ['over the limit', 2 * LIMIT],
    ['within the limit but not with its marker', LIMIT - 22],
  ] as const) {
    test(`a result ${what} fails the local activity for good, naming the engine's limit`, async () => {
      const workflowId = id('huge');
      const handle = await env.client.workflow.start(hugeLocally, {
        taskQueue: env.taskQueue,
        workflowId,
        args: [workflowId, chars],
      });
      const cause = await markedFailure(handle);
      assert.ok(cause.info.type === 'application', JSON.stringify(cause));
      assert.equal(cause.info.errorType, 'PayloadTooLarge');
      assert.equal(cause.info.nonRetryable, true);
      assert.match(cause.message, /over the engine's 1000-byte payload limit \(maxPayloadBytes\)/);
      assert.equal(localState.calls.get(workflowId), 1, 'run once');
    });
  }

  test('a result within the limit but over it once encoded by a payload codec fails the local activity for good', async () => {
    // The codec makes payloads about twice as big: 60 % of the limit plain is over it encoded,
    // which is what the engine measures.
    const encoded = await startTestEnv({
      workflows: WORKFLOWS,
      activities,
      limits: { maxPayloadBytes: LIMIT, payloadSizeWarnBytes: LIMIT },
      worker: { dataConverter: { payloadCodecs: [encryptionCodec(randomBytes(32))] } },
    });
    try {
      const workflowId = id('huge-encoded');
      const handle = await encoded.client.workflow.start(hugeLocally, {
        taskQueue: encoded.taskQueue,
        workflowId,
        args: [workflowId, Math.round(0.6 * LIMIT)],
      });
      const cause = await markedFailure(handle);
      assert.ok(cause.info.type === 'application', JSON.stringify(cause));
      assert.equal(cause.info.errorType, 'PayloadTooLarge');
      assert.equal(cause.info.nonRetryable, true);
      assert.match(
        cause.message,
        /with its marker \(encoded by the dataConverter\), over the engine's 1000-byte payload limit/,
      );
      assert.equal(localState.calls.get(workflowId), 1, 'run once');
    } finally {
      await encoded.close();
    }
  });

  test('a failure over the limit is recorded as a shorter one', async () => {
    const workflowId = id('fails-hugely');
    const handle = await env.client.workflow.start(failsHugelyLocally, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [workflowId, 2 * LIMIT],
    });
    const cause = await markedFailure(handle);
    assert.deepEqual(cause.info, { type: 'server', nonRetryable: true });
    assert.match(
      cause.message,
      /over the engine's 1000-byte payload limit .*Its message began: x+$/s,
    );
    assert.equal(localState.calls.get(workflowId), 1, 'run once');
  });
});

describe('local activities, on a manual clock', () => {
  test('a backoff over localRetryThreshold becomes a durable timer', async () => {
    const clock = new ManualClock();
    const env = await startTestEnv({ clock, workflows: WORKFLOWS, activities });
    try {
      const workflowId = `long-backoff-${process.pid}`;
      const handle = await env.client.workflow.start(flakyWithLongBackoff, {
        taskQueue: env.taskQueue,
        workflowId,
        args: [workflowId],
      });
      await waitFor(
        async () => (await handle.describe()).pendingTimers.length === 1,
        'the backoff timer',
      );
      const before = await handle.fetchHistory();
      const [backoff] = markers(before.events);
      assert.equal(backoff?.['attempt'], 1);
      assert.equal(backoff['backoffMs'], 120_000);
      assert.ok(backoff['failure'] !== undefined, 'the failed attempt is recorded');
      assert.deepEqual(localState.attempts.get(workflowId), [1]);

      clock.advance(120_000);
      assert.equal(await handle.result(), 2);
      assert.deepEqual(localState.attempts.get(workflowId), [1, 2]);
      const { events } = await handle.fetchHistory();
      const types = events
        .filter((e) => e.type === 'MarkerRecorded' || e.type.startsWith('Timer'))
        .map((e) => e.type);
      assert.deepEqual(types, ['MarkerRecorded', 'TimerStarted', 'TimerFired', 'MarkerRecorded']);
      const [first, second] = markers(events);
      assert.ok(first !== undefined && second !== undefined);
      assert.equal(second['attempt'], 2);
      assert.equal(second['seq'], 2, 'the next attempt is a new call');
      assert.equal(first['activityId'], '1');
      assert.equal(second['activityId'], '2', "with its new seq's activity id, as in Temporal");
      await Worker.runReplayHistory({ workflowsPath: fixturesPath(WORKFLOWS) }, { events });
    } finally {
      await env.close();
    }
  });
});

describe('a local activity the worker does not register', () => {
  test('fails the workflow task, as in Temporal, so that a worker that registers it completes the run', async () => {
    const clock = new ManualClock();
    const { logger, warnings } = recordingLogger();
    // The env's worker lacks `shout`: an older deploy beside the one that adds it.
    const env = await startTestEnv({
      clock,
      workflows: WORKFLOWS,
      activities: { whisper: activities.whisper },
      worker: { logger },
    });
    try {
      const workflowId = `unregistered-${process.pid}`;
      const handle = await env.client.workflow.start(shoutLocally, {
        taskQueue: env.taskQueue,
        workflowId,
        args: [workflowId, 'bo'],
      });
      const failedTasks = async () =>
        (await handle.fetchHistory()).events.filter((e) => e.type === 'WorkflowTaskFailed');
      await waitFor(async () => (await failedTasks()).length >= 2, 'two failed workflow tasks');
      const [failed] = await failedTasks();
      assert.ok(failed?.type === 'WorkflowTaskFailed');
      assert.match(
        failed.failure.message,
        /Local activity of type 'shout' not registered on worker/,
      );
      assert.ok(warnings.includes('workflow task failed; the engine retries it'));
      assert.equal((await handle.describe()).status, 'Running', 'the run goes on');
      assert.deepEqual(markers((await handle.fetchHistory()).events), [], 'nothing recorded');

      await env.stopWorkers();
      await env.startWorker({ activities });
      clock.advance(1000); // the failed task's backoff
      assert.equal(await handle.result(), 'BO!');
    } finally {
      await env.close();
    }
  });
});

describe('a worker shut down while a local activity runs', () => {
  test('cancels it (WORKER_SHUTDOWN) once shutdownGraceTime has passed, records nothing for it and hands the workflow task back (logged at info, not as a failure), for another worker to take up at once', async () => {
    const { logger, infos, warnings } = recordingLogger();
    const env = await startTestEnv({ workflows: WORKFLOWS, activities, worker: { logger } });
    const workflowId = `shutdown-held-${process.pid}`;
    try {
      const handle = await env.client.workflow.start(heldLocally, {
        taskQueue: env.taskQueue,
        workflowId,
        args: [workflowId],
        // A deadline far from anything a loaded machine takes: 48 s (80 % of the timeout).
        workflowTaskTimeout: '1 minute',
      });
      await waitFor(() => localState.calls.get(workflowId) === 1, 'the local activity to start');
      const shutdownStartedMs = Date.now();
      await env.worker.shutdown(); // shutdownGraceTime: 0
      const tookMs = Date.now() - shutdownStartedMs;
      // Not held until the task's deadline.
      assert.ok(tookMs < 30_000, `shutdown took ${tookMs} ms`);
      // As a Temporal activity sees its worker shut down.
      assert.deepEqual(localState.cancelledWith.get(workflowId), {
        message: 'WORKER_SHUTDOWN',
        details: new ActivityCancellationDetails({ workerShutdown: true }),
      });
      const { events } = await handle.fetchHistory();
      assert.deepEqual(markers(events), [], 'nothing recorded for the cancelled call');
      const failed = events.filter((e) => e.type === 'WorkflowTaskFailed');
      assert.equal(failed.length, 1, events.map((e) => e.type).join(', '));
      assert.ok(failed[0]?.type === 'WorkflowTaskFailed');
      assert.match(failed[0].failure.message, /shutting down/);
      assert.ok(
        infos.includes(
          'workflow task handed back at shutdown; the engine schedules it again at once',
        ),
        infos.join('; '),
      );
      assert.deepEqual(warnings, [], 'a hand-back is no failure');

      // The task is scheduled again at once: a worker started now completes the run.
      await env.startWorker();
      assert.equal(await handle.result(), 'call 2');
      const history = await handle.fetchHistory();
      assert.deepEqual(
        markers(history.events).map((m) => m['attempt']),
        [1],
        'the call starts over in the retried task',
      );
      assert.ok(!history.events.some((e) => e.type === 'WorkflowTaskTimedOut'));
      await Worker.runReplayHistory({ workflowsPath: fixturesPath(WORKFLOWS) }, history);
    } finally {
      localState.releases.get(workflowId)?.();
      await env.close();
    }
  });

  test('a task handed back at each of repeated shutdowns is scheduled again at once, on the same attempt: the backoff does not grow', async () => {
    const clock = new ManualClock();
    const calls: number[] = [];
    // Holds every call until the worker's shutdown cancels it.
    const holdUntilCancelled = async (): Promise<string> => {
      calls.push(calls.length + 1);
      return await Context.current().cancelled;
    };
    const held = { ...activities, heldOnFirstCall: holdUntilCancelled };
    const env = await startTestEnv({ clock, workflows: WORKFLOWS, activities: held });
    const workflowId = `shutdown-repeated-${process.pid}`;
    try {
      const handle = await env.client.workflow.start(heldLocally, {
        taskQueue: env.taskQueue,
        workflowId,
        args: [workflowId],
      });
      let worker = env.worker;
      for (let restart = 1; restart <= 3; restart++) {
        await waitFor(() => calls.length === restart, `call ${restart} to start`);
        await worker.shutdown();
        const { events } = await handle.fetchHistory();
        assert.equal(events.filter((e) => e.type === 'WorkflowTaskFailed').length, restart);
        // No backoff timer (the engine's clock stands still): the next task is already there.
        const last = events.at(-1);
        assert.ok(last?.type === 'WorkflowTaskScheduled', events.map((e) => e.type).join(', '));
        assert.equal(last.attempt, 1);
        ({ worker } = await env.startWorker());
      }
      await waitFor(() => calls.length === 4, 'call 4 to start on the fourth worker');
      assert.equal((await handle.describe()).lastWorkflowTaskFailure, undefined);
    } finally {
      await env.close();
    }
  });

  test('gives up a task waiting out a local retry backoff at once, starting no further attempt', async () => {
    const { logger } = recordingLogger();
    const env = await startTestEnv({ workflows: WORKFLOWS, activities, worker: { logger } });
    const workflowId = `shutdown-backoff-${process.pid}`;
    try {
      const handle = await env.client.workflow.start(flakyWithLocalBackoff, {
        taskQueue: env.taskQueue,
        workflowId,
        args: [workflowId],
        workflowTaskTimeout: '1 minute', // the worker waits out the 30 s backoff in the task
      });
      await waitFor(() => localState.calls.get(workflowId) === 1, 'the first attempt');
      const shutdownStartedMs = Date.now();
      await env.worker.shutdown();
      const tookMs = Date.now() - shutdownStartedMs;
      // Not after the 30 s backoff and the attempt it would have started.
      assert.ok(tookMs < 15_000, `shutdown took ${tookMs} ms`);
      assert.deepEqual(localState.attempts.get(workflowId), [1]);
      const { events } = await handle.fetchHistory();
      assert.deepEqual(markers(events), []);
      const failed = events.find((e) => e.type === 'WorkflowTaskFailed');
      assert.ok(failed?.type === 'WorkflowTaskFailed', events.map((e) => e.type).join(', '));
      assert.match(failed.failure.message, /'flaky' \(seq 1\)/);
    } finally {
      await env.close();
    }
  });

  test('lets it finish within shutdownGraceTime: its outcome is recorded and the task completes', async () => {
    const info: string[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: (_obj, msg) => {
        info.push(msg ?? '');
      },
      warn: () => undefined,
      error: () => undefined,
      child: () => logger,
    };
    const env = await startTestEnv({
      workflows: WORKFLOWS,
      activities,
      worker: { logger, shutdownGraceTime: '1 minute' },
    });
    const workflowId = `shutdown-grace-${process.pid}`;
    try {
      const handle = await env.client.workflow.start(heldLocally, {
        taskQueue: env.taskQueue,
        workflowId,
        args: [workflowId],
      });
      await waitFor(() => localState.calls.get(workflowId) === 1, 'the local activity to start');
      const stopped = env.worker.shutdown();
      await waitFor(
        () => info.some((m) => m.startsWith('shutting down: running activities')),
        'the worker to wait for it',
      );
      localState.releases.get(workflowId)?.();
      await stopped;
      assert.equal(await handle.result(), 'call 1');
      assert.equal(localState.cancelledWith.get(workflowId), undefined, 'not cancelled');
      const { events } = await handle.fetchHistory();
      assert.deepEqual(
        markers(events).map((m) => m['result']),
        ['call 1'],
      );
      assert.ok(!events.some((e) => e.type === 'WorkflowTaskFailed'));
    } finally {
      localState.releases.get(workflowId)?.();
      await env.close();
    }
  });
});

describe('a history recorded before a cancelled TRY_CANCEL or ABANDON local activity settled itself', () => {
  test('replays as it ran: the call rejects at once, its marker comes when the activity ends', async () => {
    // Recorded by the old code (generate-local-activity-cancel-history.ts): the TRY_CANCEL call's
    // marker follows the timer the workflow started after the cancel, in the same task.
    const history = JSON.parse(
      readFileSync(
        new URL('../replay/fixtures/local-activity-cancel-legacy.history.json', import.meta.url),
        'utf8',
      ),
    ) as { events: HistoryEvent[] };
    const commands = history.events
      .filter((e) => e.type === 'MarkerRecorded' || e.type === 'TimerStarted')
      .map((e) =>
        e.type === 'MarkerRecorded' ? `${e.markerName} ${String(e.details['seq'])}` : e.type,
      );
    assert.deepEqual(commands, [
      `${LOCAL_ACTIVITY_MARKER} 2`,
      'TimerStarted',
      `${LOCAL_ACTIVITY_MARKER} 1`,
    ]);
    await Worker.runReplayHistory({ workflowsPath: fixturesPath(WORKFLOWS) }, history);
  });
});
