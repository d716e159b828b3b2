import { InvalidArgumentError } from '../errors.ts';
import { redactUrl } from './redact-url.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

const ACCEPTED =
  "'sqlite::memory:' (in-memory), 'sqlite:./relative/path.db', 'sqlite:/absolute/path.db' or " +
  "'postgres://user:password@host:5432/database' (optionally '?schema=name')";

/**
 * Opens the store a URL names: `sqlite::memory:`, `sqlite:./path.db` or `sqlite:/abs/path.db`
 * (a relative path is resolved against the working directory), or
 * `postgres://user:password@host:port/database` (also `postgresql://`), whose `schema` parameter
 * names the schema that holds the tables (default `public`); the other parameters are
 * node-postgres's (`sslmode`, …). Throws `InvalidArgumentError` for any other form.
 */
export async function openStore(url: string): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '' || path.startsWith('//')) {
      throw new InvalidArgumentError(
        `Store URL '${url}' does not name a database file the way Reprise reads it. Use ${ACCEPTED}.`,
      );
    }
    return SqliteStore.open({ path });
  }
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url);
  throw new InvalidArgumentError(`Unsupported store URL '${redactUrl(url)}'. Use ${ACCEPTED}.`);
}

async function openPostgres(url: string): Promise<Store> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(
      `Store URL '${redactUrl(url)}' is not a valid URL. Use ${ACCEPTED}, with special characters of the password percent-encoded.`,
    );
  }
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  // Loaded here: an embedded engine on SQLite never loads node-postgres.
  const { PostgresStore } = await import('./postgres/postgres-store.ts');
  return PostgresStore.open({ url: parsed.toString(), schema });
}
