/* eslint-disable no-console */
// The benchmark runner: `npm run bench -- W1 … W8 | W1-cold | W2-warm | all | limits | W2-engine …`.
// Each repetition of a workload runs in a fresh process (bench/rep.ts) whose process tree is
// sampled for peak RSS; one JSON line per workload goes to stdout, progress to stderr. The
// child-process hosts the workloads start are compiled first (bench/lib/compile-hosts.ts).
// See bench/RESULTS.md for the figures and how to read them, shared/BENCHMARKS.md for the
// workloads and targets.
import { fork } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { RepChannel } from './lib/channel.ts';
import type { RepMessage } from './lib/channel.ts';
import { COMPILED_HOSTS_PARAM, compileHosts, compiledForkOptions } from './lib/compile-hosts.ts';
import { BENCH_POSTGRES_URL } from './lib/deployment.ts';
import { startCluster } from '../test/helpers/postgres-cluster.ts';
import type { Mode, StoreKind } from './lib/deployment.ts';
import { TreeSampler, descendants } from './lib/procs.ts';
import { SERVICE_CLIENT_LABEL, SERVICE_HOSTS } from './lib/service-deployment.ts';
import { summarise } from './lib/stats.ts';
import type { Measured, Summary } from './lib/stats.ts';
import type { BenchOptions, Workload } from './lib/workload.ts';
import { WORKLOADS, findWorkload } from './workloads/index.ts';
import { resolveDebugMode } from '../src/worker/debug-mode.ts';
import { defaultWatchdog } from '../src/worker/sandbox/native-watchdog.ts';

const REP_SCRIPT = new URL('./rep.ts', import.meta.url).pathname;
const COMPILED_REPS_PARAM =
  'one process each, compiled ahead of time (esbuild), plain node (no tsx), workflows bundled ahead of time (workflowBundle)';
const INLINE_PARAM = 'inline in the runner, under tsx (--inline: profiling and debugging)';
const DEBUG_MODE_PARAM = 'on (REPRISE_DEBUG): deadlock detection off, not the default';

const USAGE = `usage: npm run bench -- <W1…W8 | W1-cold | W2-warm | all | limits | W2-engine>… [options]
  W1-cold           W1 in a process's first seconds (brief warm-up; the others let the JIT settle)
  W2-warm           W2 after one unmeasured round of W2's load: an engine that has been running
  W2-engine         W2 with a stub worker: the engine and store alone (not part of 'all')
  --reps N          repetitions per workload (default 3)
  --mode embedded   engine, worker and client in one process (the default)
  --mode service    the engine in a process serving HTTP, each worker in another, the client
                    in the repetition's process over HTTP (${serviceWorkloads()})
  --workers N       service mode: N worker processes (default 1)
  --engines N       service mode on PostgreSQL: N engine processes on the one schema (default
                    1); worker i connects to engine i mod N, the client to the first
  --store sqlite    the store (default)
  --store postgres  the PostgreSQL store, on a throwaway PostgreSQL 15 cluster the runner starts
                    (fsync on); W1, W1-cold, W2, W2-warm, W2-engine, W3 and W4
  --scale full      W7 at the full 100,000 runs (default: scaled down to 10,000)
  --scale smoke     the smallest run through every part, no warm-up (the runner's own tests;
                    W1, W1-cold, W2, W2-warm, W3; its figures mean nothing)
  --inline          run repetitions in this process (debugging; RSS then covers the runner;
                    W7 and W8 also need node --expose-gc)
  --out FILE        also append the JSON lines to FILE`;

/** The workloads that run in service mode, for messages. */
function serviceWorkloads(): string {
  return WORKLOADS.filter((w) => w.service === true)
    .map((w) => w.id)
    .join(', ');
}

interface Cli {
  workloads: Workload[];
  options: BenchOptions;
  inline: boolean;
  out: string | undefined;
}

class UsageError extends Error {}

function parseCli(argv: readonly string[]): Cli {
  const ids: string[] = [];
  let reps = 3;
  let mode: Mode = 'embedded';
  let store: StoreKind = 'sqlite';
  let scale: BenchOptions['scale'] = 'default';
  let workers: number | undefined;
  let engines: number | undefined;
  let inline = false;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--reps') {
      reps = Number(value());
      if (!Number.isInteger(reps) || reps < 1)
        throw new UsageError('--reps takes a positive integer');
    } else if (a === '--mode') {
      const m = value();
      if (m !== 'embedded' && m !== 'service') throw new UsageError(`unknown mode '${m}'`);
      mode = m;
    } else if (a === '--store') {
      const s = value();
      if (s !== 'sqlite' && s !== 'postgres') throw new UsageError(`unknown store '${s}'`);
      store = s;
    } else if (a === '--scale') {
      const s = value();
      if (s !== 'full' && s !== 'default' && s !== 'smoke')
        throw new UsageError(`unknown scale '${s}'`);
      scale = s;
    } else if (a === '--workers') {
      workers = Number(value());
      if (!Number.isInteger(workers) || workers < 1)
        throw new UsageError('--workers takes a positive integer');
    } else if (a === '--engines') {
      engines = Number(value());
      if (!Number.isInteger(engines) || engines < 1)
        throw new UsageError('--engines takes a positive integer');
    } else if (a === '--inline') {
      inline = true;
    } else if (a === '--out') {
      out = value();
    } else if (a === '--help' || a === '-h') {
      throw new UsageError('');
    } else if (a.startsWith('-')) {
      throw new UsageError(`unknown option ${a}`);
    } else {
      ids.push(a);
    }
  }
  if (ids.length === 0) throw new UsageError('name a workload');
  if (workers !== undefined && mode !== 'service') {
    throw new UsageError(
      '--workers is for --mode service (a process per worker); embedded mode runs one worker in its process',
    );
  }
  if (engines !== undefined && engines > 1 && (mode !== 'service' || store !== 'postgres')) {
    throw new UsageError(
      '--engines is for --mode service --store postgres (engine processes sharing one database); run it with both',
    );
  }
  const workloads: Workload[] = [];
  for (const id of ids) {
    const all = id.toLowerCase() === 'all';
    // `all` in service mode: the workloads that run in it.
    const picked = all
      ? WORKLOADS.filter(
          (w) =>
            (mode !== 'service' || w.service === true) &&
            (store !== 'postgres' || w.postgres === true),
        )
      : [findWorkload(id)];
    for (const w of picked) {
      if (w === undefined) throw new UsageError(`unknown workload '${id}'`);
      if (mode === 'service' && w.service !== true) {
        throw new UsageError(
          `${w.id} does not run in service mode (it needs the engine in its own process, or measures one process alone). Service mode runs ${serviceWorkloads()}; run ${w.id} with --mode embedded`,
        );
      }
      if (store === 'postgres' && w.postgres !== true) {
        throw new UsageError(
          `${w.id} does not run on --store postgres (it reads the SQLite file itself). PostgreSQL runs ${WORKLOADS.filter(
            (x) => x.postgres === true,
          )
            .map((x) => x.id)
            .join(', ')}`,
        );
      }
      if (scale === 'smoke' && w.smoke !== true) {
        throw new UsageError(
          `${w.id} has no smoke scale: --scale smoke runs ${WORKLOADS.filter(
            (x) => x.smoke === true,
          )
            .map((x) => x.id)
            .join(', ')}`,
        );
      }
      if (!workloads.includes(w)) workloads.push(w);
    }
  }
  return {
    workloads,
    options: { mode, store, reps, scale, workers: workers ?? 1, engines: engines ?? 1 },
    inline,
    out,
  };
}

/**
 * Service mode's repetitions get longer to run: each call of a step crosses HTTP, and the warm-up
 * runs ten thousand steps before anything is measured.
 */
const SERVICE_TIME_FACTOR = 3;

/** The repetition's process in peakRssMiB: in service mode it holds only the client. */
function repLabel(w: Workload, options: BenchOptions): string {
  return options.mode === 'service' ? SERVICE_CLIENT_LABEL : w.processLabel;
}

/** The hosts a workload's repetitions start: its own, and service mode's engine and workers. */
function hostsOf(w: Workload, options: BenchOptions): string[] {
  return [...(w.hosts ?? []), ...(options.mode === 'service' ? SERVICE_HOSTS : [])];
}

interface RepOutcome {
  figures: Record<string, Measured>;
  notes: readonly string[];
  peaks: Record<string, number>;
  error: string | undefined;
}

function log(message: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/**
 * Runs one repetition in a child process, sampling its process tree for peak RSS: `repFile`,
 * bench/rep.ts compiled, under plain node, as a deployed application runs (its workers take
 * the workflows bundled ahead of time). Under tsx, its loader (a thread with a heap of its own)
 * and esbuild's process would add ~45 and ~15 MiB to every figure of memory.
 */
async function runRepForked(
  w: Workload,
  rep: number,
  options: BenchOptions,
  compiledHosts: Readonly<Record<string, string>>,
  repFile: string,
): Promise<RepOutcome> {
  const arg = JSON.stringify({ workload: w.id, rep, options, compiledHosts });
  const forked = compiledForkOptions(repFile, [...process.execArgv, ...(w.nodeFlags ?? [])]);
  const child = fork(repFile, [arg], {
    ...forked,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start a repetition process');
  const sampler = new TreeSampler(pid);
  sampler.label(pid, repLabel(w, options));
  const timeLimitMs = w.timeLimitMs * (options.mode === 'service' ? SERVICE_TIME_FACTOR : 1);
  let result: Extract<RepMessage, { type: 'result' }> | undefined;
  let error: string | undefined;
  child.on('message', (raw: unknown) => {
    const m = raw as RepMessage;
    switch (m.type) {
      case 'label':
        sampler.label(m.pid, m.label);
        break;
      case 'peak':
        sampler.record(m.pid, m.bytes);
        break;
      case 'log':
        log(m.message);
        break;
      case 'result':
        result = m;
        sampler.record(pid, m.peakBytes);
        break;
      case 'error':
        error = m.message;
        break;
    }
  });
  const timer = setTimeout(() => {
    error = `time limit of ${timeLimitMs / 1000} s reached: repetition killed`;
    sampler.sample();
    for (const p of descendants(pid).reverse()) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, timeLimitMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  const peaks = sampler.stop();
  if (result === undefined && error === undefined)
    error = `repetition exited with code ${String(code)}`;
  return {
    figures: result?.figures ?? {},
    notes: result?.notes ?? [],
    peaks,
    error,
  };
}

/** Runs one repetition in this process (profiling, debugging). */
async function runRepInline(
  w: Workload,
  rep: number,
  options: BenchOptions,
  compiledHosts: Readonly<Record<string, string>>,
): Promise<RepOutcome> {
  const sampler = new TreeSampler(process.pid);
  sampler.label(process.pid, `runner (${repLabel(w, options)})`);
  const channel = new RepChannel((m) => {
    if (m.type === 'label') sampler.label(m.pid, m.label);
    else if (m.type === 'peak') sampler.record(m.pid, m.bytes);
    else if (m.type === 'log') log(m.message);
  });
  try {
    const r = await w.rep(channel.context(rep, options, compiledHosts));
    return { figures: r.figures, notes: r.notes ?? [], peaks: sampler.stop(), error: undefined };
  } catch (e) {
    console.error(e);
    return {
      figures: {},
      notes: [],
      peaks: sampler.stop(),
      error: e instanceof Error ? e.message : String(e),
    };
  }
}

interface Line {
  workload: string;
  mode: Mode;
  store: StoreKind;
  reps: number;
  figures: Record<string, Summary>;
  peakRssMiB: Record<string, number>;
  node: string;
  date: string;
  params: Record<string, number | string>;
  /** 1-minute load average when the workload began and ended: others' work on a shared box. */
  loadAvg1m: [number, number];
  notes?: string[];
  errors?: string[];
}

async function runWorkload(
  w: Workload,
  cli: Cli,
  compiled: Readonly<Record<string, string>>,
): Promise<Line> {
  const repFile = compiled[REP_SCRIPT];
  if (!cli.inline && repFile === undefined) throw new Error(`${REP_SCRIPT} was not compiled`);
  const { options } = cli;
  const hosts = hostsOf(w, options);
  const compiledHosts: Record<string, string> = {};
  for (const h of hosts) if (compiled[h] !== undefined) compiledHosts[h] = compiled[h];
  const loadBefore = loadavg()[0] ?? 0;
  const outcomes: RepOutcome[] = [];
  for (let rep = 1; rep <= options.reps; rep++) {
    log(`${w.id} (${w.title}) repetition ${rep}/${options.reps}`);
    const t0 = performance.now();
    const o =
      repFile === undefined
        ? await runRepInline(w, rep, options, compiledHosts)
        : await runRepForked(w, rep, options, compiledHosts, repFile);
    log(
      `${w.id} repetition ${rep} ${o.error === undefined ? 'done' : `FAILED: ${o.error}`} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    outcomes.push(o);
  }
  const ok = outcomes.filter((o) => o.error === undefined);
  const figureSets = ok.map((o) => ({
    ...o.figures,
    peakRssTotalMiB: { value: o.peaks['total'] ?? Number.NaN, unit: 'MiB' },
  }));
  const peakRssMiB: Record<string, number> = {};
  for (const o of ok) {
    for (const [name, mib] of Object.entries(o.peaks)) {
      peakRssMiB[name] = Math.max(peakRssMiB[name] ?? 0, mib);
    }
  }
  const notes = [...new Set(ok.flatMap((o) => o.notes))];
  const errors = outcomes.flatMap((o, i) =>
    o.error === undefined ? [] : [`rep ${i + 1}: ${o.error}`],
  );
  return {
    workload: w.id,
    mode: options.mode,
    store: options.store,
    reps: ok.length,
    figures: summarise(figureSets),
    peakRssMiB,
    node: process.version,
    date: new Date().toISOString(),
    params: {
      mode: options.mode,
      ...(options.mode === 'service' && { workers: options.workers }),
      ...(options.engines > 1 && { engines: options.engines }),
      ...w.params(options),
      repetitions: cli.inline ? INLINE_PARAM : COMPILED_REPS_PARAM,
      ...(hosts.length > 0 && { hosts: COMPILED_HOSTS_PARAM }),
      // The workers take it from the environment: not the default configuration.
      ...(resolveDebugMode(undefined) && { workerDebugMode: DEBUG_MODE_PARAM }),
      // What times calls into workflow code (node-vm where the native addon was not built).
      watchdog: defaultWatchdog,
    },
    loadAvg1m: [Math.round(loadBefore * 100) / 100, Math.round((loadavg()[0] ?? 0) * 100) / 100],
    ...(notes.length > 0 && { notes }),
    ...(errors.length > 0 && { errors }),
  };
}

async function main(): Promise<number> {
  let cli: Cli;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.message) console.error(`bench: ${e.message}`);
      console.error(USAGE);
      return 2;
    }
    throw e;
  }
  const hostScripts = [
    ...(cli.inline ? [] : [REP_SCRIPT]),
    ...cli.workloads.flatMap((w) => hostsOf(w, cli.options)),
  ];
  const t0 = performance.now();
  const compiled = await compileHosts(hostScripts);
  if (hostScripts.length > 0) {
    log(
      `compiled the repetition script and hosts in ${((performance.now() - t0) / 1000).toFixed(1)} s (not measured)`,
    );
  }
  let failed = false;
  // One cluster for the run; each repetition's deployment gets a schema of its own.
  const cluster =
    cli.options.store === 'postgres'
      ? await startCluster({ stopWhenProcessEnds: true })
      : undefined;
  if (cluster !== undefined) process.env[BENCH_POSTGRES_URL] = cluster.url;
  try {
    for (const w of cli.workloads) {
      const line = await runWorkload(w, cli, compiled.files);
      const text = JSON.stringify(line);
      console.log(text);
      if (cli.out !== undefined) appendFileSync(cli.out, `${text}\n`);
      if (line.errors !== undefined) failed = true;
    }
  } finally {
    compiled.dispose();
    cluster?.stop();
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
