import { after, before } from 'node:test';

type RejectionListener = (reason: unknown, promise: Promise<unknown>) => void;

// node:test adds its listeners when the first test or hook is declared: declare one now, so
// that they are there, and only they, when this module (loaded before any sandbox) takes them.
before(() => undefined);
/** The test runner's listeners. */
const testRunnerListeners = process.listeners('unhandledRejection') as RejectionListener[];

const hostPromisesOnly: RejectionListener = (reason, promise) => {
  if (Object.getPrototypeOf(promise) !== Promise.prototype) return;
  for (const listener of testRunnerListeners) listener(reason, promise);
};

/**
 * node:test fails the running test when node reports any unhandled rejection. For the tests of
 * the suite this is called in, which leave rejections in workflow code on purpose, its listeners
 * hear only of the host's own promises; the sandbox's own listener hears of the sandbox's.
 * Import this module first: before any sandbox is created.
 */
export function hideSandboxRejectionsFromTestRunner(): void {
  before(() => {
    for (const listener of testRunnerListeners) process.off('unhandledRejection', listener);
    process.on('unhandledRejection', hostPromisesOnly);
  });
  after(() => {
    process.off('unhandledRejection', hostPromisesOnly);
    for (const listener of testRunnerListeners) process.on('unhandledRejection', listener);
  });
}
