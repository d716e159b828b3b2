/**
 * `reprise/server`: the engine and its stores, for a server process or embedded use.
 * @example
 * const engine = await Engine.open({ store: 'sqlite:./reprise.db' });
 * const client = new Client({ connection: engine.connection });
 */
export { Engine } from '../engine/engine.ts';
export type { EngineOptions, EngineServer, ListenOptions } from '../engine/engine.ts';
export type { HttpApiOptions } from '../transport/http/http-server.ts';
export type { EngineLimits } from '../engine/deps.ts';
export { ManualClock, SystemClock } from '../engine/clock.ts';
export type { Clock } from '../engine/clock.ts';
export { openStore } from '../store/open-store.ts';
export { SqliteStore } from '../store/sqlite/sqlite-store.ts';
export type { SqliteStoreOptions } from '../store/sqlite/sqlite-store.ts';
export type { Store } from '../store/store.ts';
export type { EngineApi, NamespaceDescription } from '../transport/engine-api.ts';
export type { IndexedValueType, SearchAttributeTypes } from '../protocol/search-attribute-types.ts';
