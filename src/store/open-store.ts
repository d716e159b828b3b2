import { InvalidArgumentError } from '../errors.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

const ACCEPTED =
  "'sqlite::memory:' (in-memory), 'sqlite:./relative/path.db' or 'sqlite:/absolute/path.db'";

/**
 * Opens the store a URL names: `sqlite::memory:`, `sqlite:./path.db` or `sqlite:/abs/path.db`
 * (a relative path is resolved against the working directory). Throws `InvalidArgumentError`
 * for any other form.
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
  if (/^postgres(ql)?:\/\//.test(url)) {
    throw new InvalidArgumentError(
      `Store URL '${redact(url)}': PostgreSQL (postgres://) is not supported yet. Use ${ACCEPTED}.`,
    );
  }
  throw new InvalidArgumentError(`Unsupported store URL '${redact(url)}'. Use ${ACCEPTED}.`);
}

/** Keeps passwords out of error messages: `postgres://user:secret@host` → `postgres://user:***@host`. */
function redact(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}
