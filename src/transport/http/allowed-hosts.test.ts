// The check against DNS rebinding: which Host headers a server answers, as a pure function, and
// what a request naming another host gets from a real engine over HTTP on loopback.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect as connectSocket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../engine/engine.ts';
import type { EngineServer } from '../../engine/engine.ts';
import { InvalidArgumentError } from '../../errors.ts';
import { tempDir } from '../../../test/helpers/test-env.ts';
import type { StartWorkflowRequest } from '../engine-api.ts';
import { hostOf, isAllowedHost, resolveAllowedHosts } from './allowed-hosts.ts';

describe('isAllowedHost', () => {
  const byDefault = resolveAllowedHosts(undefined, '127.0.0.1');

  test('addresses and localhost pass without configuration, with or without a port', () => {
    for (const host of [
      '127.0.0.1',
      '127.0.0.1:7233',
      '10.1.2.3:80',
      '[::1]',
      '[::1]:7233',
      '[fe80::1]:7233',
      'localhost',
      'LocalHost:7233',
      'localhost.:7233',
      'app.localhost:7233',
    ]) {
      assert.equal(isAllowedHost(host, byDefault), true, host);
    }
    assert.equal(isAllowedHost('evil.example:7233', byDefault), false);
  });

  test('any other name is refused, and so are no header and headers that are not a host', () => {
    for (const host of [
      undefined,
      '',
      'evil.example',
      'evil.example:7233',
      '127.0.0.1.evil.example',
      'localhost.evil.example',
      'evillocalhost',
      '::1',
      '[::1]x',
      '[evil.example]:7233',
      'evil.example:7233:1',
      'evil.example:port',
      'evil.example/path',
      'evil.example@127.0.0.1',
    ]) {
      assert.equal(isAllowedHost(host, byDefault), false, String(host));
    }
  });

  test('names given pass; a leading dot passes the name and every name below it', () => {
    const allowed = resolveAllowedHosts(['Reprise.Example.com', '.corp.test'], undefined);
    for (const host of [
      'reprise.example.com',
      'reprise.example.com.:443',
      'corp.test',
      'a.b.corp.test:7233',
    ]) {
      assert.equal(isAllowedHost(host, allowed), true, host);
    }
    for (const host of ['example.com', 'x.reprise.example.com', 'notcorp.test', 'corp.test.evil']) {
      assert.equal(isAllowedHost(host, allowed), false, host);
    }
  });

  test('the name the server listens on passes; an address it listens on adds nothing', () => {
    assert.equal(isAllowedHost('box.lan:7233', resolveAllowedHosts(undefined, 'box.lan')), true);
    assert.equal(isAllowedHost('box.lan:7233', resolveAllowedHosts([], '0.0.0.0')), false);
  });

  test('true passes every Host, and none', () => {
    const any = resolveAllowedHosts(true, '127.0.0.1');
    assert.equal(isAllowedHost('evil.example', any), true);
    assert.equal(isAllowedHost(undefined, any), true);
    assert.equal(isAllowedHost('evil.example', resolveAllowedHosts([], undefined)), false);
  });
});

test('an entry that is not a host name is refused with what to write instead', () => {
  for (const entry of ['*.example.com', 'http://example.com', 'example.com:7233', '', '.', 'a b']) {
    assert.throws(
      () => resolveAllowedHosts([entry], undefined),
      (e: unknown) => e instanceof InvalidArgumentError && /'\.example\.com'/.test(e.message),
      entry,
    );
  }
});

test('hostOf lowers the case and drops the port and the trailing dot', () => {
  assert.equal(hostOf('Example.COM.:80'), 'example.com');
  assert.equal(hostOf('[::1]:7233'), '[::1]');
  assert.equal(hostOf('[::1]:99999999'), undefined);
  assert.equal(hostOf('127.0.0.1:99999'), undefined, 'a port past 65535 is no port');
  assert.equal(hostOf('127.0.0.1:65535'), '127.0.0.1');
});

interface Answer {
  status: number;
  type: string;
  text: string;
}

/** Sends a request to 127.0.0.1 with `host` as its Host header, whatever the address. */
function send(
  server: EngineServer,
  host: string,
  init: { method?: 'GET' | 'POST'; path: string; body?: unknown; headers?: Record<string, string> },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        method: init.method ?? 'GET',
        path: init.path,
        setHost: false,
        headers: {
          host,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', text });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** An HTTP/1.0 request without a Host header (HTTP/1.1 wants one: node answers 400 itself). */
function sendWithoutHost(server: EngineServer, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectSocket(server.port, '127.0.0.1', () => {
      socket.end(`GET ${path} HTTP/1.0\r\n\r\n`);
    });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => {
      resolve(text);
    });
    socket.on('error', reject);
  });
}

const start = (workflowId: string): StartWorkflowRequest => ({
  namespace: 'default',
  workflowId,
  workflowType: 'nobodyRunsThis',
  taskQueue: 'host-check',
  args: [],
});

const errorOf = (answer: Answer): { code: string; message: string } =>
  (JSON.parse(answer.text) as { error: { code: string; message: string } }).error;

describe('the Host check over HTTP', () => {
  const tmp = tempDir();
  let engine: Engine;
  let server: EngineServer;
  const count = async (): Promise<number> =>
    (await engine.connection.countWorkflows({ namespace: 'default' })).count;

  before(async () => {
    engine = await Engine.open({ store: `sqlite:${tmp.dir}/hosts.db` });
    server = await engine.listen({ port: 0 });
  });
  after(async () => {
    await engine.close();
    tmp.remove();
  });

  test('an API call naming another host gets 403 HostNotAllowed, and starts nothing', async () => {
    const before = await count();
    const refused = await send(server, `evil.example:${server.port}`, {
      method: 'POST',
      path: '/api/v1/startWorkflow',
      body: start('rebound'),
    });
    assert.equal(refused.status, 403);
    assert.equal(errorOf(refused).code, 'HostNotAllowed');
    assert.match(errorOf(refused).message, /allowedHosts: \['evil\.example'\]/);
    assert.match(errorOf(refused).message, /--allowed-host evil\.example/);
    assert.equal(await count(), before);
    const health = await send(server, 'evil.example', { path: '/api/v1/health' });
    assert.equal(health.status, 403);
    assert.equal(errorOf(health).code, 'HostNotAllowed');
  });

  test('the web UI naming another host gets 403 in text, not the page or its script', async () => {
    for (const path of ['/', '/workflows/any', '/assets/reprise-ui.js']) {
      const refused = await send(server, `evil.example:${server.port}`, { path });
      assert.equal(refused.status, 403, path);
      assert.match(refused.type, /^text\/plain/, path);
      assert.match(refused.text, /does not answer to the host 'evil\.example:\d+'/, path);
      assert.match(refused.text, /allowedHosts/, path);
    }
  });

  test('a request without a Host header is refused', async () => {
    const answer = await sendWithoutHost(server, '/api/v1/health');
    assert.match(answer, /^HTTP\/1\.1 403 /);
    assert.match(answer, /"code":"HostNotAllowed"/);
  });

  test('localhost, 127.0.0.1 and [::1] with the port are answered, API and UI', async () => {
    for (const host of [
      `localhost:${server.port}`,
      `127.0.0.1:${server.port}`,
      `[::1]:${server.port}`,
    ]) {
      const started = await send(server, host, {
        method: 'POST',
        path: '/api/v1/startWorkflow',
        body: start(`by ${host}`),
      });
      assert.equal(started.status, 200, `${host}: ${started.text}`);
      const page = await send(server, host, { path: '/' });
      assert.equal(page.status, 200, host);
      assert.match(page.type, /^text\/html/, host);
    }
    // …where another name, on the same server and port, is not.
    const other = await send(server, `evil.example:${server.port}`, { path: '/' });
    assert.equal(other.status, 403);
  });

  test('with an API key too, another host is refused before the key is looked at', async () => {
    const keyed = await engine.listen({ port: 0, apiKey: 'sesame' });
    try {
      const before = await count();
      const refused = await send(keyed, 'evil.example', {
        method: 'POST',
        path: '/api/v1/startWorkflow',
        body: start('rebound-with-key'),
        headers: { authorization: 'Bearer sesame' },
      });
      assert.equal(refused.status, 403);
      assert.equal(errorOf(refused).code, 'HostNotAllowed');
      assert.equal(await count(), before);
    } finally {
      await keyed.close();
    }
  });

  test('allowedHosts names and domains are answered; other names still are not', async () => {
    const named = await engine.listen({
      port: 0,
      host: '0.0.0.0',
      allowedHosts: ['reprise.test', '.corp.test'],
    });
    try {
      for (const host of [
        'reprise.test',
        `reprise.test:${named.port}`,
        'corp.test',
        'a.corp.test',
      ]) {
        const health = await send(named, host, { path: '/api/v1/health' });
        assert.equal(health.status, 200, host);
      }
      // Bound to every interface, reached at an address: answered.
      const byAddress = await send(named, `127.0.0.1:${named.port}`, { path: '/api/v1/health' });
      assert.equal(byAddress.status, 200);
      const other = await send(named, 'evil.example', { path: '/api/v1/health' });
      assert.equal(other.status, 403);
    } finally {
      await named.close();
    }
  });

  test('allowedHosts: true answers any host', async () => {
    const open = await engine.listen({ port: 0, allowedHosts: true });
    try {
      const checked = await send(server, 'behind-a-proxy.example', { path: '/' });
      assert.equal(checked.status, 403, 'a server with the check refuses this host');
      const started = await send(open, 'behind-a-proxy.example', {
        method: 'POST',
        path: '/api/v1/startWorkflow',
        body: start('proxied'),
      });
      assert.equal(started.status, 200, started.text);
      const page = await send(open, 'behind-a-proxy.example', { path: '/' });
      assert.equal(page.status, 200);
    } finally {
      await open.close();
    }
  });

  test('listen refuses an allowedHosts entry that is not a host name', async () => {
    await assert.rejects(
      engine.listen({ port: 0, allowedHosts: ['https://reprise.test'] }),
      InvalidArgumentError,
    );
  });
});
