// Temporal's user metadata: summaries and details on a start (describe() gives them back), an
// activity, a local activity, a timer and a child, recorded on their events through the data
// converter (encrypted in the store with a codec); sizes over Temporal's limits refused; and
// histories replay whatever the code now says (metadata is not part of a command's identity).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client, InvalidArgumentError, WorkflowNotFoundError } from 'reprise/client';
import { Worker } from 'reprise/worker';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';
import * as activities from './fixtures/user-metadata-activities.ts';
import {
  SECRET,
  longSummary,
  plain,
  poke,
  pokeable,
  summarised,
  summarisedChild,
} from './fixtures/user-metadata-workflows.ts';
import { encryptionCodec } from './fixtures/encryption-codec.ts';
import { fixturesPath, startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

/** The userMetadata of the events of a history, by event type (local activity markers too). */
function metadataByType(events: readonly HistoryEvent[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of events) {
    if ('userMetadata' in e && e.userMetadata !== undefined) out[e.type] = e.userMetadata;
  }
  return out;
}

describe('user metadata with an encryption codec', () => {
  const dataConverter = { payloadCodecs: [encryptionCodec(randomBytes(32))] };
  let env: TestEnv;
  let client: Client;
  before(async () => {
    env = await startTestEnv({
      workflows: 'user-metadata-workflows.ts',
      activities,
      worker: { dataConverter },
    });
    client = new Client({ connection: env.engine.connection, dataConverter });
  });
  after(async () => {
    await env.close();
  });

  test('summaries and details are on their events, encrypted in the store, and describe() gives the static ones', async () => {
    const handle = await client.workflow.start(summarised, {
      workflowId: 'um-summarised',
      taskQueue: env.taskQueue,
      args: ['ann'],
      staticSummary: `${SECRET}: greets ann`,
      staticDetails: `${SECRET}: greets ann\nthen her child`,
    });
    assert.deepEqual(await handle.result(), ['hello ann', 'hello ann', 'child ann']);

    const d = await handle.describe();
    assert.equal(await d.staticSummary(), `${SECRET}: greets ann`);
    assert.equal(await d.staticDetails(), `${SECRET}: greets ann\nthen her child`);
    const child = await client.workflow.getHandle('um-summarised-child').describe();
    assert.equal(await child.staticSummary(), `${SECRET}: the child`);
    assert.equal(await child.staticDetails(), `${SECRET}: details\nof the child`);

    assert.deepEqual(metadataByType((await handle.fetchHistory()).events), {
      WorkflowExecutionStarted: {
        summary: `${SECRET}: greets ann`,
        details: `${SECRET}: greets ann\nthen her child`,
      },
      ActivityTaskScheduled: { summary: `${SECRET}: greet the user` },
      MarkerRecorded: { summary: `${SECRET}: greet locally` },
      TimerStarted: { summary: `${SECRET}: a short nap` },
      StartChildWorkflowExecutionInitiated: {
        summary: `${SECRET}: the child`,
        details: `${SECRET}: details\nof the child`,
      },
    });
    // As the engine stores them: the codec's ciphertext, no plaintext.
    for (const workflowId of ['um-summarised', 'um-summarised-child']) {
      const stored = await env.engine.connection.getHistory({ namespace: 'default', workflowId });
      const json = JSON.stringify(stored.events);
      assert.ok(!json.includes(SECRET), json);
      const recorded = Object.values(metadataByType(stored.events));
      assert.equal(recorded.length, workflowId === 'um-summarised' ? 5 : 1);
    }
    const described = await env.engine.connection.describeWorkflow({
      namespace: 'default',
      workflowId: 'um-summarised',
    });
    assert.ok(!JSON.stringify(described.userMetadata).includes(SECRET));
  });

  test('a run started without them describes both as undefined', async () => {
    const handle = await client.workflow.start(plain, {
      workflowId: 'um-plain',
      taskQueue: env.taskQueue,
      args: ['bob'],
    });
    await handle.result();
    const d = await handle.describe();
    assert.equal(await d.staticSummary(), undefined);
    assert.equal(await d.staticDetails(), undefined);
    assert.deepEqual(metadataByType((await handle.fetchHistory()).events), {});
  });

  test('signalWithStart records them too', async () => {
    const handle = await client.workflow.signalWithStart(pokeable, {
      workflowId: 'um-signal-with-start',
      taskQueue: env.taskQueue,
      signal: poke,
      staticSummary: 'started by a signal',
    });
    await handle.result();
    const d = await handle.describe();
    assert.equal(await d.staticSummary(), 'started by a signal');
  });

  test("a schedule's action gives each run it starts its staticSummary and staticDetails", async () => {
    const h = await client.schedule.create({
      scheduleId: 'um-schedule',
      spec: { cronExpressions: ['0 0 1 1 *'] },
      action: {
        type: 'startWorkflow',
        workflowType: summarisedChild,
        taskQueue: env.taskQueue,
        args: ['hal'],
        workflowId: 'um-scheduled',
        staticSummary: `${SECRET}: the yearly run`,
        staticDetails: `${SECRET}: started by um-schedule`,
      },
      state: { paused: true },
    });
    const described = await h.describe();
    assert.equal(described.action.staticSummary, `${SECRET}: the yearly run`);
    assert.equal(described.action.staticDetails, `${SECRET}: started by um-schedule`);
    await h.trigger();
    await waitFor(
      async () => (await h.describe()).info.recentActions.length === 1,
      'the triggered run',
    );
    const [action] = (await h.describe()).info.recentActions;
    const run = client.workflow.getHandle(action?.action.workflow.workflowId ?? '');
    const d = await run.describe();
    assert.equal(await d.staticSummary(), `${SECRET}: the yearly run`);
    assert.equal(await d.staticDetails(), `${SECRET}: started by um-schedule`);
    const stored = await env.engine.connection.getHistory({
      namespace: 'default',
      workflowId: run.workflowId,
    });
    assert.ok(!JSON.stringify(stored.events).includes(SECRET));
    await h.delete();
  });

  test('a staticSummary over 400 bytes as stored is refused, and nothing is started', async () => {
    await assert.rejects(
      client.workflow.start(plain, {
        workflowId: 'um-too-long',
        taskQueue: env.taskQueue,
        args: ['dee'],
        staticSummary: 's'.repeat(300), // 300 characters, over 400 bytes once encrypted
      }),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        /staticSummary of workflow 'um-too-long' is \d+ bytes as stored, over the 400-byte limit/.test(
          e.message,
        ) &&
        e.message.includes('staticDetails'),
    );
    await assert.rejects(
      client.workflow.getHandle('um-too-long').describe(),
      WorkflowNotFoundError,
    );
    await assert.rejects(
      client.workflow.start(plain, {
        workflowId: 'um-details-too-long',
        taskQueue: env.taskQueue,
        args: ['dee'],
        staticDetails: 'd'.repeat(20_001),
      }),
      /staticDetails of workflow 'um-details-too-long' is \d+ bytes as stored, over the 20000-byte limit/,
    );
  });

  test("an activity's summary over the limit fails the workflow task with BadCommand", async () => {
    const handle = await client.workflow.start(longSummary, {
      workflowId: 'um-long-activity-summary',
      taskQueue: env.taskQueue,
      args: ['eve'],
    });
    await waitFor(
      async () => (await handle.describe()).lastWorkflowTaskFailure?.cause === 'BadCommand',
      'the task to fail',
    );
    const failure = (await handle.describe()).lastWorkflowTaskFailure;
    assert.match(
      failure?.failure.message ?? '',
      /summary of activity 'greet' \(seq 1\) is \d+ bytes as stored, over the 400-byte limit/,
    );
    assert.ok(
      !(await handle.fetchHistory()).events.some((e) => e.type === 'ActivityTaskScheduled'),
    );
    await handle.terminate();
  });
});

describe('user metadata on replay', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ workflows: 'user-metadata-workflows.ts', activities });
  });
  after(async () => {
    await env.close();
  });

  test('a history recorded with summaries replays with code that changed or removed them', async () => {
    const handle = await env.client.workflow.start(summarised, {
      workflowId: 'um-replay-changed',
      taskQueue: env.taskQueue,
      args: ['fay'],
    });
    await handle.result();
    const history = await handle.fetchHistory();
    assert.equal(Object.keys(metadataByType(history.events)).length, 4);
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath('user-metadata-workflows-changed.ts') },
      history,
    );
  });

  test('a history recorded without summaries replays with code that added them', async () => {
    const handle = await env.client.workflow.start(plain, {
      workflowId: 'um-replay-added',
      taskQueue: env.taskQueue,
      args: ['gus'],
    });
    await handle.result();
    const history = await handle.fetchHistory();
    assert.deepEqual(metadataByType(history.events), {});
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath('user-metadata-workflows-changed.ts') },
      history,
    );
  });
});
