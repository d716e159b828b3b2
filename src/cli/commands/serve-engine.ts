// `reprise dev` and `reprise server`: open an engine on a store, serve it over HTTP until stopped.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import * as z from 'zod';
import { InvalidArgumentError, NamespaceAlreadyExistsError } from 'reprise/client';
import { redactUrl } from '../../store/redact-url.ts';
import type { CliContext } from '../cli-context.ts';
import { addListenFlags, parseFlags, Port } from '../flags.ts';

export interface ServeOptions {
  /** The store URL `Engine.open` takes. */
  readonly store: string;
  /** What the store is, for the line that says where the server is. */
  readonly storeLabel: string;
  readonly port: number;
  readonly host: string;
  readonly apiKey: string | undefined;
  /** `--allowed-host`: the names the server answers to besides addresses and localhost. */
  readonly allowedHosts: readonly string[] | true;
  /** Namespaces to create at start, beside `default`; one that exists is left as it is. */
  readonly namespaces: readonly string[];
}

/**
 * Opens the engine, serves it, prints one line with its URL (the web UI is served at the same
 * URL), and on SIGINT or SIGTERM closes the server and the engine.
 */
export async function serveEngine(context: CliContext, options: ServeOptions): Promise<void> {
  // Loaded here, not at the top: the engine and its store are for these two commands only, and
  // every other command starts faster without them.
  const { Engine } = await import('reprise/server');
  const engine = await Engine.open({ store: options.store });
  try {
    // As Temporal's dev server's --namespace; a bad name stops the start with what to do.
    for (const namespace of options.namespaces) {
      await engine.namespaces.create(namespace).catch((e: unknown) => {
        if (!(e instanceof NamespaceAlreadyExistsError)) throw e;
      });
    }
    // A port in use or a host not of this machine is an InvalidArgumentError that says so.
    const server = await engine.listen({
      port: options.port,
      host: options.host,
      apiKey: options.apiKey,
      allowedHosts: options.allowedHosts,
    });
    context.io.out(
      `Reprise is serving ${options.storeLabel} at ${server.url} (web UI: ${server.url}/). ` +
        'Press Ctrl-C to stop.\n',
    );
    await context.io.stopRequested();
    // engine.close() (below) answers the open long-polls first, then closes the server.
  } finally {
    await engine.close();
  }
}

const ListenFlags = z.object({
  port: Port,
  host: z.string().min(1),
  // `*` among them: any host (behind a proxy that checks Host itself).
  allowedHost: z
    .array(z.string().min(1))
    .optional()
    .transform((names): readonly string[] | true => (names?.includes('*') ? true : (names ?? []))),
  namespace: z.array(z.string()).default([]),
});

/**
 * Adds `--allowed-host` (repeatable; also `REPRISE_ALLOWED_HOSTS`, names separated by commas):
 * the Host names the server answers to besides IP addresses, localhost and `--host`.
 */
function addAllowedHostFlag(command: Command): Command {
  return command.addOption(
    new Option(
      '--allowed-host <name>',
      "a host name the server answers to besides IP addresses and localhost (repeat it, or separate names with commas; '.example.com' for a domain and the names below it; '*' for any, behind a proxy that checks Host)",
    )
      .env('REPRISE_ALLOWED_HOSTS')
      .argParser((value: string, previous: string[] | undefined) => [
        ...(previous ?? []),
        ...value
          .split(',')
          .map((name) => name.trim())
          .filter((name) => name.length > 0),
      ]),
  );
}

/** Adds `--namespace`, repeatable: namespaces to create at start. */
function addNamespaceFlag(command: Command): Command {
  return command.option(
    '-n, --namespace <name>',
    'a namespace to create at start (if absent), beside default; repeat for more',
    (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
  );
}

/** `reprise dev`: a development server on an embedded SQLite file. */
export function devCommand(context: CliContext): Command {
  return addNamespaceFlag(
    addAllowedHostFlag(
      addListenFlags(
        new Command('dev')
          .description('Run a development server (engine, HTTP API and web UI) on a SQLite file')
          .option(
            '--db <path>',
            "the SQLite file, created if absent (':memory:' for a throwaway one)",
            './reprise.db',
          ),
      ),
    ),
  ).action(async (options: unknown) => {
    const flags = parseFlags(ListenFlags.extend({ db: z.string().min(1) }), options);
    const { store, storeLabel } = sqliteStoreOf(flags.db);
    await serveEngine(context, {
      ...flags,
      store,
      storeLabel,
      apiKey: undefined,
      allowedHosts: flags.allowedHost,
      namespaces: flags.namespace,
    });
  });
}

/** `reprise server`: a server for a deployment, on the store a URL names. */
export function serverCommand(context: CliContext): Command {
  return addNamespaceFlag(
    addAllowedHostFlag(
      addListenFlags(
        new Command('server')
          .description('Run a server (engine and HTTP API) on a store')
          .addOption(
            new Option(
              '--store <url>',
              "'sqlite:<path>', or 'postgres://user:password@host:5432/database' (optionally '?schema=name')",
            )
              .env('REPRISE_STORE')
              .makeOptionMandatory(),
          ),
      ),
    ),
  )
    .addOption(
      new Option('--api-key <key>', 'the key clients and workers must send').env('REPRISE_API_KEY'),
    )
    .action(async (options: unknown) => {
      const flags = parseFlags(
        ListenFlags.extend({ store: z.string().min(1), apiKey: z.string().min(1).optional() }),
        options,
      );
      await serveEngine(context, {
        ...flags,
        storeLabel: redactUrl(flags.store),
        apiKey: flags.apiKey,
        allowedHosts: flags.allowedHost,
        namespaces: flags.namespace,
      });
    });
}

/** `--db`'s store URL: a file (its folder must exist), or ':memory:'. */
function sqliteStoreOf(db: string): { store: string; storeLabel: string } {
  if (db === ':memory:') return { store: 'sqlite::memory:', storeLabel: 'an in-memory database' };
  const path = resolve(db);
  if (!existsSync(dirname(path))) {
    throw new InvalidArgumentError(
      `--db '${db}': the folder ${dirname(path)} does not exist. Create it, or pass another path.`,
    );
  }
  return { store: `sqlite:${path}`, storeLabel: path };
}
