// URL and URLSearchParams in workflow code, on a real engine: a library that validates with
// new URL() (zod's url()) accepts URLs, and the run replays as it ran.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'reprise/worker';
import { redirectLinks } from './fixtures/url-workflows.ts';
import { fixturesPath, startTestEnv } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const workflows = 'url-workflows.ts';

describe('URL and URLSearchParams in workflow code', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ workflows });
  });
  after(async () => {
    await env.close();
  });

  test('zod’s url() accepts URLs, links are built as Node builds them, and the run replays', async () => {
    const base = 'https://short.example/base/';
    const inputs = ['https://bücher.example/a b?x=1#f', 'not a url', 'mailto:someone@example.com'];
    const handle = await env.client.workflow.start(redirectLinks, {
      taskQueue: env.taskQueue,
      workflowId: 'redirect-links',
      args: [base, inputs],
    });
    const expected = [inputs[0], inputs[2]].map((input) => {
      const target = new URL(input ?? '');
      const params = new URLSearchParams({ to: target.href, host: target.hostname });
      params.sort();
      const url = new URL('/go', base);
      url.search = params.toString();
      url.searchParams.append('n', String(url.searchParams.size));
      return url.href;
    });
    assert.deepEqual(await handle.result(), { valid: [true, false, true], links: expected });
    assert.equal(
      expected[0],
      'https://short.example/go?host=xn--bcher-kva.example&to=https%3A%2F%2Fxn--bcher-kva.example%2Fa%2520b%3Fx%3D1%23f&n=2',
    );
    const { events } = await handle.fetchHistory();
    await Worker.runReplayHistory({ workflowsPath: fixturesPath(workflows) }, { events });
  });
});
