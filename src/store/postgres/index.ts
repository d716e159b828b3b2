// reprise/postgres: the PostgreSQL store, for callers who open it themselves to set its pool or
// its group commit (ADR 0026). `openStore('postgres://…')` opens it with the defaults; this
// entrypoint loads node-postgres, which reprise/server leaves out until such a URL is opened.
export { PostgresStore } from './postgres-store.ts';
export type { PostgresStoreOptions } from './postgres-store.ts';
