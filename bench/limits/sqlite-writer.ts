// One writer of the 8-concurrent SQLite commit limit: its own connection to the shared file,
// one single-row INSERT per BEGIN IMMEDIATE transaction, for BENCH_DURATION_MS after the
// parent says {type:'go'}; reports {type:'count', commits}.
import Database from 'better-sqlite3';

const path = process.env['BENCH_DB'] ?? '';
const synchronous = process.env['BENCH_SYNC'] ?? 'FULL';
const durationMs = Number(process.env['BENCH_DURATION_MS'] ?? '2000');

const db = new Database(path, { timeout: 10_000 });
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${synchronous}`);
const insert = db.prepare<[number, string]>('INSERT INTO t (writer, v) VALUES (?, ?)');
const commit = db.transaction((w: number) => {
  insert.run(w, 'x'.repeat(100));
});

process.on('message', (m: unknown) => {
  if (typeof m !== 'object' || m === null || (m as { type?: unknown }).type !== 'go') return;
  const end = performance.now() + durationMs;
  let commits = 0;
  while (performance.now() < end) {
    commit.immediate(process.pid);
    commits++;
  }
  db.close();
  // Disconnect once the count is written: before, the parent could see the exit first.
  process.send?.({ type: 'count', commits }, () => {
    process.disconnect();
  });
});
process.send?.({ type: 'ready' });
