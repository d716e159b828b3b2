// The physical limits on this machine, measured in the same run as the workloads:
// - single-row durable commits/s on SQLite WAL (synchronous FULL and NORMAL), one connection,
//   and 8 connections in 8 processes writing the same file at once;
// - the same on PostgreSQL 15 (synchronous_commit on), 1 client and 8 clients, if installed;
// - fdatasync/s on the temp directory's disk (what one FULL commit waits for);
// - a plain in-memory async loop of the W1 and W2 shapes (no engine).
import { fork } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { postgresAvailable, startCluster } from '../../test/helpers/postgres-cluster.ts';
import { compiledForkOptions } from '../lib/compile-hosts.ts';
import { compiledHost } from '../lib/hosts.ts';
import type { Measured } from '../lib/stats.ts';
import type { RepContext, Workload } from '../lib/workload.ts';

const DURATION_MS = 2000;
const WRITERS = 8;
const WRITER_SCRIPT = new URL('../limits/sqlite-writer.ts', import.meta.url).pathname;

function perSec(count: number, ms: number): Measured {
  return { value: (count * 1000) / ms, unit: 'commits/s' };
}

function openBench(path: string, synchronous: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, writer INTEGER, v TEXT)');
  return db;
}

function sqliteSequential(dir: string, synchronous: string): Measured {
  const db = openBench(join(dir, `seq-${synchronous}.db`), synchronous);
  const insert = db.prepare<[number, string]>('INSERT INTO t (writer, v) VALUES (?, ?)');
  const commit = db.transaction(() => {
    insert.run(0, 'x'.repeat(100));
  });
  for (let i = 0; i < 50; i++) commit.immediate();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < DURATION_MS) {
    commit.immediate();
    n++;
  }
  const elapsed = performance.now() - t0;
  db.close();
  return perSec(n, elapsed);
}

async function sqliteConcurrent(
  ctx: RepContext,
  dir: string,
  synchronous: string,
): Promise<Measured> {
  const path = join(dir, `conc-${synchronous}.db`);
  openBench(path, synchronous).close();
  const writer = compiledHost(ctx, WRITER_SCRIPT);
  const forked = compiledForkOptions(writer, ctx.childExecArgv);
  const children = Array.from({ length: WRITERS }, () =>
    fork(writer, [], {
      execArgv: forked.execArgv,
      env: {
        ...forked.env,
        BENCH_DB: path,
        BENCH_SYNC: synchronous,
        BENCH_DURATION_MS: String(DURATION_MS),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const next = (c: (typeof children)[number], type: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: unknown): void => {
        if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type) {
          c.off('message', onMessage);
          resolve(m as Record<string, unknown>);
        }
      };
      c.on('message', onMessage);
      // The channel's end, not the process's exit: a message sent just before exiting may be
      // read after the exit is seen, never after the channel closes.
      c.once('disconnect', () => {
        reject(
          new Error(
            `sqlite writer's channel closed before '${type}' (exit code ${String(c.exitCode)})`,
          ),
        );
      });
    });
  children.forEach((c, i) => {
    if (c.pid !== undefined) ctx.labelProcess(c.pid, `sqlite-writer-${i + 1}`);
  });
  await Promise.all(children.map((c) => next(c, 'ready')));
  const counts = children.map((c) => next(c, 'count'));
  const t0 = performance.now();
  for (const c of children) c.send({ type: 'go' });
  const results = await Promise.all(counts);
  const elapsed = Math.max(performance.now() - t0, DURATION_MS);
  const total = results.reduce(
    (a, r) => a + (typeof r['commits'] === 'number' ? r['commits'] : 0),
    0,
  );
  return perSec(total, elapsed);
}

function fdatasyncRate(dir: string): Measured {
  const fd = openSync(join(dir, 'fsync.bin'), 'w');
  const buf = Buffer.alloc(4096, 1);
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 1000) {
    writeSync(fd, buf, 0, buf.length, 0);
    fdatasyncSync(fd);
    n++;
  }
  const elapsed = performance.now() - t0;
  closeSync(fd);
  return { value: (n * 1000) / elapsed, unit: 'fdatasync/s' };
}

async function postgresLimits(ctx: RepContext): Promise<Record<string, Measured>> {
  const cluster = await startCluster({ stopWhenProcessEnds: true });
  try {
    const connect = async (): Promise<pg.Client> => {
      const c = new pg.Client({
        host: '127.0.0.1',
        port: cluster.port,
        user: cluster.user,
        database: 'postgres',
      });
      await c.connect();
      return c;
    };
    const setup = await connect();
    await setup.query('CREATE TABLE t (id bigserial PRIMARY KEY, writer int, v text)');
    const show = await setup.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
    if (show.rows[0]?.synchronous_commit !== 'on') throw new Error('synchronous_commit is not on');
    await setup.end();
    const run = async (clients: number): Promise<Measured> => {
      const conns = await Promise.all(Array.from({ length: clients }, connect));
      for (const c of conns)
        for (let i = 0; i < 20; i++)
          await c.query('INSERT INTO t (writer, v) VALUES ($1, $2)', [0, 'x']);
      let n = 0;
      const t0 = performance.now();
      await Promise.all(
        conns.map(async (c, w) => {
          const v = 'x'.repeat(100);
          while (performance.now() - t0 < DURATION_MS) {
            await c.query('INSERT INTO t (writer, v) VALUES ($1, $2)', [w, v]);
            n++;
          }
        }),
      );
      const elapsed = performance.now() - t0;
      await Promise.all(conns.map((c) => c.end()));
      return perSec(n, elapsed);
    };
    const seq = await run(1);
    const eight = await run(WRITERS);
    ctx.log(
      `limits rep ${ctx.rep}: PostgreSQL 1 client ${seq.value.toFixed(0)}/s, 8 clients ${eight.value.toFixed(0)}/s`,
    );
    return { postgresSeqCommitsPerSec: seq, postgres8CommitsPerSec: eight };
  } finally {
    cluster.stop();
  }
}

async function addOne(x: number): Promise<number> {
  return Promise.resolve(x + 1);
}

/** W1's shape with no engine: one loop of 200 sequential awaited steps. */
async function memW1(): Promise<Measured> {
  const steps = 200;
  const loops = 2000;
  let x = 0;
  for (let i = 0; i < 200; i++) for (let s = 0; s < steps; s++) x = await addOne(x);
  const t0 = performance.now();
  for (let i = 0; i < loops; i++) for (let s = 0; s < steps; s++) x = await addOne(x);
  const elapsed = performance.now() - t0;
  if (x === 0) throw new Error('unreachable');
  return { value: elapsed / (loops * steps), unit: 'ms' };
}

/** W2's shape with no engine: 500 concurrent loops of 10 awaited steps. */
async function memW2(): Promise<Measured> {
  const shape = async (): Promise<number> => {
    const results = await Promise.all(
      Array.from({ length: 500 }, async () => {
        let x = 0;
        for (let s = 0; s < 10; s++) x = await addOne(x);
        return x;
      }),
    );
    return results.length * 10;
  };
  for (let i = 0; i < 20; i++) await shape();
  const t0 = performance.now();
  let steps = 0;
  for (let i = 0; i < 200; i++) steps += await shape();
  const elapsed = performance.now() - t0;
  return { value: (steps * 1000) / elapsed, unit: 'steps/s' };
}

export const limits: Workload = {
  id: 'limits',
  title: 'physical limits',
  timeLimitMs: 300_000,
  hosts: [WRITER_SCRIPT],
  processLabel: 'bench (limits)',
  params: () => ({
    commitRow: 'one INSERT of ~100 bytes per transaction',
    durationMsEach: DURATION_MS,
    concurrentWriters: WRITERS,
    postgres: postgresAvailable()
      ? 'PostgreSQL 15, throwaway cluster on 127.0.0.1'
      : 'not installed',
  }),
  async rep(ctx) {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-limits-'));
    const figures: Record<string, Measured> = {};
    const notes: string[] = [];
    try {
      figures['fdatasyncPerSec'] = fdatasyncRate(dir);
      figures['sqliteFullSeqCommitsPerSec'] = sqliteSequential(dir, 'FULL');
      figures['sqliteNormalSeqCommitsPerSec'] = sqliteSequential(dir, 'NORMAL');
      figures['sqliteFull8CommitsPerSec'] = await sqliteConcurrent(ctx, dir, 'FULL');
      figures['sqliteNormal8CommitsPerSec'] = await sqliteConcurrent(ctx, dir, 'NORMAL');
      if (postgresAvailable()) Object.assign(figures, await postgresLimits(ctx));
      else notes.push('PostgreSQL 15 not installed: no PostgreSQL figures');
      figures['memW1MsPerStep'] = await memW1();
      figures['memW2StepsPerSec'] = await memW2();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return { figures, notes };
  },
};
