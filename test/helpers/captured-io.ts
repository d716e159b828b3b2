// A CliIo that keeps what a command writes, for tests that run commands in-process.
import type { CliIo } from '../../src/cli/cli-io.ts';

export interface CapturedIo extends CliIo {
  /** All written to stdout so far. */
  stdout(): string;
  /** All written to stderr so far. */
  stderr(): string;
  /** Asks a serving command to stop, as SIGTERM does. */
  stop(): void;
}

export function capturedIo(): CapturedIo {
  let out = '';
  let err = '';
  let stop: (signal: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => {
    stop = resolve;
  });
  return {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    stopRequested: () => stopped,
    stdout: () => out,
    stderr: () => err,
    stop: () => {
      stop('SIGTERM');
    },
  };
}

/**
 * A command line split into arguments as a shell would for the simple cases tests write: words
 * separated by spaces, a '…' or "…" group being one argument without its quotes.
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g))
    words.push(m[1] ?? m[2] ?? m[3] ?? '');
  return words;
}
