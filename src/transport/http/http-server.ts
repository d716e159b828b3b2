import { timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import {
  HostNotAllowedError,
  InvalidArgumentError,
  PayloadTooLargeError,
  RepriseError,
  UnauthenticatedError,
} from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { ENGINE_API_METHODS, LONG_POLL_METHODS } from '../engine-api.ts';
import type { EngineApi, EngineApiMethod } from '../engine-api.ts';
import { uiApp } from '../../ui/ui-app.ts';
import { withEitherSignal } from '../../util/linked-signal.ts';
import { hostOf, isAllowedHost, resolveAllowedHosts } from './allowed-hosts.ts';
import { MAX_POLL_ID_LENGTH, POLL_ID_HEADER } from './http-connection.ts';
import { serveOpenApi } from './openapi.ts';
import { statusOf, toWireError } from './wire-errors.ts';

/** The largest request body the server reads by default: 64 MiB. */
export const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024;

export interface HttpApiOptions {
  /** When set, every `/api/` request must carry `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string | undefined;
  /** Requests with a larger body are refused with 413 `PayloadTooLarge`. */
  readonly maxRequestBytes?: number | undefined;
  /** Where failures that are bugs (not a `RepriseError`) are logged. */
  readonly logger?: Logger | undefined;
  /**
   * The host names the server answers to, by each request's Host header, besides IP addresses,
   * `localhost` (and names below it) and `host`: a name (`'reprise.example.com'`), or a domain
   * with a leading dot (`'.example.com'`: example.com and every name below it). Any other Host
   * gets 403 `HostNotAllowed` before any route runs, API key or not, so that a web page of
   * another site cannot reach the server by DNS rebinding. `true` answers any Host: only for a
   * server behind a proxy that checks it.
   */
  readonly allowedHosts?: readonly string[] | true | undefined;
  /** The interface the server listens on: a name (not an address) is answered as a Host too. */
  readonly host?: string | undefined;
}

const METHODS: ReadonlySet<string> = new Set(ENGINE_API_METHODS);

/** The engine's HTTP server: every route, and the API calls it answers without them. */
export interface EngineHttp {
  /** Every route: the API (its refusals too), the OpenAPI document, the web UI. */
  readonly app: Hono;
  /**
   * Answers an API call straight from node:http, without the app's Request and Response objects
   * (a fifth of a millisecond of the engine's CPU a call): `POST /api/v1/<method>` from an
   * allowed Host, with the key if one is wanted, a JSON body of a known length within the limit,
   * and none of those headers repeated (node keeps the first, the app reads them joined). False
   * for any other request, untouched: the app answers it, refusals and all.
   */
  readonly answer: (req: IncomingMessage, res: ServerResponse, closing: () => boolean) => boolean;
}

/**
 * The engine's HTTP API: `POST /api/v1/<method>` for each `EngineApi` method, the body its
 * request as JSON, the answer `{ "result": … }` (no `result` for a method that returns nothing)
 * or `{ "error": WireError }` with the status of its code; `GET /api/v1/health`. Long-polls end
 * when the caller goes away. Paths outside `/api/` are left to other routes (the web UI). A
 * request whose Host the server does not answer to (`allowedHosts`) is refused with 403
 * `HostNotAllowed` before any of them.
 */
export function engineHttp(api: EngineApi, options: HttpApiOptions = {}): EngineHttp {
  const app = new Hono();
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const failure = (path: string, e: unknown): { status: number; body: string } => {
    const wire = toWireError(e);
    if (!(e instanceof RepriseError)) {
      options.logger?.error({ err: e, path }, 'an API call failed with a bug');
    }
    return { status: statusOf(wire.code), body: JSON.stringify({ error: wire }) };
  };
  const refuse = (c: { req: { path: string } }, e: unknown): Response =>
    jsonResponse(failure(c.req.path, e));
  // First, before the key and every route: a page that rebound its name to this server must
  // learn nothing, not even whether it wants a key, and change nothing.
  const allowedHosts = resolveAllowedHosts(options.allowedHosts, options.host);
  const expectedKey =
    options.apiKey === undefined ? undefined : Buffer.from(`Bearer ${options.apiKey}`);
  const keyMatches = (header: string | undefined): boolean => {
    if (expectedKey === undefined) return true;
    const given = Buffer.from(header ?? '');
    return given.length === expectedKey.length && timingSafeEqual(given, expectedKey);
  };
  app.use('*', async (c, next) => {
    const host = c.req.header('host');
    if (isAllowedHost(host, allowedHosts)) return next();
    const refusal = hostNotAllowed(host);
    if (isApiPath(c.req.path)) return refuse(c, refusal);
    // The Host is the sender's text: never sniffed as a page.
    return c.text(`${refusal.message}\n`, 403, {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
  });
  if (expectedKey !== undefined) {
    app.use('/api/*', async (c, next) => {
      const given = c.req.header('authorization') ?? '';
      if (keyMatches(given)) return next();
      return refuse(
        c,
        new UnauthenticatedError(
          given.length === 0
            ? 'This server wants an API key: pass it as Connection.connect({ address, apiKey }), or the header "Authorization: Bearer <key>".'
            : 'The API key is not the one this server was started with. Check the key given to Connection.connect({ apiKey }) (or REPRISE_API_KEY).',
        ),
      );
    });
  }
  app.get('/api/v1/health', (c) => c.json({ status: 'ok' }));
  app.get('/api/v1/openapi.json', serveOpenApi({ bearer: options.apiKey !== undefined }));
  // Every route that reads a body reads at most maxRequestBytes of it.
  const limit = bodyLimit({
    maxSize: maxRequestBytes,
    onError: (c) => {
      // A body sent in chunks has no length: it was read up to the limit and no further.
      const length = Number(c.req.header('content-length'));
      const known = Number.isSafeInteger(length) && length > maxRequestBytes;
      return refuse(
        c,
        new PayloadTooLargeError(
          known ? 'The request body' : 'The request body (sent in chunks, read up to the limit)',
          known ? length : maxRequestBytes + 1,
          maxRequestBytes,
        ),
      );
    },
  });
  // A web page of another site may send a browser's simple POST (text/plain, a form) to this
  // server, without asking first; one sent as application/json it may not. Only those are read.
  const jsonOnly: MiddlewareHandler = async (c, next) => {
    if (isJson(c.req.header('content-type'))) return next();
    return refuse(
      c,
      new InvalidArgumentError(
        `Send ${c.req.path} with the header Content-Type: application/json: the API reads no other type (so that a web page of another site cannot post to it).`,
      ),
    );
  };
  const polls = new OpenPolls();
  // A long-poll's caller ends it (a worker shutting down) and then reads its answer: nothing, or
  // a task handed to it before this came. Cutting the connection instead could lose that task.
  app.post('/api/v1/_cancelPoll', jsonOnly, limit, async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as { pollId?: unknown } | undefined;
    const pollId = body?.pollId;
    if (typeof pollId !== 'string' || pollId.length === 0 || pollId.length > MAX_POLL_ID_LENGTH) {
      return refuse(
        c,
        new InvalidArgumentError(
          `_cancelPoll wants { "pollId": "<the poll's x-reprise-poll-id header>" }, an id of 1 to ${MAX_POLL_ID_LENGTH} characters.`,
        ),
      );
    }
    polls.cancel(pollId);
    return c.json({});
  });
  /** One call of a known method with its body's text: the answer's status and JSON. */
  const callWith = async (
    method: EngineApiMethod,
    text: string,
    pollId: string | undefined,
    /** Aborted when the caller goes away: asked for by a long-poll only. */
    gone: () => AbortSignal,
  ): Promise<{ status: number; body: string }> => {
    const path = `${API_PREFIX}${method}`;
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch (e) {
      return failure(
        path,
        new InvalidArgumentError(
          `The body of ${method} is not JSON (${e instanceof Error ? e.message : String(e)}). Send the request as a JSON object.`,
        ),
      );
    }
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      return failure(
        path,
        new InvalidArgumentError(`The body of ${method} must be a JSON object: its request.`),
      );
    }
    try {
      const result = LONG_POLL_METHODS.has(method)
        ? await polls.run(pollId, gone(), (signal) => call(api, method, request, signal))
        : await call(api, method, request);
      return { status: 200, body: JSON.stringify(result === undefined ? {} : { result }) };
    } catch (e) {
      return failure(path, e);
    }
  };
  app.post('/api/v1/:method', jsonOnly, limit, async (c) => {
    const method = c.req.param('method');
    if (!METHODS.has(method)) {
      return refuse(
        c,
        new InvalidArgumentError(
          `No API method '${method}'. The methods are POST /api/v1/<method> for: ${ENGINE_API_METHODS.join(', ')}.`,
        ),
      );
    }
    const text = await c.req.text();
    return jsonResponse(
      await callWith(
        method as EngineApiMethod,
        text,
        c.req.header(POLL_ID_HEADER),
        () => c.req.raw.signal,
      ),
    );
  });
  app.all('/api/*', (c) =>
    refuse(
      c,
      new InvalidArgumentError(
        `No API route ${c.req.method} ${c.req.path}. Calls are POST /api/v1/<method> with a JSON body; GET /api/v1/health answers whether the server is up.`,
      ),
    ),
  );
  app.route('/', uiApp());

  const answer = (req: IncomingMessage, res: ServerResponse, closing: () => boolean): boolean => {
    const url = req.url;
    if (req.method !== 'POST' || url === undefined || !url.startsWith(API_PREFIX)) return false;
    const method = url.slice(API_PREFIX.length);
    if (!METHODS.has(method)) return false;
    const headers = req.headers;
    if (!isAllowedHost(headers.host, allowedHosts) || !keyMatches(headers.authorization)) {
      return false;
    }
    if (!isJson(headers['content-type'])) return false;
    // A body sent in chunks, or one over the limit, is the app's to refuse.
    const length = Number(headers['content-length']);
    if (!Number.isSafeInteger(length) || length > maxRequestBytes) return false;
    if (headers['transfer-encoding'] !== undefined || hasRepeatedHeader(req.rawHeaders)) {
      return false;
    }
    const pollId = headers[POLL_ID_HEADER];
    // Only a long-poll waits for anything: the other calls need no signal of their caller.
    const gone = LONG_POLL_METHODS.has(method as EngineApiMethod)
      ? new AbortController()
      : undefined;
    if (gone !== undefined) {
      res.once('close', () => {
        if (!res.writableFinished) gone.abort();
      });
    }
    const chunks: Buffer[] = [];
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      // Node's parser reads no more than the Content-Length; a lenient one might.
      if (received > length) req.destroy();
      else chunks.push(chunk);
    });
    req.once('error', () => {
      gone?.abort();
    });
    req.once('end', () => {
      // As the app reads a body: UTF-8, a byte-order mark dropped.
      const text = UTF8.decode(Buffer.concat(chunks));
      void callWith(
        method as EngineApiMethod,
        text,
        typeof pollId === 'string' ? pollId : undefined,
        // Asked for by a long-poll only, which has its controller.
        () => gone?.signal ?? AbortSignal.abort(),
      ).then(({ status, body }) => {
        if (res.destroyed) return;
        res.writeHead(status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          // An answer sent once close() began closes its connection (serveHttp).
          ...(closing() ? { connection: 'close' } : {}),
        });
        res.end(body);
      }, answerFailed(res));
    });
    return true;
  };
  return { app, answer };
}

/** Where the API's calls are: `POST /api/v1/<method>`. */
const API_PREFIX = '/api/v1/';

const UTF8 = new TextDecoder();

/** An answer of the app: `body`, JSON already. */
function jsonResponse(answer: { status: number; body: string }): Response {
  return new Response(answer.body, {
    status: answer.status,
    headers: { 'content-type': 'application/json' },
  });
}

/**
 * Headers the app reads joined when repeated (`a, b`) and node's `req.headers` keeps the first
 * of: a request that repeats one is the app's to answer, so that it is answered the same.
 */
const JOINED_BY_THE_APP = new Set(['host', 'authorization', 'content-type', 'content-length']);

function hasRepeatedHeader(raw: readonly string[]): boolean {
  const seen: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    if (!JOINED_BY_THE_APP.has(name)) continue;
    if (seen.includes(name)) return true;
    seen.push(name);
  }
  return false;
}

/**
 * The answer to a call whose answering threw (a failure that cannot be put into JSON, a logger
 * that throws): 500, as the app answers what throws in it, or a cut connection if the answer had
 * begun. The process goes on.
 */
function answerFailed(res: ServerResponse): () => void {
  return () => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(500, { 'content-type': 'text/plain; charset=UTF-8' });
    res.end('Internal Server Error');
  };
}

/** Whether `path` is the API's (`/api` and below), where refusals are `{ error: WireError }`. */
function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

/** The refusal of a request whose Host header (`host`) the server does not answer to. */
function hostNotAllowed(host: string | undefined): HostNotAllowedError {
  const name = hostOf(host);
  const allow = name === undefined || name.startsWith('[') ? '<name>' : name;
  return new HostNotAllowedError(
    host,
    (host === undefined
      ? 'The request has no Host header, and this server answers only requests that name it.'
      : `This server does not answer to the host '${host}' (the request's Host header).`) +
      ` If you reach it by that name, allow the name: engine.listen({ allowedHosts: ['${allow}'] }), or --allowed-host ${allow} for reprise dev and reprise server (or REPRISE_ALLOWED_HOSTS).` +
      ' IP addresses and localhost are always answered; other names are refused so that a web page of another site cannot reach the server by DNS rebinding.',
  );
}

/** Whether a Content-Type header names JSON (`application/json`, any case, any parameters). */
function isJson(contentType: string | undefined): boolean {
  if (contentType === 'application/json') return true; // what Reprise's own connection sends
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

function call(
  api: EngineApi,
  method: EngineApiMethod,
  request: object,
  signal?: AbortSignal,
): Promise<unknown> {
  const target = api as unknown as Record<
    EngineApiMethod,
    (req: unknown, signal?: AbortSignal) => Promise<unknown>
  >;
  return signal ? target[method](request, signal) : target[method](request);
}

/** How long an end asked for a poll that has not arrived yet is remembered. */
const EARLY_CANCEL_MS = 60_000;
/** How many such ends are remembered at most: the oldest is forgotten first. */
export const MAX_EARLY_CANCELS = 10_000;

/** The long-polls in flight by their callers' ids, so that a caller can end its own. */
export class OpenPolls {
  readonly #open = new Map<string, AbortController>();
  /** Ends asked for before their poll arrived (the two requests raced), with when. */
  readonly #early = new Map<string, number>();

  async run<T>(
    pollId: string | undefined,
    gone: AbortSignal,
    poll: (signal: AbortSignal) => Promise<T>,
  ): Promise<T | undefined> {
    if (pollId === undefined) return poll(gone);
    if (this.#early.delete(pollId)) return undefined;
    const ended = new AbortController();
    this.#open.set(pollId, ended);
    try {
      return await withEitherSignal(gone, ended.signal, poll);
    } finally {
      // Another poll may have taken the id since (a caller that reuses ids): leave its entry.
      if (this.#open.get(pollId) === ended) this.#open.delete(pollId);
    }
  }

  cancel(pollId: string): void {
    const open = this.#open.get(pollId);
    if (open) {
      open.abort();
      return;
    }
    const now = Date.now();
    for (const [id, at] of this.#early) {
      if (now - at < EARLY_CANCEL_MS) break;
      this.#early.delete(id);
    }
    // Ends that raced their polls are few; a caller sending many unknown ids must not grow this.
    if (this.#early.size >= MAX_EARLY_CANCELS) {
      const oldest = this.#early.keys().next();
      if (oldest.done !== true) this.#early.delete(oldest.value);
    }
    this.#early.set(pollId, now);
  }
}

/** A running HTTP server. */
export interface EngineServer {
  /** Where it listens: `http://127.0.0.1:7233`. */
  readonly url: string;
  readonly port: number;
  /**
   * Stops taking connections and resolves once the requests in flight are answered (those still
   * open after `graceMs`, 2 s by default, are cut).
   */
  close(graceMs?: number): Promise<void>;
}

/** Serves `http` on `host:port` (port 0: a free one) until `close()`. */
export async function serveHttp(
  http: EngineHttp,
  options: { port?: number | undefined; host?: string | undefined },
): Promise<EngineServer> {
  const host = options.host ?? '127.0.0.1';
  let closing: Promise<void> | undefined;
  // An answer sent once close() began (a long-poll's) closes its connection: kept alive, its
  // caller would send the next request on a socket the server is about to end, and lose it.
  const isClosing = (): boolean => closing !== undefined;
  const routes = getRequestListener(
    async (req, env) => {
      const res = await http.app.fetch(req, env);
      if (isClosing()) res.headers.set('connection', 'close');
      return res;
    },
    { hostname: host },
  );
  const server = createServer((req, res) => {
    if (!http.answer(req, res, isClosing)) void routes(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7233, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: unknown) => {
    const code = (e as { code?: string }).code;
    throw new InvalidArgumentError(
      code === 'EADDRINUSE'
        ? `Port ${options.port} on ${host} is in use: stop what listens there, or choose another port (0 takes a free one).`
        : `Cannot listen on ${host}:${options.port}: ${e instanceof Error ? e.message : String(e)}.`,
      { cause: e },
    );
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: (graceMs = 2000) =>
      (closing ??= new Promise<void>((resolve) => {
        const cut = setTimeout(() => {
          server.closeAllConnections();
        }, graceMs);
        // A kept-alive connection whose answer goes out after close() began is idle only then.
        const idle = setInterval(() => {
          server.closeIdleConnections();
        }, 20);
        server.close(() => {
          clearTimeout(cut);
          clearInterval(idle);
          resolve();
        });
        server.closeIdleConnections();
      })),
  };
}
