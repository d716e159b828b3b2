// A throwaway PostgreSQL 15 cluster on 127.0.0.1, from the machine's /usr/lib/postgresql/15/bin:
// initdb in a temp directory, start, use, stop, remove. For the tests of the PostgreSQL store
// (through test/helpers/postgres.ts) and the bench (its commit limit, its service mode). Root
// cannot run postgres, so as root the cluster runs as the `postgres` user (runuser).
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export function postgresAvailable(): boolean {
  return existsSync(join(PG_BIN, 'postgres'));
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

export interface Cluster {
  readonly port: number;
  readonly user: string;
  /** `postgres://user@127.0.0.1:port/postgres`. */
  readonly url: string;
  stop(): void;
}

export interface ClusterOptions {
  /**
   * Whether commits wait for the disk (default true: the durable configuration the bench
   * measures). Tests turn it off: they test behaviour, not durability against power loss.
   */
  fsync?: boolean | undefined;
  /**
   * Stop and remove the cluster once this process is gone, however it ends (a signal, a test
   * runner's timeout): a watcher process outlives it to do so. Off by default, for a cluster
   * meant to outlive the process that started it.
   */
  stopWhenProcessEnds?: boolean | undefined;
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  if (!postgresAvailable()) {
    throw new Error(
      `PostgreSQL 15 is not installed (${PG_BIN}/postgres is missing): install it with ` +
        "'apt-get install -y postgresql-15', or set REPRISE_TEST_POSTGRES_URL to a server.",
    );
  }
  const fsync = (opts.fsync ?? true) ? 'on' : 'off';
  const root = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'reprise-pg-'));
  const data = join(dir, 'data');
  const asPg = (bin: string, args: string[]): void => {
    const file = join(PG_BIN, bin);
    if (root) execFileSync('runuser', ['-u', 'postgres', '--', file, ...args], { stdio: 'pipe' });
    else execFileSync(file, args, { stdio: 'pipe' });
  };
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const user = root ? 'postgres' : userInfo().username;
  const port = await freePort();
  try {
    asPg('initdb', ['-D', data, '-U', user, '-A', 'trust', '--no-sync']);
    asPg('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-w',
      '-o',
      `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=${fsync} -c synchronous_commit=on -c max_connections=300`,
      'start',
    ]);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  let watcher: number | undefined;
  if (opts.stopWhenProcessEnds === true) {
    const pgCtl = `${root ? 'runuser -u postgres -- ' : ''}'${join(PG_BIN, 'pg_ctl')}'`;
    const child = spawn(
      'sh',
      [
        '-c',
        `while kill -0 ${String(process.pid)} 2>/dev/null; do sleep 1; done; ` +
          `${pgCtl} -D '${data}' -m immediate -w stop >/dev/null 2>&1; rm -rf '${dir}'`,
      ],
      { detached: true, stdio: 'ignore' },
    );
    child.unref();
    watcher = child.pid;
  }
  return {
    port,
    user,
    url: `postgres://${user}@127.0.0.1:${port}/postgres`,
    stop: () => {
      // Stopped here, the cluster needs no watcher: it goes, with its sleep (its own group).
      if (watcher !== undefined) {
        try {
          process.kill(-watcher, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
      try {
        asPg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
