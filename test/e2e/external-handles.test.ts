import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'reprise/worker';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';
import {
  cancelMissing,
  cancelOther,
  collectOne,
  messagesAfterCancel,
  signalMissing,
  signalOther,
  waitForever,
} from './fixtures/advanced-workflows.ts';
import { fixturesPath, startTestEnv } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';
import { ruleFlags } from '../helpers/rule-flags.ts';

const workflows = 'advanced-workflows.ts';

describe('external workflow handles', () => {
  let env: TestEnv;
  let n = 0;
  const id = (p: string): string => `${p}-${++n}`;

  before(async () => {
    env = await startTestEnv({ workflows });
  });
  after(async () => {
    await env.close();
  });

  test('an external signal reaches the other workflow', async () => {
    const target = await env.client.workflow.start(collectOne, {
      taskQueue: env.taskQueue,
      workflowId: id('target'),
    });
    const sent = await env.client.workflow.execute(signalOther, {
      taskQueue: env.taskQueue,
      workflowId: id('sender'),
      args: [target.workflowId, 'hello'],
    });
    assert.equal(sent, 'sent');
    assert.deepEqual(await target.result(), ['hello']);
  });

  test('signalling a workflow that does not exist fails in the caller', async () => {
    const result = await env.client.workflow.execute(signalMissing, {
      taskQueue: env.taskQueue,
      workflowId: id('lonely'),
      args: [id('nobody')],
    });
    assert.equal(result['failed'], true);
    assert.equal(result['type'], 'ExternalWorkflowExecutionNotFound');
  });

  test('an external cancel request cancels the other workflow', async () => {
    const target = await env.client.workflow.start(waitForever, {
      taskQueue: env.taskQueue,
      workflowId: id('victim'),
    });
    const result = await env.client.workflow.execute(cancelOther, {
      taskQueue: env.taskQueue,
      workflowId: id('canceller'),
      args: [target.workflowId],
    });
    assert.equal(result, 'cancel requested');
    await assert.rejects(target.result());
    assert.equal((await target.describe()).status, 'Canceled');
  });

  test('cancelling a workflow that does not exist fails in the caller', async () => {
    const result = await env.client.workflow.execute(cancelMissing, {
      taskQueue: env.taskQueue,
      workflowId: id('cancel-nobody'),
      args: [id('nobody')],
    });
    assert.equal(result, 'failed: ExternalWorkflowExecutionNotFound');
  });

  test('a signal or cancel request made in a cancelled scope rejects at once and is not sent', async () => {
    const collector = await env.client.workflow.start(collectOne, {
      taskQueue: env.taskQueue,
      workflowId: id('collector'),
    });
    const victim = await env.client.workflow.start(waitForever, {
      taskQueue: env.taskQueue,
      workflowId: id('victim'),
    });
    const handle = await env.client.workflow.start(messagesAfterCancel, {
      taskQueue: env.taskQueue,
      workflowId: id('cancelled-sender'),
      args: [collector.workflowId, victim.workflowId],
    });
    await handle.cancel();
    // As in Temporal: the workflow's root scope is cancelled, so both calls reject with its
    // CancelledFailure; from a non-cancellable scope the signal goes out.
    assert.deepEqual(await handle.result(), [
      'signal: cancelled',
      'cancel: cancelled',
      'shielded signal: done',
    ]);
    assert.deepEqual(await collector.result(), ['shielded']);
    assert.equal((await victim.describe()).status, 'Running');
    const { events } = await handle.fetchHistory();
    const types = events.map((e) => e.type);
    assert.equal(types.filter((t) => t === 'SignalExternalWorkflowExecutionInitiated').length, 1);
    assert.ok(!types.includes('RequestCancelExternalWorkflowExecutionInitiated'));
    // The rule is recorded as a flag of the task that applied it, not as a marker.
    assert.ok(!types.includes('MarkerRecorded'), types.join(', '));
    assert.deepEqual(
      events.flatMap((e) => (e.type === 'WorkflowTaskCompleted' ? ruleFlags(e.sdkFlags) : [])),
      ['reprise/external-call-cancelled-scope'],
    );
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath(workflows) },
      await handle.fetchHistory(),
    );
    await victim.terminate();
  });

  test('a history recorded before that rule replays as it ran: the calls were sent', async () => {
    // Recorded by the old code (generate-external-calls-cancelled-scope-history.ts).
    const history = JSON.parse(
      readFileSync(
        new URL(
          '../replay/fixtures/external-calls-cancelled-scope-legacy.history.json',
          import.meta.url,
        ),
        'utf8',
      ),
    ) as { workflowId: string; runId: string; events: HistoryEvent[] };
    const types = history.events.map((e) => e.type);
    assert.ok(types.includes('RequestCancelExternalWorkflowExecutionInitiated'));
    assert.ok(!types.includes('MarkerRecorded'));
    await Worker.runReplayHistory({ workflowsPath: fixturesPath(workflows) }, history);
  });

  test('a history with an external signal replays deterministically', async () => {
    const target = await env.client.workflow.start(collectOne, {
      taskQueue: env.taskQueue,
      workflowId: id('replay-target'),
    });
    const sender = await env.client.workflow.start(signalOther, {
      taskQueue: env.taskQueue,
      workflowId: id('replay-sender'),
      args: [target.workflowId, 'x'],
    });
    await sender.result();
    await target.result();
    const types = (await sender.fetchHistory()).events.map((e) => e.type);
    assert.ok(types.includes('SignalExternalWorkflowExecutionInitiated'));
    assert.ok(types.includes('ExternalWorkflowExecutionSignaled'));
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath(workflows) },
      await sender.fetchHistory(),
    );
  });
});
