// Temporal's plugins: objects with a `name` whose `configure…` hooks (`configureClient`,
// `configureWorker`, `configureReplayWorker`, `configureBundler`) each take the options and
// return them, changed or not. The plugins listed run in order, each given what the one before
// returned. docs/plugins.md.
import { InvalidArgumentError } from '../errors.ts';

/** What every plugin has: the name its errors are told by. */
export interface NamedPlugin {
  readonly name: string;
}

type Hook = (this: unknown, options: unknown) => unknown;

/** The plugins an options object lists, checked: an array, or none. */
function pluginList(plugins: readonly NamedPlugin[] | undefined, where: string): NamedPlugin[] {
  if (plugins === undefined) return [];
  if (!Array.isArray(plugins)) {
    throw new InvalidArgumentError(`${where} option plugins must be an array of plugins.`);
  }
  return plugins as NamedPlugin[];
}

function hookOf(plugin: NamedPlugin, hook: string): Hook | undefined {
  const fn = (plugin as unknown as Record<string, unknown>)[hook];
  return typeof fn === 'function' ? (fn as Hook) : undefined;
}

function configured(plugin: NamedPlugin, hook: string, result: unknown): object {
  if (typeof result !== 'object' || result === null) {
    throw new InvalidArgumentError(
      `Plugin '${plugin.name}': ${hook} returned ${String(result)} instead of the options: ` +
        'return the options it was given, changed or not.',
    );
  }
  return result;
}

/**
 * `options` passed through the `hook` of each plugin that has one, in the order listed (awaited:
 * the hook may return a promise). `where` names the call in errors.
 */
export async function configureWithPlugins<O>(
  plugins: readonly NamedPlugin[] | undefined,
  hook: string,
  options: O,
  where: string,
): Promise<O> {
  for (const plugin of pluginList(plugins, where)) {
    const fn = hookOf(plugin, hook);
    if (fn) options = configured(plugin, hook, await fn.call(plugin, options)) as O;
  }
  return options;
}

/** {@link configureWithPlugins} for a hook that must answer at once (`configureClient`). */
export function configureWithPluginsNow<O>(
  plugins: readonly NamedPlugin[] | undefined,
  hook: string,
  options: O,
  where: string,
): O {
  for (const plugin of pluginList(plugins, where)) {
    const fn = hookOf(plugin, hook);
    if (!fn) continue;
    const result = fn.call(plugin, options);
    if (result instanceof Promise) {
      throw new InvalidArgumentError(
        `Plugin '${plugin.name}': ${hook} returned a promise; ${where} is configured at once, so it must return the options themselves.`,
      );
    }
    options = configured(plugin, hook, result) as O;
  }
  return options;
}
