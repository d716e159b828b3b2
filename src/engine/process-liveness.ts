import { readFileSync, readlinkSync } from 'node:fs';

/**
 * Where a process runs, as far as another process can check it: `hostKey` names the kernel boot
 * and the pid namespace (so pids mean the same thing only to processes with the same key), and
 * `pidStart` is when the kernel started `pid` (so a reused pid is not taken for the old process).
 * Both are undefined where /proc does not say (not Linux): such a process is never judged gone.
 */
export interface ProcessPlace {
  readonly hostKey: string | undefined;
  readonly pid: number;
  readonly pidStart: string | undefined;
}

function readOrUndefined(read: () => string): string | undefined {
  try {
    return read().trim();
  } catch {
    return undefined;
  }
}

/**
 * From /proc/<pid>/stat: the state (field 3; Z is a zombie, dead but not yet reaped by its
 * parent) and the start time in clock ticks after boot (field 22).
 */
function statOf(pid: number): { state: string | undefined; start: string | undefined } {
  const stat = readOrUndefined(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  if (stat === undefined) return { state: undefined, start: undefined };
  // The command name (field 2) is in parentheses and may hold spaces: count after its end.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], start: fields[19] };
}

let here: ProcessPlace | undefined;

/** This process's place (read once). */
export function thisProcess(): ProcessPlace {
  if (here === undefined) {
    const boot = readOrUndefined(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'));
    const pidNs = readOrUndefined(() => readlinkSync('/proc/self/ns/pid'));
    here = {
      hostKey: boot !== undefined && pidNs !== undefined ? `${boot} ${pidNs}` : undefined,
      pid: process.pid,
      pidStart: statOf(process.pid).start,
    };
  }
  return here;
}

/** The place of `pid`, a process on this host (for tests and tools). */
export function placeOf(pid: number): ProcessPlace {
  return { hostKey: thisProcess().hostKey, pid, pidStart: statOf(pid).start };
}

/** True when this process can tell whether `p` runs: same kernel boot and pid namespace. */
export function canCheck(p: ProcessPlace): boolean {
  const me = thisProcess();
  return me.hostKey !== undefined && p.hostKey === me.hostKey;
}

/**
 * True only when it is certain that `p` is no longer running: it ran where this process runs
 * (same host key), and its pid is gone or now belongs to a process started at another time.
 * Anything uncertain (another host or container, no /proc, no permission to look) is false.
 */
export function isGone(p: ProcessPlace): boolean {
  if (!canCheck(p)) return false;
  const me = thisProcess();
  if (p.pid === me.pid) return p.pidStart !== undefined && p.pidStart !== me.pidStart;
  try {
    process.kill(p.pid, 0);
  } catch (e) {
    // EPERM: the pid exists (another user's process), so it may be the one we look for.
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const now = statOf(p.pid);
  if (now.state === 'Z' || now.state === 'X') return true;
  return p.pidStart !== undefined && now.start !== undefined && now.start !== p.pidStart;
}
