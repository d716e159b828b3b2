// Context.current().client, as Temporal's: activities and local activities reach other workflows
// through a client on the worker's connection and namespace, with the worker's data converter;
// MockActivityEnvironment gives the client it was given, and without one says how to give it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Context } from 'reprise/activity';
import { Client } from 'reprise/client';
import { MockActivityEnvironment } from 'reprise/testing';
import { IllegalStateError } from 'reprise/worker';
import { echo, poke, reachOut, waitForPoke } from './fixtures/activity-client-workflows.ts';
import type { ClientActivities } from './fixtures/activity-client-workflows.ts';
import { encryptionCodec } from './fixtures/encryption-codec.ts';
import { startTestEnv } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const activities: ClientActivities = {
  async pokeFromActivity(workflowId, value) {
    await Context.current().client.workflow.getHandle(workflowId).signal(poke, value);
  },
  async echoFromActivity(workflowId, value) {
    const { client } = Context.current();
    return client.workflow.execute(echo, {
      workflowId,
      taskQueue: Context.current().info.taskQueue,
      args: [value],
    });
  },
};

describe('Context.current().client', () => {
  const dataConverter = { payloadCodecs: [encryptionCodec(randomBytes(32))] };
  let env: TestEnv;
  let client: Client;
  before(async () => {
    env = await startTestEnv({
      workflows: 'activity-client-workflows.ts',
      activities,
      worker: { dataConverter },
    });
    client = new Client({ connection: env.engine.connection, dataConverter });
  });
  after(async () => {
    await env.close();
  });

  test("an activity signals and a local activity starts a workflow, with the worker's converter", async () => {
    const secret = 'plaintext-from-activity';
    const target = await client.workflow.start(waitForPoke, {
      workflowId: 'ac-target',
      taskQueue: env.taskQueue,
    });
    const echoed = await client.workflow.execute(reachOut, {
      workflowId: 'ac-reach',
      taskQueue: env.taskQueue,
      args: ['ac-target', secret],
    });
    assert.equal(echoed, secret);
    assert.equal(await target.result(), secret);
    // The signal and the echo's start went through the worker's codec: no plaintext stored.
    for (const workflowId of ['ac-target', 'ac-target-echo']) {
      const { events } = await env.engine.connection.getHistory({
        namespace: 'default',
        workflowId,
      });
      assert.ok(events.length > 0);
      assert.ok(!JSON.stringify(events).includes(secret), `${workflowId}'s history is encrypted`);
    }
  });

  test('MockActivityEnvironment gives the client it was given, and throws without one', async () => {
    const given = new Client({ connection: env.engine.connection });
    const withClient = new MockActivityEnvironment({}, { client: given });
    assert.equal(await withClient.run(() => Context.current().client), given);
    const without = new MockActivityEnvironment();
    await assert.rejects(
      without.run(() => Context.current().client),
      (e: unknown) => e instanceof IllegalStateError && e.message.includes('Pass { client }'),
    );
  });
});
