import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Connection } from 'reprise/client';
import { Worker } from 'reprise/worker';
import { reprise, serve } from '../../test/helpers/cli-binary.ts';
import type { Served } from '../../test/helpers/cli-binary.ts';
import { freshSchema, testPostgresUrl } from '../../test/helpers/postgres.ts';
import { fixturesPath, tempDir, uniqueQueue } from '../../test/helpers/test-env.ts';

// The real binary, in child processes, against `reprise dev` over HTTP; a worker in this process.

/** The status of `GET /api/v1/health` at `address` (`127.0.0.1:PORT`) sent with Host `host`. */
function healthAs(address: string, host: string): Promise<number> {
  const [hostname, port] = address.split(':');
  return new Promise((resolve, reject) => {
    request(
      { hostname, port, path: '/api/v1/health', setHost: false, headers: { host } },
      (res) => {
        res.resume();
        res.on('end', () => {
          resolve(res.statusCode ?? 0);
        });
      },
    )
      .on('error', reject)
      .end();
  });
}

describe('reprise (the binary, over HTTP)', () => {
  const tmp = tempDir();
  const db = join(tmp.dir, 'dev.db');
  const taskQueue = uniqueQueue('cli-bin');
  let dev: Served;
  let worker: Worker;
  let running: Promise<void>;
  let closeConnection: () => Promise<void>;

  before(async () => {
    dev = await serve(['dev', '--db', db, '--port', '0']);
    const connection = await Connection.connect({ address: dev.address });
    closeConnection = () => connection.close();
    worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: fixturesPath('cli-workflows.ts'),
    });
    running = worker.run();
  });
  after(async () => {
    if (worker.state === 'RUNNING') await worker.shutdown();
    await running;
    await closeConnection();
    if (dev.child.exitCode === null) dev.child.kill('SIGKILL');
    tmp.remove();
  });

  test('dev prints the URL it serves, and workflow commands reach it', async () => {
    assert.match(dev.line, /^Reprise is serving .*dev\.db at http:\/\/127\.0\.0\.1:\d+ \(web UI: /);
    const env = { REPRISE_ADDRESS: dev.address };
    const executed = await reprise(
      [
        'workflow',
        'execute',
        '--type',
        'add',
        '-t',
        taskQueue,
        '-i',
        '2',
        '-i',
        '40',
        '-o',
        'json',
      ],
      env,
    );
    assert.equal(executed.code, 0, executed.err);
    assert.equal((JSON.parse(executed.out) as { result: unknown }).result, 42);

    // --address as a flag: the environment's is only the default.
    const started = await reprise(
      [
        'workflow',
        'start',
        '--address',
        dev.address,
        '--type',
        'greeter',
        '-t',
        taskQueue,
        '-w',
        'greet-dev',
        '-i',
        '"Di"',
      ],
      { REPRISE_ADDRESS: '127.0.0.1:1' },
    );
    assert.equal(started.code, 0, started.err);
    assert.match(started.out, /WorkflowId +greet-dev\n/);
  });

  test('dev exits 0 on SIGTERM, and a dev server on the same file still has the runs', async () => {
    await worker.shutdown();
    await running;
    dev.child.kill('SIGTERM');
    assert.equal(await dev.exited, 0);

    const again = await serve(['dev', '--db', db, '--port', '0']);
    try {
      const described = await reprise(['workflow', 'describe', '-w', 'greet-dev'], {
        REPRISE_ADDRESS: again.address,
      });
      assert.equal(described.code, 0, described.err);
      assert.match(described.out, /WorkflowId +greet-dev\n/);
      assert.match(described.out, /Status +Running\n/);
    } finally {
      again.child.kill('SIGINT');
      assert.equal(await again.exited, 0);
    }
  });

  test('a server that cannot be reached is one line on stderr and exit 1', async () => {
    const r = await reprise(['workflow', 'list', '--address', '127.0.0.1:1']);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.match(r.err, /^error: .*127\.0\.0\.1:1.*\n$/);
  });

  test('server on a PostgreSQL store (URL from REPRISE_STORE) serves runs, and its line hides the password', async () => {
    const url = new URL(await testPostgresUrl());
    url.password = 's3cret';
    url.searchParams.set('schema', freshSchema());
    const served = await serve(['server', '--port', '0'], { REPRISE_STORE: url.toString() });
    try {
      assert.doesNotMatch(served.line, /s3cret/);
      assert.match(served.line, /postgres:\/\/[^ ]*:\*\*\*@127\.0\.0\.1/);
      const started = await reprise(
        ['workflow', 'start', '--type', 'greeter', '-t', 'pg-q', '-w', 'on-pg', '-i', '"Pg"'],
        { REPRISE_ADDRESS: served.address },
      );
      assert.equal(started.code, 0, started.err);
      const counted = await reprise(['workflow', 'count'], { REPRISE_ADDRESS: served.address });
      assert.deepEqual(counted, { code: 0, out: 'Total: 1\n', err: '' });
    } finally {
      served.child.kill('SIGTERM');
      assert.equal(await served.exited, 0);
    }
  });

  test('server on a PostgreSQL store that cannot be reached is one line, without the password, and exit 1', async () => {
    const r = await reprise([
      'server',
      '--store',
      'postgres://ann:secret@127.0.0.1:1/reprise',
      '--port',
      '0',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^error: .*PostgreSQL.*\n$/);
    assert.doesNotMatch(r.err, /secret/);
  });

  test('dev answers the hosts --allowed-host or REPRISE_ALLOWED_HOSTS name, and no other', async () => {
    const flagged = await serve(
      [
        'dev',
        '--db',
        ':memory:',
        '--port',
        '0',
        '--allowed-host',
        'reprise.test',
        '--allowed-host',
        '.corp.test',
      ],
      { REPRISE_ALLOWED_HOSTS: 'ignored.test' },
    );
    const fromEnv = await serve(['dev', '--db', ':memory:', '--port', '0'], {
      REPRISE_ALLOWED_HOSTS: 'reprise.test, .corp.test',
    });
    try {
      for (const served of [flagged, fromEnv]) {
        assert.equal(await healthAs(served.address, 'reprise.test'), 200);
        assert.equal(await healthAs(served.address, 'a.corp.test:7233'), 200);
        assert.equal(await healthAs(served.address, 'evil.example'), 403);
      }
      // The flag, when given, replaces the environment's list.
      assert.equal(await healthAs(flagged.address, 'ignored.test'), 403);
    } finally {
      flagged.child.kill('SIGTERM');
      fromEnv.child.kill('SIGTERM');
      assert.equal(await flagged.exited, 0);
      assert.equal(await fromEnv.exited, 0);
    }
  });

  test("dev --allowed-host '*' answers any host; a name that is not one is refused", async () => {
    const any = await serve(['dev', '--db', ':memory:', '--port', '0', '--allowed-host', '*']);
    try {
      assert.equal(await healthAs(any.address, 'behind-a-proxy.example'), 200);
    } finally {
      any.child.kill('SIGTERM');
      assert.equal(await any.exited, 0);
    }
    const bad = await reprise([
      'dev',
      '--db',
      ':memory:',
      '--port',
      '0',
      '--allowed-host',
      'http://x.test',
    ]);
    assert.equal(bad.code, 1);
    assert.match(
      bad.err,
      /^error: 'http:\/\/x\.test' in allowedHosts \(--allowed-host\) is not a host name/,
    );
  });

  test('server with --api-key refuses clients without the key', async () => {
    const served = await serve([
      'server',
      '--store',
      `sqlite:${join(tmp.dir, 'server.db')}`,
      '--port',
      '0',
      '--api-key',
      'k3y',
    ]);
    try {
      const without = await reprise(['workflow', 'list', '--address', served.address]);
      assert.equal(without.code, 1);
      assert.match(without.err, /^error: .*\n$/);
      const withKey = await reprise(['workflow', 'count', '--address', served.address], {
        REPRISE_API_KEY: 'k3y',
      });
      assert.deepEqual(withKey, { code: 0, out: 'Total: 0\n', err: '' });
    } finally {
      served.child.kill('SIGTERM');
      assert.equal(await served.exited, 0);
    }
  });
});
