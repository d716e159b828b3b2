// The real `reprise` binary in child processes: a command run to its end, or a server (dev or
// server) started until the line that says where it listens.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

const BIN = new URL('../../bin/reprise.js', import.meta.url).pathname;

export interface Ran {
  code: number;
  out: string;
  err: string;
}

/** Runs `reprise args…` to its end. */
export function reprise(args: readonly string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, out, err) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, out, err });
      },
    );
  });
}

export interface Served {
  child: ChildProcess;
  /** The address it printed: `127.0.0.1:PORT`. */
  address: string;
  line: string;
  exited: Promise<number | null>;
}

/** Starts `reprise <args…>` (dev or server) and waits for the line that says where it listens. */
export function serve(args: readonly string[], env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /http:\/\/(127\.0\.0\.1:\d+)/.exec(out);
      if (url?.[1] !== undefined && out.includes('\n')) {
        resolve({ child, address: url[1], line: out, exited });
      }
    });
    void exited.then((code) => {
      reject(new Error(`reprise ${args.join(' ')} exited ${code} before serving: ${out}${err}`));
    });
  });
}
