// The runner end to end, as `npm run bench` runs it: compiled repetitions and hosts, real child
// processes, a real SQLite file, HTTP on 127.0.0.1.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

const RUN = new URL('./run.ts', import.meta.url).pathname;
const PROFILE_SUMMARY = new URL('./profile-summary.ts', import.meta.url).pathname;
const MARKER_VAR = 'BENCH_TEST_MARKER';

/** The live processes whose environment holds `marker` (every process the runner started). */
function processesMarked(marker: string): number[] {
  const needle = `${MARKER_VAR}=${marker}`;
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${name}/environ`, 'utf8');
    } catch {
      continue; // Gone, or not ours to read.
    }
    if (environ.split('\0').includes(needle)) out.push(Number(name));
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-test-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs bench/run.ts with `args` and `--out`, under a fresh marker; resolves once it exited, with
 * the lines it wrote to `--out`. Its exit is awaited, not the end of its output: a process it
 * left running would hold the output open.
 */
async function runBench(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{
  code: number | null;
  lines: string[];
  stderr: string;
  marker: string;
}> {
  const marker = randomUUID();
  const out = join(dir, `${marker}.jsonl`);
  const child = spawn(process.execPath, ['--import', 'tsx', RUN, ...args, '--out', out], {
    env: { ...process.env, ...env, [MARKER_VAR]: marker },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.stderr.destroy();
  const lines = existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : [];
  return { code, lines, stderr, marker };
}

interface Line {
  workload: string;
  mode: string;
  reps: number;
  figures: Record<string, { median: number; unit: string }>;
  peakRssMiB: Record<string, number>;
  params: Record<string, unknown>;
  errors?: string[];
}

describe('bench/run.ts --mode service', () => {
  test(
    'W1 at the smallest scale runs the engine, a worker and the client as processes of their own, reports one line, and leaves no process behind',
    { timeout: 120_000 },
    async () => {
      const r = await runBench(['W1', '--mode', 'service', '--scale', 'smoke', '--reps', '1']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.lines.length, 1);
      const line = JSON.parse(r.lines[0]!) as Line;
      assert.equal(line.errors, undefined);
      assert.equal(line.workload, 'W1');
      assert.equal(line.mode, 'service');
      assert.equal(line.reps, 1);
      assert.equal(line.params['mode'], 'service');
      assert.equal(line.params['workers'], 1);
      assert.equal(line.params['steps'], 10);
      // One figure of each process's CPU, and the engine process's store calls read back.
      for (const figure of [
        'msPerStep',
        'cpuMsPerStep',
        'engineCpuMsPerStep',
        'workersCpuMsPerStep',
        'clientCpuMsPerStep',
        'durableCommitsPerStep',
      ]) {
        assert.ok((line.figures[figure]?.median ?? 0) > 0, `${figure} > 0`);
      }
      assert.deepEqual(Object.keys(line.peakRssMiB).sort(), [
        'bench (client)',
        'engine',
        'total',
        'worker',
      ]);
      // The runner waited for its repetition, which waited for the hosts it stopped.
      const left = processesMarked(r.marker);
      for (const pid of left) process.kill(pid, 'SIGKILL');
      assert.deepEqual(left, []);
    },
  );

  test('a workload that does not run in service mode is refused, naming those that do', async () => {
    const r = await runBench(['W6', '--mode', 'service']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /W6 does not run in service mode.*Service mode runs W1, W1-cold, W2/);
    assert.deepEqual(r.lines, []);
  });

  test(
    'W1 on --store postgres runs the engine host on a throwaway PostgreSQL cluster, and leaves no process behind',
    { timeout: 180_000 },
    async () => {
      const r = await runBench([
        'W1',
        '--mode',
        'service',
        '--store',
        'postgres',
        '--scale',
        'smoke',
        '--reps',
        '1',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const line = JSON.parse(r.lines[0]!) as Line & { store: string };
      assert.equal(line.errors, undefined);
      assert.equal(line.store, 'postgres');
      assert.ok((line.figures['msPerStep']?.median ?? 0) > 0);
      assert.ok((line.figures['durableCommitsPerStep']?.median ?? 0) > 0);
      const left = processesMarked(r.marker);
      for (const pid of left) process.kill(pid, 'SIGKILL');
      assert.deepEqual(left, []);
    },
  );

  test(
    'W2 with --engines 2 runs two engine processes on one PostgreSQL schema, each serving a worker, and leaves no process behind',
    { timeout: 180_000 },
    async () => {
      const r = await runBench([
        'W2',
        '--mode',
        'service',
        '--store',
        'postgres',
        '--engines',
        '2',
        '--workers',
        '2',
        '--scale',
        'smoke',
        '--reps',
        '1',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const line = JSON.parse(r.lines[0]!) as Line;
      assert.equal(line.errors, undefined);
      assert.equal(line.params['engines'], 2);
      assert.deepEqual(Object.keys(line.peakRssMiB).sort(), [
        'bench (client)',
        'engine',
        'engine#2',
        'total',
        'worker',
        'worker#2',
      ]);
      assert.ok((line.figures['stepsPerSec']?.median ?? 0) > 0);
      assert.ok((line.figures['engineCpuMsPerStep']?.median ?? 0) > 0);
      const left = processesMarked(r.marker);
      for (const pid of left) process.kill(pid, 'SIGKILL');
      assert.deepEqual(left, []);
    },
  );

  test('--engines is refused without --mode service --store postgres', async () => {
    for (const args of [
      ['W2', '--engines', '2', '--store', 'postgres'],
      ['W2', '--engines', '2', '--mode', 'service'],
    ]) {
      const r = await runBench(args);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--engines is for --mode service --store postgres/);
      assert.deepEqual(r.lines, []);
    }
  });

  test('a workload that reads the SQLite file itself is refused on --store postgres', async () => {
    const r = await runBench(['W6', '--store', 'postgres']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /W6 does not run on --store postgres.*PostgreSQL runs W1, W1-cold, W2/);
    assert.deepEqual(r.lines, []);
  });

  test('--workers is refused in embedded mode', async () => {
    const r = await runBench(['W2', '--workers', '2']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--workers is for --mode service/);
  });
});

describe('BENCH_PROFILE_HOSTS', () => {
  test(
    "profiles each host a repetition forks, and profile-summary lists them and reads a host's measured phase",
    { timeout: 120_000 },
    async () => {
      const profiles = join(dir, `profiles-${randomUUID()}`);
      mkdirSync(profiles);
      const window = join(profiles, 'window.json');
      const r = await runBench(['W1', '--mode', 'service', '--scale', 'smoke', '--reps', '1'], {
        BENCH_PROFILE_HOSTS: profiles,
        BENCH_PROFILE_WINDOW: window,
      });
      assert.equal(r.code, 0, r.stderr);
      // The engine's host and the worker's: the repetition itself was not asked to profile.
      const files = readdirSync(profiles).filter((f) => f.endsWith('.cpuprofile'));
      assert.equal(files.length, 2, files.join(', '));
      for (const f of files) {
        const profile = JSON.parse(readFileSync(join(profiles, f), 'utf8')) as {
          nodes: unknown[];
          samples: unknown[];
        };
        assert.ok(profile.nodes.length > 0 && profile.samples.length > 0, f);
      }
      const summary = execFileSync(
        process.execPath,
        ['--import', 'tsx', PROFILE_SUMMARY, profiles, '--window', window, '--top', '5'],
        { encoding: 'utf8' },
      );
      assert.match(summary, /^# 2 profiles in /m);
      for (const f of files) assert.ok(summary.includes(f), `${f} listed`);
      // Neither host marked a phase: each takes the repetition's, which ran inside it.
      assert.match(summary, /\(measured phase only\)/);
    },
  );
});
