// The messages between a repetition process and the runner.
import { appendFileSync } from 'node:fs';
import type { Measured } from './stats.ts';
import type { BenchOptions, RepContext } from './workload.ts';

export type RepMessage =
  | { type: 'label'; pid: number; label: string }
  | { type: 'peak'; pid: number; bytes: number }
  | { type: 'log'; message: string }
  | {
      type: 'result';
      figures: Record<string, Measured>;
      notes: readonly string[];
      peakBytes: number;
    }
  | { type: 'error'; message: string };

/**
 * Node flags for grandchildren (hosts, SQLite writers): the repetition's own, minus profiling (one
 * profile per rep), plus a CPU profile of each into `profileDir` if given (BENCH_PROFILE_HOSTS;
 * written when the process exits by itself, so not for a host the workload kills).
 */
export function childExecArgv(execArgv: readonly string[], profileDir?: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i] ?? '';
    if (a.startsWith('--cpu-prof') || a.startsWith('--heap-prof')) {
      if (!a.includes('=') && /-(dir|name|interval)$/.test(a)) i++;
      continue;
    }
    out.push(a);
  }
  if (profileDir !== undefined && profileDir !== '') {
    out.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-interval=100');
  }
  return out;
}

/** The repetition's side: sends through IPC when forked, or to a local sink when inline. */
export class RepChannel {
  readonly #sink: ((m: RepMessage) => void) | undefined;

  constructor(sink?: (m: RepMessage) => void) {
    this.#sink = sink;
  }

  async send(m: RepMessage): Promise<void> {
    if (this.#sink) {
      this.#sink(m);
      return;
    }
    await new Promise<void>((resolve) => {
      if (!process.send) {
        resolve();
        return;
      }
      process.send(m, () => {
        resolve();
      });
    });
  }

  context(
    rep: number,
    options: BenchOptions,
    compiledHosts: Readonly<Record<string, string>>,
  ): RepContext {
    return {
      options,
      rep,
      childExecArgv: childExecArgv(process.execArgv, process.env['BENCH_PROFILE_HOSTS']),
      compiledHosts,
      log: (message) => {
        void this.send({ type: 'log', message });
      },
      labelProcess: (pid, label) => {
        void this.send({ type: 'label', pid, label });
      },
      recordPeak: (pid, bytes) => {
        void this.send({ type: 'peak', pid, bytes });
      },
      mark: (phase) => {
        const file = process.env['BENCH_PROFILE_WINDOW'];
        if (file === undefined || file === '') return;
        // process.hrtime and V8's profile timestamps both read CLOCK_MONOTONIC (µs here).
        const us = Number(process.hrtime.bigint() / 1000n);
        appendFileSync(file, `${JSON.stringify({ pid: process.pid, phase, us })}\n`);
      },
    };
  }
}
