// Numbered SQL migrations (NNNN-name.sql) of a store backend, read from its migrations folder.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ErrorCode, IllegalStateError, RepriseError } from '../errors.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE_NAME = /^(\d{4})-([a-z0-9-]+)\.sql$/;

/** Per folder: the files are read from disk once per process. */
const cache = new Map<string, readonly Migration[]>();

/** The migrations in folder `dir` (a file: URL), in version order. */
export function loadMigrationsFrom(dir: URL): readonly Migration[] {
  const path = fileURLToPath(dir);
  const cached = cache.get(path);
  if (cached) return cached;
  const migrations: Migration[] = [];
  for (const file of readdirSync(path).sort()) {
    if (!file.endsWith('.sql')) continue;
    const match = FILE_NAME.exec(file);
    if (!match?.[1] || !match[2]) {
      throw new IllegalStateError(
        `Migration file '${file}' in ${path} is not named NNNN-name.sql (e.g. 0002-add-index.sql).`,
      );
    }
    const version = Number(match[1]);
    const previous = migrations.at(-1);
    if (previous?.version === version) {
      throw new IllegalStateError(
        `Migrations '${previous.name}' and '${match[2]}' in ${path} share version ${version}; renumber one.`,
      );
    }
    migrations.push({ version, name: match[2], sql: readFileSync(`${path}/${file}`, 'utf8') });
  }
  cache.set(path, migrations);
  return migrations;
}

/**
 * Refuses a database whose schema (at version `current`) is newer than the last of `migrations`:
 * written by a later Reprise, it may hold what this one would misread.
 */
export function assertSchemaNotNewer(current: number, migrations: readonly Migration[]): void {
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new RepriseError(
      ErrorCode.Internal,
      `The database schema is at version ${current}, newer than this Reprise knows (${latest}). ` +
        'Upgrade Reprise, or open a database that an older version created.',
    );
  }
}
