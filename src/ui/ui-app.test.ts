import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Hono } from 'hono';
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
