import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Hono } from 'hono';
import { tempDir } from '../../test/helpers/test-env.ts';
import { Engine } from '../engine/engine.ts';
import type { EngineServer } from '../engine/engine.ts';
import { SCRIPT_PATH, uiApp } from './ui-app.ts';

describe('uiApp', () => {
  const app = uiApp();

  test('every page path answers the one HTML page, which loads the script', async () => {
    for (const path of ['/', '/?namespace=prod', '/namespaces/default/workflows/a%2Fb/r-1']) {
      const res = await app.request(path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      const html = await res.text();
      assert.match(html, /<main id="app">/);
      assert.ok(html.includes(`<script type="module" src="${SCRIPT_PATH}"></script>`));
      assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    }
  });

  test('the script is the page code bundled for a browser, the same at each call', async () => {
    const res = await app.request(SCRIPT_PATH);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/);
    const script = await res.text();
    assert.ok(script.includes('/api/v1/'), 'it calls the HTTP API');
    assert.ok(script.includes('pushState'), 'it routes in the page');
    assert.doesNotMatch(script, /^import |require\(/m, 'it is one file');
    assert.equal(await (await app.request(SCRIPT_PATH)).text(), script);
  });

  test('paths under /api/ are left to the app it is mounted in', async () => {
    const outer = new Hono();
    outer.get('/api/v1/health', (c) => c.json({ status: 'ok' }));
    outer.route('/', uiApp());
    assert.deepEqual(await (await outer.request('/api/v1/health')).json(), { status: 'ok' });
    for (const path of ['/api/v1/nope', '/api', '/api/']) {
      const res = await outer.request(path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(await res.text(), /<html/, path);
    }
    assert.equal((await outer.request('/', { method: 'POST' })).status, 404);
  });
});

describe("the web UI in the engine's HTTP server", () => {
  const tmp = tempDir();
  let engine: Engine;
  let server: EngineServer;
  let keyed: EngineServer;

  before(async () => {
    engine = await Engine.open({ store: `sqlite:${tmp.dir}/ui.db` });
    server = await engine.listen({ port: 0 });
    keyed = await engine.listen({ port: 0, apiKey: 'sesame' });
  });
  after(async () => {
    await engine.close();
    tmp.remove();
  });

  test('GET / answers the page and the page its script', async () => {
    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), new RegExp(`src="${SCRIPT_PATH}"`));
    const script = await fetch(`${server.url}${SCRIPT_PATH}`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.ok((await script.text()).includes('/api/v1/'));
  });

  test('unknown /api/ paths get the API’s refusal, not the page', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/nope'],
      ['GET', '/api/v1/listWorkflows'],
      ['POST', '/api/v2/listWorkflows'],
    ] as const) {
      const res = await fetch(`${server.url}${path}`, { method });
      assert.equal(res.status, 400, `${method} ${path}`);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'InvalidArgument');
      assert.match(body.error.message, /No API route/);
    }
    assert.deepEqual(await (await fetch(`${server.url}/api/v1/health`)).json(), { status: 'ok' });
  });

  test('with an API key, the page is served without it and the API still wants it', async () => {
    assert.equal((await fetch(`${keyed.url}/`)).status, 200);
    assert.equal((await fetch(`${keyed.url}${SCRIPT_PATH}`)).status, 200);
    const res = await fetch(`${keyed.url}/api/v1/listWorkflows`, {
      method: 'POST',
      body: JSON.stringify({ namespace: 'default' }),
    });
    assert.equal(res.status, 401);
  });
});
