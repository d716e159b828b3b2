import { InvalidArgumentError } from '../errors.ts';
import type { EngineApi } from './engine-api.ts';
import { httpConnection } from './http/http-connection.ts';

export interface ConnectionOptions {
  /** A Reprise server: `'127.0.0.1:7233'` or `'http://host:port'`. */
  readonly address?: string | undefined;
  /** The server's API key (`engine.listen({ apiKey })`), sent as `Authorization: Bearer`. */
  readonly apiKey?: string | undefined;
  /** An engine in this process (`Engine.open()` from `reprise/server`) instead of an address. */
  readonly engine?: { readonly connection: EngineApi } | undefined;
}

/** What `Client` and `Worker.create` take as `connection`; `close()` when done with it. */
export type Connection = EngineApi & { close(): Promise<void> };

/**
 * Connects to a Reprise server over HTTP (`address`), or to an engine in this process
 * (`engine`). Temporal's `Connection.connect` (client) and `NativeConnection.connect` (worker).
 */
export function connect(options: ConnectionOptions = {}): Promise<Connection> {
  // What connectNow throws rejects the promise.
  return new Promise((resolve) => {
    resolve(connectNow(options));
  });
}

function connectNow(options: ConnectionOptions): Connection {
  if ((options as { plugins?: unknown }).plugins !== undefined) {
    throw new InvalidArgumentError(
      'Connection.connect takes no plugins: Reprise connections have nothing for a plugin to configure. ' +
        'Pass the plugins to new Client({ plugins }) and Worker.create({ plugins }) instead.',
    );
  }
  if ((options as { tls?: unknown }).tls !== undefined) {
    throw new InvalidArgumentError(
      "Connection.connect takes no tls options: give an 'https://' address, and Node's https checks the server's certificate against its trusted CAs.",
    );
  }
  if (options.engine !== undefined) {
    if (options.address !== undefined) {
      throw new InvalidArgumentError(
        'Give Connection.connect an address or an engine, not both: an address connects over HTTP, an engine in this process.',
      );
    }
    return { ...options.engine.connection, close: () => Promise.resolve() };
  }
  return httpConnection({ address: options.address ?? DEFAULT_ADDRESS, apiKey: options.apiKey });
}

/** Where a connection goes when given no address: a server on this machine's default port. */
export const DEFAULT_ADDRESS = '127.0.0.1:7233';

/**
 * What a `Client` or `Worker` given no `connection` uses, as Temporal's connect lazily to
 * `localhost:7233`: HTTP to {@link DEFAULT_ADDRESS}, nothing sent until the first call.
 */
export function defaultConnection(): Connection {
  return httpConnection({ address: DEFAULT_ADDRESS });
}
