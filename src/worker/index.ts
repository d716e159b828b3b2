/**
 * `reprise/worker`: run workflows and activities.
 * @example
 * const worker = await Worker.create({ connection: engine.connection, taskQueue: 'claims',
 *   workflowsPath: new URL('./workflows.ts', import.meta.url).pathname, activities });
 * await worker.run();
 */
export { Worker } from './worker.ts';
export type { WorkerOptions, WorkerState, WorkerStatus } from './worker.ts';
export type { ReplayResult, ReplayWorkerOptions, ReplayableHistory } from './replay.ts';
export { DeterminismViolationError } from '../errors.ts';
