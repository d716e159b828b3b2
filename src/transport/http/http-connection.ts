import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { InvalidArgumentError, UnavailableError } from '../../errors.ts';
import { ENGINE_API_METHODS, LONG_POLL_METHODS, WAITING_METHODS } from '../engine-api.ts';
import type { EngineApi, EngineApiMethod } from '../engine-api.ts';
import { fromWireError, isWireError } from './wire-errors.ts';

/** An `EngineApi` served by a Reprise server over HTTP. */
export interface HttpConnection extends EngineApi {
  /** The server's base URL: `http://127.0.0.1:7233`. */
  readonly address: string;
  /** Cuts the calls in flight (they fail with `UnavailableError`) and refuses new ones. */
  close(): Promise<void>;
}

/**
 * `'http://host:port'`, `'https://host:port'` or `'host:port'` as a base URL; throws
 * `InvalidArgumentError` for anything else.
 */
export function baseUrl(address: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(address) ? address : `http://${address}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InvalidArgumentError(
      `'${address}' is not a server address: give 'host:port' or 'http://host:port' (e.g. '127.0.0.1:7233').`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(
      `'${address}' is not an http(s) address: a Reprise server speaks HTTP; give 'host:port' or 'http://host:port'.`,
    );
  }
  return url.origin;
}

/**
 * How long a kept-alive socket may stay idle before this side ends it, and at most a second less
 * than the server announces (`Keep-Alive: timeout=5`, node's default): a call sent on a socket
 * the server is ending at that moment is lost ("socket hang up"). Without a timeout of its own,
 * node's agent (as of node 20) ignores the server's announcement and keeps idle sockets for good, so
 * the server always ends them first. A socket busy with a call (a long-poll) is not cut by it.
 */
export const IDLE_SOCKET_TIMEOUT_MS = 4_000;

/**
 * The most sockets a connection opens for calls that do not wait (all but WAITING_METHODS): a
 * burst of them beyond this queues for a kept-alive socket instead of opening one each. 2,000
 * starts sent at once, each on a socket of its own, took the server and the client three to four
 * times as long as through 64 (bench/RESULTS.md, forty-seventh pass); at well under a millisecond
 * a call on loopback, 64 sockets carry more calls than an engine answers.
 */
export const CALL_SOCKETS = 64;

/** The header that names a long-poll, so that its caller can end it: `POST /api/v1/_cancelPoll`. */
export const POLL_ID_HEADER = 'x-reprise-poll-id';
/** The longest poll id the server takes (this connection's are UUIDs, 36 characters). */
export const MAX_POLL_ID_LENGTH = 64;

/**
 * A connection to a Reprise server at `address`: each `EngineApi` method is a
 * `POST /api/v1/<method>` with the request as JSON. Errors come back as the classes the engine
 * threw; a server that cannot be reached, or that answers something that is not its API, is an
 * `UnavailableError` (a worker retries it).
 *
 * A long-poll whose signal aborts is not cut: the server is asked to end it, and its answer is
 * awaited. It is then undefined, or a task the engine handed to the poll before the request to
 * end it came, which the caller must run (a worker does, as it shuts down). Cutting the request
 * would lose such a task until its timeout. Only when the server cannot be asked is it cut.
 */
export function httpConnection(options: {
  address: string;
  apiKey?: string | undefined;
}): HttpConnection {
  const base = baseUrl(options.address);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.apiKey !== undefined) headers['authorization'] = `Bearer ${options.apiKey}`;
  let closed = false;
  const isClosed = (): boolean => closed;
  // The calls in flight, each cut by its own controller: close() cuts them all. One signal each,
  // not one shared: node's EventTarget walks a signal's listeners on every add and remove, so
  // thousands of calls waiting at once on one signal made each call cost as much again.
  const inFlight = new Set<AbortController>();

  const url = new URL(base);
  const client = url.protocol === 'https:' ? https : http;
  // Kept-alive sockets (node:http costs half of fetch's CPU a call), in two pools: at most
  // CALL_SOCKETS for the calls answered at once, and one each for the calls that wait (a call
  // queued behind thousands of result waits would wait as long as they do). An idle socket is let
  // go before the server ends it (see IDLE_SOCKET_TIMEOUT_MS).
  const callAgent = new client.Agent({
    keepAlive: true,
    timeout: IDLE_SOCKET_TIMEOUT_MS,
    maxSockets: CALL_SOCKETS,
  });
  const waitAgent = new client.Agent({ keepAlive: true, timeout: IDLE_SOCKET_TIMEOUT_MS });
  const post = (
    path: string,
    body: unknown,
    init: { signal: AbortSignal; waits: boolean; headers?: Record<string, string> },
  ): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const payload = JSON.stringify(body ?? {});
      const req = client.request(
        `${base}/api/v1/${path}`,
        {
          method: 'POST',
          agent: init.waits ? waitAgent : callAgent,
          signal: init.signal,
          headers: { ...(init.headers ?? headers), 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  const unreachable = (e: unknown): UnavailableError =>
    new UnavailableError(
      `Cannot reach the Reprise server at ${base} (${describeSocketError(e)}). Check that it is running (npx reprise dev) and that the address is right.`,
      { cause: e },
    );

  const answer = (method: string, status: number, text: string): unknown => {
    let body: { result?: unknown; error?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new UnavailableError(
        `The server at ${base} answered ${method} with HTTP ${status} and a body that is not JSON: is it a Reprise server? Check the address.`,
      );
    }
    if (status >= 200 && status < 300) return body.result;
    if (isWireError(body.error)) throw fromWireError(body.error);
    throw new UnavailableError(
      `The server at ${base} answered ${method} with HTTP ${status} and no Reprise error: is it a Reprise server? Check the address.`,
    );
  };

  const call = async (method: EngineApiMethod, request: unknown): Promise<unknown> => {
    if (isClosed()) throw closedError(base);
    const cut = new AbortController();
    inFlight.add(cut);
    let res: { status: number; text: string };
    try {
      res = await post(method, request, { signal: cut.signal, waits: WAITING_METHODS.has(method) });
    } catch (e) {
      if (isClosed()) throw closedError(base);
      throw unreachable(e);
    } finally {
      inFlight.delete(cut);
    }
    return answer(method, res.status, res.text);
  };

  const longPoll = async (
    method: EngineApiMethod,
    request: unknown,
    signal: AbortSignal | undefined,
  ): Promise<unknown> => {
    if (isClosed()) throw closedError(base);
    if (signal?.aborted === true) return undefined;
    const pollId = randomUUID();
    // Aborted only when the server cannot be asked to end the poll.
    const cut = new AbortController();
    const onAbort = (): void => {
      post(
        '_cancelPoll',
        { pollId },
        { signal: AbortSignal.timeout(CANCEL_POLL_TIMEOUT_MS), waits: false },
      )
        .then(({ status }) => {
          if (status !== 200) cut.abort();
        })
        .catch(() => {
          cut.abort();
        });
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    inFlight.add(cut);
    let res: { status: number; text: string };
    try {
      res = await post(method, request, {
        signal: cut.signal,
        waits: true,
        headers: { ...headers, [POLL_ID_HEADER]: pollId },
      });
    } catch (e) {
      if (isClosed()) throw closedError(base);
      if (cut.signal.aborted) return undefined;
      throw unreachable(e);
    } finally {
      inFlight.delete(cut);
      signal?.removeEventListener('abort', onAbort);
    }
    return answer(method, res.status, res.text);
  };

  const api = Object.fromEntries(
    ENGINE_API_METHODS.map((m) => [
      m,
      LONG_POLL_METHODS.has(m)
        ? (req: unknown, signal?: AbortSignal) => longPoll(m, req, signal)
        : (req: unknown) => call(m, req),
    ]),
  ) as unknown as EngineApi;
  return Object.assign(api, {
    address: base,
    close: (): Promise<void> => {
      closed = true;
      for (const cut of inFlight) cut.abort();
      callAgent.destroy();
      waitAgent.destroy();
      return Promise.resolve();
    },
  });
}

/** How long a request to end a long-poll may take before the poll is cut instead. */
const CANCEL_POLL_TIMEOUT_MS = 5_000;

function closedError(base: string): UnavailableError {
  return new UnavailableError(
    `The connection to ${base} was closed: connect again with Connection.connect({ address }).`,
  );
}

/** A socket error's code (`ECONNREFUSED`, …), else its message. */
function describeSocketError(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return e instanceof Error ? e.message : String(e);
}
