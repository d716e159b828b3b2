// The process's one way to run esbuild: the worker's workflow bundles and the web UI's page
// script share its count of builds in flight, so that neither stops the service under the other.
import type * as esbuild from 'esbuild';

export type Esbuild = typeof esbuild;

/** esbuild calls in flight, of every caller in this process. */
let buildsInFlight = 0;

/**
 * Runs an esbuild call. esbuild works in a service process (~19 MiB) that it would keep for the
 * life of this one, while a worker bundles only when it starts (and the web UI once): the service
 * is stopped once no build of this process is in flight, and a later one starts another (~30 ms). It is left
 * running while a child process holds the event loop: esbuild holds its service so while a build
 * or context of other code in this process is open, and stopping it would fail those.
 */
export async function withEsbuild<T>(build: (bundler: Esbuild) => Promise<T>): Promise<T> {
  buildsInFlight++;
  let bundler: Esbuild | undefined;
  try {
    bundler = await loadEsbuild();
    return await build(bundler);
  } finally {
    buildsInFlight--;
    // Checked and stopped in one go: no other build can start in between.
    if (
      bundler !== undefined &&
      buildsInFlight === 0 &&
      !process.getActiveResourcesInfo().includes('ProcessWrap')
    ) {
      await bundler.stop();
    }
  }
}

let esbuildModule: Promise<Esbuild> | undefined;

/**
 * esbuild, loaded at the first bundle: a worker given its workflows bundled ahead of time
 * (`workflowBundle`, as a deployment runs) never loads it, and saves its ~10 MiB of RSS.
 */
function loadEsbuild(): Promise<Esbuild> {
  esbuildModule ??= import('esbuild');
  return esbuildModule;
}
