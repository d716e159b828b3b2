import { timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
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

/**
 * The engine's HTTP API as a Hono app: `POST /api/v1/<method>` for each `EngineApi` method, the
 * body its request as JSON, the answer `{ "result": … }` (no `result` for a method that returns
 * nothing) or `{ "error": WireError }` with the status of its code; `GET /api/v1/health`.
 * Long-polls end when the caller goes away. Paths outside `/api/` are left to other routes (the
 * web UI). A request whose Host the server does not answer to (`allowedHosts`) is refused with 403
 * `HostNotAllowed` before any of them.
 */
export function engineHttpApp(api: EngineApi, options: HttpApiOptions = {}): Hono {
  const app = new Hono();
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const refuse = (c: { req: { path: string } }, e: unknown): Response => {
    const wire = toWireError(e);
    if (!(e instanceof RepriseError)) {
      options.logger?.error({ err: e, path: c.req.path }, 'an API call failed with a bug');
    }
    return Response.json({ error: wire }, { status: statusOf(wire.code) });
  };
  // First, before the key and every route: a page that rebound its name to this server must
  // learn nothing, not even whether it wants a key, and change nothing.
  const allowedHosts = resolveAllowedHosts(options.allowedHosts, options.host);
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
  if (options.apiKey !== undefined) {
    const expected = Buffer.from(`Bearer ${options.apiKey}`);
    app.use('/api/*', async (c, next) => {
      const given = Buffer.from(c.req.header('authorization') ?? '');
      if (given.length === expected.length && timingSafeEqual(given, expected)) return next();
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
    let request: unknown;
    try {
      request = JSON.parse(await c.req.text());
    } catch (e) {
      return refuse(
        c,
        new InvalidArgumentError(
          `The body of ${method} is not JSON (${e instanceof Error ? e.message : String(e)}). Send the request as a JSON object.`,
        ),
      );
    }
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      return refuse(
        c,
        new InvalidArgumentError(`The body of ${method} must be a JSON object: its request.`),
      );
    }
    try {
      const m = method as EngineApiMethod;
      const result = LONG_POLL_METHODS.has(m)
        ? await polls.run(c.req.header(POLL_ID_HEADER), c.req.raw.signal, (signal) =>
            call(api, m, request, signal),
          )
        : await call(api, m, request);
      return c.json(result === undefined ? {} : { result });
    } catch (e) {
      return refuse(c, e);
    }
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
  return app;
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
      return await poll(AbortSignal.any([gone, ended.signal]));
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

/** Serves `app` on `host:port` (port 0: a free one) until `close()`. */
export async function serveHttp(
  app: Hono,
  options: { port?: number | undefined; host?: string | undefined },
): Promise<EngineServer> {
  const host = options.host ?? '127.0.0.1';
  let closing: Promise<void> | undefined;
  const server = createAdaptorServer({
    // An answer sent once close() began (a long-poll's) closes its connection: kept alive, its
    // caller would send the next request on a socket the server is about to end, and lose it.
    fetch: async (req, env) => {
      const res = await app.fetch(req, env);
      if (closing !== undefined) res.headers.set('connection', 'close');
      return res;
    },
    hostname: host,
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
  const http = server as Server;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: (graceMs = 2000) =>
      (closing ??= new Promise<void>((resolve) => {
        const cut = setTimeout(() => {
          http.closeAllConnections();
        }, graceMs);
        // A kept-alive connection whose answer goes out after close() began is idle only then.
        const idle = setInterval(() => {
          http.closeIdleConnections();
        }, 20);
        http.close(() => {
          clearTimeout(cut);
          clearInterval(idle);
          resolve();
        });
        http.closeIdleConnections();
      })),
  };
}
