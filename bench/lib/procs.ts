// Peak memory of a process tree, read from /proc (Linux): VmHWM is a process's own peak RSS, so
// sampling now and then still catches the peak of every process that is alive at a sample.
import { existsSync, readFileSync, readdirSync } from 'node:fs';

const MIB = 1024 * 1024;

interface ProcMemory {
  /** Resident set now, bytes. */
  readonly rss: number;
  /** Peak resident set (high-water mark), bytes. */
  readonly hwm: number;
}

/** RSS and peak RSS of `pid` in bytes; undefined once it is gone (or off Linux). */
export function procMemory(pid: number): ProcMemory | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m?.[1] === undefined ? 0 : Number(m[1]) * 1024;
  };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

export function toMiB(bytes: number): number {
  return Math.round((bytes / MIB) * 10) / 10;
}

/** Parent pid of every process, from /proc/<pid>/stat. */
function parentMap(): Map<number, number> {
  const out = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name is in parentheses and may contain spaces; fields follow the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(name), Number(rest[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/**
 * The children of `pid`, from /proc/<pid>/task/<tid>/children (a child is listed under the
 * thread that started it: node's main thread, or a loader thread as tsx's esbuild); undefined
 * where the kernel does not provide those files.
 */
function childrenOf(pid: number): number[] | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // Gone while we looked.
  }
  const out: number[] = [];
  for (const tid of tids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch {
      if (tid === String(pid) && existsSync(`/proc/${pid}/task/${tid}`)) return undefined;
      continue; // The thread ended while we looked.
    }
    for (const t of text.split(' ')) if (/^\d+$/.test(t)) out.push(Number(t));
  }
  return out;
}

/**
 * `root` and every process below it. Read from the tree's own children lists: a few files per
 * process of the tree, where a scan of every process on the machine (~2 ms here) took a share
 * of the measured process's time at each sample.
 */
export function descendants(root: number): number[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    const children = childrenOf(out[i] as number);
    if (children === undefined) return descendantsByScan(root);
    for (const c of children) if (!out.includes(c)) out.push(c);
  }
  return out;
}

function descendantsByScan(root: number): number[] {
  const parents = parentMap();
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    const p = out[i];
    for (const [pid, ppid] of parents) if (ppid === p && !out.includes(pid)) out.push(pid);
  }
  return out;
}

function isEsbuild(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .replaceAll('\0', ' ')
      .includes('esbuild --service');
  } catch {
    return false;
  }
}

function defaultLabel(pid: number): string {
  try {
    // The worker's workflow bundler keeps an esbuild service alive; tsx starts one too when it
    // compiles a file it has not cached.
    if (isEsbuild(pid)) return 'esbuild';
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const script = argv.find((a) => a.endsWith('.ts'));
    if (script !== undefined) return script.slice(script.lastIndexOf('/') + 1, -3);
    return ((argv[0] ?? '').split('/').pop() ?? '').trim() || `pid-${pid}`;
  } catch {
    return `pid-${pid}`;
  }
}

/**
 * Samples the peak RSS of a process tree until stopped. Processes are named by `label(pid)` or
 * by what they run; a name seen for a second process gets `#2`, `#3`…
 */
export class TreeSampler {
  readonly #root: number;
  /** Names given with label(). */
  readonly #labels = new Map<number, string>();
  /** What each unlabelled process ran when last seen (a fork shows its parent's until exec). */
  readonly #seenAs = new Map<number, string>();
  readonly #peaks = new Map<number, number>();
  readonly #timer: NodeJS.Timeout;

  constructor(root: number, intervalMs = 100) {
    this.#root = root;
    this.#timer = setInterval(() => {
      this.sample();
    }, intervalMs);
    this.#timer.unref();
  }

  /** Names a process (before or after it was first seen). */
  label(pid: number, label: string): void {
    this.#labels.set(pid, label);
  }

  /** Records the peak of a process that reported it itself (exact, even after it exits). */
  record(pid: number, peakBytes: number): void {
    this.#peaks.set(pid, Math.max(this.#peaks.get(pid) ?? 0, peakBytes));
  }

  sample(): void {
    for (const pid of descendants(this.#root)) {
      const m = procMemory(pid);
      if (m === undefined) continue;
      if (!this.#labels.has(pid)) {
        const name = defaultLabel(pid);
        if (!name.startsWith('pid-') || !this.#seenAs.has(pid)) this.#seenAs.set(pid, name);
      }
      this.#peaks.set(pid, Math.max(this.#peaks.get(pid) ?? 0, m.hwm));
    }
  }

  /**
   * Stops sampling; the peak of every process seen, MiB, and their sum as `total`. A name seen
   * for a second process gets `#2`, `#3`…; three or more processes of one name are reported as
   * one entry, their maximum.
   */
  stop(): Record<string, number> {
    this.sample();
    clearInterval(this.#timer);
    const byName = new Map<string, number>();
    let total = 0;
    for (const [pid, peak] of [...this.#peaks].sort((a, b) => a[0] - b[0])) {
      if (peak <= 0) continue;
      const label = this.#labels.get(pid) ?? this.#seenAs.get(pid) ?? `pid-${pid}`;
      let name = label;
      for (let i = 2; byName.has(name); i++) name = `${label}#${i}`;
      byName.set(name, peak);
      total += peak;
    }
    const groups = new Map<string, string[]>();
    for (const name of byName.keys()) {
      const base = name.replace(/(#\d+|-\d+)+$/, '').trim();
      groups.set(base, [...(groups.get(base) ?? []), name]);
    }
    const out: Record<string, number> = {};
    for (const [base, names] of groups) {
      if (names.length < 3) {
        for (const n of names) out[n] = toMiB(byName.get(n) ?? 0);
      } else {
        out[`${base} (max of ${names.length})`] = toMiB(
          Math.max(...names.map((n) => byName.get(n) ?? 0)),
        );
      }
    }
    out['total'] = toMiB(total);
    return out;
  }
}
