import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Connection } from 'reprise/client';
import { Worker } from 'reprise/worker';
import { reprise, serve } from '../../test/helpers/cli-binary.ts';
import type { Served } from '../../test/helpers/cli-binary.ts';
import { fixturesPath, tempDir, uniqueQueue } from '../../test/helpers/test-env.ts';

// `reprise namespace …` and `--namespace` of `reprise dev`: the real binary, in child processes,
// against a dev server over HTTP.
describe('reprise namespace (the binary, over HTTP)', () => {
  const tmp = tempDir();
  const db = join(tmp.dir, 'namespaces.db');
  let dev: Served;
  let env: Record<string, string>;

  before(async () => {
    dev = await serve(['dev', '--db', db, '--port', '0', '--namespace', 'billing', '-n', 'ops']);
    env = { REPRISE_ADDRESS: dev.address };
  });
  after(() => {
    if (dev.child.exitCode === null) dev.child.kill('SIGKILL');
    tmp.remove();
  });

  interface Described {
    namespace: string;
    description: string;
    createdAtMs: number;
  }

  test('dev --namespace creates the namespaces it names, which list shows beside default', async () => {
    const listed = await reprise(['namespace', 'list', '-o', 'json'], env);
    assert.equal(listed.code, 0, listed.err);
    const namespaces = JSON.parse(listed.out) as Described[];
    assert.deepEqual(
      namespaces.map((n) => n.namespace),
      ['billing', 'default', 'ops'],
    );
    const text = await reprise(['namespace', 'list'], env);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /^Namespace +CreatedAt +Description\nbilling +\d{4}-\d\d-\d\dT/);
  });

  test('create makes a namespace that describe shows; creating it again is refused with exit 1', async () => {
    const created = await reprise(
      ['namespace', 'create', 'team-a', '--description', 'Team A’s workflows'],
      env,
    );
    assert.deepEqual(created, { code: 0, out: 'Namespace team-a created.\n', err: '' });

    const json = await reprise(['namespace', 'describe', 'team-a', '-o', 'json'], env);
    assert.equal(json.code, 0, json.err);
    const described = JSON.parse(json.out) as Described;
    assert.equal(described.namespace, 'team-a');
    assert.equal(described.description, 'Team A’s workflows');
    assert.ok(Math.abs(described.createdAtMs - Date.now()) < 60_000, json.out);

    const text = await reprise(['namespace', 'describe', 'team-a'], env);
    assert.equal(text.code, 0, text.err);
    assert.match(
      text.out,
      /^Namespace:\n {2}Name +team-a\n {2}Description +Team A’s workflows\n {2}CreatedAt +\d{4}-/,
    );

    const again = await reprise(['namespace', 'create', 'team-a', '--description', 'other'], env);
    assert.equal(again.code, 1);
    assert.equal(again.out, '');
    assert.match(again.err, /^error: Namespace 'team-a' already exists\..*\n$/);
    const after = await reprise(['namespace', 'describe', 'team-a', '-o', 'json'], env);
    assert.deepEqual(JSON.parse(after.out), described);
  });

  test('a bad name, or an unknown namespace, is one line on stderr that says what to do, and exit 1', async () => {
    const bad = await reprise(['namespace', 'create', 'a/b'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^error: .*letters, digits, '\.', '-' and '_'.*\n$/);
    const missing = await reprise(['namespace', 'describe', 'nowhere'], env);
    assert.equal(missing.code, 1);
    assert.match(
      missing.err,
      /^error: Namespace 'nowhere' does not exist\..*reprise namespace create nowhere.*\n$/,
    );
    const listed = await reprise(['namespace', 'list', '-o', 'json'], env);
    assert.ok(!(JSON.parse(listed.out) as Described[]).some((n) => n.namespace === 'a/b'));
  });

  test('a worker in a namespace dev created runs what the CLI executes there', async () => {
    const connection = await Connection.connect({ address: dev.address });
    const taskQueue = uniqueQueue('cli-ns');
    const worker = await Worker.create({
      connection,
      namespace: 'billing',
      taskQueue,
      workflowsPath: fixturesPath('cli-workflows.ts'),
    });
    try {
      const executed = await worker.runUntil(
        reprise(
          ['workflow', 'execute', '-n', 'billing', '--type', 'add', '-t', taskQueue].concat([
            '-i',
            '2',
            '-i',
            '40',
            '-o',
            'json',
          ]),
          env,
        ),
      );
      assert.equal(executed.code, 0, executed.err);
      assert.equal((JSON.parse(executed.out) as { result: unknown }).result, 42);
    } finally {
      await connection.close();
    }
  });

  test('dev on the same file with --namespace of one that exists starts, and keeps its record', async () => {
    const before = await reprise(['namespace', 'describe', 'billing', '-o', 'json'], env);
    dev.child.kill('SIGTERM');
    assert.equal(await dev.exited, 0);
    const again = await serve(['dev', '--db', db, '--port', '0', '--namespace', 'billing']);
    try {
      const after = await reprise(['namespace', 'describe', 'billing', '-o', 'json'], {
        REPRISE_ADDRESS: again.address,
      });
      assert.equal(after.code, 0, after.err);
      assert.deepEqual(after.out, before.out);
    } finally {
      again.child.kill('SIGINT');
      assert.equal(await again.exited, 0);
    }
  });

  test('dev with a bad --namespace says so and exits 1', async () => {
    const r = await reprise(['dev', '--db', ':memory:', '--port', '0', '--namespace', 'a b']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^error: .*namespace name is 1 to 100 characters.*\n$/);
  });
});
