// A throwaway PostgreSQL 15 cluster on 127.0.0.1 for the commit limit: initdb in a temp
// directory, start, measure, stop, remove. Root cannot run postgres, so as root the cluster runs
// as the `postgres` user (runuser).
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export function postgresAvailable(): boolean {
  return existsSync(join(PG_BIN, 'postgres'));
}

async function freePort(): Promise<number> {
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
  stop(): void;
}

export async function startCluster(): Promise<Cluster> {
  const root = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-pg-'));
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
      `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=on -c synchronous_commit=on`,
      'start',
    ]);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    port,
    user,
    stop: () => {
      try {
        asPg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
