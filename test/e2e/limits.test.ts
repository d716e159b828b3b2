// Limits with warnings before the hard stop (EngineLimits, Temporal's defaults), each tested
// with small configured limits: history event count and size (continue-as-new suggested, a
// warning logged once, then the run terminated with a clear reason), payload size (warning,
// then refusal), and pending activities / child workflows / signals / cancel requests per run
// (the workflow task fails with a cause naming the limit, and nothing is scheduled).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ServerFailure, TerminatedFailure, WorkflowFailedError } from 'reprise/client';
import type { WorkflowHandle } from 'reprise/client';
import * as activities from './fixtures/limits-activities.ts';
import {
  activityFailsLoudly,
  bigMemo,
  cancelOthers,
  echoWorkflow,
  failLoudly,
  fanOut,
  growForever,
  signalOthers,
  startChildren,
  untilSuggested,
} from './fixtures/limits-workflows.ts';
import { recordingLogger, startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

async function lastEvent(handle: WorkflowHandle) {
  return (await handle.fetchHistory()).events.at(-1);
}

describe('history event count', () => {
  const { logger, warnings } = recordingLogger();
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;
  before(async () => {
    env = await startTestEnv({
      workflows: 'limits-workflows.ts',
      activities,
      logger,
      limits: { historyCountSuggestContinueAsNew: 20, historyCountWarn: 30, historyCountLimit: 60 },
    });
  });
  after(async () => {
    await env.close();
  });

  test('continueAsNewSuggested turns true once the history reaches the configured threshold', async () => {
    const [length] = await env.client.workflow.execute(untilSuggested, {
      taskQueue: env.taskQueue,
      workflowId: id('suggest'),
      args: [100],
    });
    assert.ok(length !== undefined && length >= 20 && length < 26, `suggested at ${length}`);
  });

  test('past the warning a warning is logged once; past the limit the run is terminated with the reason', async () => {
    const handle = await env.client.workflow.start(growForever, {
      taskQueue: env.taskQueue,
      workflowId: id('grow'),
    });
    await assert.rejects(handle.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.ok(e.cause instanceof TerminatedFailure);
      return true;
    });
    const last = await lastEvent(handle);
    assert.ok(last?.type === 'WorkflowExecutionTerminated');
    assert.match(
      last.reason,
      /^History exceeds the 60-event limit \(61 events\)\. Use continueAsNew before a run's history grows this large; workflowInfo\(\)\.continueAsNewSuggested turns true at 20 events/,
    );
    const d = await handle.describe();
    assert.equal(d.status, 'Terminated');
    assert.equal(warnings.filter((w) => w.startsWith('History has passed 30 events')).length, 1);
    assert.equal(warnings.filter((w) => w.startsWith('Run terminated: History exceeds')).length, 1);
  });
});

describe('history size', () => {
  const { logger, warnings } = recordingLogger();
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({
      workflows: 'limits-workflows.ts',
      activities,
      logger,
      limits: {
        historySizeSuggestContinueAsNewBytes: 4096,
        historySizeWarnBytes: 6144,
        historySizeLimitBytes: 8192,
      },
    });
  });
  after(async () => {
    await env.close();
  });

  test('continueAsNewSuggested turns true at the configured size', async () => {
    const [, size] = await env.client.workflow.execute(untilSuggested, {
      taskQueue: env.taskQueue,
      workflowId: 'size-suggest',
      args: [1000],
    });
    assert.ok(size !== undefined && size >= 4096 && size < 5000, `suggested at ${size} bytes`);
  });

  test('a history past the size limit terminates the run, after one warning', async () => {
    const handle = await env.client.workflow.start(growForever, {
      taskQueue: env.taskQueue,
      workflowId: 'size-grow',
    });
    await assert.rejects(handle.result(), WorkflowFailedError);
    const last = await lastEvent(handle);
    assert.ok(last?.type === 'WorkflowExecutionTerminated');
    assert.match(
      last.reason,
      /^History size exceeds the 8 KiB limit \([\d,]+ bytes\)\. Use continueAsNew before a run's history grows this large; workflowInfo\(\)\.continueAsNewSuggested turns true at [\d,]+ events or 4 KiB\.$/,
    );
    const d = await handle.describe();
    assert.equal(d.status, 'Terminated');
    assert.ok(d.historySizeBytes > 8192);
    assert.equal(warnings.filter((w) => w.startsWith('History has passed 6 KiB')).length, 1);
  });
});

describe('payloads and pending work per run', () => {
  const { logger, warnings } = recordingLogger();
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;
  before(async () => {
    env = await startTestEnv({
      workflows: 'limits-workflows.ts',
      activities,
      logger,
      limits: {
        payloadSizeWarnBytes: 300,
        maxPayloadBytes: 1000,
        maxPendingActivities: 2,
        maxPendingChildWorkflows: 1,
        maxPendingSignals: 1,
        maxPendingCancelRequests: 1,
      },
    });
  });
  after(async () => {
    await env.close();
  });

  test('a payload past the warning size is accepted with a warning; past the limit it is refused', async () => {
    const before = warnings.length;
    const length = await env.client.workflow.execute(echoWorkflow, {
      taskQueue: env.taskQueue,
      workflowId: id('payload-warn'),
      args: ['x'.repeat(500)],
    });
    assert.equal(length, 500);
    assert.ok(
      warnings.slice(before).some((w) => /past the 300-byte warning threshold/.test(w)),
      'a payload warning was logged',
    );
    await assert.rejects(
      env.client.workflow.start(echoWorkflow, {
        taskQueue: env.taskQueue,
        workflowId: id('payload-error'),
        args: ['x'.repeat(2000)],
      }),
      /over the 1000-byte payload limit/,
    );
  });

  async function expectTaskFailure(handle: WorkflowHandle, cause: string, pattern: RegExp) {
    await waitFor(
      async () => (await handle.describe()).lastWorkflowTaskFailure?.cause === cause,
      `a workflow task failure with cause ${cause}`,
    );
    const failure = (await handle.describe()).lastWorkflowTaskFailure;
    assert.match(failure?.failure.message ?? '', pattern);
    return (await handle.fetchHistory()).events.map((e) => e.type);
  }

  test('a memo upserted past the limit fails the workflow task with PayloadTooLarge; nothing is written', async () => {
    const handle = await env.client.workflow.start(bigMemo, {
      taskQueue: env.taskQueue,
      workflowId: id('big-memo'),
      args: [2000],
    });
    const types = await expectTaskFailure(
      handle,
      'PayloadTooLarge',
      /The memo upserted by the workflow is \d+ bytes, over the 1000-byte payload limit/,
    );
    assert.ok(!types.includes('WorkflowPropertiesModified'));
    assert.deepEqual((await handle.describe()).memo, {});
    await handle.terminate('test done');
  });

  test('a workflow failure past the limit is recorded as a shorter failure that says so', async () => {
    const handle = await env.client.workflow.start(failLoudly, {
      taskQueue: env.taskQueue,
      workflowId: id('fail-loudly'),
      args: [5000],
    });
    const err = await handle.result().then(
      () => assert.fail('expected the workflow to fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ServerFailure);
    assert.match(
      err.cause.message,
      /^The workflow failure was \d+ bytes, over the 1000-byte payload limit, and was replaced; its message began: y{1000}$/,
    );
    const failed = (await handle.fetchHistory()).events.at(-1);
    assert.ok(failed?.type === 'WorkflowExecutionFailed');
    assert.ok(JSON.stringify(failed).length < 2000);
  });

  test("an activity's failure past the limit ends the activity with a shorter failure, not retried", async () => {
    const seen = await env.client.workflow.execute(activityFailsLoudly, {
      taskQueue: env.taskQueue,
      workflowId: id('activity-fails-loudly'),
      args: [5000],
    });
    assert.match(
      seen,
      /^ServerFailure: The activity failure was \d+ bytes, over the 1000-byte payload limit, and was replaced/,
    );
  });

  test('a task that would pass the pending-activity limit fails and schedules nothing', async () => {
    const handle = await env.client.workflow.start(fanOut, {
      taskQueue: env.taskQueue,
      workflowId: id('fan-out'),
      args: [3],
    });
    const types = await expectTaskFailure(
      handle,
      'PendingActivitiesLimitExceeded',
      /would leave 3 pending activities \(0 pending \+ 3 new\); a run may have at most 2/,
    );
    assert.ok(!types.includes('ActivityTaskScheduled'));
    assert.equal((await handle.describe()).status, 'Running', 'the run itself goes on');
    await handle.terminate('test done');
    const ok = await env.client.workflow.execute(fanOut, {
      taskQueue: env.taskQueue,
      workflowId: id('fan-out-ok'),
      args: [2],
    });
    assert.deepEqual(ok, ['a0', 'a1']);
  });

  test('a task that would pass the pending-child limit fails with PendingChildWorkflowsLimitExceeded', async () => {
    const handle = await env.client.workflow.start(startChildren, {
      taskQueue: env.taskQueue,
      workflowId: id('children'),
      args: [2],
    });
    const types = await expectTaskFailure(
      handle,
      'PendingChildWorkflowsLimitExceeded',
      /2 pending child workflows .* at most 1/,
    );
    assert.ok(!types.includes('StartChildWorkflowExecutionInitiated'));
    await handle.terminate('test done');
  });

  test('a task that would pass the pending-signal limit fails with PendingSignalsLimitExceeded', async () => {
    const handle = await env.client.workflow.start(signalOthers, {
      taskQueue: env.taskQueue,
      workflowId: id('signals'),
      args: [['nobody-1', 'nobody-2']],
    });
    const types = await expectTaskFailure(
      handle,
      'PendingSignalsLimitExceeded',
      /2 pending signals to other workflows .* at most 1/,
    );
    assert.ok(!types.includes('SignalExternalWorkflowExecutionInitiated'));
    await handle.terminate('test done');
  });

  test('a task that would pass the pending cancel-request limit fails with PendingRequestCancelLimitExceeded', async () => {
    const handle = await env.client.workflow.start(cancelOthers, {
      taskQueue: env.taskQueue,
      workflowId: id('cancels'),
      args: [['nobody-1', 'nobody-2']],
    });
    const types = await expectTaskFailure(
      handle,
      'PendingRequestCancelLimitExceeded',
      /2 pending cancel requests to other workflows .* at most 1/,
    );
    assert.ok(!types.includes('RequestCancelExternalWorkflowExecutionInitiated'));
    await handle.terminate('test done');
  });

  test('within the limits the same calls go through', async () => {
    assert.equal(
      await env.client.workflow.execute(startChildren, {
        taskQueue: env.taskQueue,
        workflowId: id('one-child'),
        args: [1],
      }),
      1,
    );
    await env.client.workflow.execute(signalOthers, {
      taskQueue: env.taskQueue,
      workflowId: id('one-signal'),
      args: [['nobody-3']],
    });
  });
});
