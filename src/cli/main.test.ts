import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine } from 'reprise/server';
import { Worker } from 'reprise/worker';
import { capturedIo, shellWords } from '../../test/helpers/captured-io.ts';
import { fixturesPath, tempDir, uniqueQueue, waitFor } from '../../test/helpers/test-env.ts';
import { main } from './main.ts';

// The commands, run in-process against an engine in this process (cli.test.ts runs the binary
// against a server over HTTP).
describe('reprise (in-process)', () => {
  let engine: Engine;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueQueue('cli');
  const tmp = tempDir();

  before(async () => {
    engine = await Engine.open({ store: `sqlite:${join(tmp.dir, 'cli.db')}` });
    worker = await Worker.create({
      connection: engine.connection,
      taskQueue,
      workflowsPath: fixturesPath('cli-workflows.ts'),
    });
    running = worker.run();
  });
  after(async () => {
    await worker.shutdown();
    await running;
    await engine.close();
    tmp.remove();
  });

  /** Runs 'reprise <line>', the line split as a shell would. */
  async function reprise(line: string): Promise<{ code: number; out: string; err: string }> {
    const io = capturedIo();
    const code = await main(shellWords(line), {
      io,
      connect: () => Promise.resolve({ connection: engine.connection, close: async () => {} }),
    });
    return { code, out: io.stdout(), err: io.stderr() };
  }

  /** Starts a greeter run (which waits for its finish signal) with 'workflowId'. */
  async function startGreeter(workflowId: string, nameJson: string): Promise<void> {
    const r = await reprise(
      `workflow start --type greeter -t ${taskQueue} -w ${workflowId} -i '${nameJson}'`,
    );
    assert.equal(r.code, 0, r.err);
  }

  test('start prints the new run; describe, query, update, signal and result reach it', async () => {
    const started = await reprise(
      `workflow start --type greeter -t ${taskQueue} -w greet-ann -i '"Ann"'`,
    );
    assert.equal(started.code, 0, started.err);
    assert.match(started.out, /^Running execution:\n {2}WorkflowId +greet-ann\n {2}RunId +\S+\n/);
    assert.match(started.out, /Type +greeter\n/);
    assert.match(started.out, /Args +\["Ann"\]\n/);

    const described = await reprise('workflow describe -w greet-ann');
    assert.equal(described.code, 0, described.err);
    assert.match(described.out, /Status +Running\n/);

    const queried = await reprise('workflow query -w greet-ann --name status');
    assert.deepEqual(queried, { code: 0, out: '"waiting to greet Ann with Hello"\n', err: '' });

    const updated = await reprise(
      `workflow update -w greet-ann --name setGreeting -i '"Hi"' -o json`,
    );
    assert.equal(updated.code, 0, updated.err);
    assert.deepEqual(JSON.parse(updated.out), { result: 'Hello' });

    const stack = await reprise('workflow stack -w greet-ann');
    assert.equal(stack.code, 0, stack.err);
    assert.match(stack.out, /cli-workflows\.ts/);

    const signaled = await reprise(`workflow signal -w greet-ann --name finish -i '"!"'`);
    assert.equal(signaled.code, 0, signaled.err);
    assert.equal(signaled.out, "Signal 'finish' sent to workflow greet-ann.\n");

    const result = await reprise('workflow result -w greet-ann');
    assert.deepEqual(result, {
      code: 0,
      out: 'Results:\n  Status  Completed\n  Result  "Hi, Ann!"\n',
      err: '',
    });
  });

  test('execute passes each --input as one argument and prints the result', async () => {
    const json = await reprise(
      `workflow execute --type add -t ${taskQueue} -w add-1 -i 2 -i 3 -o json`,
    );
    assert.equal(json.code, 0, json.err);
    const printed = JSON.parse(json.out) as Record<string, unknown>;
    assert.equal(printed['status'], 'Completed');
    assert.equal(printed['result'], 5);
    assert.equal(printed['workflowId'], 'add-1');
  });

  test('a workflow that fails makes execute and result exit 1, saying why', async () => {
    const executed = await reprise(`workflow execute --type refuse -t ${taskQueue} -w refused`);
    assert.equal(executed.code, 1);
    assert.match(
      executed.out,
      /Status +Failed\n {2}Failure +The order was refused\n {2}Type +OrderRefused\n$/,
    );
    const result = await reprise('workflow result -w refused -o json');
    assert.equal(result.code, 1);
    assert.deepEqual(JSON.parse(result.out), {
      status: 'Failed',
      failure: { message: 'The order was refused', type: 'OrderRefused' },
    });
  });

  test('list and count take a list filter', async () => {
    await reprise(`workflow execute --type add -t ${taskQueue} -w add-list -i 1 -i 1`);
    const listed = await reprise(`workflow list -q "WorkflowId = 'add-list'"`);
    assert.equal(listed.code, 0, listed.err);
    assert.match(
      listed.out,
      /^Status +WorkflowId +Type +StartTime\nCompleted +add-list +add +\d{4}-/,
    );
    assert.equal(listed.out.split('\n').length, 3);

    const json = await reprise(`workflow list -q "WorkflowType = 'add'" -o json --limit 1`);
    const runs = JSON.parse(json.out) as { type: string }[];
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.type, 'add');

    const counted = await reprise(
      `workflow count -q "WorkflowType = 'add' GROUP BY ExecutionStatus"`,
    );
    assert.equal(counted.code, 0, counted.err);
    assert.match(counted.out, /^Total: [2-9]\n {2}Completed: [2-9]\n$/);
  });

  test('show prints the history one event a line, and its JSON replays with reprise replay', async () => {
    await startGreeter('greet-show', '"Bo"');
    await reprise(`workflow signal -w greet-show --name finish -i '"."'`);
    await reprise('workflow result -w greet-show');

    const text = await reprise('workflow show -w greet-show');
    assert.equal(text.code, 0, text.err);
    const lines = text.out.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ID +Time +Type +Details$/);
    assert.match(lines[1] ?? '', /^ {1}1 +\d{4}-\d\d-\d\dT\S+Z +WorkflowExecutionStarted +\{/);
    assert.match(lines.at(-1) ?? '', /WorkflowExecutionCompleted/);

    const json = await reprise('workflow show -w greet-show -o json');
    const file = join(tmp.dir, 'greet-show.json');
    writeFileSync(file, json.out);
    const replayed = await reprise(
      `replay --workflows ${fixturesPath('cli-workflows.ts')} ${file}`,
    );
    assert.equal(replayed.code, 0, replayed.err);
    assert.match(replayed.out, /^OK +greet-show \(run \S+\)\n$/);

    const changed = await reprise(
      `replay --workflows ${fixturesPath('cli-workflows-changed.ts')} ${file}`,
    );
    assert.equal(changed.code, 1);
    assert.match(changed.out, /^FAILED +greet-show \(run \S+\): DeterminismViolationError: .+/);

    const live = await reprise(
      `replay --workflows ${fixturesPath('cli-workflows-changed.ts')} -w greet-show -o json`,
    );
    assert.equal(live.code, 1);
    const [result] = JSON.parse(live.out) as { ok: boolean; error: { name: string } }[];
    assert.equal(result?.ok, false);
    assert.equal(result.error.name, 'DeterminismViolationError');
  });

  test('cancel and terminate end a running workflow', async () => {
    for (const [id, command, status] of [
      ['greet-cancel', 'cancel', 'Canceled'],
      ['greet-term', 'terminate --reason testing', 'Terminated'],
    ] as const) {
      await startGreeter(id, '"Cy"');
      const ended = await reprise(`workflow ${command} -w ${id}`);
      assert.equal(ended.code, 0, ended.err);
      await waitFor(async () => {
        const d = await reprise(`workflow describe -w ${id} -o json`);
        return (JSON.parse(d.out) as { status: string }).status === status;
      }, `${id} ${status}`);
    }
    const result = await reprise('workflow result -w greet-term');
    assert.equal(result.code, 1);
    assert.match(result.out, /Status +Terminated\n {2}Failure +testing\n$/);
  });

  test('schedule create, describe, pause, trigger, list and delete', async () => {
    const created = await reprise(
      `schedule create -s nightly-add --cron '0 3 * * *' --workflow-type add -t ${taskQueue} -w nightly-add-run -i 20 -i 22`,
    );
    assert.deepEqual(created, { code: 0, out: 'Schedule nightly-add created.\n', err: '' });

    const paused = await reprise('schedule pause -s nightly-add --reason holidays');
    assert.equal(paused.code, 0, paused.err);
    const described = await reprise('schedule describe -s nightly-add');
    assert.equal(described.code, 0, described.err);
    assert.match(described.out, /WorkflowType +add\n/);
    assert.match(described.out, /Args +\[20,22\]\n/);
    assert.match(described.out, /Paused +true\n {2}Note +holidays\n/);

    const triggered = await reprise('schedule trigger -s nightly-add');
    assert.equal(triggered.code, 0, triggered.err);
    await waitFor(async () => {
      const r = await reprise(
        `workflow list -q "WorkflowType = 'add' AND ExecutionStatus = 'Completed'" -o json`,
      );
      return (JSON.parse(r.out) as { workflowId: string }[]).some((w) =>
        w.workflowId.startsWith('nightly-add-run'),
      );
    }, 'the triggered run');

    const listed = await reprise('schedule list');
    assert.match(
      listed.out,
      /^ScheduleId +WorkflowType +Paused +Spec +NextRunTime\nnightly-add +add +true +/,
    );

    const deleted = await reprise('schedule delete -s nightly-add');
    assert.equal(deleted.code, 0, deleted.err);
    const gone = await reprise('schedule describe -s nightly-add');
    assert.equal(gone.code, 1);
    assert.match(gone.err, /^error: .*nightly-add.*\n$/);

    const when = await reprise(`schedule create -s never --workflow-type add -t ${taskQueue}`);
    assert.equal(when.code, 1);
    assert.match(when.err, /^error: A schedule needs --cron or --interval/);
  });

  test('dev --db :memory: serves until asked to stop, then closes and returns 0', async () => {
    const io = capturedIo();
    const serving = main(shellWords('dev --db :memory: --port 0'), { io });
    await waitFor(() => io.stdout().includes('\n'), 'the line saying where it serves');
    const url = /at (http:\/\/127\.0\.0\.1:\d+) \(web UI: \1\/\)/.exec(io.stdout())?.[1];
    assert.ok(url !== undefined, io.stdout());
    assert.match(io.stdout(), /^Reprise is serving an in-memory database at /);
    const health = await fetch(`${url}/api/v1/health`);
    assert.deepEqual(await health.json(), { status: 'ok' });
    io.stop();
    assert.equal(await serving, 0);
    await assert.rejects(fetch(`${url}/api/v1/health`), 'the server is closed');
  });

  test('bad input prints one line to stderr, exits 1 and starts nothing', async () => {
    const cases: [string, RegExp][] = [
      [
        'workflow strat',
        /^error: unknown command 'strat' \(Did you mean start\?\) See 'reprise workflow --help'\.\n$/,
      ],
      [
        'workflow describe',
        /^error: required option '-w, --workflow-id <id>' not specified\. See 'reprise workflow describe --help'\.\n$/,
      ],
      [
        `workflow start --type add -t ${taskQueue} -w bad-input -i {nope}`,
        /^error: --input '\{nope\}' is not JSON \(.+\)\. Pass one JSON value per --input, e\.g\. .+\n$/,
      ],
      [
        'workflow describe -w no-such-workflow',
        /^error: No workflow 'no-such-workflow' in namespace 'default'\. .+\n$/,
      ],
      [
        'workflow list -o yaml',
        /^error: option '-o, --output <format>' argument 'yaml' is invalid\. .+\n$/,
      ],
      ['workflow list --limit lots', /^error: --limit 'lots': .+\n$/],
      ['dev --port 70000', /^error: --port '70000': must be 0 to 65535\.\n$/],
      [
        'replay --workflows nowhere.ts h.json',
        /^error: --workflows 'nowhere.ts': no such file\. .+\n$/,
      ],
    ];
    for (const [line, message] of cases) {
      const r = await reprise(line);
      assert.equal(r.code, 1, line);
      assert.equal(r.out, '', line);
      assert.match(r.err, message);
      assert.equal(r.err.split('\n').length, 2, `one line for ${line}: ${r.err}`);
    }
    const d = await reprise('workflow describe -w bad-input');
    assert.equal(d.code, 1, 'the start with malformed input started nothing');
  });
});
