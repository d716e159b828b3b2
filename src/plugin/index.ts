/**
 * `reprise/plugin`: Temporal's `@temporalio/plugin`, a plugin built from options for the client,
 * the worker, the replayer and the bundler (docs/plugins.md).
 * @example
 * const plugin = new SimplePlugin({ name: 'audit', activities: { audit } });
 * const worker = await Worker.create({ connection: engine.connection, taskQueue, workflowsPath, plugins: [plugin] });
 */
export { SimpleClientPlugin, SimplePlugin, SimpleWorkerPlugin } from './simple-plugin.ts';
export type {
  PluginParameter,
  SimpleClientPluginOptions,
  SimplePluginBaseOptions,
  SimplePluginOptions,
  SimpleWorkerPluginOptions,
} from './simple-plugin.ts';
export type { ClientPlugin } from '../client/plugin.ts';
export type { BundlerPlugin, WorkerPlugin } from '../worker/plugin.ts';
