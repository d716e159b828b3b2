// The throwaway cluster of a test process that runs alone does not outlive it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import { postgresAvailable } from './postgres-cluster.ts';

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

test(
  'a test process killed by a signal leaves no cluster running',
  { skip: !postgresAvailable() && 'PostgreSQL 15 is not installed', timeout: 60_000 },
  async () => {
    const env = { ...process.env };
    delete env['REPRISE_TEST_POSTGRES_URL'];
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        "import('./test/helpers/postgres.ts').then(async (m) => { console.log(await m.testPostgresUrl()); setInterval(() => {}, 1000); })",
      ],
      { env, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const port = Number(new URL(line.toString().trim()).port);
    assert.equal(await accepts(port), true);
    child.kill('SIGKILL');
    await once(child, 'exit');
    // The watcher stops the cluster within a second or two of the process's end.
    while (await accepts(port)) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await accepts(port), false);
  },
);
