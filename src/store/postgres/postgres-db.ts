// The PostgreSQL store's connection pool: reads, transactions with their retries, and errors
// translated at this one door (postgres-errors.ts). The store's modules run their SQL through it.
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { IllegalStateError, InvalidArgumentError, ensureError } from '../../errors.ts';
import { redactUrl } from '../redact-url.ts';
import { postgresErrorKind, translatePostgresError } from './postgres-errors.ts';
import type { PostgresErrorContext } from './postgres-errors.ts';

/** Something SQL runs on: the pool (a read), or a transaction's client. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

export interface PostgresDbOptions {
  /** A `postgres://` or `postgresql://` URL (node-postgres connection string). */
  url: string;
  /**
   * The schema that holds the store's tables (created if missing; default `public`). Several
   * stores may share one database in different schemas.
   */
  schema?: string | undefined;
  /** Connections in the pool (default 10). */
  maxConnections?: number | undefined;
}

/** Transactions aborted for crossing others (serialization failure, deadlock) run again. */
const RETRIES = 5;

const INT8_OID = 20;

/**
 * BIGINT columns (epoch milliseconds, task ids, counts) come back as numbers, not strings: every
 * value the store keeps stays below 2^53.
 */
const types = new pg.TypeOverrides();
types.setTypeParser(INT8_OID, 'text', Number);

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Throws `InvalidArgumentError` if node-postgres cannot read `url`, or reads no usable port from
 * it: it reads the URL anew for each connection, and the first would fail (a port that is not a
 * number would also leave the pool unable to end). The driver's error is not kept as `cause`:
 * Node's URL errors hold the whole URL, password included, as `input` (which only recent
 * node-postgres versions blank). Messages name the URL without its password.
 */
function assertDriverReadsUrl(url: string): void {
  const redacted = redactUrl(url);
  let port: number;
  try {
    // A client reads its connection string when made; it connects only when asked to.
    ({ port } = new pg.Client({ connectionString: url }));
  } catch (e) {
    const reason = ensureError(e).message.replaceAll(url, redacted);
    throw new InvalidArgumentError(
      `'${redacted}' is not a URL node-postgres can read (${reason}): give ` +
        'postgres://user:password@host:5432/database, with special characters of the user and ' +
        'password percent-encoded.',
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(
      `'${redacted}' names no port node-postgres can use: give a port number after the host ` +
        '(or in a port parameter, or PGPORT), or none for 5432.',
    );
  }
}

/**
 * `url` without its `options` parameter (`?options=-c statement_timeout=5s`), and that
 * parameter. node-postgres puts a URL's options in place of the ones its config gives, so the
 * store's own (its schema's search_path, its writer) would be dropped, and the store would use
 * another schema without a word: the store passes the URL's options on with its own instead.
 */
function withoutOptions(url: string): { url: string; options: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, options: undefined };
  }
  const options = parsed.searchParams.get('options');
  if (options === null) return { url, options: undefined };
  parsed.searchParams.delete('options');
  return { url: parsed.toString(), options };
}

export class PostgresDb {
  readonly #pool: pg.Pool;
  readonly #clientConfig: pg.ClientConfig;
  readonly schema: string;
  /**
   * The `reprise.writer` setting of this pool's connections: the notices its commits send
   * (foreign-writes.ts) name it, so that the store tells its own from other writers'.
   */
  readonly writerId: string;
  #closed = false;
  /** Calls begun and not settled: close() lets them finish before it ends the pool. */
  #running = 0;
  #drained: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  private constructor(
    pool: pg.Pool,
    clientConfig: pg.ClientConfig,
    schema: string,
    writerId: string,
  ) {
    this.#pool = pool;
    this.#clientConfig = clientConfig;
    this.schema = schema;
    this.writerId = writerId;
  }

  /** A client of its own on the pool's database and schema (not connected): for LISTEN. */
  newClient(applicationName: string): pg.Client {
    return new pg.Client({ ...this.#clientConfig, application_name: applicationName });
  }

  /**
   * A pool on `url` whose connections use `schema`, created if missing. Throws
   * `InvalidArgumentError` for a malformed URL or schema name, and `UnavailableError` when the
   * server cannot be reached.
   */
  static async open(opts: PostgresDbOptions): Promise<PostgresDb> {
    const schema = opts.schema ?? 'public';
    // PostgreSQL keeps names that begin with pg_ for its own schemas.
    if (!SCHEMA_NAME.test(schema) || schema.startsWith('pg_')) {
      throw new InvalidArgumentError(
        `PostgreSQL schema name '${schema}' is not one Reprise uses: give lower-case letters, ` +
          'digits and underscores, starting with a letter or underscore (at most 63, not pg_).',
      );
    }
    if (!/^postgres(ql)?:\/\//.test(opts.url)) {
      throw new InvalidArgumentError(
        `'${redactUrl(opts.url)}' is not a PostgreSQL URL: give postgres://user:password@host:5432/database.`,
      );
    }
    assertDriverReadsUrl(opts.url);
    const writerId = randomUUID().replaceAll('-', '');
    const { url, options } = withoutOptions(opts.url);
    const clientConfig: pg.ClientConfig = {
      connectionString: url,
      types,
      // The store's settings after the URL's own: the later of two settings of a name holds.
      options: [options, `-c search_path=${schema} -c reprise.writer=${writerId}`]
        .filter((o) => o !== undefined && o.trim() !== '')
        .join(' '),
      application_name: 'reprise',
      // A server the network cut off fails a call in seconds, not when the OS gives up on it.
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
    };
    const pool = new pg.Pool({ ...clientConfig, max: opts.maxConnections ?? 10 });
    // An idle connection the server dropped (a restart): the pool replaces it; not a crash.
    pool.on('error', () => undefined);
    // A connection lost while a transaction holds it: the pool listens only to idle clients, and
    // an 'error' event without a listener would end the process. The transaction's statement
    // fails with the error (or its next one, as the client is not queryable any more), and
    // write() hands the client back as broken.
    pool.on('connect', (client) => {
      client.on('error', () => undefined);
    });
    const db = new PostgresDb(pool, clientConfig, schema, writerId);
    try {
      await db.read('open PostgreSQL store', async (c) => {
        try {
          await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        } catch (e) {
          // Two stores creating the schema at once: IF NOT EXISTS does not keep the second from
          // colliding with the first's catalog row (pg_namespace), but the schema exists now.
          if (postgresErrorKind(e) !== 'uniqueViolation') throw e;
        }
      });
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw e;
    }
    return db;
  }

  /** Runs `fn` on the pool (each statement is its own snapshot); errors translated. */
  async read<T>(ctx: string | PostgresErrorContext, fn: (db: Queryable) => Promise<T>): Promise<T> {
    const context = typeof ctx === 'string' ? { operation: ctx } : ctx;
    return this.#run(context.operation, async () => {
      try {
        return await fn(this.#pool);
      } catch (e) {
        throw translatePostgresError(e, context);
      }
    });
  }

  /**
   * Runs `fn` in ONE transaction (READ COMMITTED) on a client of its own, and commits. A
   * transaction that PostgreSQL aborted for crossing another (serialization failure, deadlock)
   * runs again, a few times. With `durable: false` the commit does not wait for its WAL flush
   * (`synchronous_commit = off`, for timer leases: ADR 0014).
   */
  async write<T>(
    ctx: string | PostgresErrorContext,
    fn: (tx: pg.PoolClient) => Promise<T>,
    opts: { durable: boolean } = { durable: true },
  ): Promise<T> {
    const context = typeof ctx === 'string' ? { operation: ctx } : ctx;
    return this.#run(context.operation, () => this.#transaction(context, fn, opts));
  }

  async #transaction<T>(
    context: PostgresErrorContext,
    fn: (tx: pg.PoolClient) => Promise<T>,
    opts: { durable: boolean },
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (e) {
        throw translatePostgresError(e, context);
      }
      let broken = false;
      try {
        await client.query(opts.durable ? 'BEGIN' : 'BEGIN; SET LOCAL synchronous_commit = off');
        const out = await fn(client);
        await client.query('COMMIT');
        return out;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        if (postgresErrorKind(e) === 'retry' && attempt < RETRIES) {
          await delay(5 * 2 ** attempt + Math.random() * 5);
          continue;
        }
        throw translatePostgresError(e, context);
      } finally {
        client.release(broken);
      }
    }
  }

  /** Runs `fn` on a client of its own, outside any transaction of ours (it may begin its own). */
  async withClient<T>(operation: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.#run(operation, async () => {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.#pool.connect();
        return await fn(client);
      } catch (e) {
        throw translatePostgresError(e, { operation });
      } finally {
        client?.release();
      }
    });
  }

  /** Runs `fn` as a call close() waits for; refused once close() has begun. */
  async #run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    this.assertOpen(operation);
    this.#running++;
    try {
      return await fn();
    } finally {
      this.#running--;
      if (this.#running === 0) this.#drained?.();
    }
  }

  assertOpen(operation: string): void {
    if (this.#closed) {
      throw new IllegalStateError(`${operation}: the PostgreSQL store was closed; open a new one.`);
    }
  }

  /**
   * Refuses new calls, lets the ones begun finish (also those still waiting for a connection:
   * the pool, once ended, would never hand them one), then closes the pool. A second call waits
   * for the first.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    if (this.#running > 0) {
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
    }
    await this.#pool.end();
  }
}
