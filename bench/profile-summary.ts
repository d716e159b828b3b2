/* eslint-disable no-console */
// Summarises V8 .cpuprofile files (node --cpu-prof): self time by function and by file or
// package, and inclusive time of the project's own functions.
// Usage: tsx bench/profile-summary.ts <file.cpuprofile | dir> [--top N] [--window FILE]
// With a directory, the profile with the most non-idle time is summarised (the repetition
// process, not the idle runner), after a list of them all, to pick another by its file.
// --window keeps only the samples taken inside the measured phase the workload marked (run the
// bench with BENCH_PROFILE_WINDOW=FILE); a host's profile (BENCH_PROFILE_HOSTS=DIR) takes the
// phase of the repetition that ran inside it. Code the bench compiled (repetitions, hosts) is
// named by its compiled file, `compiled:<file>`.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const ROOT = process.cwd();
/** Where bench/lib/compile-hosts.ts writes the files it compiles. */
const COMPILED = '/node_modules/.cache/reprise-bench/';

function place(url: string): string {
  if (url === '') return '(native/V8)';
  if (url.startsWith('node:')) return url;
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  if (path.includes(COMPILED)) return `compiled:${path.slice(path.lastIndexOf('/') + 1)}`;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    const pkg = rest[0]?.startsWith('@') === true ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? '');
    return `node_modules/${pkg}`;
  }
  if (path.startsWith('/')) return relative(ROOT, path);
  return path;
}

// tsx compiles each file to one line, so the profile's line numbers say nothing: name + file.
function fnKey(f: CallFrame): string {
  const name = f.functionName === '' ? '(anonymous)' : f.functionName;
  if (f.url === '') return name;
  return `${name}  ${place(f.url)}`;
}

function fileKey(f: CallFrame): string {
  if (f.url === '') return f.functionName.startsWith('(') ? f.functionName : '(native/V8)';
  const p = place(f.url);
  return p.startsWith('node:') ? 'node: internals' : p;
}

interface Summary {
  file: string;
  totalMs: number;
  idleMs: number;
  self: Map<string, number>;
  selfByFile: Map<string, number>;
  inclusive: Map<string, number>;
  windowed: boolean;
}

interface Window {
  startUs: number;
  endUs: number;
}

/**
 * The measured phase of process `pid`, from the marks file; for a process that marked none (a
 * host), that of the repetition whose phase fell inside the profile's time (`span`).
 */
function readWindow(marksFile: string, pid: number, span: Window): Window | undefined {
  const byPid = new Map<number, Partial<Window>>();
  for (const line of readFileSync(marksFile, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const m = JSON.parse(line) as { pid: number; phase: string; us: number };
    const w = byPid.get(m.pid) ?? {};
    if (m.phase === 'start') w.startUs = m.us;
    else if (m.phase === 'end') w.endUs = m.us;
    byPid.set(m.pid, w);
  }
  const whole = (w: Partial<Window> | undefined): w is Window =>
    w?.startUs !== undefined && w.endUs !== undefined;
  const own = byPid.get(pid);
  if (whole(own)) return own;
  return [...byPid.values()]
    .filter(whole)
    .find((w) => w.startUs >= span.startUs && w.endUs <= span.endUs);
}

/** CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile */
function pidOf(file: string): number {
  const parts = file.split('/').pop()?.split('.') ?? [];
  return Number(parts[3]);
}

function summarise(file: string, marksFile: string | undefined): Summary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const span = { startUs: p.startTime, endUs: p.endTime };
  const window = marksFile === undefined ? undefined : readWindow(marksFile, pidOf(file), span);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const selfByFile = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  const add = (m: Map<string, number>, k: string, v: number): void => {
    m.set(k, (m.get(k) ?? 0) + v);
  };
  let at = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i] ?? 0;
    if (window !== undefined && (at < window.startUs || at > window.endUs)) continue;
    const id = p.samples[i] ?? 0;
    const node = byId.get(id);
    if (node === undefined) continue;
    const ms = (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0) / 1000;
    totalMs += ms;
    if (node.callFrame.functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    add(self, fnKey(node.callFrame), ms);
    add(selfByFile, fileKey(node.callFrame), ms);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)?.callFrame;
      if (f === undefined) continue;
      const url = f.url.startsWith('file://') ? new URL(f.url).pathname : f.url;
      const ours = url.startsWith(ROOT) && !url.includes('/node_modules/');
      if (!ours && !url.includes(COMPILED)) continue;
      const k = fnKey(f);
      if (seen.has(k)) continue;
      seen.add(k);
      add(inclusive, k, ms);
    }
  }
  return { file, totalMs, idleMs, self, selfByFile, inclusive, windowed: window !== undefined };
}

function top(m: Map<string, number>, n: number, busyMs: number): string[] {
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(
      ([k, v]) =>
        `${v.toFixed(0).padStart(8)} ms ${((100 * v) / busyMs).toFixed(1).padStart(5)}%  ${k}`,
    );
}

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const n = Number(option('--top') ?? '25');
const marks = option('--window');
const target = args.find((a, i) => !a.startsWith('--') && !(args[i - 1] ?? '').startsWith('--'));
if (target === undefined) {
  console.error(
    'usage: tsx bench/profile-summary.ts <file.cpuprofile | dir> [--top N] [--window FILE]',
  );
  process.exit(2);
}
const files = statSync(target).isDirectory()
  ? readdirSync(target)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(target, f))
  : [target];
const summaries = files
  .map((f) => summarise(f, marks))
  .sort((a, b) => b.totalMs - b.idleMs - (a.totalMs - a.idleMs));
const s = summaries[0];
if (s === undefined) {
  console.error(`no .cpuprofile in ${target}`);
  process.exit(2);
}
if (summaries.length > 1) {
  console.log(`# ${String(summaries.length)} profiles in ${target}, busiest first`);
  for (const o of summaries) {
    console.log(`${((o.totalMs - o.idleMs) / 1000).toFixed(2).padStart(8)} s busy  ${o.file}`);
  }
  console.log('');
}
const busy = s.totalMs - s.idleMs;
console.log(
  `# ${relative(ROOT, s.file)}${s.windowed ? ' (measured phase only)' : ' (whole process)'}`,
);
console.log(
  `profiled ${(s.totalMs / 1000).toFixed(2)} s, busy ${(busy / 1000).toFixed(2)} s (${((100 * busy) / s.totalMs).toFixed(0)}%), idle ${(s.idleMs / 1000).toFixed(2)} s; % below are of busy time`,
);
console.log('\n## self time by function');
for (const l of top(s.self, n, busy)) console.log(l);
console.log('\n## self time by file / package');
for (const l of top(s.selfByFile, n, busy)) console.log(l);
console.log('\n## inclusive time, project functions (and compiled ones)');
for (const l of top(s.inclusive, n, busy)) console.log(l);
