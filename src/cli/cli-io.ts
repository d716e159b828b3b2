// Where a command writes, and how it learns that it should stop: the process's, or a test's.

/** The streams and stop request a command uses, so that tests can run commands in-process. */
export interface CliIo {
  /** Writes to standard output as is (add the newline). */
  readonly out: (text: string) => void;
  /** Writes to standard error as is (add the newline). */
  readonly err: (text: string) => void;
  /** Resolves with the signal's name when the process is asked to stop (SIGINT or SIGTERM). */
  readonly stopRequested: () => Promise<string>;
}

/** The process's own: stdout, stderr, and the first SIGINT or SIGTERM. */
export const processIo: CliIo = {
  out: (text) => {
    process.stdout.write(text);
  },
  err: (text) => {
    process.stderr.write(text);
  },
  stopRequested: () =>
    new Promise((resolve) => {
      const stop = (signal: NodeJS.Signals): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve(signal);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    }),
};
