// The PostgreSQL server the tests use: REPRISE_TEST_POSTGRES_URL when set (scripts/test.sh
// starts one throwaway cluster for the whole run and sets it), else, for a test file run alone, a
// throwaway cluster of this process's own, stopped when the process exits. Each store a test
// opens gets a schema of its own, so tests never see each other's rows.
import { randomUUID } from 'node:crypto';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { PostgresStoreOptions } from '../../src/store/postgres/postgres-store.ts';
import { startCluster } from './postgres-cluster.ts';

let own: Promise<string> | undefined;

/** The URL of the tests' PostgreSQL server (starting one for this process if need be). */
export function testPostgresUrl(): Promise<string> {
  const fromEnv = process.env['REPRISE_TEST_POSTGRES_URL'];
  if (fromEnv !== undefined && fromEnv !== '') return Promise.resolve(fromEnv);
  own ??= startCluster({ fsync: false, stopWhenProcessEnds: true }).then((cluster) => {
    process.once('exit', () => {
      cluster.stop();
    });
    return cluster.url;
  });
  return own;
}

/** A schema name no other store in the run uses. */
export function freshSchema(): string {
  return `t_${randomUUID().replaceAll('-', '')}`;
}

/** A store on the tests' server, in a fresh schema (or `opts.schema`). */
export async function openTestPostgresStore(
  opts: Partial<PostgresStoreOptions> = {},
): Promise<PostgresStore> {
  return PostgresStore.open({ url: await testPostgresUrl(), schema: freshSchema(), ...opts });
}
