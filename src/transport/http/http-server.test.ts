// The HTTP API at its edge: what a malformed, oversized, unauthenticated or unknown request gets,
// how errors cross as their classes, and long-polls that end with their caller. A real engine on
// a SQLite file, real HTTP on loopback.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, request } from 'node:http';
import { connect as connectSocket, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../engine/engine.ts';
import type { EngineServer } from '../../engine/engine.ts';
import {
  EngineClosedError,
  InvalidArgumentError,
  PayloadTooLargeError,
  UnauthenticatedError,
  UnavailableError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '../../errors.ts';
import { tempDir, waitFor } from '../../../test/helpers/test-env.ts';
import type { StartWorkflowRequest } from '../engine-api.ts';
import { connect } from '../connect.ts';
import {
  baseUrl,
  httpConnection,
  IDLE_SOCKET_TIMEOUT_MS,
  MAX_POLL_ID_LENGTH,
} from './http-connection.ts';
import { engineHttp, MAX_EARLY_CANCELS, OpenPolls, serveHttp } from './http-server.ts';

const start = (workflowId: string): StartWorkflowRequest => ({
  namespace: 'default',
  workflowId,
  workflowType: 'nobodyRunsThis',
  taskQueue: 'http-edge',
  args: [1, 'two'],
});

async function post(
  server: EngineServer,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  body: { result?: unknown; error?: { code: string; message: string } };
}> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as never };
}

describe('the HTTP API', () => {
  const tmp = tempDir();
  let engine: Engine;
  let server: EngineServer;
  const count = async (): Promise<number> =>
    (await engine.connection.countWorkflows({ namespace: 'default' })).count;

  before(async () => {
    engine = await Engine.open({ store: `sqlite:${tmp.dir}/http.db` });
    server = await engine.listen({ port: 0, maxRequestBytes: 64 * 1024 });
  });
  after(async () => {
    await engine.close();
    tmp.remove();
  });

  test('a call answers { result } and changes what the engine holds', async () => {
    const res = await post(server, '/api/v1/startWorkflow', JSON.stringify(start('edge-1')));
    assert.equal(res.status, 200);
    const runId = (res.body.result as { runId: string }).runId;
    const d = await engine.connection.describeWorkflow({
      namespace: 'default',
      workflowId: 'edge-1',
      runId,
    });
    assert.equal(d.workflowType, 'nobodyRunsThis');
    // A method that returns nothing answers no result.
    const signalled = await post(
      server,
      '/api/v1/signalWorkflow',
      JSON.stringify({ namespace: 'default', workflowId: 'edge-1', signalName: 's', args: [] }),
    );
    assert.equal(signalled.status, 200);
    assert.deepEqual(signalled.body, {});
  });

  test('malformed requests are refused with what to do, and change nothing', async () => {
    const before = await count();
    const notJson = await post(server, '/api/v1/startWorkflow', '{"namespace": ');
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.error?.code, 'InvalidArgument');
    assert.match(notJson.body.error.message, /not JSON .*Send the request as a JSON object/);

    const notObject = await post(server, '/api/v1/startWorkflow', '[1, 2]');
    assert.equal(notObject.status, 400);
    assert.match(notObject.body.error?.message ?? '', /must be a JSON object/);

    const wrongShape = await post(
      server,
      '/api/v1/startWorkflow',
      JSON.stringify({ ...start('edge-bad'), taskQueue: 42 }),
    );
    assert.equal(wrongShape.status, 400);
    assert.match(wrongShape.body.error?.message ?? '', /taskQueue/);

    const unknown = await post(server, '/api/v1/startWorkflows', '{}');
    assert.equal(unknown.status, 400);
    assert.match(
      unknown.body.error?.message ?? '',
      /No API method 'startWorkflows'.*startWorkflow,/,
    );

    const res = await fetch(`${server.url}/api/v2/anything`);
    assert.equal(res.status, 400);
    assert.match(
      ((await res.json()) as { error: { message: string } }).error.message,
      /POST \/api\/v1\/<method>/,
    );
    assert.equal(await count(), before);
  });

  test('a body that is not sent as application/json is refused: a web page elsewhere cannot post one', async () => {
    // A page on another site may POST text/plain (or a form) to 127.0.0.1 without asking the
    // browser first; application/json it may not.
    const before = await count();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const res = await fetch(`${server.url}/api/v1/startWorkflow`, {
        method: 'POST',
        headers: type === undefined ? {} : { 'content-type': type },
        body: new Blob([JSON.stringify(start(`edge-type-${type ?? 'none'}`))]),
      });
      assert.equal(res.status, 400, String(type));
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'InvalidArgument');
      assert.match(body.error.message, /Content-Type: application\/json/);
    }
    for (const path of ['/api/v1/_cancelPoll', '/api/v1/nope']) {
      const res = await fetch(`${server.url}${path}`, { method: 'POST', body: '{}' });
      assert.equal(res.status, 400, path);
    }
    // Its parameters are allowed.
    const res = await post(
      server,
      '/api/v1/countWorkflows',
      JSON.stringify({ namespace: 'default' }),
      {
        'content-type': 'Application/JSON; charset=utf-8',
      },
    );
    assert.equal(res.status, 200);
    assert.equal(await count(), before);
  });

  test('a body over the limit gets 413 PayloadTooLarge, and nothing is started', async () => {
    const before = await count();
    const big = JSON.stringify({ ...start('edge-big'), args: ['x'.repeat(70 * 1024)] });
    const res = await post(server, '/api/v1/startWorkflow', big);
    assert.equal(res.status, 413);
    assert.equal(res.body.error?.code, 'PayloadTooLarge');
    assert.match(res.body.error.message, /over the 65536-byte payload limit/);
    // The client rebuilds the class.
    const connection = httpConnection({ address: server.url });
    await assert.rejects(
      connection.startWorkflow({ ...start('edge-big'), args: ['x'.repeat(70 * 1024)] }),
      (e: unknown) => e instanceof PayloadTooLargeError && e.limitBytes === 65536,
    );
    assert.equal(await count(), before);
  });

  test('a body over the limit gets 413 on every route, _cancelPoll too', async () => {
    const big = JSON.stringify({ pollId: 'x'.repeat(70 * 1024) });
    const res = await post(server, '/api/v1/_cancelPoll', big);
    assert.equal(res.status, 413);
    assert.equal(res.body.error?.code, 'PayloadTooLarge');
  });

  test('errors come back as the classes the engine threw, with their fields', async () => {
    const connection = httpConnection({ address: server.url });
    const first = await connection.startWorkflow(start('edge-twice'));
    const again = await connection.startWorkflow(start('edge-twice')).catch((e: unknown) => e);
    assert.ok(again instanceof WorkflowExecutionAlreadyStartedError);
    assert.equal(again.code, 'WorkflowAlreadyStarted');
    assert.equal(again.name, 'WorkflowExecutionAlreadyStartedError');
    assert.equal(again.runId, first.runId);
    assert.equal(again.workflowId, 'edge-twice');
    assert.match(again.message, /is already running/);

    const missing = await connection
      .describeWorkflow({ namespace: 'default', workflowId: 'edge-none' })
      .catch((e: unknown) => e);
    assert.ok(missing instanceof WorkflowNotFoundError);
    assert.equal(missing.workflowId, 'edge-none');
    assert.equal(missing.namespace, 'default');
    assert.ok(missing.stack?.includes('http-server.test.ts'), 'the stack is the caller’s');

    const refused = await connection
      .listWorkflows({ namespace: 'default', query: 'WorkflowType = ' })
      .catch((e: unknown) => e);
    assert.ok(refused instanceof InvalidArgumentError);
  });

  test('a long-poll whose caller aborts answers undefined, and its task goes to the next poll', async () => {
    const connection = httpConnection({ address: server.url });
    const taskQueue = 'http-edge-poll';
    const ac = new AbortController();
    const poll = connection.pollWorkflowTask(
      { namespace: 'default', taskQueue, identity: 'edge', waitMs: 30_000 },
      ac.signal,
    );
    ac.abort();
    assert.equal(await poll, undefined);
    // The server has seen the caller go: a task started now is not handed to that dead poll.
    await connection.startWorkflow({ ...start('edge-after-abort'), taskQueue });
    const task = await connection.pollWorkflowTask({
      namespace: 'default',
      taskQueue,
      identity: 'edge',
      waitMs: 5_000,
    });
    assert.equal(task?.kind === 'workflow' ? task.workflowId : undefined, 'edge-after-abort');
  });

  test('a long-poll whose connection is cut ends in the engine, and its task goes to the next poll', async () => {
    // A caller that dies sends no _cancelPoll: the server sees its connection close.
    const taskQueue = 'http-edge-cut';
    const body = JSON.stringify({
      namespace: 'default',
      taskQueue,
      identity: 'cut',
      waitMs: 30_000,
    });
    const cut = request(`${server.url}/api/v1/pollWorkflowTask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    cut.on('error', () => undefined);
    cut.end(body);
    await waitFor(
      () => engine.deps.pollers.count('default', taskQueue, 'workflow') === 1,
      'the poll to wait in the engine',
    );
    cut.destroy();
    await waitFor(
      () => engine.deps.pollers.count('default', taskQueue, 'workflow') === 0,
      'the engine to drop the poll whose connection closed',
    );
    await engine.connection.startWorkflow({ ...start('edge-after-cut'), taskQueue });
    const task = await httpConnection({ address: server.url }).pollWorkflowTask({
      namespace: 'default',
      taskQueue,
      identity: 'edge',
      waitMs: 5_000,
    });
    assert.equal(task?.kind === 'workflow' ? task.workflowId : undefined, 'edge-after-cut');
  });

  test('a task handed to a poll as its caller aborts it is answered, not lost', async () => {
    // The caller's abort asks the server to end the poll and reads its answer: a task the engine
    // handed to the poll first comes back with it. Cutting the request instead would start the
    // task and lose it until its timeout.
    const connection = httpConnection({ address: server.url });
    const taskQueue = 'http-edge-race';
    const poll = (signal?: AbortSignal) =>
      connection.pollWorkflowTask(
        { namespace: 'default', taskQueue, identity: 'edge', waitMs: 2_000 },
        signal,
      );
    for (let round = 0; round < 5; round++) {
      const ac = new AbortController();
      const raced = poll(ac.signal);
      await waitFor(
        () => engine.deps.pollers.count('default', taskQueue, 'workflow') === 1,
        'the poll to wait in the engine',
      );
      // The start hands its task to the waiting poll; the caller aborts as the answer travels.
      await engine.connection.startWorkflow({ ...start(`edge-race-${round}`), taskQueue });
      ac.abort();
      const first = await raced;
      const task = first ?? (await poll());
      assert.equal(task?.kind === 'workflow' ? task.workflowId : undefined, `edge-race-${round}`);
    }
  });

  test('_cancelPoll refuses a poll id longer than a poll id', async () => {
    const res = await post(
      server,
      '/api/v1/_cancelPoll',
      JSON.stringify({ pollId: 'x'.repeat(MAX_POLL_ID_LENGTH + 1) }),
    );
    assert.equal(res.status, 400);
    assert.match(res.body.error?.message ?? '', /an id of 1 to 64 characters/);
  });

  test('GET /api/v1/health answers', async () => {
    const res = await fetch(`${server.url}/api/v1/health`);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });
});

describe('an HTTP API with an API key', () => {
  const tmp = tempDir();
  let engine: Engine;
  let server: EngineServer;

  before(async () => {
    engine = await Engine.open({ store: `sqlite:${tmp.dir}/key.db` });
    server = await engine.listen({ port: 0, apiKey: 'sesame' });
  });
  after(async () => {
    await engine.close();
    tmp.remove();
  });

  test('refuses a call without the key, or with another, with 401 and what to do', async () => {
    const none = await post(server, '/api/v1/startWorkflow', JSON.stringify(start('key-1')));
    assert.equal(none.status, 401);
    assert.match(none.body.error?.message ?? '', /wants an API key/);
    const wrong = await post(server, '/api/v1/startWorkflow', JSON.stringify(start('key-1')), {
      authorization: 'Bearer open',
    });
    assert.equal(wrong.status, 401);
    assert.match(wrong.body.error?.message ?? '', /not the one this server was started with/);
    const client = await connect({ address: server.url, apiKey: 'open' });
    await assert.rejects(client.startWorkflow(start('key-1')), UnauthenticatedError);
    assert.equal((await engine.connection.countWorkflows({ namespace: 'default' })).count, 0);
  });

  test('takes a call with the key', async () => {
    const client = await connect({ address: server.url, apiKey: 'sesame' });
    const { runId } = await client.startWorkflow(start('key-2'));
    assert.equal(typeof runId, 'string');
    await client.close();
    await assert.rejects(client.startWorkflow(start('key-3')), /was closed: connect again/);
  });
});

/** A poll of a task queue nobody starts work on. */
const NONE_POLL = { namespace: 'default', taskQueue: 'none', identity: 'edge', waitMs: 30_000 };

/** Resolves once an activity poll on task queue 'none' waits in `engine`. */
const activityPollWaits = (engine: Engine): Promise<void> =>
  waitFor(
    () => engine.deps.pollers.count('default', 'none', 'activity') === 1,
    'the poll to wait in the engine',
  );

describe('reaching a server', () => {
  test('an engine closed while listen() starts its server closes that server too', async () => {
    const tmp = tempDir();
    const engine = await Engine.open({ store: `sqlite:${tmp.dir}/listen-close.db` });
    const listening = engine.listen({ port: 0 });
    await engine.close();
    await assert.rejects(listening, /closed while listen\(\) started its server/);
    tmp.remove();
  });

  test('a server that is not there is UnavailableError naming its address', async () => {
    // A port that was free a moment ago: nothing listens on it.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => {
          resolve(p);
        });
      });
    });
    const connection = httpConnection({ address: `127.0.0.1:${port}` });
    const e = await connection
      .countWorkflows({ namespace: 'default' })
      .catch((err: unknown) => err);
    assert.ok(e instanceof UnavailableError);
    assert.match(
      e.message,
      new RegExp(
        `Cannot reach the Reprise server at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`,
      ),
    );
  });

  test('an idle connection is let go before the server ends it; a call that waits long is not', async () => {
    // A server that announces a 2 s keep-alive: the client ends an idle socket after 1 s, so no
    // call goes out on a socket the server is ending at that moment ("socket hang up").
    const ends: { byClient: boolean; closed: boolean }[] = [];
    const server = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const wait =
          req.url?.endsWith('/countWorkflows') === true ? IDLE_SOCKET_TIMEOUT_MS + 500 : 0;
        setTimeout(() => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ result: { count: 7 } }));
        }, wait);
      });
    });
    server.keepAliveTimeout = 2000;
    server.on('connection', (socket) => {
      const end = { byClient: false, closed: false };
      ends.push(end);
      // A server that ends the socket itself destroys it: no 'end' from the client comes first.
      socket.on('end', () => (end.byClient = true));
      socket.on('close', () => (end.closed = true));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const connection = httpConnection({ address: `127.0.0.1:${port}` });
    try {
      // Busy longer than the idle timeout: answered, not cut.
      assert.deepEqual(await connection.countWorkflows({ namespace: 'default' }), { count: 7 });
      await waitFor(() => ends.every((e) => e.closed), 'the idle connection to end');
      assert.deepEqual(ends, [{ byClient: true, closed: true }]);
    } finally {
      await connection.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('addresses: host:port or http(s) URLs; anything else is refused', () => {
    assert.equal(baseUrl('localhost:7233'), 'http://localhost:7233');
    assert.equal(baseUrl('https://reprise.example:443/'), 'https://reprise.example');
    assert.throws(() => baseUrl('ftp://host:21'), /not an http\(s\) address/);
    assert.throws(() => baseUrl('::nonsense::'), InvalidArgumentError);
  });

  test('listen on a port in use says so', async () => {
    const tmp = tempDir();
    const engine = await Engine.open({ store: `sqlite:${tmp.dir}/port.db` });
    try {
      const first = await engine.listen({ port: 0 });
      await assert.rejects(
        engine.listen({ port: first.port }),
        /is in use: stop what listens there/,
      );
    } finally {
      await engine.close();
      tmp.remove();
    }
  });

  test('engine.close() answers an open long-poll at once, then stops serving', async () => {
    const tmp = tempDir();
    const engine = await Engine.open({ store: `sqlite:${tmp.dir}/close.db` });
    const server = await engine.listen({ port: 0 });
    const connection = httpConnection({ address: server.url });
    const poll = connection.pollActivityTask(NONE_POLL);
    await activityPollWaits(engine);
    const closed = engine.close();
    assert.equal(await poll, undefined);
    await closed;
    // A server that is gone is one to try again later (a worker polls on): not a closed engine.
    const e = await connection
      .countWorkflows({ namespace: 'default' })
      .catch((err: unknown) => err);
    assert.ok(e instanceof UnavailableError && !(e instanceof EngineClosedError), String(e));
    assert.match(e.message, /Cannot reach/);
    tmp.remove();
  });

  test('an answer sent as the server closes closes its connection, not left for the next call', async () => {
    const tmp = tempDir();
    const engine = await Engine.open({ store: `sqlite:${tmp.dir}/keep-alive.db` });
    const server = await engine.listen({ port: 0 });
    const before = await fetch(`${server.url}/api/v1/health`);
    assert.notEqual(before.headers.get('connection'), 'close');
    await before.text();
    const poll = fetch(`${server.url}/api/v1/pollActivityTask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(NONE_POLL),
    });
    await activityPollWaits(engine);
    const closed = engine.close();
    const res = await poll;
    assert.equal(res.headers.get('connection'), 'close');
    assert.deepEqual(await res.json(), {});
    await closed;
    tmp.remove();
  });

  test("a closed engine's refusal crosses as an UnavailableError to try again, not EngineClosedError", async () => {
    // Over HTTP, an engine that closed is a server going away (a restart): a worker that took it
    // for an EngineClosedError would stop polling for good.
    const tmp = tempDir();
    const engine = await Engine.open({ store: `sqlite:${tmp.dir}/closed.db` });
    await engine.close();
    const server = await serveHttp(engineHttp(engine.connection), { port: 0 });
    try {
      const e = await httpConnection({ address: server.url })
        .pollWorkflowTask({ namespace: 'default', taskQueue: 'q', identity: 'e', waitMs: 10 })
        .catch((err: unknown) => err);
      assert.ok(e instanceof UnavailableError, String(e));
      assert.ok(!(e instanceof EngineClosedError), 'not an EngineClosedError');
      assert.equal(e.code, 'Unavailable');
    } finally {
      await server.close();
      tmp.remove();
    }
  });
});

test('the ends asked for polls that never came are remembered up to a bound, oldest forgotten', async () => {
  const polls = new OpenPolls();
  for (let i = 0; i <= MAX_EARLY_CANCELS; i++) polls.cancel(`never-${i}`);
  const ran: string[] = [];
  const run = (id: string) =>
    polls.run(id, new AbortController().signal, () => {
      ran.push(id);
      return Promise.resolve('polled');
    });
  // The first was forgotten to make room: its poll runs. The last is remembered: it ends at once.
  assert.equal(await run('never-0'), 'polled');
  assert.equal(await run(`never-${MAX_EARLY_CANCELS}`), undefined);
  assert.deepEqual(ran, ['never-0']);
});

describe('the API answered straight from node:http', () => {
  const tmp = tempDir();
  let engine: Engine;
  let server: EngineServer;
  /** Whether each request was answered by the fast path (true) or left to the app (false). */
  const taken: boolean[] = [];

  before(async () => {
    engine = await Engine.open({ store: `sqlite:${tmp.dir}/fast.db` });
    const http = engineHttp(engine.connection, { apiKey: 'sesame' });
    server = await serveHttp(
      {
        app: http.app,
        answer: (req, res, closing) => {
          const answered = http.answer(req, res, closing);
          taken.push(answered);
          return answered;
        },
      },
      { port: 0 },
    );
  });
  after(async () => {
    await server.close();
    await engine.close();
    tmp.remove();
  });

  /** Sends `head` (the request line and headers, CRLF-joined) and `body` on a socket of its own. */
  function raw(head: string[], body: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const socket = connectSocket(server.port, '127.0.0.1', () => {
        socket.end(
          `${[...head, `content-length: ${Buffer.byteLength(body)}`, 'connection: close'].join('\r\n')}\r\n\r\n${body}`,
        );
      });
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (text += d));
      socket.on('error', reject);
      socket.on('end', () => {
        resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]), text });
      });
    });
  }

  test('a call is answered by the fast path, and reads a body as the app does (a byte-order mark dropped)', async () => {
    taken.length = 0;
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(JSON.stringify(start('fast-bom'))),
    ]);
    const res = await fetch(`${server.url}/api/v1/startWorkflow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sesame' },
      body,
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(taken, [true]);
    const described = await engine.connection.describeWorkflow({
      namespace: 'default',
      workflowId: 'fast-bom',
    });
    assert.equal(described.status, 'Running');
  });

  test('a request that repeats the Host, the key or the content type is the app’s, refused as before', async () => {
    const body = JSON.stringify({ namespace: 'default' });
    const call = ['POST /api/v1/countWorkflows HTTP/1.1'];
    const ok = [
      'host: 127.0.0.1',
      'authorization: Bearer sesame',
      'content-type: application/json',
    ];
    taken.length = 0;
    assert.equal((await raw([...call, ...ok], body)).status, 200);
    assert.deepEqual(taken, [true]);

    taken.length = 0;
    const rebound = await raw([...call, ...ok, 'host: evil.example'], body);
    assert.equal(rebound.status, 403, rebound.text);
    assert.match(rebound.text, /HostNotAllowed/);
    const twoKeys = await raw([...call, ...ok, 'authorization: Bearer other'], body);
    assert.equal(twoKeys.status, 401, twoKeys.text);
    const twoTypes = await raw([...call, ...ok, 'content-type: text/plain'], body);
    assert.equal(twoTypes.status, 400, twoTypes.text);
    assert.deepEqual(taken, [false, false, false]);
  });

  test('a request with a Transfer-Encoding is the app’s, whatever its Content-Length says', () => {
    const http = engineHttp(engine.connection);
    const req = {
      method: 'POST',
      url: '/api/v1/countWorkflows',
      headers: {
        host: '127.0.0.1',
        'content-type': 'application/json',
        'content-length': '2',
        'transfer-encoding': 'chunked',
      },
      rawHeaders: [],
    };
    assert.equal(
      http.answer(req as never, {} as never, () => false),
      false,
    );
  });

  test('a failure that cannot be put into JSON answers 500, and the server goes on', async () => {
    const throwing = new Proxy(
      {},
      {
        // A value no failure can be made of (it has no toString).
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        get: () => () => Promise.reject(Object.create(null) as unknown),
      },
    );
    const broken = await serveHttp(engineHttp(throwing as never), { port: 0 });
    try {
      const post = () =>
        fetch(`${broken.url}/api/v1/countWorkflows`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ namespace: 'default' }),
        });
      const first = await post();
      assert.equal(first.status, 500);
      assert.equal(await first.text(), 'Internal Server Error');
      assert.equal((await post()).status, 500, 'the server still answers');
    } finally {
      await broken.close();
    }
  });
});
