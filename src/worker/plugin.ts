// Temporal's `WorkerPlugin` and `BundlerPlugin` (`@temporalio/worker`). docs/plugins.md.
import type { ReplayWorkerOptions } from './replay.ts';
import type { Worker, WorkerOptions } from './worker.ts';
import type { BundleWorkflowCodeOptions } from './workflow-bundle.ts';

/**
 * A worker plugin. `configureWorker` takes the options given to `Worker.create` and returns the
 * ones to use; `configureReplayWorker` does so for `Worker.runReplayHistory`/`runReplayHistories`;
 * `runWorker` wraps `worker.run()`: call `next(worker)` to run the worker (or the next plugin's
 * `runWorker`). Plugins are applied in the order listed, so the first one's `runWorker` is
 * outermost. A worker plugin that also has `configureBundler` configures the bundling of the
 * worker's `workflowsPath`.
 */
export interface WorkerPlugin {
  readonly name: string;
  configureWorker?(options: WorkerOptions): WorkerOptions | Promise<WorkerOptions>;
  configureReplayWorker?(
    options: ReplayWorkerOptions,
  ): ReplayWorkerOptions | Promise<ReplayWorkerOptions>;
  runWorker?(worker: Worker, next: (worker: Worker) => Promise<void>): Promise<void>;
}

/**
 * A bundler plugin: `configureBundler` takes the options of `bundleWorkflowCode` (or those a
 * worker or replay bundles its `workflowsPath` with) and returns the ones to bundle with.
 */
export interface BundlerPlugin {
  readonly name: string;
  configureBundler?(
    options: BundleWorkflowCodeOptions,
  ): BundleWorkflowCodeOptions | Promise<BundleWorkflowCodeOptions>;
}
