// Temporal's `SimplePlugin` (`@temporalio/plugin`): a plugin built from options, for the client,
// the worker, the replayer and the bundler at once. Activities and interceptors are added to the
// ones already given; a data converter's fields replace theirs; the other options replace.
// Each option may instead be a function of the value so far, whose result replaces it.
// docs/plugins.md.
import type { ClientInterceptors } from '../client/interceptors.ts';
import type { ClientOptions } from '../client/client.ts';
import type { ClientPlugin } from '../client/plugin.ts';
import type { DataConverter } from '../common/data-converter.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { WorkerInterceptors } from '../worker/interceptors.ts';
import type { BundlerPlugin, WorkerPlugin } from '../worker/plugin.ts';
import type { ReplayWorkerOptions } from '../worker/replay.ts';
import type { Worker, WorkerOptions } from '../worker/worker.ts';
import type { BundleWorkflowCodeOptions, WorkflowBundleOption } from '../worker/workflow-bundle.ts';

/** A value, or a function of the value so far (undefined if none) whose result replaces it. */
export type PluginParameter<T> = T | ((existing: T | undefined) => T);

export interface SimplePluginBaseOptions {
  readonly name: string;
  /** Its fields replace those of the data converter already given (or it is the one). */
  readonly dataConverter?: PluginParameter<DataConverter> | undefined;
}

export interface SimpleClientPluginOptions extends SimplePluginBaseOptions {
  /** Added after the client's own: `workflow` and `schedule` interceptors, theirs outermost. */
  readonly clientInterceptors?: PluginParameter<ClientInterceptors> | undefined;
}

export interface SimpleWorkerPluginOptions extends SimplePluginBaseOptions {
  /** Added to the worker's activities (one of the same name replaces the worker's). */
  readonly activities?: PluginParameter<object> | undefined;
  /** Replaces the worker's (and the replay's, and what `bundleWorkflowCode` bundles). */
  readonly workflowsPath?: PluginParameter<string> | undefined;
  /** Replaces the worker's (and the replay's). */
  readonly workflowBundle?: PluginParameter<WorkflowBundleOption> | undefined;
  /** Added after the worker's own: `activity` factories and `workflowModules`. */
  readonly workerInterceptors?: PluginParameter<WorkerInterceptors> | undefined;
  /** Wraps the worker's run: call `next()` to run it. */
  readonly runContext?: ((next: () => Promise<void>) => Promise<void>) | undefined;
}

export interface SimplePluginOptions extends SimpleClientPluginOptions, SimpleWorkerPluginOptions {}

/**
 * Temporal's SimplePlugin options Reprise cannot honour, each with why: refused, not ignored.
 * The types leave them out; this tells a JavaScript caller.
 */
const NOT_HONOURED = {
  tls: 'Reprise connects in-process, through engine.connection: there is no network connection to secure.',
  apiKey:
    'Reprise connects in-process, through engine.connection: there is no server to authenticate to.',
  nexusServices: 'Reprise has no Nexus.',
} as const;

/** Of Temporal's worker interceptors, those Reprise's worker does not take. */
const NOT_WORKER_INTERCEPTORS = {
  client: "the worker's client (an activity's Context.current().client) takes no interceptors here",
  nexus: 'Reprise has no Nexus',
} as const;

function refuseWorkerInterceptors(interceptors: unknown, plugin: string): void {
  if (typeof interceptors !== 'object' || interceptors === null) return;
  for (const [name, why] of Object.entries(NOT_WORKER_INTERCEPTORS)) {
    if ((interceptors as Record<string, unknown>)[name] !== undefined) {
      throw new InvalidArgumentError(
        `SimplePlugin '${plugin}': workerInterceptors.${name} cannot be honoured: ${why}.`,
      );
    }
  }
}

function refuseNotHonoured(options: SimplePluginBaseOptions): void {
  const given = options as unknown as Record<string, unknown>;
  for (const [name, why] of Object.entries(NOT_HONOURED)) {
    if (given[name] !== undefined) {
      throw new InvalidArgumentError(`SimplePlugin '${options.name}' takes no ${name}: ${why}`);
    }
  }
  refuseWorkerInterceptors(given['workerInterceptors'], options.name);
}

/** The value of `parameter` over `existing`: `merge` them when both are values. */
function resolve<T>(
  existing: T | undefined,
  parameter: PluginParameter<T> | undefined,
  merge: (existing: T, parameter: T) => T = (_existing, p) => p,
): T | undefined {
  if (parameter === undefined) return existing;
  if (typeof parameter === 'function') return (parameter as (e: T | undefined) => T)(existing);
  return existing === undefined ? parameter : merge(existing, parameter);
}

/** `a` then `b`; undefined when both are. */
function concat<T>(
  a: readonly T[] | undefined,
  b: readonly T[] | undefined,
): readonly T[] | undefined {
  if (b === undefined) return a;
  return a === undefined ? b : [...a, ...b];
}

function resolveDataConverter(
  existing: DataConverter | undefined,
  parameter: PluginParameter<DataConverter> | undefined,
): DataConverter | undefined {
  return resolve(existing, parameter, (e, p) => ({ ...e, ...p }));
}

function resolveWorkerInterceptors(
  existing: WorkerInterceptors | undefined,
  parameter: PluginParameter<WorkerInterceptors> | undefined,
  plugin: string,
): WorkerInterceptors | undefined {
  const resolved = resolve(existing, parameter, (e, p) => ({
    ...e,
    activity: concat(e.activity, p.activity),
    workflowModules: concat(e.workflowModules, p.workflowModules),
  }));
  // A function's result is seen only now.
  if (typeof parameter === 'function') refuseWorkerInterceptors(resolved, plugin);
  return resolved;
}

/** What both halves of a SimplePlugin keep: the name, and the options, once checked. */
abstract class SimplePluginPart<O extends SimplePluginBaseOptions> {
  readonly name: string;
  protected readonly own: O;

  constructor(options: O) {
    refuseNotHonoured(options);
    this.name = options.name;
    this.own = options;
  }
}

/**
 * Temporal's `SimpleClientPlugin`: the client side of {@link SimplePlugin} only, so that it
 * cannot be given to a worker.
 */
export class SimpleClientPlugin
  extends SimplePluginPart<SimpleClientPluginOptions>
  implements ClientPlugin
{
  configureClient(options: ClientOptions): ClientOptions {
    return {
      ...options,
      dataConverter: resolveDataConverter(options.dataConverter, this.own.dataConverter),
      interceptors: resolve(options.interceptors, this.own.clientInterceptors, (e, p) => ({
        ...e,
        workflow: concat(e.workflow, p.workflow),
        schedule: concat(e.schedule, p.schedule),
      })),
    };
  }
}

/**
 * Temporal's `SimpleWorkerPlugin`: the worker, replay and bundler sides of {@link SimplePlugin}
 * only, so that it cannot be given to a client.
 */
export class SimpleWorkerPlugin
  extends SimplePluginPart<SimpleWorkerPluginOptions>
  implements WorkerPlugin, BundlerPlugin
{
  configureWorker(options: WorkerOptions): WorkerOptions {
    return {
      ...this.#withWorkflowCode(options),
      dataConverter: resolveDataConverter(options.dataConverter, this.own.dataConverter),
      activities: resolve(options.activities, this.own.activities, (e, p) => ({ ...e, ...p })),
    };
  }

  /** As `configureWorker`, for what a replay takes: the workflow code and its interceptors. */
  configureReplayWorker(options: ReplayWorkerOptions): ReplayWorkerOptions {
    return this.#withWorkflowCode(options);
  }

  /** `options` with this plugin's workflow code and worker interceptors. */
  #withWorkflowCode<T extends ReplayWorkerOptions>(options: T): T {
    return {
      ...options,
      workflowsPath: resolve(options.workflowsPath, this.own.workflowsPath),
      workflowBundle: resolve(options.workflowBundle, this.own.workflowBundle),
      interceptors: resolveWorkerInterceptors(
        options.interceptors,
        this.own.workerInterceptors,
        this.name,
      ),
    };
  }

  runWorker(worker: Worker, next: (worker: Worker) => Promise<void>): Promise<void> {
    const { runContext } = this.own;
    return runContext ? runContext(() => next(worker)) : next(worker);
  }

  configureBundler(options: BundleWorkflowCodeOptions): BundleWorkflowCodeOptions {
    return {
      ...options,
      workflowsPath: resolve(options.workflowsPath, this.own.workflowsPath) ?? '',
    };
  }
}

/**
 * Temporal's `SimplePlugin`: one plugin for `new Client({ plugins })`, `Worker.create({ plugins })`,
 * the replay functions and `bundleWorkflowCode({ plugins })`.
 * @example
 * const plugin = new SimplePlugin({ name: 'audit', activities: { audit },
 *   workerInterceptors: { workflowModules: [auditInterceptorsPath] },
 *   clientInterceptors: { workflow: [auditClientInterceptor] } });
 * const client = new Client({ connection: engine.connection, plugins: [plugin] });
 * const worker = await Worker.create({ connection: engine.connection, taskQueue, workflowsPath, plugins: [plugin] });
 */
export class SimplePlugin implements ClientPlugin, WorkerPlugin, BundlerPlugin {
  readonly name: string;
  readonly #client: SimpleClientPlugin;
  readonly #worker: SimpleWorkerPlugin;

  constructor(options: SimplePluginOptions) {
    this.name = options.name;
    this.#client = new SimpleClientPlugin(options);
    this.#worker = new SimpleWorkerPlugin(options);
  }

  configureClient(options: ClientOptions): ClientOptions {
    return this.#client.configureClient(options);
  }

  configureWorker(options: WorkerOptions): WorkerOptions {
    return this.#worker.configureWorker(options);
  }

  configureReplayWorker(options: ReplayWorkerOptions): ReplayWorkerOptions {
    return this.#worker.configureReplayWorker(options);
  }

  runWorker(worker: Worker, next: (worker: Worker) => Promise<void>): Promise<void> {
    return this.#worker.runWorker(worker, next);
  }

  configureBundler(options: BundleWorkflowCodeOptions): BundleWorkflowCodeOptions {
    return this.#worker.configureBundler(options);
  }
}
