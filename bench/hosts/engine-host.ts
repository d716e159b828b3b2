// Service mode's engine: a process that opens the engine on the deployment's store (BENCH_STORE,
// a store URL: a SQLite file, or a schema on PostgreSQL) and
// serves its API over HTTP on an ephemeral port of 127.0.0.1 (`engine.listen({ port: 0 })`),
// as `npx reprise server` would. It says its URL in its `ready` message; with BENCH_COUNT_STORE=1
// its store's calls are counted and reported with every `usage` (bench/lib/counting-store.ts).
import { Engine, openStore } from 'reprise/server';
import { StoreCounter, countingStore } from '../lib/counting-store.ts';
import { env, serveParent } from './parent-link.ts';

const url = env('BENCH_STORE');
const counter = process.env['BENCH_COUNT_STORE'] === '1' ? new StoreCounter() : undefined;
const store = counter ? countingStore(await openStore(url), counter) : undefined;
const engine = await Engine.open({ store: store ?? url });
const server = await engine.listen({ port: 0 });

serveParent({
  ready: { url: server.url },
  usage: () => (counter ? { store: counter.snapshot() } : {}),
  stop: async () => {
    await engine.close();
    await store?.close();
  },
});
