// Starting, asking and stopping the child-process hosts of bench/hosts/ (W6, W7, service mode).
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { compiledForkOptions } from './compile-hosts.ts';
import { procMemory } from './procs.ts';
import type { RepContext } from './workload.ts';

export interface Host {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the first message of this type; rejects if the process exits first. */
  next(type: string): Promise<Record<string, unknown>>;
  /**
   * Sends `message` and resolves with the first message of type `reply` sent after it; rejects
   * if the process exits first.
   */
  request(message: object, reply: string): Promise<Record<string, unknown>>;
}

export const APP_HOST = new URL('../hosts/app-host.ts', import.meta.url).pathname;

/** The compiled file of `script`, one of the workload's `hosts` (the runner compiled them). */
export function compiledHost(ctx: RepContext, script: string): string {
  const compiled = ctx.compiledHosts[script];
  if (compiled === undefined) {
    throw new Error(
      `${script} was not compiled: list it in the workload's hosts and run it through bench/run.ts`,
    );
  }
  return compiled;
}

/**
 * Forks the compiled `script` (one of the workload's `hosts`, compiled by the runner) with `env`
 * under plain node, names it `label`, and resolves once it sent `{type:'ready'}`.
 */
export async function startHost(
  ctx: RepContext,
  script: string,
  label: string,
  env: Record<string, string>,
): Promise<Host> {
  const compiled = compiledHost(ctx, script);
  const forked = compiledForkOptions(compiled, ctx.childExecArgv);
  const child = fork(compiled, [], {
    execArgv: forked.execArgv,
    env: { ...forked.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${script}`);
  ctx.labelProcess(pid, label);
  const seen: Record<string, unknown>[] = [];
  const waiters: { type: string; resolve: (m: Record<string, unknown>) => void }[] = [];
  child.on('message', (m: unknown) => {
    if (typeof m !== 'object' || m === null) return;
    const msg = m as Record<string, unknown>;
    seen.push(msg);
    for (const w of [...waiters]) {
      if (w.type === msg['type']) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(msg);
      }
    }
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => {
      reject(new Error(`${label} exited (code ${String(code)}, signal ${String(signal)})`));
    });
  });
  exited.catch(() => undefined);
  const nextNew = (type: string): Promise<Record<string, unknown>> =>
    Promise.race([
      new Promise<Record<string, unknown>>((resolve) => waiters.push({ type, resolve })),
      exited,
    ]);
  const host: Host = {
    child,
    pid,
    next: (type) => {
      const already = seen.find((m) => m['type'] === type);
      if (already) return Promise.resolve(already);
      return nextNew(type);
    },
    request: (message, reply) => {
      const answer = nextNew(reply);
      child.send(message);
      return answer;
    },
  };
  await host.next('ready');
  return host;
}

/** SIGKILLs the host (recording its peak RSS first) and waits until it is gone. */
export async function killHost(ctx: RepContext, host: Host): Promise<void> {
  const m = procMemory(host.pid);
  if (m) ctx.recordPeak(host.pid, m.hwm);
  if (host.child.exitCode !== null || host.child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => {
    host.child.once('exit', () => {
      resolve();
    });
  });
  host.child.kill('SIGKILL');
  await gone;
}

/**
 * Asks the host to stop (`{type:'stop'}`, bench/hosts/parent-link.ts) and waits until it is gone;
 * resolves with its `stopped` message. A host that has not answered within `timeoutMs` is
 * SIGKILLed (resolves undefined), as is one whose answer does not end in its exit.
 */
export async function stopHost(
  ctx: RepContext,
  host: Host,
  timeoutMs = 30_000,
): Promise<Record<string, unknown> | undefined> {
  if (host.child.exitCode !== null || host.child.signalCode !== null) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      resolve(undefined);
    }, timeoutMs);
  });
  let stopped: Record<string, unknown> | undefined;
  try {
    stopped = await Promise.race([host.request({ type: 'stop' }, 'stopped'), late]);
  } catch {
    stopped = undefined; // It exited before answering.
  } finally {
    clearTimeout(timer);
  }
  if (stopped === undefined) await killHost(ctx, host);
  else await hostExited(host, timeoutMs);
  return stopped;
}

/** Waits for the host to exit by itself (after it reported `done`). */
export async function hostExited(host: Host, timeoutMs: number): Promise<void> {
  if (host.child.exitCode !== null || host.child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      host.child.kill('SIGKILL');
    }, timeoutMs);
    host.child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
