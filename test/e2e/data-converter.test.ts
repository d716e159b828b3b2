// dataConverter on Client and Worker: with an encryption codec, the engine and its store hold
// only ciphertext, while the client and the workflow code see plain values; a custom payload
// converter (given as an object, or to the worker as payloadConverterPath) is used both ways; a
// payload the worker cannot encode fails its workflow task, query or activity attempt at once.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  Client,
  InvalidArgumentError,
  QueryFailedError,
  WithStartWorkflowOperation,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
} from 'reprise/client';
import type { Payload, PayloadCodec } from 'reprise/client';
import { ApplicationFailure } from 'reprise/workflow';
import * as activities from './fixtures/data-converter-activities.ts';
import {
  activityFailure,
  addSecret,
  answer,
  answering,
  appendSecret,
  echo,
  finish,
  refusingQuery,
  refusingUpdate,
  secretFailure,
  secretKeeper,
  secretRefusals,
  secrets,
} from './fixtures/data-converter-workflows.ts';
import { ENCRYPTED, encryptionCodec } from './fixtures/encryption-codec.ts';
import { REVERSED_ENCODING, payloadConverter } from './fixtures/reversed-converter.ts';
import { fixturesPath, startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

/** The run's history as the engine stores it (no converter between), as one string. */
async function storedHistory(env: TestEnv, workflowId: string, runId?: string): Promise<string> {
  const h = await env.engine.connection.getHistory({ namespace: 'default', workflowId, runId });
  return JSON.stringify(h.events);
}

describe('dataConverter with an encryption codec', () => {
  const dataConverter = { payloadCodecs: [encryptionCodec(randomBytes(32))] };
  let env: TestEnv;
  let client: Client;
  before(async () => {
    env = await startTestEnv({
      workflows: 'data-converter-workflows.ts',
      activities,
      worker: { dataConverter },
    });
    client = new Client({ connection: env.engine.connection, dataConverter });
  });
  after(async () => {
    await env.close();
  });

  test('the store holds no plaintext, and the client and the workflow see plain values', async () => {
    const secret = 'plaintext-secret-42';
    const handle = await client.workflow.start(secretKeeper, {
      workflowId: 'dc-keeper',
      taskQueue: env.taskQueue,
      args: [secret],
      memo: { note: `memo-${secret}` },
    });
    await handle.signal(addSecret, `signal-${secret}`);
    assert.deepEqual(await handle.executeUpdate(appendSecret, { args: [`update-${secret}`] }), [
      secret,
      `signal-${secret}`,
      `update-${secret}`,
    ]);
    assert.equal((await handle.query(secrets)).length, 3);
    assert.equal((await handle.describe()).memo['note'], `memo-${secret}`);
    await handle.signal(finish);
    const result = await handle.result();
    assert.deepEqual(result, {
      secrets: [secret, `signal-${secret}`, `update-${secret}`],
      memo: { note: `memo-${secret}`, upserted: `memo-${secret}` },
      shouted: `${secret.toUpperCase()}!`,
      shoutedLocally: `${secret.toUpperCase()}!`,
      child: `child:${secret}`,
      refusedDetails: [secret],
    });

    const stored =
      (await storedHistory(env, 'dc-keeper')) + (await storedHistory(env, 'dc-keeper-child'));
    assert.ok(!stored.toLowerCase().includes('plaintext-secret'), stored);
    assert.ok(stored.includes(Buffer.from(ENCRYPTED).toString('base64')));
    // The client's own history view is decoded, so it replays without the codec.
    const history = await handle.fetchHistory();
    assert.ok(JSON.stringify(history.events).includes(secret));
  });

  test("update-with-start's inputs and memo are encrypted in the store, and the update's result decoded", async () => {
    const secret = 'plaintext-secret-uws';
    const op = new WithStartWorkflowOperation(secretKeeper, {
      workflowId: 'dc-update-with-start',
      taskQueue: env.taskQueue,
      args: [secret],
      memo: { note: `memo-${secret}` },
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const list = await client.workflow.executeUpdateWithStart(appendSecret, {
      args: [`update-${secret}`],
      startWorkflowOperation: op,
    });
    assert.deepEqual(list, [secret, `update-${secret}`]);
    const handle = await op.workflowHandle();
    assert.equal((await handle.describe()).memo['note'], `memo-${secret}`);
    const stored = await storedHistory(env, 'dc-update-with-start');
    assert.ok(!stored.toLowerCase().includes('plaintext-secret'), stored);
    await handle.terminate();
  });

  test('failure details are encrypted in the store and decoded for the client', async () => {
    const secret = 'plaintext-secret-failure';
    const handle = await client.workflow.start(secretFailure, {
      workflowId: 'dc-failure',
      taskQueue: env.taskQueue,
      args: [secret],
    });
    await assert.rejects(handle.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.ok(e.cause instanceof ApplicationFailure);
      assert.deepEqual(e.cause.details, [secret]);
      return true;
    });
    assert.ok(!(await storedHistory(env, 'dc-failure')).includes('plaintext-secret'));
  });

  test("a query's, an update's (validator's and handler's) and the workflow's failure reach the client with their details, and their causes', decoded", async () => {
    const secret = 'plaintext-secret-refusal';
    const handle = await client.workflow.start(secretRefusals, {
      workflowId: 'dc-refusals',
      taskQueue: env.taskQueue,
      args: [secret],
    });
    /** The failure `e` carries as its cause, checked to be the workflow's refusal. */
    const refusal = (e: unknown, what: string): true => {
      const failure = (e as { cause?: unknown }).cause;
      assert.ok(failure instanceof ApplicationFailure, String(e));
      assert.equal(failure.message, `${what} refused`);
      assert.deepEqual(failure.details, [secret]);
      assert.ok(failure.cause instanceof ApplicationFailure);
      assert.deepEqual(failure.cause.details, [`why:${secret}`]);
      return true;
    };
    await assert.rejects(handle.query(refusingQuery), (e: unknown) => {
      assert.ok(e instanceof QueryFailedError);
      return refusal(e, 'query');
    });
    for (const how of ['validator', 'handler']) {
      await assert.rejects(handle.executeUpdate(refusingUpdate, { args: [how] }), (e: unknown) => {
        assert.ok(e instanceof WorkflowUpdateFailedError);
        return refusal(e, how === 'validator' ? 'validator' : `update (${how})`);
      });
    }
    await handle.signal(finish);
    await assert.rejects(handle.result(), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      return refusal(e, 'workflow');
    });
    assert.ok(!(await storedHistory(env, 'dc-refusals')).includes('plaintext-secret'));
  });

  test('a client without the codec refuses the encoded payloads, saying to give it the codecs', async () => {
    const handle = await client.workflow.start(echo, {
      workflowId: 'dc-no-codec',
      taskQueue: env.taskQueue,
      args: ['plaintext-secret-echo'],
    });
    await handle.result();
    // env.client has no dataConverter: it used to return the encoded payload as the result.
    await assert.rejects(
      env.client.workflow.getHandle('dc-no-codec').result(),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        e.message.includes(`encoded as '${ENCRYPTED}'`) &&
        e.message.includes('give the client the same dataConverter (its payloadCodecs'),
    );
  });
});

describe('dataConverter with a custom payloadConverter', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({
      workflows: 'data-converter-workflows.ts',
      activities,
      worker: { dataConverter: { payloadConverterPath: fixturesPath('reversed-converter.ts') } },
    });
  });
  after(async () => {
    await env.close();
  });

  test('the converter encodes what the engine stores and decodes what the client gets', async () => {
    const client = new Client({
      connection: env.engine.connection,
      dataConverter: { payloadConverter },
    });
    const result = await client.workflow.execute(echo, {
      workflowId: 'dc-reversed',
      taskQueue: env.taskQueue,
      args: [{ greeting: 'hello' }],
    });
    assert.deepEqual(result, { value: { greeting: 'hello' }, shouted: '[OBJECT OBJECT]!' });
    const stored = await storedHistory(env, 'dc-reversed');
    assert.ok(stored.includes(Buffer.from(REVERSED_ENCODING).toString('base64')));
    assert.ok(stored.includes(Buffer.from('}"olleh":"gniteerg"{').toString('base64')));
    await waitFor(
      async () =>
        (await client.workflow.getHandle('dc-reversed').describe()).status === 'Completed',
      'closed',
    );
  });
});

describe('a payload the worker cannot encode', () => {
  const MARK = 'NO-ENCODE';
  const text = new TextDecoder();
  /** Passes payloads through, except that it throws on one whose data holds MARK. */
  const refusing: PayloadCodec = {
    encode: (payloads: Payload[]) => {
      if (payloads.some((p) => text.decode(p.data ?? new Uint8Array()).includes(MARK))) {
        return Promise.reject(new Error('this codec refuses the value'));
      }
      return Promise.resolve(payloads);
    },
    decode: (payloads: Payload[]) => Promise.resolve(payloads),
  };
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({
      workflows: 'data-converter-workflows.ts',
      activities,
      worker: { dataConverter: { payloadCodecs: [refusing] } },
    });
  });
  after(async () => {
    await env.close();
  });

  test('a client without a dataConverter reads what the default payload converter encoded', async () => {
    // The codec passes payloads through: the worker stores them as json/plain payloads.
    const handle = await env.client.workflow.start(echo, {
      workflowId: 'dc-default-encoded',
      taskQueue: env.taskQueue,
      args: [{ greeting: 'hi' }],
    });
    assert.deepEqual(await handle.result(), {
      value: { greeting: 'hi' },
      shouted: '[OBJECT OBJECT]!',
    });
    assert.ok((await storedHistory(env, 'dc-default-encoded')).includes('"metadata"'));
  });

  test("in a workflow task's commands fails the task at once, with the codec's error", async () => {
    // Started by a client without the codec: the argument reaches the worker as a plain value.
    const handle = await env.client.workflow.start(echo, {
      workflowId: 'dc-unencodable-result',
      taskQueue: env.taskQueue,
      args: [MARK],
    });
    await waitFor(
      async () => (await handle.describe()).lastWorkflowTaskFailure !== undefined,
      'the workflow task failure',
    );
    // The codec's error: the task failed, not timed out (all that ended such a task before).
    const { lastWorkflowTaskFailure } = await handle.describe();
    assert.equal(lastWorkflowTaskFailure?.failure.message, 'this codec refuses the value');
    await handle.terminate();
  });

  test("in a query's answer fails the query with the codec's error", async () => {
    const handle = await env.client.workflow.start(answering, {
      workflowId: 'dc-unencodable-answer',
      taskQueue: env.taskQueue,
      args: [MARK],
    });
    // The codec's error: answered, not left to time out (no worker answered, it would say).
    await assert.rejects(handle.query(answer), (e: unknown) => {
      assert.ok(e instanceof QueryFailedError, String(e));
      assert.match(e.message, /this codec refuses the value/);
      return true;
    });
    await handle.terminate();
  });

  test("in an activity's result fails the attempt with a DataConverterError", async () => {
    const client = new Client({
      connection: env.engine.connection,
      dataConverter: { payloadCodecs: [refusing] },
    });
    const result = await client.workflow.execute(activityFailure, {
      workflowId: 'dc-unencodable-activity',
      taskQueue: env.taskQueue,
      args: ['unencodable'],
    });
    assert.equal(
      result,
      "DataConverterError: The dataConverter could not encode the activity's result: this codec refuses the value. " +
        'Make its payloadConverter and payloadCodecs accept the value, or pass a value they accept.',
    );
  });

  test("in an activity's heartbeat details cancels the attempt, which fails with a DataConverterError", async () => {
    const client = new Client({
      connection: env.engine.connection,
      dataConverter: { payloadCodecs: [refusing] },
    });
    const result = await client.workflow.execute(activityFailure, {
      workflowId: 'dc-unencodable-heartbeat',
      taskQueue: env.taskQueue,
      args: ['heartbeatsUnencodable'],
    });
    assert.equal(
      result,
      "DataConverterError: The dataConverter could not encode the activity's heartbeat details: this codec refuses the value. " +
        'Make its payloadConverter and payloadCodecs accept the value, or pass a value they accept.',
    );
  });
});
