import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
const stats: Record<string, { n: number; ms: number }> = {};
for (const name of ['findRun', 'findTask', 'getRun', 'readHistory', 'appendToRun', 'createRun', 'hasNamespace', 'listWorkerRegistrations']) {
  const orig = (SqliteStore.prototype as any)[name];
  (SqliteStore.prototype as any)[name] = function (this: unknown, ...args: unknown[]) {
    const t0 = performance.now();
    try { return orig.apply(this, args); } finally { const s = (stats[name] ??= { n: 0, ms: 0 }); s.n++; s.ms += performance.now() - t0; }
  };
}
process.on('exit', () => { for (const [k, v] of Object.entries(stats)) console.error(k, v.n, (v.ms / v.n * 1000).toFixed(1) + ' us avg sync'); });
