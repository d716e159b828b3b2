// Store.foreignWrites on PostgreSQL: the notices other writers' commits send (migration 0002),
// read from a connection of the store's own that LISTENs.
import type pg from 'pg';

/** The channel migration 0002's triggers notify on. */
export const FOREIGN_WRITES_CHANNEL = 'reprise_writes';

/** How long after its listening connection was lost (or could not connect) the store tries again. */
const LISTEN_AGAIN_AFTER_MS = 1_000;

/**
 * How often the listening connection is asked a question (`SELECT 1`); one still unanswered at
 * the next is lost. A connection whose peer vanished, or whose state a firewall dropped, sends no
 * 'error' or 'end' for as long as TCP keeps trying (hours): without an answer to wait for, it
 * would seem to listen while no notice reached it. The questions also keep it from looking idle.
 */
const CHECK_EVERY_MS = 2_000;

/** How long a connection is given to see the server off before its socket is destroyed. */
const GOODBYE_MS = 1_000;

export interface ForeignWritesOptions {
  /** A client on the store's database, not connected yet. */
  connect: () => pg.Client;
  /** The store's schema: notices from other schemas are not its writes. */
  schema: string;
  /** The `reprise.writer` setting of the store's own connections: its own notices. */
  writerId: string;
  /** How often the listening connection is checked (default {@link CHECK_EVERY_MS}). */
  checkEveryMs?: number | undefined;
}

/**
 * Counts the commits of other writers that an engine must learn of at once: an engine process
 * that joins the store, a search attribute type registered, changed or removed. The store's
 * other writes send no notice (a notice serialises the commits that send one), so a value that
 * stands says only that none of those happened; the engine's look at the engine processes, every
 * 250 ms, sees the rest.
 *
 * The listening connection is made at the first call. Until it listens, and whenever it is lost,
 * every call returns a new value: the store cannot tell, and says so as the contract asks. Once
 * it listens, the value moves once more, so that no value read before can stand for it. A
 * connection that stops answering is lost too, within two {@link CHECK_EVERY_MS}
 * (test: "ForeignWrites on a connection that goes silent").
 */
export class ForeignWrites {
  readonly #opts: ForeignWritesOptions;
  #count = 0;
  #listening = false;
  #client: pg.Client | undefined;
  #started = false;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;
  #check: NodeJS.Timeout | undefined;

  constructor(opts: ForeignWritesOptions) {
    this.#opts = opts;
  }

  /** The count; a call before the connection listens also makes it. */
  value(): number {
    if (this.#listening) return this.#count;
    if (!this.#started) {
      this.#started = true;
      void this.#listen();
    }
    return ++this.#count;
  }

  /** Whether the connection listens: the value moves only with other writers' notices. */
  get listening(): boolean {
    return this.#listening;
  }

  /** Ends the listening connection; later calls of value() return a new value each. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    clearInterval(this.#check);
    const client = this.#client;
    this.#client = undefined;
    this.#listening = false;
    if (client !== undefined) await end(client);
  }

  async #listen(): Promise<void> {
    if (this.#closed) return;
    const client = this.#opts.connect();
    this.#client = client;
    client.on('error', () => {
      this.#lost(client);
    });
    client.on('end', () => {
      this.#lost(client);
    });
    client.on('notification', (n) => {
      if (n.channel === FOREIGN_WRITES_CHANNEL && this.#isForeign(n.payload ?? '')) this.#count++;
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${FOREIGN_WRITES_CHANNEL}`);
    } catch {
      this.#lost(client);
      return;
    }
    if (this.#client !== client) return;
    this.#count++;
    this.#listening = true;
    this.#watch(client);
  }

  /** Asks the listening connection a question at each interval: lost if one goes unanswered. */
  #watch(client: pg.Client): void {
    let answered = true;
    this.#check = setInterval(() => {
      if (!answered) {
        this.#lost(client);
        return;
      }
      answered = false;
      client.query('SELECT 1').then(
        () => {
          answered = true;
        },
        () => {
          this.#lost(client);
        },
      );
    }, this.#opts.checkEveryMs ?? CHECK_EVERY_MS);
    this.#check.unref();
  }

  /** A notice's payload, `<schema> <writer>`: another writer's, in this store's schema. */
  #isForeign(payload: string): boolean {
    const space = payload.indexOf(' ');
    if (space < 0) return true;
    return (
      payload.slice(0, space) === this.#opts.schema &&
      payload.slice(space + 1) !== this.#opts.writerId
    );
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#listening = false;
    clearInterval(this.#check);
    void end(client);
    if (this.#closed) return;
    this.#retry = setTimeout(() => void this.#listen(), LISTEN_AGAIN_AFTER_MS);
    this.#retry.unref();
  }
}

/**
 * Ends `client`: a goodbye to the server, and its socket destroyed if the server does not see it
 * off within {@link GOODBYE_MS} (a connection gone silent never does: `end()` alone would wait
 * for ever, and so would the store's close).
 */
async function end(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.end().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, GOODBYE_MS);
    }),
  ]);
  clearTimeout(timer);
  client.connection.stream.destroy();
}
