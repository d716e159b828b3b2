// Full garbage collection on demand, for tests of what a run lets go of (node's `--expose-gc`,
// turned on from inside the process: the test runner's command line stays the same).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A full collection now, in the middle of whatever runs (what the caller's job holds stays). */
export function collectGarbageNow(): void {
  gc();
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Collects garbage after the current job ends (a WeakRef's target stays alive until the job that
 * made or read it is over, so the caller's own job could still hold it), then lets the
 * FinalizationRegistry callbacks the collection queued run.
 */
export async function collectGarbage(): Promise<void> {
  await turn();
  gc();
  await turn();
  await turn();
}
